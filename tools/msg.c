/*
 * msg.c - messages from the rapport program to the user.
 *
 * Every complaint has the same shape, "rapport CMD: what went wrong",
 * on stderr, so that it can be told apart from a transcript on stdout.
 * Messages often quote what the user typed or what a file holds, so they
 * go through the terminal sanitiser like everything else.  Usage errors
 * add a line saying where the help is, and return STATUS_USAGE.
 */
#include <string.h>
#include <unistd.h>

#include "tools.h"

/* Format and print one message, prefixed with the program and command
 * names. */
static void msg_vprint(const char *cmd, const char *fmt, va_list ap)
{
    struct buf text = {0};

    buf_puts(&text, cmd ? "rapport " : "rapport");
    if (cmd)
        buf_puts(&text, cmd);
    buf_puts(&text, ": ");
    buf_vprintf(&text, fmt, ap);
    fflush(stdout); /* keep the order when both go to one place */
    term_puts(stderr, buf_str(&text), TERM_KEEP_NEWLINES);
    fputc('\n', stderr);
    buf_free(&text);
}

void msg_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vprint(cmd, fmt, ap);
    va_end(ap);
}

int msg_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vprint(cmd, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'rapport %s --help' for more information.\n", cmd);
    else
        fputs("Try 'rapport --help' for more information.\n", stderr);
    return STATUS_USAGE;
}

/* getopt_long was called with opterr = 0 and an optstring that starts
 * with ':' (after any '+'), so it returns ':' for a missing argument and
 * '?' for an unknown option, and leaves the wording to us.  The option
 * as typed is argv[optind - 1], except for an unknown letter inside a
 * cluster such as "-xv", which only optopt names. */
int msg_getopt(const char *cmd, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : NULL;

    if (arg != NULL && strncmp(arg, "--", 2) != 0 && optopt != 0)
        arg = NULL; /* a short option: name it by its letter */
    if (c == ':') {
        if (arg != NULL)
            return msg_usage(cmd, "option '%s' needs a value", arg);
        return msg_usage(cmd, "option '-%c' needs a value", optopt);
    }
    if (arg != NULL) {
        const char *eq = strchr(arg, '=');
        int len = eq ? (int)(eq - arg) : (int)strlen(arg);

        return msg_usage(cmd, "unknown option '%.*s'", len, arg);
    }
    return msg_usage(cmd, "unknown option '-%c'", optopt);
}

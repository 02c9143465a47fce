/*
 * pick.c - `rapport` with no command: choose a persona, then chat.
 *
 * For a learner who does not know the ids yet.  The personas are listed
 * as `rapport list` shows them, numbered, easiest first, and the learner
 * types a number or an id, or just presses Enter for the default: the
 * peer student when there is one (the gentlest start), else the easiest
 * persona.  When standard input is not a terminal nobody can answer, so
 * the default is taken without asking.
 */
#include <stdlib.h>
#include <string.h>

#include <readline/readline.h>

#include "tools.h"

/* The persona offered when the learner just presses Enter. */
#define PICK_DEFAULT_ID "peer-student"

/* The index of the default persona in items (sorted easiest first). */
static size_t pick_default(const struct list_item *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(items[i].id, PICK_DEFAULT_ID) == 0)
            return i;
    return 0;
}

/* The index that answer (trimmed) names, a number from 1 to n or an id;
 * n when it names none. */
static size_t pick_parse(const struct list_item *items, size_t n,
                         const char *answer)
{
    size_t i;
    char *end;
    unsigned long number;

    if (answer[0] >= '0' && answer[0] <= '9') {
        number = strtoul(answer, &end, 10);
        if (*end == '\0' && number >= 1 && number <= n)
            return (size_t)number - 1;
        return n;
    }
    for (i = 0; i < n; i++)
        if (strcmp(items[i].id, answer) == 0)
            return i;
    return n;
}

/* No completion while picking (readline would offer file names). */
static char **pick_complete(const char *text, int start, int end)
{
    (void)text;
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;
    return NULL;
}

/* Show the numbered list and ask until the answer names a persona.
 * Returns its index, or n when the learner left with Ctrl-D. */
static size_t pick_ask(const struct list_item *items, size_t n, size_t def)
{
    struct buf prompt = {0};
    size_t choice = n;

    fputs("Who would you like to talk to?\n\n", stdout);
    list_print(items, n, true);
    buf_printf(&prompt, "\nChoose 1-%zu, or press Enter for %zu (", n, def + 1);
    term_sanitise(&prompt, items[def].id, strlen(items[def].id), 0);
    buf_puts(&prompt, "): ");
    rl_readline_name = "rapport";
    rl_change_environment = 0; /* term_width must see resizes */
    rl_attempted_completion_function = pick_complete;
    while (choice == n) {
        char *answer = readline(buf_str(&prompt)), *s, *e;

        if (answer == NULL) {
            fputc('\n', stdout);
            break;
        }
        for (s = answer; *s == ' ' || *s == '\t'; s++)
            ;
        for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = '\0';
        choice = s[0] == '\0' ? def : pick_parse(items, n, s);
        if (choice == n) {
            fputs("That is not on the list: type a number from 1 to ", stdout);
            printf("%zu, or an id.\n", n);
        }
        free(answer);
        /* The prompt starts with a blank line only the first time. */
        if (prompt.ptr[0] == '\n')
            memmove(prompt.ptr, prompt.ptr + 1, prompt.len--);
    }
    buf_free(&prompt);
    if (choice < n)
        fputc('\n', stdout);
    return choice;
}

int cmd_pick(int argc, char **argv)
{
    struct list_item *items;
    size_t n, def, choice;
    int status;

    (void)argc;
    (void)argv;
    list_load(NULL, &items, &n);
    if (n == 0) {
        struct buf where = {0};

        personas_describe_path(&where);
        msg_error(NULL,
                  "no personas to talk to: none found in %s.  Name a "
                  "directory with --personas DIR or $RAPPORT_PERSONAS",
                  buf_str(&where));
        buf_free(&where);
        list_free(items, n);
        return STATUS_INPUT;
    }
    def = pick_default(items, n);
    if (term_isatty(stdin) && term_isatty(stdout))
        choice = pick_ask(items, n, def);
    else
        choice = def;
    status = choice < n ? chat_run(items[choice].persona, NULL) : STATUS_OK;
    list_free(items, n);
    return status;
}

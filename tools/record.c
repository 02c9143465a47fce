/*
 * record.c - `rapport record`: a conversation written down as a script.
 *
 * The learner talks to a persona (at a terminal, or lines piped in) and
 * every turn is written to a script for `rapport test` whose
 * expectations are exactly what the persona did: the whole reply, the
 * rule, the stage, whether it ended or fell back, the scores of the
 * dimensions that applied, and the report card at the end.  Run again
 * with the same persona and seed, the script passes unchanged; after an
 * intended change to the persona it fails where the persona now behaves
 * differently.
 *
 * The writers here (record_turn, record_report, record_write) are also
 * what `rapport test --update` uses to rewrite a failing script, so the
 * two produce the same text for the same conversation.  Nothing in the
 * output depends on the clock, so recording twice gives the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/readline.h>

#include "tools.h"

static const char record_usage[] =
    "Usage: rapport record [--seed N] PERSONA -o FILE\n"
    "\n"
    "Talk to PERSONA (type at a terminal, or pipe one line per turn) and\n"
    "write the conversation to FILE as a script for 'rapport test', whose\n"
    "expectations are exactly what the persona did: each reply in full,\n"
    "the rule, the stage, ended, fallback, the scores of the dimensions\n"
    "that applied, and the report card.  Recording stops when the persona\n"
    "ends the conversation or the input ends (Ctrl-D, or /quit).  Blank\n"
    "lines and other lines starting with '/' are not said.  FILE is\n"
    "replaced atomically; it holds no date, so the same input gives the\n"
    "same file.\n"
    "\n"
    "Options:\n"
    "  --seed N         the conversation's seed (default 1)\n"
    "  -o, --output FILE  where to write the script\n"
    "  -h, --help       show this help and exit\n"
    "\n"
    "Exit status: 0 when the script was written, 2 when the persona does\n"
    "not load or nothing was said, 64 for a bad command line, 70 when\n"
    "FILE cannot be written.\n";

/* ------------------------------------------------------------------ */
/* Writing scripts                                                     */
/* ------------------------------------------------------------------ */

void record_quote(struct buf *out, const char *s, size_t n)
{
    size_t i = 0;

    buf_putc(out, '"');
    while (i < n) {
        uint32_t cp;
        size_t len = term_utf8(s + i, n - i, &cp);

        if (len == 0) {
            buf_puts(out, "\\uFFFD");
            i++;
            continue;
        }
        switch (cp) {
        case '"':
            buf_puts(out, "\\\"");
            break;
        case '\\':
            buf_puts(out, "\\\\");
            break;
        case '\n':
            buf_puts(out, "\\n");
            break;
        case '\t':
            buf_puts(out, "\\t");
            break;
        case '\r':
            buf_puts(out, "\\r");
            break;
        case 0:
            buf_puts(out, "\\0");
            break;
        default:
            /* What libyaml would not read raw, or would read as a line
             * break, goes escaped. */
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
                buf_printf(out, "\\x%02X", (unsigned)cp);
            else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
                     cp == 0xfffe || cp == 0xffff)
                buf_printf(out, "\\u%04X", (unsigned)cp);
            else
                buf_put(out, s + i, len);
        }
        i += len;
    }
    buf_putc(out, '"');
}

/* Append s as a YAML scalar: plain when it is an identifier that YAML
 * reads back as the same string, else double-quoted. */
static void record_scalar(struct buf *out, const char *s)
{
    static const char *const special[] = {
        "null",  "Null",  "NULL",  "true", "True", "TRUE",
        "false", "False", "FALSE", "yes",  "Yes",  "no",
        "No",    "on",    "On",    "off",  "Off",  NULL};
    bool plain = s[0] != '\0' && strchr("-.", s[0]) == NULL;
    size_t i;

    for (i = 0; plain && s[i] != '\0'; i++)
        plain = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                (s[i] >= '0' && s[i] <= '9') || strchr("_-./", s[i]) != NULL;
    for (i = 0; plain && special[i] != NULL; i++)
        plain = strcmp(s, special[i]) != 0;
    if (plain)
        buf_puts(out, s);
    else
        record_quote(out, s, strlen(s));
}

void record_number(struct buf *out, double v)
{
    char tmp[64];
    size_t n;

    /* Twelve decimals keep the value well inside rapport test's 1e-9
     * tolerance; "%g" would round to six digits.  No exponent: the
     * comparison parser reads digits and a point only. */
    if (!isfinite(v) || fabs(v) >= 1e15)
        v = 0;
    snprintf(tmp, sizeof tmp, "%.12f", v);
    n = strlen(tmp);
    while (n > 0 && tmp[n - 1] == '0')
        n--;
    if (n > 0 && tmp[n - 1] == '.')
        n--;
    tmp[n] = '\0';
    buf_puts(out, strcmp(tmp, "-0") == 0 ? "0" : tmp);
}

void record_turn(struct buf *out, const char *say, size_t len, const rp_turn *t)
{
    const rp_score *sc = rp_turn_score(t);
    const char *rule = rp_turn_rule(t);
    bool any = false;
    int d;

    buf_puts(out, "  - say: ");
    record_quote(out, say, len);
    buf_puts(out, "\n    expect:\n      reply: {contains: ");
    record_quote(out, OR_EMPTY(rp_turn_reply(t)),
                 strlen(OR_EMPTY(rp_turn_reply(t))));
    buf_puts(out, "}\n      rule: ");
    if (rule != NULL)
        record_scalar(out, rule);
    else
        buf_putc(out, '~');
    buf_puts(out, "\n      stage: ");
    record_scalar(out, OR_EMPTY(rp_turn_stage(t)));
    buf_printf(out, "\n      ended: %s\n      fallback: %s\n",
               rp_turn_ended(t) ? "true" : "false",
               rp_turn_fallback(t) ? "true" : "false");
    for (d = 0; d < RP_DIM_COUNT; d++) {
        if (!rp_score_applies(sc, (rp_dim)d))
            continue;
        buf_printf(out, "%s%s: \"", any ? ", " : "      scores: {",
                   rp_dim_id((rp_dim)d));
        record_number(out, rp_score_value(sc, (rp_dim)d));
        buf_putc(out, '"');
        any = true;
    }
    if (any)
        buf_puts(out, "}\n");
}

void record_report(struct buf *out, const rp_session *s)
{
    rp_report *r = rp_session_report(s);
    const char *ending = rp_session_ending_outcome(s);
    int d, x;

    if (r == NULL)
        mem_fail(0);
    buf_printf(out, "report:\n  overall: \"%d\"\n  ending: %s\n",
               rp_report_overall(r), ending ? ending : "none");
    buf_puts(out, "  dimensions:\n");
    for (d = 0; d < RP_DIM_COUNT; d++) {
        x = rp_report_dimension(r, (rp_dim)d);
        buf_printf(out, "    %s: ", rp_dim_id((rp_dim)d));
        if (x < 0)
            buf_puts(out, "n/a\n");
        else
            buf_printf(out, "\"%d\"\n", x);
    }
    rp_report_free(r);
}

void record_head(struct buf *out, const char *persona, uint64_t seed)
{
    buf_puts(out, "persona: ");
    record_scalar(out, persona);
    buf_printf(out, "\nseed: %llu\nturns:\n", (unsigned long long)seed);
}

int record_write(const char *cmd, const char *path, const struct buf *text)
{
    char *copy = mem_strdup(path);
    const char *dir = dirname(copy);
    struct buf tmp = {0};
    struct stat st;
    mode_t mode, mask;
    int fd, dfd, rc = -1;
    size_t done = 0;

    /* A file being replaced keeps its permissions; a new one gets the
     * usual 0666 less the umask (mkstemp alone would give 0600). */
    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    buf_printf(&tmp, "%s/.rapport-record.XXXXXX", dir);
    fd = mkstemp(tmp.ptr);
    if (fd < 0) {
        msg_error(cmd, "cannot create a file in %s: %s", dir, strerror(errno));
        goto out_free;
    }
    while (done < text->len) {
        ssize_t n = write(fd, text->ptr + done, text->len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out_unlink;
        done += (size_t)n;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
        goto out_unlink;
    if (close(fd) != 0) {
        fd = -1;
        goto out_unlink;
    }
    fd = -1;
    if (rename(tmp.ptr, path) != 0)
        goto out_unlink;
    /* The rename itself is made durable by syncing the directory; a
     * directory that cannot be opened for that is no error. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
    goto out_free;
out_unlink:
    msg_error(cmd, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp.ptr);
out_free:
    buf_free(&tmp);
    free(copy);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The recording                                                       */
/* ------------------------------------------------------------------ */

/* Replace in line every byte that is not valid UTF-8 by U+FFFD: a
 * script is YAML, which holds only UTF-8, and the line said must be the
 * line written, or the recording would not replay. */
static void record_utf8(struct buf *line)
{
    struct buf out = {0};
    size_t i = 0;

    while (i < line->len) {
        uint32_t cp;
        size_t len = term_utf8(line->ptr + i, line->len - i, &cp);

        if (len == 0) {
            buf_puts(&out, "\xEF\xBF\xBD");
            i++;
        } else {
            buf_put(&out, line->ptr + i, len);
            i += len;
        }
    }
    buf_clear(line);
    buf_put(line, buf_str(&out), out.len);
    buf_free(&out);
}

/* Read one learner line: with readline at a terminal, else from the
 * pipe.  Returns 1, or 0 at the end of the input. */
static int record_read(bool tty, struct buf *line)
{
    char *text;

    if (!tty)
        return line_read(stdin, line, "record");
    text = readline("you> ");
    if (text == NULL)
        return 0;
    buf_clear(line);
    buf_puts(line, text);
    free(text);
    return 1;
}

/* Print "Name: text" as `rapport chat` does in a transcript. */
static void record_say(const rp_persona *p, const char *text)
{
    const char *name = OR_EMPTY(rp_persona_name(p));
    struct buf out = {0};

    if (text == NULL || text[0] == '\0')
        text = "(silence)";
    term_sanitise(&out, name, strlen(name), 0);
    buf_puts(&out, ": ");
    term_sanitise(&out, text, strlen(text), TERM_KEEP_NEWLINES);
    buf_putc(&out, '\n');
    fputs(buf_str(&out), stdout);
    fflush(stdout);
    buf_free(&out);
}

/* Hold the conversation with p and write it to path. */
static int record_run(const rp_persona *p, const char *arg, uint64_t seed,
                      const char *path)
{
    rp_session *s = rp_session_new(p, seed);
    bool tty = term_isatty(stdin) && term_isatty(stdout);
    struct buf line = {0}, script = {0};
    int status = STATUS_OK, turns = 0;
    const rp_turn *t;

    if (s == NULL)
        mem_fail(0);
    buf_puts(&script, "# Recorded by rapport record: the expectations are "
                      "what the persona\n# did.  Loosen them into ranges "
                      "where exact values are too strict.\n");
    record_head(&script, arg, seed);
    if (OR_EMPTY(rp_session_opening(s))[0] != '\0')
        record_say(p, rp_session_opening(s));
    while (!rp_session_ended(s) && record_read(tty, &line)) {
        size_t skip = 0;

        while (skip < line.len &&
               (line.ptr[skip] == ' ' || line.ptr[skip] == '\t'))
            skip++;
        if (skip == line.len)
            continue;
        if (line.ptr[skip] == '/') {
            if (strcmp(line.ptr + skip, "/quit") == 0)
                break;
            msg_error("record", "commands are not recorded: %.*s",
                      (int)(line.len - skip), line.ptr + skip);
            continue;
        }
        record_utf8(&line);
        if (!tty) {
            struct buf echo = {0};

            buf_puts(&echo, "You: ");
            term_sanitise(&echo, line.ptr, line.len, 0);
            buf_putc(&echo, '\n');
            fputs(buf_str(&echo), stdout);
            buf_free(&echo);
        }
        if (rp_session_turn(s, line.ptr, line.len, &t) != 0)
            mem_fail(0);
        record_say(p, rp_turn_reply(t));
        record_turn(&script, line.ptr, line.len, t);
        turns++;
    }
    if (rp_session_ended(s))
        printf("[conversation ended: %s]\n", OR_EMPTY(rp_session_ending(s)));
    if (turns == 0) {
        msg_error("record", "nothing was said; %s not written", path);
        status = STATUS_INPUT;
    } else {
        record_report(&script, s);
        if (record_write("record", path, &script) != 0)
            status = STATUS_INTERNAL;
        else
            printf("[recorded %d turn%s in %s]\n", turns, turns == 1 ? "" : "s",
                   path);
    }
    buf_free(&line);
    buf_free(&script);
    rp_session_free(s);
    return status;
}

int cmd_record(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    unsigned long long v;
    uint64_t seed = 1;
    rp_persona *p;
    int c, status;
    char *end;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || errno != 0 ||
                *end != '\0')
                return msg_usage("record",
                                 "--seed takes a whole number from 0 to "
                                 "18446744073709551615, not '%s'",
                                 optarg);
            seed = v;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(record_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("record", c, argv);
        }
    }
    if (optind == argc)
        return msg_usage("record", "which persona? Name one from 'rapport "
                                   "list', or the path of a persona file");
    if (argc - optind > 1)
        return msg_usage("record", "one persona at a time (unexpected '%s')",
                         argv[optind + 1]);
    if (out == NULL || out[0] == '\0')
        return msg_usage("record", "where to? Give the script's file with "
                                   "-o FILE");
    p = personas_open("record", argv[optind]);
    if (p == NULL)
        return STATUS_INPUT;
    status = record_run(p, argv[optind], seed, out);
    rp_persona_free(p);
    return status;
}

/*
 * score.c - `rapport score`: how one reply scores, outside a conversation.
 *
 * A learner, a teacher or a persona author asks "what would this line
 * earn?": the reply is scored on the nine dimensions of the rubric as if
 * the persona had just said the --context line at turn --turn, without
 * running any dialogue (rp_session_score_line).  Only the dimensions that
 * apply are shown, each with its score and the evidence: which cue fired
 * on which words of the reply.  --json prints the engine's own object
 * (rp_score_json) for programs; with REPLY "-", every line of standard
 * input is scored on its own, one block or one JSON object per line.
 *
 * Without --persona the reply is scored against the shared rubric alone,
 * through common/score-only.yaml on the persona search path.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* The persona used when none is given, in common/ on the search path. */
#define SCORE_DEFAULT_PERSONA "score-only.yaml"

/* Quotes of evidence are cut to this many columns. */
#define SCORE_MAX_QUOTE_COLS 60

/* Width of the score column: "+1.25". */
#define SCORE_NUM_COLS 5

static const char score_usage[] =
    "Usage: rapport score [--persona PERSONA] [--context TEXT] [--turn N]\n"
    "                     [--after-brush-off] [--json] REPLY\n"
    "\n"
    "Score one reply on the dimensions of the rubric (curiosity, follow-up\n"
    "questions, value offered, ...) as if the persona had just said TEXT\n"
    "at turn N, and show the evidence: which cue fired on which words.\n"
    "Only the dimensions that apply to the reply are shown.  With REPLY\n"
    "'-', every line of standard input is scored on its own.\n"
    "\n"
    "Options:\n"
    "  --persona PERSONA  score with this persona's rubric and brief (an id\n"
    "                     or a file); default: the shared rubric alone\n"
    "                     (common/score-only.yaml on the search path)\n"
    "  --context TEXT     what the persona has just said (default: nothing)\n"
    "  --turn N           the learner's turn number, from 1 (default 1)\n"
    "  --after-brush-off  the persona's line was a brush-off or a refusal\n"
    "  --json             print one JSON object per reply:\n"
    "                     {\"reply\": ..., \"dimensions\": {\"<id>\": "
    "{\"score\":\n"
    "                     n, \"evidence\": [{\"cue\", \"text\", \"start\",\n"
    "                     \"end\", ...}]}}}, start and end being byte offsets\n"
    "                     into \"reply\"\n"
    "  -h, --help         show this help and exit\n"
    "\n"
    "The reply is scored as the engine reads it: invalid UTF-8 becomes\n"
    "U+FFFD, control characters spaces, and only the first 16384 bytes\n"
    "count; \"reply\" in the JSON is that text, so that the offsets fit.\n";

/* What to score against, and how to print it. */
struct score {
    rp_session *session;
    const char *context; /* the persona's line, or NULL */
    int turn;
    bool after_brush_off;
    bool json;
    bool tty;          /* standard output is a terminal: colour, wrapping */
    size_t label_cols; /* the widest dimension label */
    bool first;        /* no reply printed yet */
};

/* A score as people write it: "+2", "-0.5", "0". */
static void score_number(struct buf *out, double v)
{
    char num[32];
    size_t n;

    if (v == 0) {
        buf_puts(out, "0");
        return;
    }
    snprintf(num, sizeof num, "%+.2f", v);
    n = strlen(num);
    while (n > 0 && num[n - 1] == '0')
        num[--n] = '\0';
    if (n > 0 && num[n - 1] == '.')
        num[--n] = '\0';
    buf_puts(out, num);
}

/* Append "; shares "a", "b"" for the space-separated words. */
static void score_words(struct buf *out, const char *words)
{
    const char *sep = "; shares ";

    while (*words != '\0') {
        size_t n = strcspn(words, " ");

        if (n > 0) {
            buf_puts(out, sep);
            buf_putc(out, '"');
            term_sanitise(out, words, n, 0);
            buf_putc(out, '"');
            sep = ", ";
        }
        words += n;
        words += strspn(words, " ");
    }
}

/* Append what one piece of evidence shows: the words of the reply it
 * covers, quoted, then the cue and, for follow-ups, the words shared
 * with the persona and the persona turn they came from.  An evidence
 * without words (a computed measure) shows what the cue recognises
 * instead. */
static void score_evidence(struct buf *out, const char *reply, size_t len,
                           const rp_evidence *e)
{
    const char *cue = OR_EMPTY(e->cue);

    if (e->start < e->end && e->end <= len) {
        char *span = mem_strndup(reply + e->start, e->end - e->start);

        buf_putc(out, '"');
        term_truncate(out, span, SCORE_MAX_QUOTE_COLS);
        buf_puts(out, "\" (");
        free(span);
    } else {
        const char *note = OR_EMPTY(e->note);

        if (note[0] != '\0') {
            term_sanitise(out, note, strlen(note), 0);
            buf_putc(out, ' ');
        }
        buf_putc(out, '(');
    }
    term_sanitise(out, cue, strlen(cue), 0);
    if (e->shared != NULL && e->shared[0] != '\0') {
        score_words(out, e->shared);
        if (e->source_turn >= 0)
            buf_printf(out, " from turn %d", e->source_turn);
    }
    buf_putc(out, ')');
}

/* Print a score for people: the reply quoted, then one line per
 * dimension that applies, label, signed score and evidence, further
 * evidence on lines of its own under the first. */
static void score_print(struct score *s, const rp_score *sc, const char *reply,
                        size_t len)
{
    struct buf out = {0}, ev = {0}, num = {0};
    int width = s->tty ? term_width(stdout) : INT_MAX / 2;
    size_t col = 2 + s->label_cols + 2 + SCORE_NUM_COLS + 1;
    bool any = false;
    int d;

    if (!s->first)
        buf_putc(&out, '\n');
    s->first = false;
    buf_puts(&out, term_sgr(stdout, TERM_BOLD));
    buf_putc(&out, '"');
    if (s->tty)
        term_truncate(&out, reply, (size_t)width - 2);
    else
        term_sanitise(&out, reply, len, 0);
    buf_putc(&out, '"');
    buf_puts(&out, term_sgr(stdout, TERM_RESET));
    buf_putc(&out, '\n');
    for (d = 0; d < RP_DIM_COUNT; d++) {
        size_t n = rp_score_evidence_count(sc, (rp_dim)d), i;
        double v = rp_score_value(sc, (rp_dim)d);

        if (!rp_score_applies(sc, (rp_dim)d))
            continue;
        any = true;
        buf_puts(&out, "  ");
        term_pad(&out, rp_dim_label((rp_dim)d), s->label_cols + 2);
        buf_clear(&num);
        score_number(&num, v);
        buf_puts(&out, term_sgr(stdout, v > 0   ? TERM_GOOD
                                        : v < 0 ? TERM_BAD
                                                : TERM_RESET));
        buf_puts(&out, buf_str(&num));
        buf_puts(&out, term_sgr(stdout, TERM_RESET));
        buf_repeat(&out, ' ',
                   num.len < SCORE_NUM_COLS ? SCORE_NUM_COLS + 1 - num.len : 1);
        if (n == 0)
            buf_puts(&out, "(applies here; no cue fired)");
        for (i = 0; i < n; i++) {
            buf_clear(&ev);
            score_evidence(&ev, reply, len,
                           rp_score_evidence(sc, (rp_dim)d, i));
            if (i > 0)
                buf_repeat(&out, ' ', col);
            term_wrap(&out, buf_str(&ev), width, (int)col, (int)col);
            buf_putc(&out, '\n');
        }
        if (n == 0)
            buf_putc(&out, '\n');
    }
    if (!any)
        buf_puts(&out, "  nothing scored: no dimension applies to this "
                       "reply\n");
    fwrite(buf_str(&out), 1, out.len, stdout);
    buf_free(&ev);
    buf_free(&num);
    buf_free(&out);
}

/* Score one reply (n bytes, any bytes) and print the result.  Returns 0
 * or an exit status. */
static int score_one(struct score *s, const char *line, size_t n)
{
    const rp_score *sc;
    int rc;

    rc = rp_session_score_line(s->session, s->context, s->turn,
                               s->after_brush_off, line, n, &sc);
    if (rc < 0) {
        msg_error("score", "the engine could not score the reply: %s",
                  rp_strerror(rc));
        return STATUS_INTERNAL;
    }
    /* Evidence offsets index the engine's sanitised copy of the line. */
    const char *reply = rp_session_scored_input(s->session);
    if (s->json) {
        char *json = rp_score_json(sc, reply);

        term_json_puts(stdout, json);
        fputc('\n', stdout);
        free(json);
    } else {
        score_print(s, sc, reply, strlen(reply));
    }
    return STATUS_OK;
}

/* Score every line of standard input. */
static int score_lines(struct score *s)
{
    struct buf line = {0};
    int status = STATUS_OK;

    while (status == STATUS_OK && line_read(stdin, &line, "score"))
        status = score_one(s, buf_str(&line), line.len);
    if (status == STATUS_OK && ferror(stdin))
        status = STATUS_INPUT;
    buf_free(&line);
    return status;
}

/* Parse a turn number: decimal digits, from 1 to INT_MAX. */
static bool score_parse_turn(const char *arg, int *turn)
{
    long v;
    char *end;

    if (arg[0] < '0' || arg[0] > '9')
        return false;
    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX)
        return false;
    *turn = (int)v;
    return true;
}

int cmd_score(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"persona", required_argument, NULL, 'p'},
        {"context", required_argument, NULL, 'c'},
        {"turn", required_argument, NULL, 't'},
        {"after-brush-off", no_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct score s = {0};
    const char *persona = NULL;
    rp_persona *p;
    int c, d, status;

    s.turn = 1;
    s.first = true;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            persona = optarg;
            break;
        case 'c':
            s.context = optarg;
            break;
        case 't':
            if (!score_parse_turn(optarg, &s.turn))
                return msg_usage("score",
                                 "--turn takes a whole number from 1, "
                                 "not '%s'",
                                 optarg);
            break;
        case 'b':
            s.after_brush_off = true;
            break;
        case 'j':
            s.json = true;
            break;
        case 'h':
            fputs(score_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("score", c, argv);
        }
    }
    if (optind == argc)
        return msg_usage("score", "which reply? Give it as an argument, or "
                                  "'-' to score each line of standard input");
    if (argc - optind > 1)
        return msg_usage("score",
                         "one reply at a time (unexpected '%s'); quote a "
                         "reply with spaces",
                         argv[optind + 1]);

    p = persona != NULL ? personas_open("score", persona)
                        : personas_open_common("score", SCORE_DEFAULT_PERSONA);
    if (p == NULL)
        return STATUS_INPUT;
    s.session = rp_session_new(p, 0);
    if (s.session == NULL) {
        msg_error("score", "the engine could not start a session");
        rp_persona_free(p);
        return STATUS_INTERNAL;
    }
    s.tty = term_isatty(stdout);
    for (d = 0; d < RP_DIM_COUNT; d++) {
        size_t w = term_strwidth(rp_dim_label((rp_dim)d));

        if (w > s.label_cols)
            s.label_cols = w;
    }
    if (strcmp(argv[optind], "-") == 0)
        status = score_lines(&s);
    else
        status = score_one(&s, argv[optind], strlen(argv[optind]));
    rp_session_free(s.session);
    rp_persona_free(p);
    return status;
}

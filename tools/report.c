/*
 * report.c - printing the report card of a conversation.
 *
 * At the end of every conversation, and whenever the learner types
 * /score, `rapport chat` shows how the conversation went so far
 * (rp_session_report): an overall score out of 100, a bar per dimension,
 * the two things that went best and the two to work on, each quoting the
 * learner's own words with its turn, what it showed and, for the fixes, a
 * better move.  The bars are drawn with Unicode blocks on a UTF-8
 * terminal and with '#' and '.' anywhere else, so that a transcript
 * stays plain ASCII apart from what the persona and learner wrote.
 *
 * A card is printed from a struct report_card, which is filled either
 * from the engine's rp_report (a conversation going on) or from the
 * report JSON kept in the history (report_cmd.c, `rapport report`), so
 * that a past session's card looks exactly like the one shown at its
 * end.
 */
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* Cells in a bar: one per 10 points. */
#define REPORT_BAR_CELLS 10

/* Indent of the text under a strength or a fix. */
#define REPORT_INDENT 4

/* Width passed to term_wrap when lines must not be wrapped. */
#define REPORT_NO_WRAP 1000000

/* Append a bar for value (0-100): REPORT_BAR_CELLS cells, each full for
 * every 10 points, rounded to the nearest. */
static void report_bar(struct buf *out, int value, bool unicode)
{
    int full = (value + 5) / 10, i;

    if (full > REPORT_BAR_CELLS)
        full = REPORT_BAR_CELLS;
    for (i = 0; i < REPORT_BAR_CELLS; i++) {
        if (unicode)
            buf_puts(out, i < full ? "\xe2\x96\x88"   /* U+2588 full */
                                   : "\xe2\x96\x91"); /* U+2591 light */
        else
            buf_putc(out, i < full ? '#' : '.');
    }
}

/* The widest dimension label, for aligning the bars. */
static size_t report_label_cols(void)
{
    size_t cols = 0;
    int d;

    for (d = 0; d < RP_DIM_COUNT; d++) {
        size_t w = term_strwidth(rp_dim_label((rp_dim)d));

        if (w > cols)
            cols = w;
    }
    return cols;
}

/* Append one strength (sign '+') or fix ('-'): the dimension, the turn
 * and the learner's words on the first line, then the note and, for a
 * fix, the suggestion under it.  Every string comes from the engine and
 * may quote the learner: term_wrap sanitises it. */
static void report_feedback(struct buf *out, FILE *f, const rp_feedback *fb,
                            char sign, int width)
{
    const char *quote = OR_EMPTY(fb->quote);
    const char *note = OR_EMPTY(fb->note);
    const char *suggestion = OR_EMPTY(fb->suggestion);
    struct buf head = {0};

    buf_puts(&head, rp_dim_label(fb->dim));
    if (fb->turn > 0)
        buf_printf(&head, ", turn %d", fb->turn);
    if (quote[0] != '\0') {
        buf_puts(&head, ": \"");
        buf_puts(&head, quote);
        buf_putc(&head, '"');
    }
    buf_puts(out, "  ");
    buf_puts(out, term_sgr(f, sign == '+' ? TERM_GOOD : TERM_BAD));
    buf_putc(out, sign);
    buf_puts(out, term_sgr(f, TERM_RESET));
    buf_putc(out, ' ');
    term_wrap(out, buf_str(&head), width, REPORT_INDENT, REPORT_INDENT);
    buf_putc(out, '\n');
    if (note[0] != '\0') {
        buf_repeat(out, ' ', REPORT_INDENT);
        term_wrap(out, note, width, REPORT_INDENT, REPORT_INDENT);
        buf_putc(out, '\n');
    }
    /* (The engine repeats the note when it has no better move.) */
    if (suggestion[0] != '\0' && strcmp(suggestion, note) != 0) {
        buf_repeat(out, ' ', REPORT_INDENT);
        buf_puts(out, "Try: ");
        term_wrap(out, suggestion, width, REPORT_INDENT + 5, REPORT_INDENT);
        buf_putc(out, '\n');
    }
    buf_free(&head);
}

void report_card_print(FILE *f, const struct report_card *card, bool unicode,
                       bool wrap, int width)
{
    size_t cols = report_label_cols(), n, i;
    struct buf out = {0};
    int d;

    if (!wrap)
        width = REPORT_NO_WRAP;
    buf_puts(&out, term_sgr(f, TERM_HEADING));
    buf_printf(&out, "Report card: %d/100", card->overall);
    buf_puts(&out, term_sgr(f, TERM_RESET));
    buf_putc(&out, '\n');
    for (d = 0; d < RP_DIM_COUNT; d++) {
        int v = card->dims[d];

        buf_puts(&out, "  ");
        term_pad(&out, rp_dim_label((rp_dim)d), cols + 2);
        if (v < 0) {
            buf_puts(&out, "n/a\n");
            continue;
        }
        report_bar(&out, v, unicode);
        buf_printf(&out, " %3d\n", v);
    }
    n = card->nstrengths;
    if (n > 0) {
        buf_putc(&out, '\n');
        buf_puts(&out, term_sgr(f, TERM_HEADING));
        buf_puts(&out, "What went well");
        buf_puts(&out, term_sgr(f, TERM_RESET));
        buf_putc(&out, '\n');
        for (i = 0; i < n; i++)
            report_feedback(&out, f, &card->strengths[i], '+', width);
    }
    n = card->nfixes;
    if (n > 0) {
        buf_putc(&out, '\n');
        buf_puts(&out, term_sgr(f, TERM_HEADING));
        buf_puts(&out, "What to work on");
        buf_puts(&out, term_sgr(f, TERM_RESET));
        buf_putc(&out, '\n');
        for (i = 0; i < n; i++)
            report_feedback(&out, f, &card->fixes[i], '-', width);
    }
    fwrite(buf_str(&out), 1, out.len, f);
    buf_free(&out);
}

void report_card_from(struct report_card *card, const rp_report *r)
{
    size_t i;
    int d;

    memset(card, 0, sizeof *card);
    card->overall = rp_report_overall(r);
    for (d = 0; d < RP_DIM_COUNT; d++)
        card->dims[d] = rp_report_dimension(r, (rp_dim)d);
    card->nstrengths = rp_report_strength_count(r);
    card->nfixes = rp_report_fix_count(r);
    card->strengths = mem_calloc(card->nstrengths + 1, sizeof(rp_feedback));
    card->fixes = mem_calloc(card->nfixes + 1, sizeof(rp_feedback));
    for (i = 0; i < card->nstrengths; i++)
        card->strengths[i] = *rp_report_strength(r, i);
    for (i = 0; i < card->nfixes; i++)
        card->fixes[i] = *rp_report_fix(r, i);
}

void report_print(FILE *f, const rp_report *r, bool unicode, bool wrap,
                  int width)
{
    struct report_card card;

    report_card_from(&card, r);
    report_card_print(f, &card, unicode, wrap, width);
    free(card.strengths);
    free(card.fixes);
}

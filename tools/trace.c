/*
 * trace.c - explaining a turn: what the engine understood in the
 * learner's line and why the persona answered as it did.
 *
 * `rapport chat --trace` prints this after every turn and /why prints it
 * for the last one.  It is written for persona authors and curious
 * learners: the normalised text that patterns match, every intent found
 * with the words that showed it, every rule that came into question with
 * its verdict and where it is written, the rule that answered, and how
 * the meters moved.  Rules that did not trigger at all are only counted:
 * a persona may have thousands.
 */
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* Name columns are padded to at most this width. */
#define TRACE_MAX_NAME_COLS 24

/* Quoted spans longer than this are cut (the input may be 16 KiB). */
#define TRACE_MAX_QUOTE_COLS 60

static const char *trace_verdict(rp_rule_verdict v)
{
    switch (v) {
    case RP_RULE_FIRED:
        return "fired";
    case RP_RULE_NO_TRIGGER:
        return "no trigger";
    case RP_RULE_CONDITION:
        return "condition";
    case RP_RULE_EXHAUSTED:
        return "exhausted";
    case RP_RULE_LIMIT:
        return "match limit";
    }
    return "?";
}

/* Append " FILE:LINE" (or nothing when the place is unknown). */
static void trace_where(struct buf *out, const char *file, int line)
{
    if (file == NULL || file[0] == '\0')
        return;
    buf_putc(out, ' ');
    buf_puts(out, file);
    if (line > 0)
        buf_printf(out, ":%d", line);
}

/* The words of the learner's line that an intent hit covers, quoted; the
 * span is checked, since it indexes into text the engine owns. */
static void trace_quote_span(struct buf *out, const char *input, size_t start,
                             size_t end)
{
    size_t n = input ? strlen(input) : 0;
    char *span;

    if (start > end || end > n) {
        buf_puts(out, "(no span)");
        return;
    }
    span = mem_strndup(input + start, end - start);
    buf_putc(out, '"');
    term_truncate(out, span, TRACE_MAX_QUOTE_COLS);
    buf_putc(out, '"');
    free(span);
}

static void trace_intents(struct buf *out, const rp_turn *t)
{
    size_t n = rp_turn_intent_count(t), i, cols = 0;

    if (n == 0) {
        buf_puts(out, "  intents: none recognised\n");
        return;
    }
    buf_puts(out, "  intents:\n");
    for (i = 0; i < n; i++) {
        size_t w = term_strwidth(rp_turn_intent(t, i)->intent);

        if (w > cols)
            cols = w < TRACE_MAX_NAME_COLS ? w : TRACE_MAX_NAME_COLS;
    }
    for (i = 0; i < n; i++) {
        const rp_intent_hit *h = rp_turn_intent(t, i);

        buf_puts(out, "    ");
        term_pad(out, h->intent, cols);
        buf_puts(out, "  ");
        trace_quote_span(out, rp_turn_input(t), h->start, h->end);
        if (h->negated)
            buf_puts(out, " (negated)");
        if (h->pattern != NULL) {
            buf_puts(out, "  pattern \"");
            term_truncate(out, h->pattern, TRACE_MAX_QUOTE_COLS);
            buf_putc(out, '"');
        }
        trace_where(out, h->file, h->line);
        buf_putc(out, '\n');
    }
}

static void trace_rules(struct buf *out, const rp_turn *t)
{
    size_t n = rp_turn_rule_trace_count(t), i, cols = 0, quiet = 0;

    for (i = 0; i < n; i++) {
        const rp_rule_trace *r = rp_turn_rule_trace(t, i);
        size_t w = term_strwidth(r->rule ? r->rule : "?");

        if (r->verdict == RP_RULE_NO_TRIGGER)
            quiet++;
        else if (w > cols)
            cols = w < TRACE_MAX_NAME_COLS ? w : TRACE_MAX_NAME_COLS;
    }
    if (n == quiet) {
        buf_printf(out, "  rules: none triggered (%zu tried)\n", n);
        return;
    }
    buf_puts(out, "  rules:\n");
    for (i = 0; i < n; i++) {
        const rp_rule_trace *r = rp_turn_rule_trace(t, i);

        if (r->verdict == RP_RULE_NO_TRIGGER)
            continue;
        buf_puts(out, "    ");
        term_pad(out, trace_verdict(r->verdict), 11);
        buf_puts(out, " ");
        term_pad(out, r->rule ? r->rule : "?", cols);
        trace_where(out, r->file, r->line);
        if (r->detail != NULL && r->detail[0] != '\0') {
            buf_puts(out, "  ");
            term_sanitise(out, r->detail, strlen(r->detail), 0);
        }
        buf_putc(out, '\n');
    }
    if (quiet > 0)
        buf_printf(out, "    (%zu other rule%s did not trigger)\n", quiet,
                   quiet == 1 ? "" : "s");
}

static void trace_answer(struct buf *out, const rp_turn *t)
{
    const char *rule = rp_turn_rule(t);
    const char *marks = rp_turn_marks(t);

    buf_puts(out, "  answer: ");
    if (rule != NULL) {
        buf_puts(out, "rule ");
        term_sanitise(out, rule, strlen(rule), 0);
        trace_where(out, rp_turn_rule_file(t), rp_turn_rule_line(t));
    } else if (rp_turn_keyword(t) != NULL) {
        buf_puts(out, "keyword script: ");
        term_sanitise(out, rp_turn_keyword(t), strlen(rp_turn_keyword(t)), 0);
    } else if (rp_turn_fallback(t)) {
        buf_puts(out, "fallback (no rule understood the line)");
    } else {
        buf_puts(out, "no rule (a meter threshold spoke)");
    }
    buf_putc(out, '\n');
    if (marks != NULL && marks[0] != '\0') {
        buf_puts(out, "  marks: ");
        term_sanitise(out, marks, strlen(marks), 0);
        buf_putc(out, '\n');
    }
}

static void trace_meters(struct buf *out, const rp_turn *t)
{
    size_t n = rp_turn_meter_change_count(t), i, cols = 0;

    if (n == 0)
        return;
    for (i = 0; i < n; i++) {
        size_t w = term_strwidth(rp_turn_meter_change(t, i)->meter);

        if (w > cols)
            cols = w < TRACE_MAX_NAME_COLS ? w : TRACE_MAX_NAME_COLS;
    }
    buf_puts(out, "  meters:\n");
    for (i = 0; i < n; i++) {
        const rp_meter_change *m = rp_turn_meter_change(t, i);

        buf_puts(out, "    ");
        term_pad(out, m->meter, cols);
        buf_printf(out, "  %g -> %g", m->before, m->after);
        if (m->cause != NULL && m->cause[0] != '\0') {
            buf_puts(out, "  (");
            term_sanitise(out, m->cause, strlen(m->cause), 0);
            buf_putc(out, ')');
        }
        buf_putc(out, '\n');
    }
}

void trace_print(FILE *f, const rp_turn *t, const char *stage_before)
{
    struct buf out = {0};
    const char *stage = rp_turn_stage(t);
    const char *norm = rp_turn_normalised(t);

    buf_printf(&out, "[trace] turn %d, stage ", rp_turn_number(t));
    if (stage_before != NULL && stage != NULL &&
        strcmp(stage_before, stage) != 0) {
        term_sanitise(&out, stage_before, strlen(stage_before), 0);
        buf_puts(&out, " -> ");
    }
    term_sanitise(&out, stage ? stage : "?", strlen(stage ? stage : "?"), 0);
    buf_puts(&out, "\n  normalised: \"");
    term_truncate(&out, norm ? norm : "", 200);
    buf_puts(&out, "\"\n");
    trace_intents(&out, t);
    trace_rules(&out, t);
    trace_answer(&out, t);
    trace_meters(&out, t);
    fwrite(buf_str(&out), 1, out.len, f);
    buf_free(&out);
}

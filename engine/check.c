/*
 * check.c - the linter's deeper checks on a loaded persona.
 *
 * Loading (persona.c) checks that a persona file is well formed and that
 * every name it uses is defined.  A persona can pass that and still be
 * wrong as a conversation: a stage nothing leads to, a stage from which
 * no ending can be reached, a rule an earlier rule always answers for, a
 * reply that inserts a capture its pattern does not have.  This module looks at
 * the loaded model (after every reference is resolved, so the checks are simple
 * walks) and adds one positioned diagnostic per finding to the same
 * rp_diags list the loader fills.  It runs only on personas that loaded;
 * `rapport lint` calls it after rp_persona_load.  Every code is in the
 * catalogue in diag.c and documented in doc/diagnostics.md.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "persona.h"
#include "util.h"

static void note_at(rp_diags *d, const rp_pos *pos, rp_level level,
                    const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Add a diagnostic at pos (the persona owns the file name). */
static void note_at(rp_diags *d, const rp_pos *pos, rp_level level,
                    const char *code, const char *fmt, ...)
{
    rp_buf msg;
    rp_buf_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    rp_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    rp_diags_add(d, pos->file, pos->line, pos->col, level, code, "%s",
                 msg.ptr ? msg.ptr : "");
    rp_buf_free(&msg);
}

/* ------------------------------------------------------------------ */
/* Stages: reachable from the start, and with a way to an ending       */
/* ------------------------------------------------------------------ */

/* Which stages can reach an ending (ends[s])?  A rule answering in s
 * with do: end ends there; a goto is an edge; a threshold fires in any
 * stage, so one that ends makes every stage able to, and one that goes
 * to a stage that can end does too.  A backward search over the edges:
 * linear in the stages' candidate lists.  The caller frees the result. */
static bool *can_end(const rp_persona *p)
{
    size_t n = p->nstages, nedges = 0;
    bool *ends = xcalloc(n, sizeof(bool));
    bool th_end = false;
    for (size_t m = 0; m < p->nmeters; m++)
        for (size_t t = 0; t < p->meters[m].nth; t++)
            th_end = th_end || p->meters[m].th[t].act.end >= 0;
    if (th_end) {
        for (size_t s = 0; s < n; s++)
            ends[s] = true;
        return ends;
    }
    for (size_t s = 0; s < n; s++)
        nedges += p->stages[s].ncands;
    /* Edges by target, counting-sorted: the sources of the edges into t
     * are byt[rstart[t] .. rstart[t + 1]). */
    size_t *rstart = xcalloc(n + 1, sizeof(size_t));
    size_t *fill = xcalloc(n + 1, sizeof(size_t));
    int *byt = xcalloc(nedges + 1, sizeof(int));
    int *queue = xcalloc(n, sizeof(int));
    size_t head = 0, tail = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t s = 0; s < n; s++)
            for (size_t c = 0; c < p->stages[s].ncands; c++) {
                const rp_rule *r = &p->rules[p->stages[s].cands[c]];
                if (!rp_rule_in_stage(r, (int)s))
                    continue;
                if (pass == 0 && r->act.end >= 0 && !ends[s]) {
                    ends[s] = true;
                    queue[tail++] = (int)s;
                }
                int g = r->act.end < 0 ? r->act.goto_stage : -1;
                if (g < 0 || g == (int)s)
                    continue;
                if (pass == 0)
                    rstart[g + 1]++;
                else
                    byt[rstart[g] + fill[g]++] = (int)s;
            }
        if (pass == 0)
            for (size_t t = 0; t < n; t++)
                rstart[t + 1] += rstart[t];
    }
    while (head < tail) {
        int t = queue[head++];
        for (size_t i = rstart[t]; i < rstart[t + 1]; i++)
            if (!ends[byt[i]]) {
                ends[byt[i]] = true;
                queue[tail++] = byt[i];
            }
    }
    /* A threshold that goes to a stage that can end, from anywhere. */
    for (size_t m = 0; m < p->nmeters; m++)
        for (size_t t = 0; t < p->meters[m].nth; t++) {
            int g = p->meters[m].th[t].act.goto_stage;
            if (g >= 0 && ends[g]) {
                for (size_t s = 0; s < n; s++)
                    ends[s] = true;
            }
        }
    free(fill);
    free(byt);
    free(rstart);
    free(queue);
    return ends;
}

static void check_stages(const rp_persona *p, rp_diags *d)
{
    if (p->start < 0 || p->nstages == 0)
        return;
    bool *reach = xcalloc(p->nstages, sizeof(bool));
    int *queue = xcalloc(p->nstages, sizeof(int));
    size_t head = 0, tail = 0;
    reach[p->start] = true;
    queue[tail++] = p->start;
    /* A threshold's goto can fire in any stage. */
    for (size_t m = 0; m < p->nmeters; m++)
        for (size_t k = 0; k < p->meters[m].nth; k++) {
            int g = p->meters[m].th[k].act.goto_stage;
            if (g >= 0 && !reach[g]) {
                reach[g] = true;
                queue[tail++] = g;
            }
        }
    while (head < tail) {
        int s = queue[head++];
        const rp_stage *st = &p->stages[s];
        for (size_t c = 0; c < st->ncands; c++) {
            const rp_rule *r = &p->rules[st->cands[c]];
            int g = r->act.goto_stage;
            if (g >= 0 && !reach[g] && rp_rule_in_stage(r, s)) {
                reach[g] = true;
                queue[tail++] = g;
            }
        }
    }
    bool *ends = p->nendings ? can_end(p) : NULL;
    for (size_t s = 0; s < p->nstages; s++) {
        const rp_stage *st = &p->stages[s];
        if (!reach[s]) {
            note_at(d, &st->pos, RP_LEVEL_WARNING, "unreachable-stage",
                    "stage '%s' is unreachable: it is not the start and no "
                    "rule or threshold goes to it",
                    st->name);
            continue;
        }
        /* Without endings the learner ends every conversation, and a
         * stage that keeps it is a final stage, not a dead end. */
        if (ends && !ends[s])
            note_at(d, &st->pos, RP_LEVEL_WARNING, "dead-end-stage",
                    "stage '%s' can never end the conversation: no rule or "
                    "threshold leads from it, directly or through other "
                    "stages, to an ending",
                    st->name);
        /* A keyword script answers every line no rule understands. */
        if (st->fallback.n == 0 && p->fallback.n == 0 && !p->keywords)
            note_at(d, &st->pos, RP_LEVEL_WARNING, "no-fallback",
                    "stage '%s' has no fallback, and the persona has no "
                    "top-level one: a line no rule understands gets no "
                    "answer",
                    st->name);
    }
    free(ends);
    free(reach);
    free(queue);
}

/* ------------------------------------------------------------------ */
/* Rules an earlier rule always answers for                            */
/* ------------------------------------------------------------------ */

/* Does rule r always answer when it triggers?  (No condition, no 'all'
 * or 'not' to step aside, no limit on how often.) */
static bool unconditional(const rp_rule *r)
{
    return r->nconds == 0 && r->nall == 0 && r->nnone == 0 && r->max_fires == 0;
}

/* Rules an earlier rule always answers for, by their structure, with or
 * without examples: rule B triggers only on intents, and each of them
 * already triggers an unconditional rule tried before B (or a catch-all
 * comes before it) in every stage where B may answer.  Sets shadowed[i]
 * for the rules it reports, so the example check does not repeat them. */
static void check_shadowed(const rp_persona *p, rp_diags *d, bool *shadowed)
{
    int *taken_by = xcalloc(p->nintents + 1, sizeof(int));
    int *touched = xcalloc(p->nintents + 1, sizeof(int));
    size_t *applies = xcalloc(p->nrules + 1, sizeof(size_t));
    size_t *hidden = xcalloc(p->nrules + 1, sizeof(size_t));
    int *thief = xcalloc(p->nrules + 1, sizeof(int));
    for (size_t i = 0; i < p->nintents; i++)
        taken_by[i] = -1;
    for (size_t s = 0; s < p->nstages; s++) {
        const rp_stage *st = &p->stages[s];
        size_t ntouched = 0;
        int all_by = -1; /* an unconditional catch-all tried so far */
        for (size_t c = 0; c < st->ncands; c++) {
            int bi = st->cands[c];
            const rp_rule *b = &p->rules[bi];
            if (!rp_rule_in_stage(b, (int)s))
                continue;
            applies[bi]++;
            int by = all_by;
            if (by < 0 && b->npatterns == 0 && b->nintents > 0) {
                by = taken_by[b->intents[0]];
                for (size_t k = 1; k < b->nintents && by >= 0; k++)
                    if (taken_by[b->intents[k]] < 0)
                        by = -1;
            }
            if (by >= 0) {
                if (hidden[bi]++ == 0)
                    thief[bi] = by;
                continue;
            }
            if (!unconditional(b))
                continue;
            if (b->nintents == 0 && b->npatterns == 0)
                all_by = bi;
            for (size_t k = 0; k < b->nintents; k++)
                if (taken_by[b->intents[k]] < 0) {
                    taken_by[b->intents[k]] = bi;
                    touched[ntouched++] = b->intents[k];
                }
        }
        for (size_t k = 0; k < ntouched; k++)
            taken_by[touched[k]] = -1;
    }
    for (size_t i = 0; i < p->nrules; i++) {
        const rp_rule *r = &p->rules[i];
        if (!r->id || applies[i] == 0 || hidden[i] < applies[i])
            continue;
        const rp_rule *t = &p->rules[thief[i]];
        shadowed[i] = true;
        if (t->nintents == 0 && t->npatterns == 0)
            note_at(d, &r->pos, RP_LEVEL_WARNING, "shadowed-rule",
                    "rule '%s' never fires: rule '%s' (line %d) is tried "
                    "first and answers every line",
                    r->id, t->id, t->pos.line);
        else
            note_at(d, &r->pos, RP_LEVEL_WARNING, "shadowed-rule",
                    "rule '%s' never fires: rule '%s' (line %d) is tried "
                    "first and always answers for its intents",
                    r->id, t->id, t->pos.line);
    }
    free(taken_by);
    free(touched);
    free(applies);
    free(hidden);
    free(thief);
}

/* Checking one example tries up to every rule, so a hostile persona
 * (20,000 rules, each with examples) could cost billions of matches: the
 * check stops after this many rule trials, with a note.  Real personas
 * need a few tens of thousands. */
#define CHECK_EXAMPLE_BUDGET 4000000u

static void check_examples(const rp_persona *p, rp_diags *d,
                           const bool *shadowed)
{
    rp_session *s = NULL;
    size_t spent = 0;
    for (size_t i = 0; i < p->nrules; i++) {
        const rp_rule *r = &p->rules[i];
        if (!r->id || r->nexamples == 0 || shadowed[i])
            continue;
        spent += r->nexamples * (p->nrules + 1);
        if (spent > CHECK_EXAMPLE_BUDGET) {
            note_at(d, &r->pos, RP_LEVEL_NOTE, "check-limit",
                    "rule examples from here on were not checked for "
                    "shadowing: the persona has too many rules and "
                    "examples for lint's work limit");
            break;
        }
        if (!s) {
            s = rp_session_new(p, 0);
            if (!s)
                return;
            rp_session_set_trace(s, false);
        }
        size_t stolen = 0, thief = SIZE_MAX, first = SIZE_MAX;
        int *verdict = xcalloc(r->nexamples, sizeof(int));
        size_t *by = xcalloc(r->nexamples, sizeof(size_t));
        for (size_t j = 0; j < r->nexamples; j++) {
            const char *ex = r->examples[j].text;
            verdict[j] = rp_session_check_example(s, i, ex, strlen(ex), &by[j]);
            if (verdict[j] == 2) {
                stolen++;
                if (thief == SIZE_MAX) {
                    thief = by[j];
                    first = j;
                }
            }
        }
        if (stolen == r->nexamples) {
            const rp_rule *t = &p->rules[thief];
            note_at(d, &r->pos, RP_LEVEL_WARNING, "shadowed-rule",
                    "rule '%s' never fires: rule '%s' (line %d) is tried "
                    "first and takes every one of its examples, such as "
                    "\"%.60s\"",
                    r->id, t->id, t->pos.line, r->examples[first].text);
        }
        for (size_t j = 0; j < r->nexamples; j++) {
            if (verdict[j] == 1)
                note_at(d, &r->examples[j].pos, RP_LEVEL_WARNING,
                        "example-miss",
                        "this example does not trigger rule '%s'", r->id);
            else if (verdict[j] == 2 && stolen < r->nexamples)
                note_at(d, &r->examples[j].pos, RP_LEVEL_WARNING,
                        "shadowed-example",
                        "rule '%s' (line %d) is tried first and takes this "
                        "example of rule '%s'",
                        p->rules[by[j]].id, p->rules[by[j]].pos.line, r->id);
        }
        free(verdict);
        free(by);
    }
    rp_session_free(s);
}

/* ------------------------------------------------------------------ */
/* Captures                                                            */
/* ------------------------------------------------------------------ */

static int replies_max_cap(const rp_replies *rs, const rp_template **where)
{
    int best = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].max_cap > best) {
            best = rs->v[i].max_cap;
            *where = &rs->v[i];
        }
    return best;
}

/* Replies said where no pattern matched (fallbacks, openings,
 * thresholds, endings) have no captures at all. */
static void check_no_captures(const rp_replies *rs, const char *what,
                              rp_diags *d)
{
    const rp_template *t = NULL;
    int cap = replies_max_cap(rs, &t);
    if (cap > 0)
        note_at(d, &t->pos, RP_LEVEL_WARNING, "missing-capture",
                "%s uses {%d}, but no pattern matched when it is said, so "
                "it is always empty",
                what, cap);
}

static void check_captures(const rp_persona *p, rp_diags *d)
{
    /* Each intent's pattern with the fewest captures, found once, so
     * that rules naming many intents with many patterns stay cheap. */
    const rp_pat **fewest = xcalloc(p->nintents + 1, sizeof(*fewest));
    for (size_t i = 0; i < p->nintents; i++)
        for (size_t j = 0; j < p->intents[i].npatterns; j++) {
            const rp_pat *x = &p->intents[i].patterns[j];
            if (!fewest[i] || rp_pattern_ncaptures(x->pat) <
                                  rp_pattern_ncaptures(fewest[i]->pat))
                fewest[i] = x;
        }
    for (size_t i = 0; i < p->nrules; i++) {
        const rp_rule *r = &p->rules[i];
        const rp_template *t = NULL;
        int cap = replies_max_cap(&r->replies, &t);
        if (!r->id || cap == 0)
            continue;
        if (r->nintents == 0 && r->npatterns == 0) {
            note_at(d, &t->pos, RP_LEVEL_WARNING, "missing-capture",
                    "reply uses {%d}, but rule '%s' has no pattern, so it "
                    "is always empty",
                    cap, r->id);
            continue;
        }
        const rp_pat *bad = NULL;
        for (size_t k = 0; k < r->npatterns && !bad; k++)
            if ((int)rp_pattern_ncaptures(r->patterns[k].pat) < cap)
                bad = &r->patterns[k];
        for (size_t k = 0; k < r->nintents && !bad; k++) {
            const rp_pat *x = fewest[r->intents[k]];
            if (x && (int)rp_pattern_ncaptures(x->pat) < cap)
                bad = x;
        }
        if (bad)
            note_at(d, &t->pos, RP_LEVEL_WARNING, "missing-capture",
                    "reply uses {%d}, but pattern '%.60s' (%s:%d) that "
                    "triggers rule '%s' captures only %u",
                    cap, rp_pattern_source(bad->pat), bad->pos.file,
                    bad->pos.line, r->id, rp_pattern_ncaptures(bad->pat));
    }
    free(fewest);
    check_no_captures(&p->opening, "the opening", d);
    check_no_captures(&p->fallback, "a fallback", d);
    for (size_t s = 0; s < p->nstages; s++) {
        check_no_captures(&p->stages[s].fallback, "a fallback", d);
        check_no_captures(&p->stages[s].initiate, "an initiate question", d);
    }
    for (size_t m = 0; m < p->nmeters; m++)
        for (size_t k = 0; k < p->meters[m].nth; k++)
            check_no_captures(&p->meters[m].th[k].say, "a threshold's say", d);
    for (size_t e = 0; e < p->nendings; e++)
        check_no_captures(&p->endings[e].say, "an ending's say", d);
}

/* ------------------------------------------------------------------ */
/* Variables, meters, intents, thresholds                              */
/* ------------------------------------------------------------------ */

/* Note the variables templates in rs insert: first read position. */
static void reads_in(const rp_replies *rs, const rp_pos **read)
{
    for (size_t i = 0; i < rs->n; i++)
        for (size_t j = 0; j < rs->v[i].nsegs; j++) {
            const rp_seg *sg = &rs->v[i].segs[j];
            if (sg->kind == RP_SEG_VAR && sg->index >= 0 && !read[sg->index])
                read[sg->index] = &rs->v[i].pos;
        }
}

static void sets_in(const rp_action *a, bool *set)
{
    for (size_t i = 0; i < a->nsets; i++)
        set[a->sets[i].var] = true;
}

static void check_vars(const rp_persona *p, rp_diags *d)
{
    if (p->nvars == 0)
        return;
    const rp_pos **read = xcalloc(p->nvars, sizeof(*read));
    bool *set = xcalloc(p->nvars, sizeof(bool));
    for (size_t i = 0; i < p->nrules; i++) {
        const rp_rule *r = &p->rules[i];
        for (size_t c = 0; c < r->nconds; c++)
            if (r->conds[c].kind == RP_COND_VAR && r->conds[c].index >= 0 &&
                !read[r->conds[c].index])
                read[r->conds[c].index] = &r->conds[c].pos;
        reads_in(&r->replies, read);
        sets_in(&r->act, set);
    }
    for (size_t m = 0; m < p->nmeters; m++)
        for (size_t k = 0; k < p->meters[m].nth; k++) {
            reads_in(&p->meters[m].th[k].say, read);
            sets_in(&p->meters[m].th[k].act, set);
        }
    for (size_t s = 0; s < p->nstages; s++) {
        reads_in(&p->stages[s].fallback, read);
        reads_in(&p->stages[s].initiate, read);
    }
    for (size_t e = 0; e < p->nendings; e++)
        reads_in(&p->endings[e].say, read);
    reads_in(&p->opening, read);
    reads_in(&p->fallback, read);
    for (size_t v = 0; v < p->nvars; v++)
        if (read[v] && !set[v])
            note_at(d, &p->vars[v].pos, RP_LEVEL_WARNING, "unset-var",
                    "variable '%s' is read (line %d) but nothing sets it: "
                    "it always holds its initial value",
                    p->vars[v].name, read[v]->line);
    free(read);
    free(set);
}

static void check_meters(const rp_persona *p, rp_diags *d)
{
    if (p->nmeters == 0)
        return;
    bool *read = xcalloc(p->nmeters, sizeof(bool));
    for (size_t i = 0; i < p->nrules; i++)
        for (size_t c = 0; c < p->rules[i].nconds; c++)
            if (p->rules[i].conds[c].kind == RP_COND_METER &&
                p->rules[i].conds[c].index >= 0)
                read[p->rules[i].conds[c].index] = true;
    for (size_t m = 0; m < p->nmeters; m++)
        if (p->meters[m].nth == 0 && !read[m])
            note_at(d, &p->meters[m].pos, RP_LEVEL_WARNING, "unused-meter",
                    "meter '%s' has no thresholds and no condition reads "
                    "it: it changes nothing",
                    p->meters[m].name);
    free(read);
}

static void mark_used(bool *used, const int *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] >= 0)
            used[v[i]] = true;
}

/* Intents written in the persona file itself (not the library) that no
 * rule or cue names. */
static void check_intents(const rp_persona *p, rp_diags *d)
{
    if (p->nintents == 0)
        return;
    bool *used = xcalloc(p->nintents, sizeof(bool));
    for (size_t r = 0; r < p->nrules; r++) {
        const rp_rule *x = &p->rules[r];
        mark_used(used, x->intents, x->nintents);
        mark_used(used, x->all, x->nall);
        mark_used(used, x->none, x->nnone);
    }
    for (size_t c = 0; c < p->rubric.ncues; c++) {
        const rp_cue *x = &p->rubric.cues[c];
        mark_used(used, x->intents, x->nintents);
        mark_used(used, x->all, x->nall);
        mark_used(used, x->none, x->nnone);
    }
    for (size_t i = 0; i < p->nintents; i++) {
        const rp_intent *in = &p->intents[i];
        if (!used[i] && in->pos.file && strcmp(in->pos.file, p->path) == 0)
            note_at(d, &in->pos, RP_LEVEL_WARNING, "unused-intent",
                    "intent '%s' is defined here but no rule or cue uses it",
                    in->id);
    }
    free(used);
}

/* Threshold ids name thresholds in traces and coverage: two alike
 * (written, or generated as "patience<3") cannot be told apart. */
typedef struct th_ref {
    const rp_threshold *t;
    size_t order; /* declaration order */
} th_ref;

static int th_cmp(const void *a, const void *b)
{
    const th_ref *x = a, *y = b;
    int c = strcmp(x->t->id, y->t->id);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void check_threshold_ids(const rp_persona *p, rp_diags *d)
{
    size_t n = 0, k = 0;
    for (size_t m = 0; m < p->nmeters; m++)
        n += p->meters[m].nth;
    if (n < 2)
        return;
    /* Sorted by id, so thousands of thresholds cost n log n. */
    th_ref *v = xcalloc(n, sizeof(*v));
    for (size_t m = 0; m < p->nmeters; m++)
        for (size_t j = 0; j < p->meters[m].nth; j++) {
            v[k].t = &p->meters[m].th[j];
            v[k].order = k;
            k++;
        }
    qsort(v, n, sizeof(*v), th_cmp);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (strcmp(v[i].t->id, v[first].t->id) != 0) {
            first = i;
            continue;
        }
        note_at(d, &v[i].t->pos, RP_LEVEL_ERROR, "duplicate-id",
                "threshold id '%s' is already used at line %d", v[i].t->id,
                v[first].t->pos.line);
    }
    free(v);
}

int rp_persona_lint(const rp_persona *p, rp_diags *diags)
{
    if (!p || !diags)
        return RP_EINVAL;
    check_stages(p, diags);
    bool *shadowed = xcalloc(p->nrules + 1, sizeof(bool));
    check_shadowed(p, diags, shadowed);
    check_examples(p, diags, shadowed);
    free(shadowed);
    check_captures(p, diags);
    check_vars(p, diags);
    check_meters(p, diags);
    check_intents(p, diags);
    check_threshold_ids(p, diags);
    return RP_OK;
}

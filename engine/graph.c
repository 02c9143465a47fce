/*
 * graph.c - the dialogue graph of a persona: its stages, its endings and
 * the transitions between them, for `rapport graph` (and anyone drawing
 * a persona).
 *
 * A transition is a rule that moves on from a stage (do: goto) or ends
 * the conversation (do: end), or a threshold that does, which can fire in
 * any stage.  Global rules count in every stage where they may answer
 * (their 'if: stage' list, or everywhere).  Each edge carries a label of
 * what fires it, built from the loaded model: the rule's intents or
 * patterns, its 'all'/'not' intents and its conditions.  The graph is a
 * separate object so the persona stays immutable; it owns its labels.
 */
#include <stdlib.h>
#include <string.h>

#include "persona.h"
#include "util.h"

/* Global rules count once per stage, so a hostile persona (thousands of
 * stages, thousands of global rules) could ask for hundreds of millions
 * of edges: the graph stops at this many and says it was cut. */
#define GRAPH_MAX_EDGES 10000

struct rp_graph {
    rp_edge *edges;
    size_t n, cap;
    char **labels;  /* owned strings, one per edge */
    bool truncated; /* more edges than GRAPH_MAX_EDGES */
};

/* "name > 3", "name = false", "name in 2..5" from a comparison. */
static void put_cmp(rp_buf *b, const char *name, const rp_cmp *c)
{
    const char *t = c->text ? c->text : "";
    while (*t == ' ')
        t++;
    if (strchr("<>=!", *t))
        rp_buf_printf(b, "%s %s", name, t);
    else if (c->op == RP_CMP_RANGE)
        rp_buf_printf(b, "%s in %s", name, t);
    else
        rp_buf_printf(b, "%s = %s", name, t);
}

static void put_intents(rp_buf *b, const rp_persona *p, const int *ids,
                        size_t n, const char *sep)
{
    for (size_t i = 0; i < n; i++)
        rp_buf_printf(b, "%s%s", i ? sep : "", p->intents[ids[i]].id);
}

/* What fires rule r, in one line: "asks_for_job | \"job *\"; not
 * question; if patience > 3". */
static char *rule_label(const rp_persona *p, const rp_rule *r)
{
    rp_buf b;
    rp_buf_init(&b);
    put_intents(&b, p, r->intents, r->nintents, " | ");
    for (size_t i = 0; i < r->npatterns; i++)
        rp_buf_printf(&b, "%s\"%s\"", b.len ? " | " : "",
                      rp_pattern_source(r->patterns[i].pat));
    if (r->nintents == 0 && r->npatterns == 0)
        rp_buf_puts(&b, "any line");
    if (r->nall) {
        rp_buf_puts(&b, " & ");
        put_intents(&b, p, r->all, r->nall, " & ");
    }
    if (r->nnone) {
        rp_buf_puts(&b, "; not ");
        put_intents(&b, p, r->none, r->nnone, ", ");
    }
    bool first = true;
    for (size_t i = 0; i < r->nconds; i++) {
        const rp_cond *c = &r->conds[i];
        if (c->kind == RP_COND_STAGE)
            continue; /* the edge's source says it */
        rp_buf_puts(&b, first ? "; if " : ", ");
        first = false;
        switch (c->kind) {
        case RP_COND_TURN:
            put_cmp(&b, "turn", &c->cmp);
            break;
        case RP_COND_WORDS:
            put_cmp(&b, "words", &c->cmp);
            break;
        case RP_COND_METER:
            put_cmp(&b, p->meters[c->index].name, &c->cmp);
            break;
        case RP_COND_VAR:
            put_cmp(&b, p->vars[c->index].name, &c->cmp);
            break;
        case RP_COND_QUESTION:
            rp_buf_puts(&b, c->flag ? "a question" : "no question");
            break;
        case RP_COND_AFTER:
            rp_buf_puts(&b, "after ");
            for (size_t j = 0; j < c->nids; j++)
                if (c->ids[j] >= 0)
                    rp_buf_printf(&b, "%s%s", j ? "/" : "",
                                  p->rules[c->ids[j]].id);
            break;
        default:
            rp_buf_puts(&b, "?");
            break;
        }
    }
    if (r->max_fires == 1)
        rp_buf_puts(&b, " (once)");
    else if (r->max_fires > 1)
        rp_buf_printf(&b, " (at most %d times)", r->max_fires);
    return rp_buf_detach(&b);
}

static void add_edge(rp_graph *g, int from, int to, int ending, const char *via,
                     bool threshold, char *label)
{
    if (g->n >= GRAPH_MAX_EDGES) {
        g->truncated = true;
        free(label);
        return;
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 32;
        g->edges = xrealloc(g->edges, g->cap * sizeof *g->edges);
        g->labels = xrealloc(g->labels, g->cap * sizeof *g->labels);
    }
    rp_edge *e = &g->edges[g->n];
    e->from = from;
    e->to = to;
    e->ending = ending;
    e->via = via;
    e->threshold = threshold;
    e->when = label;
    g->labels[g->n++] = label;
}

rp_graph *rp_graph_new(const rp_persona *p)
{
    if (!p)
        return NULL;
    rp_graph *g = xcalloc(1, sizeof *g);
    /* Rules, stage by stage, in the order each stage tries them. */
    for (size_t s = 0; s < p->nstages && !g->truncated; s++) {
        const rp_stage *st = &p->stages[s];
        for (size_t c = 0; c < st->ncands && !g->truncated; c++) {
            const rp_rule *r = &p->rules[st->cands[c]];
            if (!rp_rule_in_stage(r, (int)s))
                continue;
            if (r->act.end >= 0)
                add_edge(g, (int)s, -1, r->act.end, r->id, false,
                         rule_label(p, r));
            else if (r->act.goto_stage >= 0 && r->act.goto_stage != (int)s)
                add_edge(g, (int)s, r->act.goto_stage, -1, r->id, false,
                         rule_label(p, r));
        }
    }
    /* Thresholds fire in any stage. */
    for (size_t m = 0; m < p->nmeters; m++)
        for (size_t k = 0; k < p->meters[m].nth; k++) {
            const rp_threshold *t = &p->meters[m].th[k];
            if (t->act.end < 0 && t->act.goto_stage < 0)
                continue;
            rp_buf b;
            rp_buf_init(&b);
            rp_buf_printf(&b, "%s %s %g%s", p->meters[m].name,
                          t->dir == RP_BELOW ? "<" : ">", t->at,
                          t->repeat ? "" : " (once)");
            add_edge(g, -1, t->act.end >= 0 ? -1 : t->act.goto_stage,
                     t->act.end, t->id, true, rp_buf_detach(&b));
        }
    return g;
}

void rp_graph_free(rp_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->labels[i]);
    free(g->labels);
    free(g->edges);
    free(g);
}

bool rp_graph_truncated(const rp_graph *g)
{
    return g && g->truncated;
}

size_t rp_graph_edge_count(const rp_graph *g)
{
    return g ? g->n : 0;
}

const rp_edge *rp_graph_edge(const rp_graph *g, size_t i)
{
    return g && i < g->n ? &g->edges[i] : NULL;
}

/* Persona accessors the graph needs. */

const char *rp_persona_start(const rp_persona *p)
{
    return p->start >= 0 ? p->stages[p->start].name : NULL;
}

bool rp_persona_stage_closing(const rp_persona *p, size_t i)
{
    return i < p->nstages && p->stages[i].closing;
}

const char *rp_persona_ending_outcome(const rp_persona *p, size_t i)
{
    if (i >= p->nendings)
        return NULL;
    switch (p->endings[i].outcome) {
    case RP_OUTCOME_REWARDING:
        return "rewarding";
    case RP_OUTCOME_CUT_SHORT:
        return "cut-short";
    default:
        return "neutral";
    }
}

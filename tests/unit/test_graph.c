/*
 * test_graph.c - the dialogue graph (graph.c): which rules and thresholds
 * become edges, from which stages, with what labels, and the bound on
 * edges a hostile persona can ask for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport.h"

static rp_persona *load(const char *yaml)
{
    rp_load_options opts = {NULL, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_diags *d = rp_diags_new();
    rp_persona *p =
        rp_persona_load_string("g.yaml", yaml, strlen(yaml), &opts, d);
    if (!p)
        for (size_t i = 0; i < rp_diags_count(d); i++)
            fprintf(stderr, "%s\n", rp_diags_get(d, i)->message);
    rp_diags_free(d);
    assert_non_null(p);
    return p;
}

/* All edges as "from>to|ending via: when" lines. */
static char *edges(const rp_persona *p, const rp_graph *g)
{
    static char out[4096];
    out[0] = '\0';
    for (size_t i = 0; i < rp_graph_edge_count(g); i++) {
        const rp_edge *e = rp_graph_edge(g, i);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s>%s %s: %s\n",
                 e->from < 0 ? "*" : rp_persona_stage_name(p, (size_t)e->from),
                 e->ending >= 0 ? rp_persona_ending_id(p, (size_t)e->ending)
                 : e->to >= 0   ? rp_persona_stage_name(p, (size_t)e->to)
                                : "?",
                 e->via, e->when);
    }
    return out;
}

static void test_edges(void **state)
{
    (void)state;
    rp_persona *p = load("id: g\n"
                         "name: G\n"
                         "intents:\n"
                         "  hi: {patterns: [hi]}\n"
                         "  job: {patterns: [job]}\n"
                         "meters:\n"
                         "  patience:\n"
                         "    start: 5\n"
                         "    thresholds: [{id: low, below: 2, do: {end: "
                         "gone}}]\n"
                         "start: a\n"
                         "endings: {gone: {outcome: cut-short}, ok: {}}\n"
                         "rules:\n"
                         "  - id: g1\n"
                         "    when: {intents: [hi]}\n"
                         "    not: [job]\n"
                         "    if: {stage: [a], turn: '>= 2'}\n"
                         "    reply: x\n"
                         "    do: {goto: b}\n"
                         "stages:\n"
                         "  a:\n"
                         "    rules:\n"
                         "      - {id: stay, when: {pattern: x}, reply: x, "
                         "do: {goto: a}}\n"
                         "  b:\n"
                         "    closing: true\n"
                         "    rules:\n"
                         "      - {id: bye, when: {pattern: \"bye *\"}, "
                         "reply: x, max: 2, do: {end: ok}}\n");
    rp_graph *g = rp_graph_new(p);
    /* 'stay' goes nowhere new; g1 only from a; the threshold from any. */
    assert_string_equal(edges(p, g), "a>b g1: hi; not job; if turn >= 2\n"
                                     "b>ok bye: \"bye *\" (at most 2 times)\n"
                                     "*>gone low: patience < 2 (once)\n");
    assert_false(rp_graph_truncated(g));
    assert_string_equal(rp_persona_start(p), "a");
    assert_true(rp_persona_stage_closing(p, 1));
    assert_string_equal(rp_persona_ending_outcome(p, 0), "cut-short");
    rp_graph_free(g);
    rp_persona_free(p);
    assert_null(rp_graph_new(NULL));
    rp_graph_free(NULL);
}

static void test_truncated(void **state)
{
    (void)state;
    /* 120 stages x 120 global rules that move on: 14,280 transitions,
     * more than the graph keeps. */
    size_t cap = 1 << 16, len = 0;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    len += (size_t)snprintf(yaml + len, cap - len,
                            "id: big\nname: B\nstart: s0\nstages:\n");
    for (int i = 0; i < 120; i++)
        len += (size_t)snprintf(yaml + len, cap - len, "  s%d: {}\n", i);
    len += (size_t)snprintf(yaml + len, cap - len, "rules:\n");
    for (int i = 0; i < 120; i++)
        len += (size_t)snprintf(yaml + len, cap - len,
                                "  - {id: r%d, when: {pattern: w%d}, reply: "
                                "x, do: {goto: s%d}}\n",
                                i, i, i);
    assert_true(len < cap - 1);
    rp_persona *p = load(yaml);
    rp_graph *g = rp_graph_new(p);
    assert_true(rp_graph_truncated(g));
    assert_int_equal(rp_graph_edge_count(g), 10000);
    rp_graph_free(g);
    rp_persona_free(p);
    free(yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

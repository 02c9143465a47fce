/*
 * test_outline.c - unit tests of what coverage reports are built on: the
 * persona's parts with their lines (outline.c) and, per turn, the reply
 * variant used and the meter thresholds fired (dialogue.c).
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

/* Line numbers below are 1-based lines of this text. */
static const char *yaml = "id: outl\n"                           /* 1 */
                          "name: Oli\n"                          /* 2 */
                          "meters:\n"                            /* 3 */
                          "  calm:\n"                            /* 4 */
                          "    start: 5\n"                       /* 5 */
                          "    min: 0\n"                         /* 6 */
                          "    max: 10\n"                        /* 7 */
                          "    thresholds:\n"                    /* 8 */
                          "      - {id: edgy, below: 4}\n"       /* 9 */
                          "      - {below: 2, do: {end: out}}\n" /* 10 */
                          "  fun:\n"                             /* 11 */
                          "    start: 0\n"                       /* 12 */
                          "    max: 10\n"                        /* 13 */
                          "    thresholds:\n"                    /* 14 */
                          "      - {id: glad, above: 1}\n"       /* 15 */
                          "start: one\n"                         /* 16 */
                          "stages:\n"                            /* 17 */
                          "  one:\n"                             /* 18 */
                          "    rules:\n"                         /* 19 */
                          "      - id: poke\n"                   /* 20 */
                          "        when: {pattern: poke}\n"      /* 21 */
                          "        select: cycle\n"              /* 22 */
                          "        replies:\n"                   /* 23 */
                          "          - Ow.\n"                    /* 24 */
                          "          - Stop.\n"                  /* 25 */
                          "        do: {meters: {calm: -2}}\n"   /* 26 */
                          "      - id: joke\n"                   /* 27 */
                          "        when: {pattern: joke}\n"      /* 28 */
                          "        reply: Ha.\n"                 /* 29 */
                          "        do: {meters: {fun: 2}}\n"     /* 30 */
                          "    fallback: [Hm.]\n"                /* 31 */
                          "  two: {fallback: [Eh.]}\n"           /* 32 */
                          "endings:\n"                           /* 33 */
                          "  out: {outcome: cut-short}\n";       /* 34 */

static rp_persona *load(void)
{
    rp_diags *d = rp_diags_new();
    rp_load_options opts = {NULL, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_persona *p =
        rp_persona_load_string("outl.yaml", yaml, strlen(yaml), &opts, d);
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        char *s = rp_diag_render(rp_diags_get(d, i), NULL);
        fprintf(stderr, "%s", s);
        free(s);
    }
    rp_diags_free(d);
    assert_non_null(p);
    return p;
}

static const rp_turn *say(rp_session *s, const char *line)
{
    const rp_turn *t = NULL;
    assert_int_equal(rp_session_turn(s, line, strlen(line), &t), RP_OK);
    return t;
}

static void test_parts_and_lines(void **state)
{
    (void)state;
    rp_persona *p = load();

    assert_int_equal(rp_persona_stage_count(p), 2);
    assert_string_equal(rp_persona_stage_file(p, 0), "outl.yaml");
    assert_int_equal(rp_persona_stage_line(p, 0), 18);
    assert_int_equal(rp_persona_stage_line(p, 1), 32);
    assert_int_equal(rp_persona_rule_reply_count(p, 0), 2);
    assert_int_equal(rp_persona_rule_reply_line(p, 0, 0), 24);
    assert_int_equal(rp_persona_rule_reply_line(p, 0, 1), 25);
    assert_int_equal(rp_persona_rule_reply_line(p, 0, 2), 0);
    assert_int_equal(rp_persona_rule_reply_count(p, 1), 1);
    assert_int_equal(rp_persona_rule_reply_count(p, 2), 0);
    assert_int_equal(rp_persona_threshold_count(p), 3);
    assert_string_equal(rp_persona_threshold_id(p, 0), "edgy");
    assert_string_equal(rp_persona_threshold_meter(p, 1), "calm");
    assert_int_equal(rp_persona_threshold_line(p, 1), 10);
    assert_string_equal(rp_persona_threshold_id(p, 2), "glad");
    assert_string_equal(rp_persona_threshold_meter(p, 2), "fun");
    assert_int_equal(rp_persona_threshold_line(p, 2), 15);
    assert_null(rp_persona_threshold_id(p, 3));
    assert_int_equal(rp_persona_ending_count(p), 1);
    assert_string_equal(rp_persona_ending_id(p, 0), "out");
    assert_int_equal(rp_persona_ending_line(p, 0), 34);
    rp_persona_free(p);
}

static void test_variant_and_thresholds(void **state)
{
    (void)state;
    rp_persona *p = load();
    rp_session *s = rp_session_new(p, 1);
    const rp_turn *t;

    /* calm 5 -> 3: crosses below 4 */
    t = say(s, "poke");
    assert_int_equal(rp_turn_reply_variant(t), 0);
    assert_int_equal(rp_turn_threshold_count(t), 1);
    assert_int_equal(rp_turn_threshold(t, 0), 0);
    /* one reply, and fun 0 -> 2 crosses above 1 */
    t = say(s, "joke");
    assert_int_equal(rp_turn_reply_variant(t), 0);
    assert_int_equal(rp_turn_threshold_count(t), 1);
    assert_int_equal(rp_turn_threshold(t, 0), 2);
    /* a fallback: no variant, no threshold */
    t = say(s, "hello");
    assert_true(rp_turn_fallback(t));
    assert_int_equal(rp_turn_reply_variant(t), -1);
    assert_int_equal(rp_turn_threshold_count(t), 0);
    /* calm 3 -> 1: the second variant, and the ending's threshold */
    t = say(s, "poke");
    assert_int_equal(rp_turn_reply_variant(t), 1);
    assert_int_equal(rp_turn_threshold_count(t), 1);
    assert_int_equal(rp_turn_threshold(t, 0), 1);
    assert_true(rp_turn_ended(t));
    assert_int_equal(rp_turn_threshold(t, 1), SIZE_MAX);
    /* the same without tracing */
    rp_session_restart(s);
    rp_session_set_trace(s, false);
    t = say(s, "poke");
    assert_int_equal(rp_turn_reply_variant(t), 0);
    assert_int_equal(rp_turn_threshold_count(t), 1);
    rp_session_free(s);
    rp_persona_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_and_lines),
        cmocka_unit_test(test_variant_and_thresholds),
    };
    return cmocka_run_group_tests_name("outline", tests, NULL, NULL);
}

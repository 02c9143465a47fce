/*
 * test_conversations.c - whole conversations against the shipped
 * personas, judged by the report card.
 *
 * For each persona there is a scripted learner who follows the essay's
 * advice (tests/golden/PERSONA-strong.in: research, open questions,
 * follow-ups, something offered, a next step) and one who asks for a
 * referral in turn 1, apologises and rambles (PERSONA-weak.in).  The
 * strong conversation must score higher on every headline dimension
 * (curiosity, follow-up questions, value offered) and overall, and the
 * persona must react as designed: the strong learner reaches the
 * rewarding ending, the weak one is cut short.
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

typedef struct outcome {
    int dims[RP_DIM_COUNT];
    int overall;
    char ending[32];
    int turns;
} outcome;

/* Play the learner lines of file against persona id with seed. */
static outcome play(const char *id, const char *file, uint64_t seed)
{
    const char *srcdir = getenv("RAPPORT_SRCDIR");
    srcdir = srcdir ? srcdir : ".";
    char path[512], root[512];
    snprintf(path, sizeof path, "%s/personas/%s.yaml", srcdir, id);
    snprintf(root, sizeof root, "%s/personas", srcdir);
    rp_load_options opts = {root, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load(path, &opts, d);
    rp_diags_free(d);
    assert_non_null(p);
    rp_session *s = rp_session_new(p, seed);
    snprintf(path, sizeof path, "%s/tests/golden/%s", srcdir, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    outcome o;
    memset(&o, 0, sizeof o);
    while (fgets(line, sizeof line, f) && !rp_session_ended(s)) {
        line[strcspn(line, "\n")] = '\0';
        const rp_turn *t;
        assert_int_equal(rp_session_turn(s, line, strlen(line), &t), RP_OK);
        o.turns++;
    }
    fclose(f);
    rp_report *r = rp_session_report(s);
    for (int k = 0; k < RP_DIM_COUNT; k++)
        o.dims[k] = rp_report_dimension(r, (rp_dim)k);
    o.overall = rp_report_overall(r);
    const char *e = rp_session_ending_outcome(s);
    snprintf(o.ending, sizeof o.ending, "%s", e ? e : "none");
    rp_report_free(r);
    rp_session_free(s);
    rp_persona_free(p);
    return o;
}

static void compare(const char *id, uint64_t seed)
{
    char strong_in[128], weak_in[128];
    snprintf(strong_in, sizeof strong_in, "%s-strong.in", id);
    snprintf(weak_in, sizeof weak_in, "%s-weak.in", id);
    outcome a = play(id, strong_in, seed), b = play(id, weak_in, seed);
    printf("%s: strong %d (%s after %d turns), weak %d (%s after %d)\n", id,
           a.overall, a.ending, a.turns, b.overall, b.ending, b.turns);
    const rp_dim headline[] = {RP_DIM_CURIOSITY, RP_DIM_FOLLOW_UP,
                               RP_DIM_VALUE_OFFERED};
    for (size_t i = 0; i < 3; i++) {
        rp_dim d = headline[i];
        printf("  %-14s strong %3d  weak %3d\n", rp_dim_id(d), a.dims[d],
               b.dims[d]);
        assert_true(a.dims[d] > b.dims[d]);
    }
    assert_true(a.overall > b.overall);
    assert_string_equal(a.ending, "rewarding");
    assert_string_equal(b.ending, "cut-short");
}

static void test_rushed_alumnus(void **state)
{
    (void)state;
    compare("rushed-alumnus", 3);
}

static void test_curious_mentor(void **state)
{
    (void)state;
    compare("curious-mentor", 5);
}

static void test_peer_student(void **state)
{
    (void)state;
    compare("peer-student", 1);
}

static void test_conference_stranger(void **state)
{
    (void)state;
    compare("conference-stranger", 1);
}

static void test_cold_message(void **state)
{
    (void)state;
    compare("cold-message", 1);
}

/* The essay's advice should win whatever the seed: replies vary with
 * it, scores must not flip. */
static void test_seeds_do_not_matter(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        compare("rushed-alumnus", seed);
        compare("curious-mentor", seed);
        compare("peer-student", seed);
        compare("conference-stranger", seed);
        compare("cold-message", seed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rushed_alumnus),
        cmocka_unit_test(test_curious_mentor),
        cmocka_unit_test(test_peer_student),
        cmocka_unit_test(test_conference_stranger),
        cmocka_unit_test(test_cold_message),
        cmocka_unit_test(test_seeds_do_not_matter),
    };
    return cmocka_run_group_tests_name("conversations", tests, NULL, NULL);
}

/*
 * test_plcache.c - the persona-line stem cache gives what computing the
 * stems afresh gives: for a line seen before (a hit), for lines that
 * differ only in a capture (a reply with {1}), for lines that collide in
 * one slot (each evicts the other), and never a stale stem set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persona.h"
#include "plcache.h"
#include "rapport.h"
#include "score.h"
#include "text.h"

static rp_persona *load_persona(void)
{
    const char *srcdir = getenv("RAPPORT_SRCDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/personas/rushed-alumnus.yaml",
             srcdir ? srcdir : ".");
    rp_load_options opts = {0};
    opts.flags = RP_LOAD_NOJIT;
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load(path, &opts, d);
    rp_diags_free(d);
    assert_non_null(p);
    return p;
}

typedef struct fixture {
    rp_persona *p;
    struct sb_stemmer *stemmer;
    rp_plcache c;
    rp_stemcache *sc;
    rp_text t, ref;
    rp_buf tmp, reftmp;
} fixture;

/* The stems computed without the cache. */
static const char *direct(fixture *f, const char *line, size_t *words)
{
    rp_text_set(&f->ref, line, strlen(line), f->p->norm_flags);
    rp_text_stem(&f->ref, f->stemmer);
    rp_score_content_stems(f->p, &f->ref, &f->reftmp);
    *words = f->ref.nwords;
    return f->reftmp.ptr ? f->reftmp.ptr : "";
}

static void expect_same(fixture *f, const char *line)
{
    size_t w1 = 0, w2 = 0;
    const char *got = rp_plcache_stems(&f->c, f->p, f->stemmer, f->sc, &f->t,
                                       &f->tmp, line, &w1);
    char *copy = strdup(got);
    const char *want = direct(f, line, &w2);
    assert_string_equal(copy, want);
    assert_int_equal(w1, w2);
    free(copy);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->p = load_persona();
    f->stemmer = sb_stemmer_new("english", "UTF_8");
    assert_non_null(f->stemmer);
    f->sc = rp_stemcache_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rp_plcache_free(&f->c);
    rp_text_free(&f->t);
    rp_text_free(&f->ref);
    rp_buf_free(&f->tmp);
    rp_buf_free(&f->reftmp);
    rp_stemcache_free(f->sc);
    sb_stemmer_delete(f->stemmer);
    rp_persona_free(f->p);
    free(f);
    return 0;
}

static void test_hit_is_same(void **state)
{
    fixture *f = *state;
    const char *line = "I run product for the patient side of Lumen, "
                       "the app heart-failure patients use at home.";
    expect_same(f, line);
    assert_int_equal(f->c.misses, 1);
    expect_same(f, line);
    assert_int_equal(f->c.hits, 1);
    assert_int_equal(f->c.misses, 1);
}

/* A reply template with a capture: each filled-in line is its own key. */
static void test_captures_not_stale(void **state)
{
    fixture *f = *state;
    const char *a = "Why sailing, of all things?";
    const char *b = "Why chess, of all things?";
    expect_same(f, a);
    expect_same(f, b);
    expect_same(f, a);
    expect_same(f, b);
    size_t w;
    const char *sa =
        rp_plcache_stems(&f->c, f->p, f->stemmer, f->sc, &f->t, &f->tmp, a, &w);
    assert_non_null(strstr(sa, "sail"));
    assert_null(strstr(sa, "chess"));
    const char *sb =
        rp_plcache_stems(&f->c, f->p, f->stemmer, f->sc, &f->t, &f->tmp, b, &w);
    assert_non_null(strstr(sb, "chess"));
    assert_null(strstr(sb, "sail"));
    /* Case counts too (a persona may shout: upper: true). */
    expect_same(f, "WHY CHESS, OF ALL THINGS?");
}

/* Two lines in one slot evict each other and each still gets its own. */
static void test_collision(void **state)
{
    fixture *f = *state;
    char a[64], b[64];
    snprintf(a, sizeof a, "Tell me about hospitals 0.");
    size_t slot = rp_plcache_slot(a);
    int k = 1;
    for (;; k++) {
        snprintf(b, sizeof b, "Tell me about rockets %d.", k);
        if (rp_plcache_slot(b) == slot)
            break;
        assert_true(k < 100000);
    }
    for (int round = 0; round < 3; round++) {
        expect_same(f, a);
        expect_same(f, b);
    }
    size_t w;
    const char *sa =
        rp_plcache_stems(&f->c, f->p, f->stemmer, f->sc, &f->t, &f->tmp, a, &w);
    assert_non_null(strstr(sa, "hospit"));
    assert_null(strstr(sa, "rocket"));
    expect_same(f, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_is_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_captures_not_stale, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_collision, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

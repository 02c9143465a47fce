/*
 * test_stemcache.c - the session's word -> stem cache gives the stems
 * libstemmer gives: on a first sight and on a hit, for words that
 * collide in one slot (each evicts the other), and for words too long to
 * cache.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libstemmer.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/* Stem line with and without the cache; the stems must be identical. */
static void expect_same(struct sb_stemmer *st, rp_stemcache *c,
                        const char *line)
{
    rp_text a = {0}, b = {0};
    rp_text_set(&a, line, strlen(line), 0);
    rp_text_set(&b, line, strlen(line), 0);
    rp_text_stem(&a, st);
    rp_text_stem_cached(&b, st, c);
    assert_string_equal(a.stems.ptr, b.stems.ptr);
    assert_int_equal(a.ntokens, b.ntokens);
    for (size_t i = 0; i < a.ntokens; i++) {
        assert_int_equal(a.tokens[i].stem_start, b.tokens[i].stem_start);
        assert_int_equal(a.tokens[i].stem_len, b.tokens[i].stem_len);
    }
    rp_text_free(&a);
    rp_text_free(&b);
}

static void test_same_stems(void **state)
{
    (void)state;
    struct sb_stemmer *st = sb_stemmer_new("english", "UTF_8");
    rp_stemcache *c = rp_stemcache_new();
    static const char *const lines[] = {
        "How did you get into product management?",
        "I was running experiments, and the regulations kept changing.",
        "Internationalisationalisations everywhere: "
        "antidisestablishmentarianism!",
        "Café résumé naïve generously",
        "",
    };
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
            expect_same(st, c, lines[i]);
    unsigned long hits, misses;
    rp_stemcache_counts(c, &hits, &misses);
    assert_true(hits > 0);
    assert_true(misses > 0);
    rp_stemcache_free(c);
    sb_stemmer_delete(st);
}

/* Two words in one slot evict each other and each keeps its own stem. */
static void test_collision(void **state)
{
    (void)state;
    struct sb_stemmer *st = sb_stemmer_new("english", "UTF_8");
    rp_stemcache *c = rp_stemcache_new();
    const char *a = "running";
    size_t slot = rp_stemcache_slot(a, strlen(a));
    char b[32];
    int k = 0;
    for (;; k++) {
        snprintf(b, sizeof b, "jumping%d", k);
        if (rp_stemcache_slot(b, strlen(b)) == slot)
            break;
        assert_true(k < 1000000);
    }
    char line[64];
    snprintf(line, sizeof line, "%s %s", a, b);
    for (int round = 0; round < 3; round++) {
        expect_same(st, c, a);
        expect_same(st, c, b);
        expect_same(st, c, line);
    }
    rp_text t = {0};
    rp_text_set(&t, a, strlen(a), 0);
    rp_text_stem_cached(&t, st, c);
    assert_string_equal(t.stems.ptr, "run");
    rp_text_free(&t);
    rp_stemcache_free(c);
    sb_stemmer_delete(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_stems),
        cmocka_unit_test(test_collision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

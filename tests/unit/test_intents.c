/*
 * test_intents.c - the shared intent library against its own examples.
 *
 * Every intent in personas/common/ carries `examples` (lines that must be
 * recognised as that intent, not negated) and `counter_examples` (lines
 * that must not be).  This runs all of them through the real normaliser
 * and recogniser, so a pattern change that breaks an intent fails here,
 * naming the intent and the line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "persona.h"
#include "text.h"

static void test_library_examples(void **state)
{
    (void)state;
    const char *srcdir = getenv("RAPPORT_SRCDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/personas/common/score-only.yaml",
             srcdir ? srcdir : ".");
    rp_diags *d = rp_diags_new();
    /* Under valgrind (make leakcheck) JIT code is opaque: interpret. */
    rp_load_options opts = {NULL, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_persona *p = rp_persona_load(path, &opts, d);
    for (size_t i = 0; !p && i < rp_diags_count(d); i++) {
        char *s = rp_diag_render(rp_diags_get(d, i), NULL);
        fprintf(stderr, "%s", s);
        free(s);
    }
    rp_diags_free(d);
    assert_non_null(p);
    rp_text t;
    rp_text_init(&t);
    rp_hits hits = {0};
    pcre2_match_data *md = rp_pattern_match_data();
    size_t checked = 0, failed = 0;
    for (size_t i = 0; i < p->nintents; i++) {
        const rp_intent *in = &p->intents[i];
        for (int pass = 0; pass < 2; pass++) {
            const rp_example *ex = pass ? in->counter : in->examples;
            size_t n = pass ? in->ncounter : in->nexamples;
            for (size_t k = 0; k < n; k++) {
                rp_text_set(&t, ex[k].text, strlen(ex[k].text), p->norm_flags);
                rp_intent_recognise(p, &t, md, NULL, &hits);
                bool found = rp_hits_find(&hits, p, (int)i, true) != NULL;
                checked++;
                if (found == (pass == 1)) {
                    failed++;
                    fprintf(stderr, "%s:%d: intent %s %s \"%s\"\n",
                            ex[k].pos.file, ex[k].pos.line, in->id,
                            pass ? "wrongly matches" : "misses", ex[k].text);
                }
            }
        }
    }
    printf("intent library: %zu intents, %zu examples checked, %zu failed\n",
           p->nintents, checked, failed);
    pcre2_match_data_free(md);
    rp_hits_free(&hits);
    rp_text_free(&t);
    rp_persona_free(p);
    assert_true(checked > 500);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_examples),
    };
    return cmocka_run_group_tests_name("intents", tests, NULL, NULL);
}

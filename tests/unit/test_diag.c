/*
 * test_diag.c - the diagnostics catalogue and the linter's deeper checks:
 * every code in the catalogue (diag.c) is documented in
 * doc/diagnostics.md and every documented code is in the catalogue; the
 * checks of check.c find what they should on small personas and nothing
 * on a clean one.
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

/* The contents of doc/diagnostics.md (under $RAPPORT_SRCDIR). */
static char *read_doc(void)
{
    const char *src = getenv("RAPPORT_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/doc/diagnostics.md", src ? src : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 18];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *copy = malloc(n + 1);
    assert_non_null(copy);
    memcpy(copy, buf, n + 1);
    return copy;
}

static void test_every_code_documented(void **state)
{
    (void)state;
    char *doc = read_doc();
    const rp_diag_code *cat = rp_diag_catalogue();
    size_t n = 0;
    for (; cat[n].code; n++) {
        char heading[128];
        snprintf(heading, sizeof heading, "\n### `%s`\n", cat[n].code);
        if (!strstr(doc, heading))
            fail_msg("code '%s' is not documented in doc/diagnostics.md",
                     cat[n].code);
    }
    assert_true(n > 40);
    /* And the other way: every documented code is in the catalogue. */
    size_t documented = 0;
    for (const char *p = doc; (p = strstr(p, "\n### `")); p++) {
        const char *start = p + 6, *end = strchr(start, '`');
        assert_non_null(end);
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strlen(cat[i].code) == (size_t)(end - start) &&
                    !memcmp(cat[i].code, start, (size_t)(end - start));
        if (!found)
            fail_msg("doc/diagnostics.md documents '%.*s', which is not in "
                     "the catalogue",
                     (int)(end - start), start);
        documented++;
    }
    assert_int_equal(documented, n);
    free(doc);
}

static void test_check_codes_in_catalogue(void **state)
{
    (void)state;
    /* Every code engine/check.c emits is in the catalogue, at the level
     * it is emitted with: scan for RP_LEVEL_X, "code". */
    const char *src = getenv("RAPPORT_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/engine/check.c", src ? src : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    const rp_diag_code *cat = rp_diag_catalogue();
    char line[1024];
    size_t checked = 0;
    static const char *const levels[] = {
        "RP_LEVEL_NOTE, \"", "RP_LEVEL_WARNING, \"", "RP_LEVEL_ERROR, \""};
    while (fgets(line, sizeof line, f))
        for (int lv = 0; lv < 3; lv++) {
            const char *at = strstr(line, levels[lv]);
            if (!at)
                continue;
            at += strlen(levels[lv]);
            size_t n = strcspn(at, "\"");
            size_t i;
            for (i = 0; cat[i].code; i++)
                if (strlen(cat[i].code) == n && !strncmp(cat[i].code, at, n))
                    break;
            if (!cat[i].code)
                fail_msg("check.c emits '%.*s', not in the catalogue", (int)n,
                         at);
            if ((int)cat[i].level != lv)
                fail_msg("check.c emits '%s' at another level than the "
                         "catalogue's",
                         cat[i].code);
            checked++;
        }
    fclose(f);
    assert_true(checked >= 12);
}

/* Load yaml (which must load) and lint it; the codes found, one per
 * line, "code@line". */
static char *lint_codes(const char *yaml)
{
    rp_diags *d = rp_diags_new();
    rp_load_options opts = {NULL, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_persona *p =
        rp_persona_load_string("t.yaml", yaml, strlen(yaml), &opts, d);
    if (!p) {
        for (size_t i = 0; i < rp_diags_count(d); i++)
            fprintf(stderr, "%s\n", rp_diags_get(d, i)->message);
        fail_msg("the test persona does not load");
    }
    assert_int_equal(rp_persona_lint(p, d), 0);
    rp_diags_sort(d); /* by line, as lint prints them */
    static char out[4096];
    out[0] = '\0';
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        const rp_diag *x = rp_diags_get(d, i);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s@%d\n",
                 x->code, x->line);
    }
    rp_persona_free(p);
    rp_diags_free(d);
    return out;
}

static const char *clean =
    "id: c\n"                         /* 1 */
    "name: C\n"                       /* 2 */
    "intents:\n"                      /* 3 */
    "  hi: {patterns: [\"hi\"]}\n"    /* 4 */
    "  bye: {patterns: [\"bye\"]}\n"  /* 5 */
    "vars: {said_hi: false}\n"        /* 6 */
    "meters:\n"                       /* 7 */
    "  patience: {start: 5}\n"        /* 8 */
    "start: one\n"                    /* 9 */
    "fallback: [\"Sorry?\"]\n"        /* 10 */
    "endings: {done: {say: Bye.}}\n"  /* 11 */
    "stages:\n"                       /* 12 */
    "  one:\n"                        /* 13 */
    "    rules:\n"                    /* 14 */
    "      - id: hello\n"             /* 15 */
    "        when: {intents: [hi]}\n" /* 16 */
    "        if: {vars: {said_hi: false}, meters: {patience: '> 1'}}\n"
    "        reply: Hello.\n"                              /* 18 */
    "        do: {set: {said_hi: true}, goto: two}\n"      /* 19 */
    "        examples: [\"hi there\"]\n"                   /* 20 */
    "  two:\n"                                             /* 21 */
    "    rules:\n"                                         /* 22 */
    "      - id: bye\n"                                    /* 23 */
    "        when: {intents: [bye], pattern: \"see *\"}\n" /* 24 */
    "        reply: \"Bye {1}.\"\n"                        /* 25 */
    "        do: {end: done}\n";                           /* 26 */

static void test_clean_persona(void **state)
{
    (void)state;
    /* "bye" has no capture but the reply inserts {1}: the only finding. */
    assert_string_equal(lint_codes(clean), "missing-capture@25\n");
}

static void test_stages(void **state)
{
    (void)state;
    /* a can end and goes to b, which cannot end; c is unreachable. */
    const char *yaml = "id: s\n"              /* 1 */
                       "name: S\n"            /* 2 */
                       "start: a\n"           /* 3 */
                       "fallback: [\"?\"]\n"  /* 4 */
                       "endings: {bye: {}}\n" /* 5 */
                       "stages:\n"            /* 6 */
                       "  a:\n"               /* 7 */
                       "    rules:\n"         /* 8 */
                       "      - id: go\n"     /* 9 */
                       "        when: {pattern: go}\n"
                       "        reply: Going.\n" /* 11 */
                       "        do: {goto: b}\n" /* 12 */
                       "      - id: leave\n"     /* 13 */
                       "        when: {pattern: bye}\n"
                       "        reply: Bye.\n"    /* 15 */
                       "        do: {end: bye}\n" /* 16 */
                       "  b: {}\n"                /* 17 */
                       "  c: {}\n";               /* 18 */
    assert_string_equal(lint_codes(yaml),
                        "dead-end-stage@17\nunreachable-stage@18\n");
}

static void test_cycle_without_end(void **state)
{
    (void)state;
    /* a and b lead to each other and never to the ending; c ends. */
    const char *yaml = "id: s\n"
                       "name: S\n"
                       "start: a\n"
                       "fallback: [\"?\"]\n"
                       "endings: {bye: {}}\n"
                       "stages:\n"
                       "  a:\n" /* 7 */
                       "    rules: [{id: ab, reply: x, do: {goto: b}}]\n"
                       "  b:\n" /* 9 */
                       "    rules:\n"
                       "      - {id: ba, when: {pattern: x}, reply: x, do: "
                       "{goto: a}}\n"
                       "      - {id: bc, when: {pattern: y}, reply: x, do: "
                       "{goto: c}}\n"
                       "  c:\n"
                       "    rules: [{id: end, reply: x, do: {end: bye}}]\n";
    /* b reaches c, which ends, so both a and b can end after all. */
    assert_string_equal(lint_codes(yaml), "catch-all@8\ncatch-all@14\n");
    char *cut = strdup(yaml);
    char *at = strstr(cut, "{goto: c}");
    memcpy(at, "{goto: a}", 9);
    /* Now nothing reaches c, and a and b only lead to each other. */
    assert_string_equal(lint_codes(cut), "dead-end-stage@7\ncatch-all@8\n"
                                         "dead-end-stage@9\n"
                                         "unreachable-stage@13\n"
                                         "catch-all@14\n");
    free(cut);
}

static void test_no_endings(void **state)
{
    (void)state;
    /* Without endings the learner ends the conversation: a stage that
     * keeps it is final, not a dead end. */
    const char *yaml = "id: s\n"
                       "name: S\n"
                       "start: a\n"
                       "stages: {a: {fallback: [\"Go on.\"]}}\n";
    assert_string_equal(lint_codes(yaml), "");
}

static void test_threshold_exit(void **state)
{
    (void)state;
    /* A threshold that ends the conversation is a way out of every
     * stage, and its goto makes its stage reachable. */
    const char *yaml = "id: s\n"
                       "name: S\n"
                       "start: a\n"
                       "fallback: [\"?\"]\n"
                       "endings: {gone: {}}\n"
                       "meters:\n"
                       "  clock:\n"
                       "    drift: 1\n"
                       "    thresholds:\n"
                       "      - {above: 3, do: {goto: b}}\n"
                       "      - {above: 5, do: {end: gone}}\n"
                       "stages: {a: {}, b: {}}\n";
    assert_string_equal(lint_codes(yaml), "");
}

static void test_threshold_goto_only(void **state)
{
    (void)state;
    /* Thresholds going to b make b reachable but do not let b end (only
     * a's rule ends); two thresholds on different meters may not share an
     * id. */
    const char *yaml = "id: s\n"
                       "name: S\n"
                       "start: a\n"
                       "fallback: [\"?\"]\n"
                       "endings: {bye: {}}\n"
                       "meters:\n"
                       "  clock:\n"
                       "    drift: 1\n"
                       "    thresholds:\n"
                       "      - {id: late, above: 3, do: {goto: b}}\n"
                       "  mood:\n"
                       "    drift: 1\n"
                       "    thresholds:\n"
                       "      - {id: late, above: 5, do: {goto: b}}\n"
                       "stages:\n"
                       "  a: {rules: [{id: bye, when: {pattern: bye}, "
                       "reply: Bye., do: {end: bye}}]}\n"
                       "  b: {}\n";
    assert_string_equal(lint_codes(yaml),
                        "duplicate-id@14\ndead-end-stage@17\n");
}

static void test_shadowed_structural(void **state)
{
    (void)state;
    /* 'again' triggers only on 'hi', which 'hello' (tried first, no
     * condition) always answers, in its only stage; its condition does
     * not help.  'either' has 'bye' too, so it can fire; 'global' is
     * shadowed in stage one but not in stage two, so it can fire too. */
    const char *yaml = "id: s\n"                    /* 1 */
                       "name: S\n"                  /* 2 */
                       "start: one\n"               /* 3 */
                       "fallback: [\"?\"]\n"        /* 4 */
                       "intents:\n"                 /* 5 */
                       "  hi: {patterns: [hi]}\n"   /* 6 */
                       "  bye: {patterns: [bye]}\n" /* 7 */
                       "rules:\n"                   /* 8 */
                       "  - {id: global, when: {intents: [hi]}, reply: G}\n"
                       "stages:\n"    /* 10 */
                       "  one:\n"     /* 11 */
                       "    rules:\n" /* 12 */
                       "      - {id: hello, when: {intent: hi}, reply: H, "
                       "do: {goto: two}}\n" /* 13 */
                       "      - {id: again, when: {intent: hi}, reply: A, "
                       "if: {turn: '> 1'}}\n" /* 14 */
                       "      - {id: either, when: {intents: [hi, bye]}, "
                       "reply: E}\n"  /* 15 */
                       "  two: {}\n"; /* 16 */
    assert_string_equal(lint_codes(yaml), "shadowed-rule@14\n");
}

static void test_null(void **state)
{
    (void)state;
    assert_int_equal(rp_persona_lint(NULL, NULL), RP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_documented),
        cmocka_unit_test(test_check_codes_in_catalogue),
        cmocka_unit_test(test_clean_persona),
        cmocka_unit_test(test_stages),
        cmocka_unit_test(test_cycle_without_end),
        cmocka_unit_test(test_no_endings),
        cmocka_unit_test(test_threshold_exit),
        cmocka_unit_test(test_threshold_goto_only),
        cmocka_unit_test(test_shadowed_structural),
        cmocka_unit_test(test_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_persona.c - unit tests of the persona loader (persona.c, ydoc.c,
 * diag.c): what loads, and that every kind of mistake is reported as a
 * positioned diagnostic with its code, all of them in one run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rapport.h"

/* A small valid persona, the base the error tests modify. */
static const char *valid =
    "id: tess\n"
    "name: Tess Tester\n"
    "role: Engineer\n"
    "organisation: Acme\n"
    "difficulty: 2\n"
    "summary: A test persona.\n"
    "scene: A corridor.\n"
    "facts:\n"
    "  - text: Wrote a book on bridges.\n"
    "    keywords: [bridge, book]\n"
    "  - Plays the cello.\n"
    "sets:\n"
    "  greet: [hi, hello, \"good morning\"]\n"
    "intents:\n"
    "  greeting:\n"
    "    patterns: [\"^ @greet\"]\n"
    "  asks_role:\n"
    "    patterns: [\"what do you do\"]\n"
    "vars: {asked: false}\n"
    "meters:\n"
    "  patience: {start: 5, min: 0, max: 10, drift: -1}\n"
    "opening: Hello.\n"
    "start: one\n"
    "stages:\n"
    "  one:\n"
    "    rules:\n"
    "      - id: hi\n"
    "        when: {intent: greeting}\n"
    "        reply: Hi.\n"
    "      - id: role\n"
    "        when: {intents: [asks_role]}\n"
    "        reply: I build bridges.\n"
    "        do: {goto: two, meters: {patience: 1}}\n"
    "    fallback: [Sorry?]\n"
    "  two:\n"
    "    rules:\n"
    "      - id: bye\n"
    "        when: {pattern: bye}\n"
    "        reply: Bye.\n"
    "        do: {end: done}\n"
    "fallback: [What?]\n"
    "endings:\n"
    "  done: {outcome: neutral, say: Take care.}\n";

/* Load yaml from a string; returns the persona (or NULL) and fills *d. */
static rp_persona *load(const char *yaml, rp_diags **d)
{
    *d = rp_diags_new();
    return rp_persona_load_string("t.yaml", yaml, strlen(yaml), NULL, *d);
}

/* Does d hold a diagnostic with this code at this line (0: any line)? */
static const rp_diag *find(const rp_diags *d, const char *code, int line)
{
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        const rp_diag *x = rp_diags_get(d, i);
        if (strcmp(x->code, code) == 0 && (line == 0 || x->line == line))
            return x;
    }
    return NULL;
}

/* Replace the first occurrence of from in valid with to. */
static char *patch(const char *from, const char *to)
{
    const char *at = strstr(valid, from);
    assert_non_null(at);
    size_t n = strlen(valid) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    size_t pre = (size_t)(at - valid);
    memcpy(s, valid, pre);
    strcpy(s + pre, to);
    strcat(s, at + strlen(from));
    return s;
}

static void test_valid_loads(void **state)
{
    (void)state;
    rp_diags *d;
    rp_persona *p = load(valid, &d);
    assert_non_null(p);
    assert_int_equal(rp_diags_count(d), 0);
    assert_string_equal(rp_persona_id(p), "tess");
    assert_string_equal(rp_persona_name(p), "Tess Tester");
    assert_string_equal(rp_persona_role(p), "Engineer");
    assert_int_equal(rp_persona_difficulty(p), 2);
    assert_int_equal(rp_persona_fact_count(p), 2);
    assert_string_equal(rp_persona_fact(p, 1), "Plays the cello.");
    assert_int_equal(rp_persona_stage_count(p), 2);
    assert_int_equal(rp_persona_rule_count(p), 3);
    rp_persona_free(p);
    rp_diags_free(d);
}

static void test_yaml_syntax_positioned(void **state)
{
    (void)state;
    rp_diags *d;
    rp_persona *p = load("id: x\nname: [unclosed\nrole: y\n", &d);
    assert_null(p);
    const rp_diag *x = find(d, "yaml-syntax", 0);
    assert_non_null(x);
    assert_true(x->line >= 2);
    assert_true(x->col >= 1);
    assert_int_equal(x->level, RP_LEVEL_ERROR);
    rp_persona_free(p);
    rp_diags_free(d);
}

/* The case: an unknown key and a bad regex, both, positioned. */
static void test_unknown_key_and_bad_regex_together(void **state)
{
    (void)state;
    char *a = patch("difficulty: 2\n", "dificulty: 2\n");
    char *b = strdup(a);
    free(a);
    const char *from = "patterns: [\"what do you do\"]";
    char *at = strstr(b, from);
    assert_non_null(at);
    char *s = malloc(strlen(b) + 64);
    memcpy(s, b, (size_t)(at - b));
    strcpy(s + (at - b), "regex: [\"what (do\"]");
    strcat(s, at + strlen(from));
    free(b);
    rp_diags *d;
    rp_persona *p = load(s, &d);
    assert_null(p);
    const rp_diag *k = find(d, "unknown-key", 5);
    assert_non_null(k);
    assert_int_equal(k->col, 1);
    assert_non_null(strstr(k->message, "did you mean 'difficulty'"));
    const rp_diag *r = find(d, "bad-regex", 18);
    assert_non_null(r);
    /* The column points inside the pattern: the regex starts at column
     * 13 (after the quote), and PCRE2 reports the offset at its end. */
    assert_true(r->col > 13);
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
}

static void test_bad_wildcard_pattern_column(void **state)
{
    (void)state;
    char *s = patch("[\"what do you do\"]", "[\"what [do you\"]");
    rp_diags *d;
    rp_persona *p = load(s, &d);
    assert_null(p);
    const rp_diag *x = find(d, "bad-pattern", 18);
    assert_non_null(x);
    /* '[' is at offset 5 of the pattern, which starts at column 17. */
    assert_int_equal(x->col, 17 + 5);
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
}

static void test_wrong_type(void **state)
{
    (void)state;
    char *s = patch("difficulty: 2", "difficulty: [2]");
    rp_diags *d;
    rp_persona *p = load(s, &d);
    assert_null(p);
    assert_non_null(find(d, "wrong-type", 5));
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
    s = patch("difficulty: 2", "difficulty: 9");
    p = load(s, &d);
    assert_null(p);
    assert_non_null(find(d, "bad-value", 5));
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
}

static void test_undefined_references(void **state)
{
    (void)state;
    char *a = patch("goto: two", "goto: tow");
    char *b = strdup(a);
    free(a);
    /* several mistakes at once: stage, ending, intent, meter */
    const char *pairs[][2] = {{"end: done", "end: dnoe"},
                              {"intent: greeting}", "intent: greting}"},
                              {"patience: 1}", "patienc: 1}"}};
    for (size_t i = 0; i < 3; i++) {
        char *at = strstr(b, pairs[i][0]);
        assert_non_null(at);
        char *n = malloc(strlen(b) + 32);
        memcpy(n, b, (size_t)(at - b));
        strcpy(n + (at - b), pairs[i][1]);
        strcat(n, at + strlen(pairs[i][0]));
        free(b);
        b = n;
    }
    rp_diags *d;
    rp_persona *p = load(b, &d);
    assert_null(p);
    const rp_diag *x = find(d, "undefined-stage", 0);
    assert_non_null(x);
    assert_non_null(strstr(x->message, "did you mean 'two'"));
    assert_non_null(find(d, "undefined-ending", 0));
    x = find(d, "undefined-intent", 0);
    assert_non_null(x);
    assert_non_null(strstr(x->message, "greeting"));
    assert_non_null(find(d, "undefined-meter", 0));
    rp_persona_free(p);
    rp_diags_free(d);
    free(b);
}

static void test_duplicates(void **state)
{
    (void)state;
    char *s = patch("      - id: role\n", "      - id: hi\n");
    rp_diags *d;
    rp_persona *p = load(s, &d);
    assert_null(p);
    assert_non_null(find(d, "duplicate-id", 30));
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
    s = patch("role: Engineer\n", "role: Engineer\nrole: Boss\n");
    p = load(s, &d);
    assert_null(p);
    assert_non_null(find(d, "duplicate-key", 4));
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
}

static void test_missing_keys(void **state)
{
    (void)state;
    rp_diags *d;
    rp_persona *p = load("id: x\n", &d);
    assert_null(p);
    assert_non_null(find(d, "missing-key", 0));
    size_t n = 0;
    for (size_t i = 0; i < rp_diags_count(d); i++)
        n += strcmp(rp_diags_get(d, i)->code, "missing-key") == 0;
    assert_true(n >= 3); /* name, start, stages */
    rp_persona_free(p);
    rp_diags_free(d);
}

static void test_alias_bomb_refused(void **state)
{
    (void)state;
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
    rp_diags *d;
    rp_persona *p = load(bomb, &d);
    assert_null(p);
    const rp_diag *x = find(d, "alias-limit", 3);
    assert_non_null(x);
    rp_persona_free(p);
    rp_diags_free(d);
    /* A cycle through an alias to an open collection. */
    p = load("a: &a [1, *a]\n", &d);
    assert_null(p);
    assert_non_null(find(d, "alias-limit", 1));
    rp_persona_free(p);
    rp_diags_free(d);
}

static void test_deep_nesting_refused(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *s = malloc(depth * 2 + 16);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[depth * 2] = '\0';
    rp_diags *d;
    rp_persona *p = load(s, &d);
    assert_null(p);
    assert_non_null(find(d, "too-deep", 1));
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
}

static void test_control_chars_in_replies(void **state)
{
    (void)state;
    char *s = patch("reply: Hi.", "reply: \"Hi \\e[31mred\\e[0m\"");
    rp_diags *d;
    rp_persona *p = load(s, &d);
    assert_null(p);
    assert_non_null(find(d, "control-char", 29));
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
}

static void test_bad_bytes(void **state)
{
    (void)state;
    rp_diags *d = rp_diags_new();
    const char nul[] = "id: x\nname: a\0b\n";
    rp_persona *p =
        rp_persona_load_string("t.yaml", nul, sizeof nul - 1, NULL, d);
    assert_null(p);
    const rp_diag *x = find(d, "nul-byte", 2);
    assert_non_null(x);
    assert_int_equal(x->col, 8);
    rp_diags_free(d);
    d = rp_diags_new();
    const char bad[] = "id: x\nname: caf\xe9\n";
    p = rp_persona_load_string("t.yaml", bad, sizeof bad - 1, NULL, d);
    assert_null(p);
    assert_non_null(find(d, "bad-utf8", 2));
    rp_diags_free(d);
}

static void test_too_large(void **state)
{
    (void)state;
    size_t n = rp_limits_get()->max_file_size + 1;
    char *s = malloc(n + 1);
    memset(s, '#', n);
    s[n] = '\0';
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load_string("big.yaml", s, n, NULL, d);
    assert_null(p);
    assert_non_null(find(d, "file-too-large", 0));
    rp_diags_free(d);
    free(s);
}

static void test_bad_template_and_condition(void **state)
{
    (void)state;
    char *a = patch("reply: Hi.", "reply: \"Hi {name}.\"");
    char *s = malloc(strlen(a) + 64);
    const char *from = "        reply: I build bridges.\n";
    char *at = strstr(a, from);
    assert_non_null(at);
    memcpy(s, a, (size_t)(at - a));
    strcpy(s + (at - a), "        reply: I build bridges.\n"
                         "        if: {turn: \">> 2\"}\n");
    strcat(s, at + strlen(from));
    free(a);
    rp_diags *d;
    rp_persona *p = load(s, &d);
    assert_null(p);
    const rp_diag *x = find(d, "bad-template", 29);
    assert_non_null(x);
    assert_int_equal(x->col, 20); /* the '{' */
    assert_non_null(find(d, "bad-condition", 0));
    rp_persona_free(p);
    rp_diags_free(d);
    free(s);
}

/* Write a file under dir. */
static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_includes(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/rapport-test-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char sub[600], path[600];
    snprintf(sub, sizeof sub, "%s/common", dir);
    mkdir(sub, 0700);
    put(dir, "common/lib.yaml",
        "intents:\n  thanks:\n    patterns: [thank*]\n");
    /* A persona using the library. */
    char *s = patch("intents:\n", "include: [common/lib.yaml]\nintents:\n");
    put(dir, "ok.yaml", s);
    free(s);
    snprintf(path, sizeof path, "%s/ok.yaml", dir);
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load(path, NULL, d);
    assert_non_null(p);
    rp_persona_free(p);
    rp_diags_free(d);

    /* Escapes, cycles, missing files, persona-only keys. */
    s = patch("intents:\n", "include: [../etc/passwd, /etc/passwd, "
                            "common/loop.yaml, common/none.yaml, "
                            "common/bad.yaml]\nintents:\n");
    put(dir, "bad.yaml", s);
    free(s);
    put(dir, "common/loop.yaml", "include: [loop.yaml]\n");
    put(dir, "common/bad.yaml", "stages: {}\n");
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    d = rp_diags_new();
    p = rp_persona_load(path, NULL, d);
    assert_null(p);
    size_t escapes = 0;
    for (size_t i = 0; i < rp_diags_count(d); i++)
        escapes += !strcmp(rp_diags_get(d, i)->code, "include-escape");
    assert_int_equal(escapes, 2);
    assert_non_null(find(d, "include-cycle", 0));
    assert_non_null(find(d, "include-missing", 0));
    assert_non_null(find(d, "include-key", 0));
    rp_diags_free(d);

    /* A symlink out of the directory. */
    snprintf(path, sizeof path, "%s/common/link.yaml", dir);
    assert_int_equal(symlink("/etc/hostname", path), 0);
    s = patch("intents:\n", "include: [common/link.yaml]\nintents:\n");
    put(dir, "link.yaml", s);
    free(s);
    snprintf(path, sizeof path, "%s/link.yaml", dir);
    d = rp_diags_new();
    p = rp_persona_load(path, NULL, d);
    assert_null(p);
    assert_non_null(find(d, "include-escape", 0));
    rp_diags_free(d);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_render(void **state)
{
    (void)state;
    rp_diag x = {"a.yaml", 3, 5, RP_LEVEL_ERROR, "unknown-key", "bad key"};
    char *s = rp_diag_render(&x, "key: \x1b[31m");
    assert_string_equal(s, "a.yaml:3:5: error: bad key [unknown-key]\n"
                           "    key: ?[31m\n"
                           "        ^\n");
    free(s);
}

static void test_catalogue_is_complete(void **state)
{
    (void)state;
    /* Every code the engine emits must be in the catalogue: scan the
     * sources for string literals used as codes. */
    const char *srcdir = getenv("RAPPORT_SRCDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/engine/persona.c", srcdir ? srcdir : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        skip();
        return;
    }
    const rp_diag_code *cat = rp_diag_catalogue();
    char line[1024];
    size_t checked = 0;
    while (fgets(line, sizeof line, f)) {
        /* Codes appear as "lower-case-with-dashes" literals. */
        for (char *q = strchr(line, '"'); q; q = strchr(q + 1, '"')) {
            char *e = strchr(q + 1, '"');
            if (!e)
                break;
            size_t n = (size_t)(e - q - 1);
            bool code = n > 3 && memchr(q + 1, '-', n) != NULL;
            for (char *c = q + 1; c < e && code; c++)
                code = (*c >= 'a' && *c <= 'z') || *c == '-' ||
                       (*c >= '0' && *c <= '9');
            if (code &&
                (strstr(line, "ERR(") || strstr(line, "WARN(") ||
                 strstr(line, "diag_at(") || strstr(line, "RP_LEVEL_") ||
                 strstr(line, "undefined-"))) {
                bool found = false;
                for (size_t i = 0; cat[i].code && !found; i++)
                    found = strlen(cat[i].code) == n &&
                            strncmp(cat[i].code, q + 1, n) == 0;
                if (!found && strncmp(q + 1, "as-written", n) != 0 &&
                    strncmp(q + 1, "cut-short", n) != 0)
                    fail_msg("code \"%.*s\" is not in the catalogue", (int)n,
                             q + 1);
                checked++;
            }
            q = e;
        }
    }
    fclose(f);
    assert_true(checked > 20);
}

static void test_if_many_keys(void **state)
{
    (void)state;
    /* A cue's 'if' may use all nine of its keys, and a rule's 'if' may
     * repeat a key (an error) any number of times: the loader once sized
     * its conditions for eight and wrote past them (found by ASan on
     * tests/schema/good/everything.yaml). */
    rp_diags *d;
    char *yaml = patch("fallback: [What?]\n",
                       "fallback: [What?]\n"
                       "rubric:\n"
                       "  cues:\n"
                       "    all-nine:\n"
                       "      dimension: curiosity\n"
                       "      score: 1\n"
                       "      when: {intents: [greeting]}\n"
                       "      if: {turn: 1, words: 1, question: true,\n"
                       "           question_words: 1, rapport: true,\n"
                       "           brush_off: true, closing: true,\n"
                       "           rhetorical: true, asking: true}\n");
    rp_persona *p = load(yaml, &d);
    assert_non_null(p);
    rp_persona_free(p);
    rp_diags_free(d);
    free(yaml);
    yaml = patch("        reply: Hi.\n",
                 "        reply: Hi.\n"
                 "        if: {turn: 1, turn: 2, turn: 3, turn: 4, turn: 5,\n"
                 "             turn: 6, turn: 7, turn: 8, turn: 9, turn: 10,\n"
                 "             meters: {}, meters: {patience: 1}}\n");
    p = load(yaml, &d);
    assert_null(p);
    assert_non_null(find(d, "duplicate-key", 0));
    rp_diags_free(d);
    free(yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_loads),
        cmocka_unit_test(test_yaml_syntax_positioned),
        cmocka_unit_test(test_unknown_key_and_bad_regex_together),
        cmocka_unit_test(test_bad_wildcard_pattern_column),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_undefined_references),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_alias_bomb_refused),
        cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_control_chars_in_replies),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_bad_template_and_condition),
        cmocka_unit_test(test_includes),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_catalogue_is_complete),
        cmocka_unit_test(test_if_many_keys),
    };
    return cmocka_run_group_tests_name("persona", tests, NULL, NULL);
}

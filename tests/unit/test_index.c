/*
 * test_index.c - the rule index gives the answers trying every rule does.
 *
 * Every corpus is run through three sessions of one persona, same seed:
 * index off (every rule and pattern tried, trace off), index on (trace
 * off: only the candidate rules) and index on with trace (every rule
 * listed, patterns the index rules out skipped).  Every turn must agree:
 * reply, rule, fallback, stage, end, intents and the score's JSON.  And,
 * stronger than the answers, for every line and every pattern of the
 * persona (rules, intents, unless, cues): a pattern the index says cannot
 * match must not match.
 *
 * Corpora: each shipped persona against the learner lines of its scripts
 * (scripts/ID/ *.yaml "say:" lines), its golden inputs and its own rule
 * examples; the generated bench personas (tests/bench/gen_persona.py,
 * written to build/bench-check) against their corpora; and, when node and
 * the shared peer workload generator are there, the converted peer
 * workloads (skipped with a note otherwise: ../shared or ../../shared).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "intent.h"
#include "persona.h"
#include "rapport.h"
#include "text.h"

typedef struct lines {
    char **v;
    size_t n, cap;
} lines;

static void add_line(lines *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n] = strndup(s, n);
    assert_non_null(l->v[l->n]);
    l->n++;
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Plain lines of a file, at most max. */
static void read_plain(lines *l, const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char buf[8192];
    size_t k = 0;
    while (k < max && fgets(buf, sizeof buf, f)) {
        size_t n = strcspn(buf, "\r\n");
        add_line(l, buf, n);
        k++;
    }
    fclose(f);
}

/* The "say:" lines of a script (double-quoted, plain or single-quoted
 * scalars; enough for our scripts). */
static void read_says(lines *l, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char buf[8192], out[8192];
    while (fgets(buf, sizeof buf, f)) {
        char *s = strstr(buf, "say:");
        if (!s)
            continue;
        for (char *c = buf; c < s; c++)
            if (*c != ' ' && *c != '-')
                goto next;
        s += 4;
        while (*s == ' ')
            s++;
        size_t o = 0;
        if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1])
                    s++;
                out[o++] = *s;
            }
        } else if (*s == '\'') {
            for (s++; *s && !(*s == '\'' && s[1] != '\''); s++) {
                if (*s == '\'')
                    s++;
                out[o++] = *s;
            }
        } else {
            o = strcspn(s, "\r\n#");
            memcpy(out, s, o);
        }
        add_line(l, out, o);
    next:;
    }
    fclose(f);
}

static rp_persona *load(const char *path)
{
    rp_load_options opts = {NULL, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load(path, &opts, d);
    for (size_t i = 0; !p && i < rp_diags_count(d); i++) {
        char *s = rp_diag_render(rp_diags_get(d, i), NULL);
        fprintf(stderr, "%s\n", s);
        free(s);
    }
    rp_diags_free(d);
    assert_non_null(p);
    return p;
}

static const char *str(const char *s)
{
    return s ? s : "(null)";
}

/* A pattern the index rules out for t must not match t. */
static size_t check_pats(const rp_pat *v, size_t n, const rp_present *pr,
                         const rp_text *t, pcre2_match_data *md,
                         const char *line)
{
    size_t skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (rp_present_may(pr, &v[i]))
            continue;
        skipped++;
        rp_match m;
        int rc = rp_pattern_match(v[i].pat, t->match.ptr, t->match.len, 0, md,
                                  NULL, &m);
        if (rc == RP_MATCH_OK)
            fail_msg("index rules out pattern '%s' but it matches '%s'",
                     rp_pattern_source(v[i].pat), line);
    }
    return skipped;
}

static size_t check_patterns(const rp_persona *p, const lines *l)
{
    rp_text t = {0};
    rp_present pr = {0};
    pcre2_match_data *md = rp_pattern_match_data();
    size_t skipped = 0;
    for (size_t k = 0; k < l->n; k++) {
        rp_text_set(&t, l->v[k], strlen(l->v[k]), p->norm_flags);
        rp_present_scan(&pr, p->index, &t);
        for (size_t i = 0; i < p->nrules; i++)
            skipped += check_pats(p->rules[i].patterns, p->rules[i].npatterns,
                                  &pr, &t, md, l->v[k]);
        for (size_t i = 0; i < p->nintents; i++) {
            skipped +=
                check_pats(p->intents[i].patterns, p->intents[i].npatterns, &pr,
                           &t, md, l->v[k]);
            skipped += check_pats(p->intents[i].unless, p->intents[i].nunless,
                                  &pr, &t, md, l->v[k]);
        }
        for (size_t i = 0; i < p->rubric.ncues; i++)
            skipped +=
                check_pats(p->rubric.cues[i].patterns,
                           p->rubric.cues[i].npatterns, &pr, &t, md, l->v[k]);
    }
    pcre2_match_data_free(md);
    rp_present_free(&pr);
    rp_text_free(&t);
    return skipped;
}

/* Run l through the three sessions and compare every turn. */
static void compare(const char *path, const lines *l, bool patterns)
{
    rp_persona *p = load(path);
    rp_session *s[3];
    for (int k = 0; k < 3; k++) {
        s[k] = rp_session_new(p, 7);
        rp_session_set_index(s[k], k > 0);
        rp_session_set_trace(s[k], k == 2);
    }
    for (size_t i = 0; i < l->n; i++) {
        const rp_turn *t[3];
        for (int k = 0; k < 3; k++) {
            int rc = rp_session_turn(s[k], l->v[i], strlen(l->v[i]), &t[k]);
            if (rc == RP_EENDED) {
                rp_session_restart(s[k]);
                rc = rp_session_turn(s[k], l->v[i], strlen(l->v[i]), &t[k]);
            }
            assert_int_equal(rc, RP_OK);
        }
        char *j0 = rp_score_json(rp_turn_score(t[0]), "");
        for (int k = 1; k < 3; k++) {
            if (strcmp(rp_turn_reply(t[0]), rp_turn_reply(t[k])) != 0 ||
                strcmp(str(rp_turn_rule(t[0])), str(rp_turn_rule(t[k]))) != 0 ||
                rp_turn_fallback(t[0]) != rp_turn_fallback(t[k]) ||
                strcmp(rp_turn_stage(t[0]), rp_turn_stage(t[k])) != 0 ||
                rp_turn_ended(t[0]) != rp_turn_ended(t[k]))
                fail_msg("%s line %zu '%s': index off answers [%s] '%s', "
                         "on (trace %d) [%s] '%s'",
                         path, i + 1, l->v[i], str(rp_turn_rule(t[0])),
                         rp_turn_reply(t[0]), k == 2, str(rp_turn_rule(t[k])),
                         rp_turn_reply(t[k]));
            if (k == 2) {
                /* Trace off publishes no intents; compare with trace. */
                char *jk = rp_score_json(rp_turn_score(t[k]), "");
                if (strcmp(j0, jk) != 0)
                    fail_msg("%s line %zu '%s': scores differ:\n%s\n%s", path,
                             i + 1, l->v[i], j0, jk);
                free(jk);
            }
        }
        free(j0);
    }
    size_t skipped = patterns ? check_patterns(p, l) : 0;
    printf("# %s: %zu lines agree; %zu patterns ruled out and checked\n", path,
           l->n, skipped);
    for (int k = 0; k < 3; k++)
        rp_session_free(s[k]);
    rp_persona_free(p);
}

static const char *srcdir(void)
{
    const char *s = getenv("RAPPORT_SRCDIR");
    return s ? s : ".";
}

/* A prefix element ("regulat*") keys its pattern: the index finds the
 * pattern for a line with "regulations" in it and rules it out for one
 * without, and either way agrees with PCRE2. */
static void test_prefix_keys(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/personas/rushed-alumnus.yaml", srcdir());
    rp_persona *p = load(path);
    const rp_pat *pre = NULL;
    for (size_t i = 0; i < p->nintents && !pre; i++)
        for (size_t j = 0; j < p->intents[i].npatterns; j++)
            if (strcmp(rp_pattern_source(p->intents[i].patterns[j].pat),
                       "regulat*") == 0)
                pre = &p->intents[i].patterns[j];
    assert_non_null(pre);
    assert_true(pre->nkey > 0);
    static const struct {
        const char *line;
        bool may;
    } cases[] = {
        {"How do the regulations affect you?", true},
        {"Regulatory work sounds hard", true},
        {"so, REGULAT.", true},
        {"What about the rules?", false},
        {"deregulation is coming", false},
        {"regula", false},
    };
    rp_text t = {0};
    rp_present pr = {0};
    pcre2_match_data *md = rp_pattern_match_data();
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        rp_text_set(&t, cases[k].line, strlen(cases[k].line), p->norm_flags);
        rp_present_scan(&pr, p->index, &t);
        bool may = rp_present_may(&pr, pre);
        rp_match m;
        bool hit = rp_pattern_match(pre->pat, t.match.ptr, t.match.len, 0, md,
                                    NULL, &m) == RP_MATCH_OK;
        if (may != cases[k].may || hit != cases[k].may)
            fail_msg("'%s': index says %d, PCRE2 %d, expected %d",
                     cases[k].line, may, hit, cases[k].may);
    }
    pcre2_match_data_free(md);
    rp_present_free(&pr);
    rp_text_free(&t);
    rp_persona_free(p);
}

static void test_shipped_personas(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/personas", srcdir());
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    int personas = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)(n - 5), e->d_name);
        lines l = {0};
        snprintf(path, sizeof path, "%s/scripts/%s", srcdir(), id);
        DIR *sd = opendir(path);
        struct dirent *se;
        while (sd && (se = readdir(sd))) {
            if (!strstr(se->d_name, ".yaml"))
                continue;
            snprintf(path, sizeof path, "%s/scripts/%s/%s", srcdir(), id,
                     se->d_name);
            read_says(&l, path);
        }
        if (sd)
            closedir(sd);
        const char *kinds[] = {"strong", "weak"};
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "%s/tests/golden/%s-%s.in", srcdir(),
                     id, kinds[k]);
            read_plain(&l, path, SIZE_MAX);
        }
        snprintf(path, sizeof path, "%s/personas/%s", srcdir(), e->d_name);
        rp_persona *p = load(path);
        for (size_t r = 0; r < rp_persona_rule_count(p); r++)
            for (size_t x = 0; x < rp_persona_rule_example_count(p, r); x++) {
                const char *ex = rp_persona_rule_example(p, r, x, NULL);
                add_line(&l, ex, strlen(ex));
            }
        rp_persona_free(p);
        assert_true(l.n > 0);
        compare(path, &l, true);
        free_lines(&l);
        personas++;
    }
    closedir(d);
    assert_true(personas >= 2);
}

static void test_generated_personas(void **state)
{
    (void)state;
    const size_t sizes[] = {100, 1000, 10000};
    const size_t limit[] = {10000, 10000, 500};
    char cmd[2048], path[1024];
    snprintf(path, sizeof path, "%s/build/bench-check", srcdir());
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd,
                 "python3 '%s/tests/bench/gen_persona.py' %zu '%s' 10000",
                 srcdir(), sizes[i], path);
        assert_int_equal(system(cmd), 0);
        char yaml[1100], txt[1100];
        snprintf(yaml, sizeof yaml, "%s/gen_%zu.yaml", path, sizes[i]);
        snprintf(txt, sizeof txt, "%s/gen_%zu.txt", path, sizes[i]);
        lines l = {0};
        read_plain(&l, txt, limit[i]);
        assert_int_equal(l.n, limit[i]);
        compare(yaml, &l, sizes[i] <= 1000);
        free_lines(&l);
    }
}

static void test_peer_workloads(void **state)
{
    (void)state;
    char gen[1024], dir[1024], cmd[8192];
    /* ../shared from the main checkout, ../../shared from a worktree. */
    const char *ups[] = {"..", "../.."};
    for (int u = 0; u < 2; u++) {
        snprintf(gen, sizeof gen, "%s/%s/shared/bench/peers/gen_workload.js",
                 srcdir(), ups[u]);
        if (access(gen, R_OK) == 0)
            break;
    }
    if (access(gen, R_OK) != 0 || system("node -v >/dev/null 2>&1") != 0) {
        printf("# peer workloads skipped: no node or no %s\n", gen);
        return;
    }
    snprintf(dir, sizeof dir, "%s/build/bench-check", srcdir());
    const size_t sizes[] = {100, 1000, 10000};
    const size_t limit[] = {10000, 3000, 300};
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd,
                 "node '%s' %zu '%s' 20240601 10000 >/dev/null && "
                 "python3 '%s/tests/bench/workload2persona.py' "
                 "'%s/workload_%zu.json' '%s/persona_%zu.yaml'",
                 gen, sizes[i], dir, srcdir(), dir, sizes[i], dir, sizes[i]);
        assert_int_equal(system(cmd), 0);
        char yaml[1100], txt[1100];
        snprintf(yaml, sizeof yaml, "%s/persona_%zu.yaml", dir, sizes[i]);
        snprintf(txt, sizeof txt, "%s/corpus_%zu.txt", dir, sizes[i]);
        lines l = {0};
        read_plain(&l, txt, limit[i]);
        assert_int_equal(l.n, limit[i]);
        compare(yaml, &l, sizes[i] <= 1000);
        free_lines(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_keys),
        cmocka_unit_test(test_shipped_personas),
        cmocka_unit_test(test_generated_personas),
        cmocka_unit_test(test_peer_workloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

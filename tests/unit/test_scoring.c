/*
 * test_scoring.c - the scorer against labelled replies.
 *
 * tests/scoring/fixtures.yaml holds learner replies, each with the
 * persona's preceding line, the turn, and for some dimensions the label
 * pos, neg or none, written from the dimension definitions by someone who
 * had not seen the rubric's cues.  Each reply is scored through the public
 * API (rp_session_score_line) against the shared rubric, and for each
 * dimension the test prints precision and recall of the label:
 *
 *   TP  labelled pos/neg and scored with that sign
 *   FP  scored with a sign the label does not have
 *   FN  labelled pos/neg and scored otherwise
 *
 * and fails when a dimension falls below its threshold.  Run from the
 * source tree (RAPPORT_SRCDIR, default ".").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rapport.h"

/* Thresholds: the issue asks for at least 0.85 on the first five. */
static const double min_p[RP_DIM_COUNT] = {0.85, 0.85, 0.85, 0.85, 0.85,
                                           0.80, 0.80, 0.80, 0.80};
static const double min_r[RP_DIM_COUNT] = {0.85, 0.85, 0.85, 0.85, 0.85,
                                           0.75, 0.75, 0.75, 0.75};

typedef struct fixture {
    char *id, *reply, *context, *facts; /* facts: YAML flow list text */
    int turn;
    int brush;
    int expect[RP_DIM_COUNT]; /* 0 none, 1 pos, -1 neg, 2 unlabelled */
    int line;
} fixture;

static fixture *fx;
static size_t nfx;
static const char *srcdir;

static char *scalar(yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return strdup("");
    return strndup((char *)n->data.scalar.value, n->data.scalar.length);
}

/* Append s to the growing string *out as a YAML double-quoted string. */
static void quote(char **out, size_t *len, const char *s)
{
    *out = realloc(*out, *len + strlen(s) * 2 + 4);
    char *o = *out + *len;
    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '"';
    *o = '\0';
    *len = (size_t)(o - *out);
}

static int load_fixtures(const char *set)
{
    srcdir = getenv("RAPPORT_SRCDIR") ? getenv("RAPPORT_SRCDIR") : ".";
    char path[512];
    snprintf(path, sizeof path, "%s/tests/scoring/%s.yaml", srcdir, set);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        fprintf(stderr, "%s: YAML error at line %zu\n", path,
                parser.problem_mark.line + 1);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_SEQUENCE_NODE)
        return -1;
    size_t n = (size_t)(root->data.sequence.items.top -
                        root->data.sequence.items.start);
    fx = calloc(n, sizeof *fx);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item =
            yaml_document_get_node(&doc, root->data.sequence.items.start[i]);
        fixture *x = &fx[nfx++];
        x->turn = 1;
        x->line = (int)item->start_mark.line + 1;
        for (int d = 0; d < RP_DIM_COUNT; d++)
            x->expect[d] = 2;
        for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
             p < item->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(&doc, p->key);
            yaml_node_t *v = yaml_document_get_node(&doc, p->value);
            const char *key = (char *)k->data.scalar.value;
            if (!strcmp(key, "id"))
                x->id = scalar(v);
            else if (!strcmp(key, "reply"))
                x->reply = scalar(v);
            else if (!strcmp(key, "context"))
                x->context = scalar(v);
            else if (!strcmp(key, "turn"))
                x->turn = atoi((char *)v->data.scalar.value);
            else if (!strcmp(key, "after_brush_off"))
                x->brush = !strcmp((char *)v->data.scalar.value, "true");
            else if (!strcmp(key, "facts") && v->type == YAML_SEQUENCE_NODE) {
                /* The facts as a YAML flow list: ["a", "b"] */
                size_t len = 1;
                char *s = strdup("[");
                for (yaml_node_item_t *it = v->data.sequence.items.start;
                     it < v->data.sequence.items.top; it++) {
                    char *t = scalar(yaml_document_get_node(&doc, *it));
                    if (len > 1) {
                        s = realloc(s, len + 2);
                        s[len++] = ',';
                        s[len] = '\0';
                    }
                    quote(&s, &len, t);
                    free(t);
                }
                s = realloc(s, len + 2);
                strcpy(s + len, "]");
                x->facts = s;
            } else if (!strcmp(key, "expect") && v->type == YAML_MAPPING_NODE) {
                for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
                     q < v->data.mapping.pairs.top; q++) {
                    yaml_node_t *dk = yaml_document_get_node(&doc, q->key);
                    yaml_node_t *dv = yaml_document_get_node(&doc, q->value);
                    int d = rp_dim_find((char *)dk->data.scalar.value);
                    const char *lab = (char *)dv->data.scalar.value;
                    if (d < 0) {
                        fprintf(stderr,
                                "fixture at line %d: unknown "
                                "dimension %s\n",
                                x->line, (char *)dk->data.scalar.value);
                        continue;
                    }
                    x->expect[d] = !strcmp(lab, "pos")   ? 1
                                   : !strcmp(lab, "neg") ? -1
                                                         : 0;
                }
            }
        }
        if (!x->context)
            x->context = strdup("");
        if (!x->reply)
            x->reply = strdup("");
        if (!x->id)
            x->id = strdup("?");
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return nfx ? 0 : -1;
}

static void free_fixtures(void)
{
    for (size_t i = 0; i < nfx; i++) {
        free(fx[i].id);
        free(fx[i].reply);
        free(fx[i].context);
        free(fx[i].facts);
    }
    free(fx);
    fx = NULL;
    nfx = 0;
}

/* A persona with the shared library and the given facts. */
static rp_persona *persona_for(const char *facts)
{
    char root[512];
    snprintf(root, sizeof root, "%s/personas/common", srcdir);
    char *yaml = malloc(strlen(facts ? facts : "") + 512);
    sprintf(yaml,
            "id: fixture\nname: Fixture\n"
            "include: [intents.yaml, reflections.yaml, rubric.yaml]\n"
            "facts: %s\n"
            "start: s\nstages: {s: {fallback: [ok]}}\n",
            facts ? facts : "[]");
    /* Under valgrind (make leakcheck) JIT code is opaque: interpret. */
    rp_load_options opts = {root, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_diags *d = rp_diags_new();
    rp_persona *p =
        rp_persona_load_string("fixture.yaml", yaml, strlen(yaml), &opts, d);
    for (size_t i = 0; !p && i < rp_diags_count(d); i++) {
        char *s = rp_diag_render(rp_diags_get(d, i), NULL);
        fprintf(stderr, "%s", s);
        free(s);
    }
    rp_diags_free(d);
    free(yaml);
    return p;
}

/* Score every fixture of one set and check each dimension. */
static void run_set(const char *set)
{
    assert_int_equal(load_fixtures(set), 0);
    size_t tp[RP_DIM_COUNT] = {0}, fp[RP_DIM_COUNT] = {0};
    size_t fn[RP_DIM_COUNT] = {0}, labelled[RP_DIM_COUNT] = {0};
    rp_persona *plain = persona_for(NULL);
    assert_non_null(plain);
    bool verbose = getenv("RAPPORT_SCORING_VERBOSE") != NULL;
    for (size_t i = 0; i < nfx; i++) {
        fixture *x = &fx[i];
        rp_persona *p = x->facts ? persona_for(x->facts) : plain;
        assert_non_null(p);
        rp_session *s = rp_session_new(p, 1);
        const rp_score *sc;
        assert_int_equal(rp_session_score_line(s, x->context, x->turn, x->brush,
                                               x->reply, strlen(x->reply), &sc),
                         RP_OK);
        for (int d = 0; d < RP_DIM_COUNT; d++) {
            if (x->expect[d] == 2)
                continue;
            labelled[d]++;
            double v = rp_score_value(sc, (rp_dim)d);
            int got = v > 0 ? 1 : v < 0 ? -1 : 0;
            int want = x->expect[d];
            if (want != 0 && got == want)
                tp[d]++;
            if (got != 0 && got != want)
                fp[d]++;
            if (want != 0 && got != want)
                fn[d]++;
            if (verbose && got != want)
                fprintf(stderr, "  %-14s %s (line %d) want %+d got %+d: %s\n",
                        rp_dim_id((rp_dim)d), x->id, x->line, want, got,
                        x->reply);
        }
        rp_session_free(s);
        if (p != plain)
            rp_persona_free(p);
    }
    rp_persona_free(plain);
    bool ok = true;
    printf("scoring %s.yaml: %zu replies\n", set, nfx);
    printf("  %-16s %8s %9s %7s %7s\n", "dimension", "labelled", "precision",
           "recall", "min");
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        double p = tp[d] + fp[d] ? (double)tp[d] / (double)(tp[d] + fp[d]) : 1;
        double r = tp[d] + fn[d] ? (double)tp[d] / (double)(tp[d] + fn[d]) : 1;
        bool pass = p >= min_p[d] && r >= min_r[d] && labelled[d] > 0;
        printf("  %-16s %8zu %9.2f %7.2f %3.2f/%3.2f %s\n",
               rp_dim_id((rp_dim)d), labelled[d], p, r, min_p[d], min_r[d],
               pass ? "ok" : "BELOW");
        ok = ok && pass;
    }
    fflush(stdout);
    free_fixtures();
    assert_true(ok);
}

/* The set the rubric was developed against. */
static void test_fixtures(void **state)
{
    (void)state;
    run_set("fixtures");
}

/* A second set by another labeller; see tests/scoring/README.md for its
 * history (first measured as held out, then used for tuning). */
static void test_heldout(void **state)
{
    (void)state;
    run_set("heldout");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_heldout),
    };
    return cmocka_run_group_tests_name("scoring", tests, NULL, NULL);
}

/*
 * test.c - `rapport test`: scripted conversations with expectations.
 *
 * A script (scripts/PERSONA/NAME.yaml) names a persona and a seed, then
 * lists the learner's lines, each with what should follow: the reply
 * (contains, regex, any_of, not), the rule that answered, the stage,
 * whether the conversation ended or a fallback answered, meter values,
 * variables and the turn's dimension scores.  An optional `report:`
 * holds expectations on the report card at the end: the overall score,
 * dimension scores and the ending's outcome.  README.md documents the
 * format.
 *
 * The pipeline: every script under the paths is loaded first, with
 * libyaml's document API so that every expectation keeps the line it is
 * written on, strictly (an unknown key or a value of the wrong shape is
 * a positioned error with a did-you-mean).  Knowing every script's test
 * points up front gives the TAP plan.  Then each script is run, in
 * process or (-j N) in a forked child that writes its results to a
 * temporary file; either way a script's results are one serialised
 * buffer, printed in script order, so the output does not depend on N.
 *
 * One test point per turn and one for the report: "ok" when every
 * expectation of the group holds; otherwise the diagnostic block lists
 * each failed expectation with its file:line, what was expected and what
 * happened, and the persona's actual reply.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcre2.h>
#include <yaml.h>

#include "tools.h"

/* The largest script read, and the most parallel jobs. */
#define TEST_MAX_FILE (1u << 20)
#define TEST_MAX_JOBS 256
/* Scores and meters are doubles: compare with this tolerance. */
#define TEST_EPSILON 1e-9

static const char test_usage[] =
    "Usage: rapport test [-j N] [--tap] [--junit FILE] [--update]\n"
    "                    [--coverage] [--fail-under PCT] [--json] [PATH...]\n"
    "\n"
    "Run the scripted conversations in the files and directories PATH\n"
    "(default: scripts/), every *.yaml file below a directory, and check\n"
    "every expectation they hold.  Output is TAP when standard output is\n"
    "not a terminal, a readable summary on a terminal; either way the last\n"
    "line is \"N passed, N failed\" (and \", N skipped\").\n"
    "\n"
    "Options:\n"
    "  -j N          run N scripts at a time (the output is the same)\n"
    "  --tap         TAP output even on a terminal\n"
    "  --junit FILE  also write the results to FILE as JUnit XML\n"
    "  --update      rewrite every script that failed (after an intended\n"
    "                persona change) with what the persona now does, and\n"
    "                print each expectation that changed.  The whole script\n"
    "                is regenerated as 'rapport record' writes it: the same\n"
    "                persona, seed and lines, the comments at its top kept,\n"
    "                but every expectation becomes an exact value (ranges\n"
    "                such as \">= 70\" and regexes are replaced, comments\n"
    "                among the turns are lost, turns after the conversation\n"
    "                ended are dropped).  Review the diff before committing.\n"
    "  --coverage    after the results, print per persona the stages, rules,\n"
    "                reply variants, meter thresholds and endings that the\n"
    "                scripts reached (rule examples are not counted), with\n"
    "                the percentage of each, and list what was not reached\n"
    "                as file:line\n"
    "  --fail-under PCT  fail (exit 1) when the rule coverage of a persona\n"
    "                is under PCT percent; implies --coverage\n"
    "  --json        print only one JSON object: the counts of passed,\n"
    "                failed and skipped tests and the coverage; implies\n"
    "                --coverage (run without it to see the failures)\n"
    "  -h, --help    show this help and exit\n"
    "\n"
    "Exit status: 0 when every test passed (with --update: or every script\n"
    "that failed was rewritten), 1 when some failed or coverage was under\n"
    "--fail-under, 2 when a script or persona could not be loaded, 64 for a\n"
    "bad command line.\n";

/* ------------------------------------------------------------------ */
/* Scripts                                                             */
/* ------------------------------------------------------------------ */

/* A numeric expectation: "N", ">= N", "<= N", "> N", "< N", "A..B", or
 * "n/a" (the dimension does not apply). */
enum test_op { OP_EQ, OP_GE, OP_LE, OP_GT, OP_LT, OP_RANGE, OP_NA };

struct test_cmp {
    enum test_op op;
    double a, b;
};

enum test_kind {
    TK_CONTAINS, /* reply contains text */
    TK_REGEX,    /* reply matches re */
    TK_ANY_OF,   /* reply contains one of alts */
    TK_NOT,      /* reply does not match re */
    TK_RULE,     /* the rule that answered (none: no rule) */
    TK_STAGE,
    TK_ENDED,
    TK_FALLBACK,
    TK_METER,
    TK_VAR,
    TK_SCORE,   /* a turn's dimension score */
    TK_OVERALL, /* the report's overall score */
    TK_DIM,     /* a report dimension */
    TK_ENDING,  /* the ending's outcome (none: still going) */
};

/* One expectation, with the line it is written on. */
struct test_check {
    enum test_kind kind;
    int line;
    char *name;  /* meter, variable or dimension id; NULL otherwise */
    char *text;  /* the expected value as written */
    char **alts; /* any_of */
    size_t nalts;
    struct test_cmp cmp;
    bool flag;      /* ended, fallback */
    bool none;      /* rule: ~ */
    int dim;        /* TK_SCORE, TK_DIM */
    pcre2_code *re; /* TK_REGEX, TK_NOT */
};

struct test_group {
    int line;
    char *say; /* the learner's line (turns only) */
    size_t say_len;
    struct test_check *v;
    size_t n;
};

/* A loaded script.  Owns everything it points to. */
struct test_script {
    char *file;
    char *persona;
    uint64_t seed;
    char *skip; /* reason to skip every point, or NULL */
    struct test_group *turns;
    size_t nturns;
    struct test_group report;
    bool has_report;
    char *errors;    /* rendered load errors; NULL when it loaded */
    size_t examples; /* > 0: not a script but the rule examples of
                        persona, one test point each */
};

/* Test points of s: one per turn, one for the report, one for a
 * script that did not load. */
static size_t test_points(const struct test_script *s)
{
    if (s->errors != NULL)
        return 1;
    if (s->examples > 0)
        return s->examples;
    return s->nturns + (s->has_report ? 1 : 0);
}

static void test_check_free(struct test_check *c)
{
    size_t i;

    free(c->name);
    free(c->text);
    for (i = 0; i < c->nalts; i++)
        free(c->alts[i]);
    free(c->alts);
    pcre2_code_free(c->re);
}

static void test_group_free(struct test_group *g)
{
    size_t i;

    for (i = 0; i < g->n; i++)
        test_check_free(&g->v[i]);
    free(g->v);
    free(g->say);
}

static void test_script_free(struct test_script *s)
{
    size_t i;

    for (i = 0; i < s->nturns; i++)
        test_group_free(&s->turns[i]);
    free(s->turns);
    test_group_free(&s->report);
    free(s->file);
    free(s->persona);
    free(s->skip);
    free(s->errors);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

/* The state of loading one script: the document and the problems. */
struct test_loader {
    const char *file;
    yaml_document_t *doc;
    rp_diags *diags;
};

static void test_error(struct test_loader *L, const yaml_node_t *n,
                       const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Add an error at node n (NULL: the whole file). */
static void test_error(struct test_loader *L, const yaml_node_t *n,
                       const char *code, const char *fmt, ...)
{
    struct buf text = {0};
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    rp_diags_add(L->diags, L->file, n ? (int)n->start_mark.line + 1 : 0,
                 n ? (int)n->start_mark.column + 1 : 0, RP_LEVEL_ERROR, code,
                 "%s", buf_str(&text));
    buf_free(&text);
}

static yaml_node_t *test_node(struct test_loader *L, int id)
{
    return yaml_document_get_node(L->doc, id);
}

static int test_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

/* The scalar's value, or NULL after an error saying what was wanted. */
static const char *test_scalar(struct test_loader *L, yaml_node_t *n,
                               const char *what)
{
    if (n->type != YAML_SCALAR_NODE) {
        test_error(L, n, "wrong-type", "%s must be a single value", what);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

static bool test_is_map(struct test_loader *L, yaml_node_t *n, const char *what)
{
    if (n->type == YAML_MAPPING_NODE)
        return true;
    test_error(L, n, "wrong-type", "%s must be a mapping", what);
    return false;
}

/* Find key among known (NULL-terminated); an unknown key is an error
 * with the closest known key suggested.  Returns its index or -1. */
static int test_key(struct test_loader *L, yaml_node_t *kn,
                    const char *const *known, const char *where)
{
    const char *key = test_scalar(L, kn, "a key");
    const char *hint;
    size_t i;

    if (key == NULL)
        return -1;
    for (i = 0; known[i] != NULL; i++)
        if (strcmp(known[i], key) == 0)
            return (int)i;
    hint = rp_closest(key, known, i);
    if (hint != NULL)
        test_error(L, kn, "unknown-key",
                   "unknown key '%s' in %s (did you mean '%s'?)", key, where,
                   hint);
    else
        test_error(L, kn, "unknown-key", "unknown key '%s' in %s", key, where);
    return -1;
}

/* A new check at the end of g, zeroed but for kind and line. */
static struct test_check *test_add(struct test_group *g, enum test_kind kind,
                                   const yaml_node_t *n)
{
    struct test_check *c;

    g->v = mem_realloc(g->v, (g->n + 1) * sizeof *g->v);
    c = &g->v[g->n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->line = test_line(n);
    return c;
}

/* Read a number at *p: [-+]digits[.digits]. */
static bool test_number(const char **p, double *v)
{
    const char *s = *p, *start = s;
    char tmp[64];

    if (*s == '-' || *s == '+')
        s++;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    if (s[0] == '.' && s[1] >= '0' && s[1] <= '9') {
        s++;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if ((size_t)(s - start) >= sizeof tmp)
        return false;
    memcpy(tmp, start, (size_t)(s - start));
    tmp[s - start] = '\0';
    *v = strtod(tmp, NULL);
    *p = s;
    return true;
}

/* Parse a comparison as the script writes it. */
static bool test_cmp_parse(const char *s, struct test_cmp *c)
{
    static const struct {
        const char *text;
        enum test_op op;
    } ops[] = {
        {">=", OP_GE}, {"<=", OP_LE}, {"==", OP_EQ},
        {">", OP_GT},  {"<", OP_LT},  {"=", OP_EQ},
    };
    size_t i;

    while (*s == ' ')
        s++;
    if (strcmp(s, "n/a") == 0) {
        c->op = OP_NA;
        return true;
    }
    c->op = OP_EQ;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);

        if (strncmp(s, ops[i].text, n) == 0) {
            c->op = ops[i].op;
            s += n;
            break;
        }
    }
    while (*s == ' ')
        s++;
    if (!test_number(&s, &c->a))
        return false;
    if (c->op == OP_EQ && strncmp(s, "..", 2) == 0) {
        s += 2;
        if (!test_number(&s, &c->b) || c->b < c->a)
            return false;
        c->op = OP_RANGE;
    }
    while (*s == ' ')
        s++;
    return *s == '\0';
}

static bool test_cmp_holds(const struct test_cmp *c, double v)
{
    switch (c->op) {
    case OP_EQ:
        return fabs(v - c->a) < TEST_EPSILON;
    case OP_GE:
        return v >= c->a - TEST_EPSILON;
    case OP_LE:
        return v <= c->a + TEST_EPSILON;
    case OP_GT:
        return v > c->a + TEST_EPSILON;
    case OP_LT:
        return v < c->a - TEST_EPSILON;
    case OP_RANGE:
        return v >= c->a - TEST_EPSILON && v <= c->b + TEST_EPSILON;
    case OP_NA:
        return false;
    }
    return false;
}

/* A comparison check from scalar n; name (copied) may be NULL. */
static void test_load_cmp(struct test_loader *L, struct test_group *g,
                          enum test_kind kind, const char *name, yaml_node_t *n,
                          const char *what)
{
    const char *v = test_scalar(L, n, what);
    struct test_cmp cmp;
    struct test_check *c;

    if (v == NULL)
        return;
    if (!test_cmp_parse(v, &cmp)) {
        test_error(L, n, "bad-comparison",
                   "%s: '%s' is not a comparison (N, >= N, <= N, > N, "
                   "< N, A..B%s)",
                   what, v,
                   kind == TK_SCORE || kind == TK_DIM ? " or n/a" : "");
        return;
    }
    if (cmp.op == OP_NA && kind != TK_SCORE && kind != TK_DIM) {
        test_error(L, n, "bad-comparison", "%s cannot be n/a", what);
        return;
    }
    c = test_add(g, kind, n);
    c->cmp = cmp;
    c->text = mem_strdup(v);
    c->name = name ? mem_strdup(name) : NULL;
    if (name != NULL)
        c->dim = rp_dim_find(name);
}

/* A regular expression check (regex, not). */
static void test_load_regex(struct test_loader *L, struct test_group *g,
                            enum test_kind kind, yaml_node_t *n)
{
    const char *v = test_scalar(L, n, "a regular expression");
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE off;
    struct test_check *c;
    pcre2_code *re;
    int err;

    if (v == NULL)
        return;
    re = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
    if (re == NULL) {
        pcre2_get_error_message(err, msg, sizeof msg);
        test_error(L, n, "bad-regex",
                   "bad regular expression at offset %zu: %s", (size_t)off,
                   (const char *)msg);
        return;
    }
    c = test_add(g, kind, n);
    c->text = mem_strdup(v);
    c->re = re;
}

/* A boolean: true or false. */
static bool test_bool(struct test_loader *L, yaml_node_t *n, const char *what,
                      bool *out)
{
    const char *v = test_scalar(L, n, what);

    if (v == NULL)
        return false;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        *out = v[0] == 't';
        return true;
    }
    test_error(L, n, "wrong-type", "%s must be true or false, not '%s'", what,
               v);
    return false;
}

/* Whether scalar n is YAML's null (~, null or empty and plain). */
static bool test_is_null(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;

    return n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || v[0] == '\0');
}

/* reply: {contains, regex, any_of, not}; several may be given. */
static void test_load_reply(struct test_loader *L, struct test_group *g,
                            yaml_node_t *n)
{
    static const char *const keys[] = {"contains", "regex", "any_of", "not",
                                       NULL};
    yaml_node_pair_t *p;

    if (!test_is_map(L, n, "reply"))
        return;
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *v = test_node(L, p->value);
        yaml_node_item_t *it;
        struct test_check *c;
        const char *s;

        switch (test_key(L, test_node(L, p->key), keys, "reply")) {
        case 0:
            if ((s = test_scalar(L, v, "reply.contains")) != NULL)
                test_add(g, TK_CONTAINS, v)->text = mem_strdup(s);
            break;
        case 1:
            test_load_regex(L, g, TK_REGEX, v);
            break;
        case 2:
            if (v->type != YAML_SEQUENCE_NODE) {
                test_error(L, v, "wrong-type",
                           "reply.any_of must be a list of texts");
                break;
            }
            c = test_add(g, TK_ANY_OF, v);
            for (it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top; it++) {
                s = test_scalar(L, test_node(L, *it), "reply.any_of item");
                if (s == NULL)
                    continue;
                c->alts =
                    mem_realloc(c->alts, (c->nalts + 1) * sizeof *c->alts);
                c->alts[c->nalts++] = mem_strdup(s);
            }
            break;
        case 3:
            test_load_regex(L, g, TK_NOT, v);
            break;
        }
    }
}

/* A mapping of NAME: comparison (meters, scores, dimensions) or NAME:
 * value (vars). */
static void test_load_named(struct test_loader *L, struct test_group *g,
                            enum test_kind kind, yaml_node_t *n,
                            const char *what)
{
    yaml_node_pair_t *p;

    if (!test_is_map(L, n, what))
        return;
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = test_node(L, p->key), *v = test_node(L, p->value);
        const char *name = test_scalar(L, k, "a name");
        const char *s;

        if (name == NULL)
            continue;
        if ((kind == TK_SCORE || kind == TK_DIM) && rp_dim_find(name) < 0) {
            test_error(L, k, "unknown-dimension",
                       "'%s' is not a dimension (curiosity, follow_up, "
                       "value_offered, authenticity, confidence, "
                       "rejection_grace, preparation, relationship, "
                       "talk_balance)",
                       name);
            continue;
        }
        if (kind == TK_VAR) {
            if ((s = test_scalar(L, v, "a variable's value")) != NULL) {
                struct test_check *c = test_add(g, TK_VAR, v);

                c->name = mem_strdup(name);
                c->text = mem_strdup(s);
            }
            continue;
        }
        test_load_cmp(L, g, kind, name, v, what);
    }
}

/* A turn's expect: mapping. */
static void test_load_expect(struct test_loader *L, struct test_group *g,
                             yaml_node_t *n)
{
    static const char *const keys[] = {"reply", "rule",     "stage",
                                       "ended", "fallback", "meters",
                                       "vars",  "scores",   NULL};
    yaml_node_pair_t *p;

    if (!test_is_map(L, n, "expect"))
        return;
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *v = test_node(L, p->value);
        struct test_check *c;
        const char *s;
        bool b;

        int k = test_key(L, test_node(L, p->key), keys, "expect");

        switch (k) {
        case 0:
            test_load_reply(L, g, v);
            break;
        case 1: /* rule */
        case 2: /* stage */
            if ((s = test_scalar(L, v, keys[k])) == NULL)
                break;
            c = test_add(g, k == 1 ? TK_RULE : TK_STAGE, v);
            c->none = k == 1 && test_is_null(v);
            c->text = mem_strdup(c->none ? "none" : s);
            break;
        case 3: /* ended */
        case 4: /* fallback */
            if (test_bool(L, v, keys[k], &b)) {
                c = test_add(g, k == 3 ? TK_ENDED : TK_FALLBACK, v);
                c->flag = b;
            }
            break;
        case 5:
            test_load_named(L, g, TK_METER, v, "meters");
            break;
        case 6:
            test_load_named(L, g, TK_VAR, v, "vars");
            break;
        case 7:
            test_load_named(L, g, TK_SCORE, v, "scores");
            break;
        }
    }
}

static void test_load_turn(struct test_loader *L, struct test_script *s,
                           yaml_node_t *n)
{
    static const char *const keys[] = {"say", "expect", NULL};
    struct test_group *g;
    yaml_node_pair_t *p;
    bool said = false;

    if (!test_is_map(L, n, "a turn"))
        return;
    s->turns = mem_realloc(s->turns, (s->nturns + 1) * sizeof *s->turns);
    g = &s->turns[s->nturns++];
    memset(g, 0, sizeof *g);
    g->line = test_line(n);
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *v = test_node(L, p->value);

        switch (test_key(L, test_node(L, p->key), keys, "a turn")) {
        case 0:
            if (test_scalar(L, v, "say") != NULL) {
                g->say_len = v->data.scalar.length;
                free(g->say);
                g->say =
                    mem_strndup((const char *)v->data.scalar.value, g->say_len);
                said = true;
            }
            break;
        case 1:
            test_load_expect(L, g, v);
            break;
        }
    }
    if (!said)
        test_error(L, n, "missing-key", "a turn needs 'say:'");
}

static void test_load_report(struct test_loader *L, struct test_script *s,
                             yaml_node_t *n)
{
    static const char *const keys[] = {"overall", "dimensions", "ending", NULL};
    static const char *const endings[] = {"rewarding", "neutral", "cut-short",
                                          "none", NULL};
    yaml_node_pair_t *p;
    const char *v;
    size_t i;

    if (!test_is_map(L, n, "report"))
        return;
    s->has_report = true;
    s->report.line = test_line(n);
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *val = test_node(L, p->value);

        switch (test_key(L, test_node(L, p->key), keys, "report")) {
        case 0:
            test_load_cmp(L, &s->report, TK_OVERALL, NULL, val,
                          "report.overall");
            break;
        case 1:
            test_load_named(L, &s->report, TK_DIM, val, "report.dimensions");
            break;
        case 2:
            if ((v = test_scalar(L, val, "report.ending")) == NULL)
                break;
            for (i = 0; endings[i] != NULL; i++)
                if (strcmp(endings[i], v) == 0)
                    break;
            if (endings[i] == NULL) {
                test_error(L, val, "bad-value",
                           "report.ending must be rewarding, neutral, "
                           "cut-short or none, not '%s'",
                           v);
                break;
            }
            test_add(&s->report, TK_ENDING, val)->text = mem_strdup(v);
            break;
        }
    }
}

/* The top-level mapping. */
static void test_load_root(struct test_loader *L, struct test_script *s,
                           yaml_node_t *root)
{
    static const char *const keys[] = {"persona", "seed",   "skip",
                                       "turns",   "report", NULL};
    yaml_node_pair_t *p;
    yaml_node_item_t *it;
    const char *v;
    char *end;

    if (!test_is_map(L, root, "a script"))
        return;
    for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *val = test_node(L, p->value);

        switch (test_key(L, test_node(L, p->key), keys, "a script")) {
        case 0:
            if ((v = test_scalar(L, val, "persona")) != NULL) {
                free(s->persona); /* a repeated key: the last one wins */
                s->persona = mem_strdup(v);
            }
            break;
        case 1:
            if ((v = test_scalar(L, val, "seed")) == NULL)
                break;
            errno = 0;
            s->seed = strtoull(v, &end, 10);
            if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0)
                test_error(L, val, "wrong-type",
                           "seed must be a whole number, not '%s'", v);
            break;
        case 2:
            if ((v = test_scalar(L, val, "skip")) != NULL) {
                free(s->skip);
                s->skip = mem_strdup(v);
            }
            break;
        case 3:
            if (val->type != YAML_SEQUENCE_NODE) {
                test_error(L, val, "wrong-type", "turns must be a list");
                break;
            }
            for (it = val->data.sequence.items.start;
                 it < val->data.sequence.items.top; it++)
                test_load_turn(L, s, test_node(L, *it));
            break;
        case 4:
            test_load_report(L, s, val);
            break;
        }
    }
    if (s->persona == NULL)
        test_error(L, root, "missing-key", "a script needs 'persona:'");
    if (s->nturns == 0 && !s->has_report)
        test_error(L, root, "missing-key", "a script needs 'turns:'");
}

/* Read the file at path, at most TEST_MAX_FILE bytes, into out. */
static int test_read(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;

    if (f == NULL)
        return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > TEST_MAX_FILE) {
            fclose(f);
            errno = EFBIG;
            return -1;
        }
        buf_put(out, chunk, n);
    }
    n = ferror(f);
    fclose(f);
    return n ? -1 : 0;
}

/* Render every diagnostic in d, with its source line, into out. */
static void test_render_diags(struct buf *out, const rp_diags *d,
                              const struct buf *text)
{
    size_t i;

    for (i = 0; i < rp_diags_count(d); i++) {
        const rp_diag *dg = rp_diags_get(d, i);
        const char *src = NULL, *s = buf_str(text), *e;
        char *line = NULL, *r;
        int k;

        if (dg->line > 0) {
            for (k = 1; k < dg->line && s != NULL; k++) {
                s = strchr(s, '\n');
                if (s != NULL)
                    s++;
            }
            if (s != NULL) {
                e = strchr(s, '\n');
                line = mem_strndup(s, e ? (size_t)(e - s) : strlen(s));
                src = line;
            }
        }
        r = rp_diag_render(dg, src);
        if (r == NULL)
            mem_fail(0);
        buf_puts(out, r);
        if (out->len > 0 && out->ptr[out->len - 1] != '\n')
            buf_putc(out, '\n');
        free(r);
        free(line);
    }
}

/* Load the script at path into s; on errors s->errors holds them. */
static void test_load(const char *path, struct test_script *s)
{
    struct buf text = {0}, errs = {0};
    yaml_parser_t parser;
    yaml_document_t doc;
    struct test_loader L;
    yaml_node_t *root;

    memset(s, 0, sizeof *s);
    s->file = mem_strdup(path);
    L.file = path;
    L.doc = &doc;
    L.diags = rp_diags_new();
    if (L.diags == NULL)
        mem_fail(0);
    if (test_read(path, &text) != 0) {
        test_error(&L, NULL, "io", "cannot read the script: %s",
                   strerror(errno));
        goto out_render;
    }
    if (!yaml_parser_initialize(&parser))
        mem_fail(0);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf_str(&text),
                                 text.len);
    if (!yaml_parser_load(&parser, &doc)) {
        rp_diags_add(L.diags, path, (int)parser.problem_mark.line + 1,
                     (int)parser.problem_mark.column + 1, RP_LEVEL_ERROR,
                     "yaml", "%s", OR_EMPTY(parser.problem));
        yaml_parser_delete(&parser);
        goto out_render;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL)
        test_error(&L, NULL, "empty", "the script is empty");
    else
        test_load_root(&L, s, root);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
out_render:
    if (rp_diags_count(L.diags) > 0) {
        test_render_diags(&errs, L.diags, &text);
        s->errors = buf_detach(&errs);
    }
    rp_diags_free(L.diags);
    buf_free(&text);
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
/* ------------------------------------------------------------------ */

/* A script's results are serialised as records: a status byte ('o' ok,
 * 'n' not ok, 's' skipped), the point's name and its diagnostic block
 * (YAML lines, "" when none), each NUL-terminated.  The same bytes come
 * from a child or from the parent itself.  A script that ran ends with
 * one record of status 'c', not a test point: the persona's id and what
 * its turns reached, for --coverage (see test_cover_turn). */
static void test_emit(struct buf *out, char status, const char *name,
                      const char *diag)
{
    buf_putc(out, status);
    buf_put(out, name, strlen(name) + 1);
    buf_put(out, diag, strlen(diag) + 1);
}

/* Append s as a double-quoted YAML string. */
static void test_quote(struct buf *out, const char *s, size_t n)
{
    size_t i;

    buf_putc(out, '"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c == '\n')
            buf_puts(out, "\\n");
        else if (c < 0x20 || c == 0x7f)
            buf_printf(out, "\\x%02x", c);
        else
            buf_putc(out, (char)c);
    }
    buf_putc(out, '"');
}

/* The length of s (n bytes) cut to at most max bytes, on a UTF-8
 * character boundary: long lines are shortened in diagnostics. */
static size_t test_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}

/* Where failed expectations go: the diagnostic block, and for --update
 * also one line each for people (brief may be NULL). */
struct test_fails {
    struct buf d;
    struct buf *brief;
};

/* One failed expectation in the diagnostic block (and in brief). */
static void test_fail(struct test_fails *f, const struct test_script *s,
                      const struct test_check *c, const char *what,
                      const char *expected, const char *got)
{
    buf_printf(&f->d, "  - at: %s:%d\n    check: %s\n    expected: ", s->file,
               c->line, what);
    test_quote(&f->d, expected, strlen(expected));
    buf_puts(&f->d, "\n    got: ");
    test_quote(&f->d, got, strlen(got));
    buf_putc(&f->d, '\n');
    if (f->brief == NULL)
        return;
    buf_printf(f->brief, "%s:%d: %s: expected ", s->file, c->line, what);
    test_quote(f->brief, expected, test_cut(expected, strlen(expected), 120));
    buf_puts(f->brief, ", now ");
    test_quote(f->brief, got, test_cut(got, strlen(got), 120));
    buf_putc(f->brief, '\n');
}

/* Append what turn t of session sess reached to cov, one line each,
 * tab-separated: "S stage", "R rule", "V rule variant", "T threshold"
 * (its number over the persona), "E ending".  By name, so that the
 * parent can map them onto the persona it loaded itself. */
static void test_cover_turn(struct buf *cov, const rp_session *sess,
                            const rp_turn *t)
{
    const char *rule = rp_turn_rule(t);
    size_t i;

    buf_printf(cov, "S\t%s\n", OR_EMPTY(rp_turn_stage(t)));
    if (rule != NULL) {
        buf_printf(cov, "R\t%s\n", rule);
        if (rp_turn_reply_variant(t) >= 0)
            buf_printf(cov, "V\t%s\t%d\n", rule, rp_turn_reply_variant(t));
    }
    for (i = 0; i < rp_turn_threshold_count(t); i++)
        buf_printf(cov, "T\t%zu\n", rp_turn_threshold(t, i));
    if (rp_turn_ended(t) && rp_session_ending(sess) != NULL)
        buf_printf(cov, "E\t%s\n", rp_session_ending(sess));
}

/* Whether re matches text. */
static bool test_match(pcre2_code *re, const char *text)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    const rp_limits *lim = rp_limits_get();
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    int rc;

    if (md == NULL || mc == NULL)
        mem_fail(0);
    pcre2_set_match_limit(mc, lim->match_limit);
    pcre2_set_depth_limit(mc, lim->depth_limit);
    pcre2_set_heap_limit(mc, lim->heap_limit_kb);
    rc = pcre2_match(re, (PCRE2_SPTR)text, strlen(text), 0, 0, md, mc);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    return rc >= 0;
}

static const char *test_op_text(double v, char *tmp, size_t n)
{
    snprintf(tmp, n, "%g", v);
    return tmp;
}

/* Check every expectation of a turn against t; failures into d. */
static void test_check_turn(const struct test_script *s, rp_session *sess,
                            const rp_turn *t, const struct test_group *g,
                            struct test_fails *d)
{
    const char *reply = OR_EMPTY(rp_turn_reply(t));
    const rp_score *sc = rp_turn_score(t);
    char tmp[64], what[160];
    const char *v;
    double x;
    size_t i, k;

    for (i = 0; i < g->n; i++) {
        const struct test_check *c = &g->v[i];

        switch (c->kind) {
        case TK_CONTAINS:
            if (strstr(reply, c->text) == NULL)
                test_fail(d, s, c, "reply contains", c->text, reply);
            break;
        case TK_REGEX:
            if (!test_match(c->re, reply))
                test_fail(d, s, c, "reply matches", c->text, reply);
            break;
        case TK_NOT:
            if (test_match(c->re, reply))
                test_fail(d, s, c, "reply does not match", c->text, reply);
            break;
        case TK_ANY_OF:
            for (k = 0; k < c->nalts; k++)
                if (strstr(reply, c->alts[k]) != NULL)
                    break;
            if (k == c->nalts) {
                struct buf alts = {0};

                for (k = 0; k < c->nalts; k++)
                    buf_printf(&alts, "%s%s", k ? " | " : "", c->alts[k]);
                test_fail(d, s, c, "reply contains any of", buf_str(&alts),
                          reply);
                buf_free(&alts);
            }
            break;
        case TK_RULE:
            v = rp_turn_rule(t);
            if (c->none ? v != NULL : v == NULL || strcmp(v, c->text) != 0)
                test_fail(
                    d, s, c, "rule", c->text,
                    v ? v : (rp_turn_fallback(t) ? "none (fallback)" : "none"));
            break;
        case TK_STAGE:
            v = OR_EMPTY(rp_turn_stage(t));
            if (strcmp(v, c->text) != 0)
                test_fail(d, s, c, "stage", c->text, v);
            break;
        case TK_ENDED:
            if (rp_turn_ended(t) != c->flag)
                test_fail(d, s, c, "ended", c->flag ? "true" : "false",
                          rp_turn_ended(t) ? "true" : "false");
            break;
        case TK_FALLBACK:
            if (rp_turn_fallback(t) != c->flag)
                test_fail(d, s, c, "fallback", c->flag ? "true" : "false",
                          rp_turn_fallback(t) ? "true" : "false");
            break;
        case TK_METER:
            snprintf(what, sizeof what, "meters.%s", c->name);
            if (!rp_session_meter(sess, c->name, &x))
                test_fail(d, s, c, what, c->text, "(no such meter)");
            else if (!test_cmp_holds(&c->cmp, x))
                test_fail(d, s, c, what, c->text,
                          test_op_text(x, tmp, sizeof tmp));
            break;
        case TK_VAR:
            snprintf(what, sizeof what, "vars.%s", c->name);
            if (!rp_session_var(sess, c->name, &v))
                test_fail(d, s, c, what, c->text, "(no such variable)");
            else if (strcmp(OR_EMPTY(v), c->text) != 0)
                test_fail(d, s, c, what, c->text, OR_EMPTY(v));
            break;
        case TK_SCORE:
            snprintf(what, sizeof what, "scores.%s", c->name);
            if (c->cmp.op == OP_NA) {
                if (rp_score_applies(sc, (rp_dim)c->dim))
                    test_fail(d, s, c, what, "n/a",
                              test_op_text(rp_score_value(sc, (rp_dim)c->dim),
                                           tmp, sizeof tmp));
            } else if (!test_cmp_holds(&c->cmp,
                                       rp_score_value(sc, (rp_dim)c->dim))) {
                test_fail(d, s, c, what, c->text,
                          rp_score_applies(sc, (rp_dim)c->dim)
                              ? test_op_text(rp_score_value(sc, (rp_dim)c->dim),
                                             tmp, sizeof tmp)
                              : "0 (n/a)");
            }
            break;
        default:
            break;
        }
    }
}

/* Check the report's expectations; failures into d. */
static void test_check_report(const struct test_script *s, rp_session *sess,
                              struct test_fails *d)
{
    const struct test_group *g = &s->report;
    rp_report *r = rp_session_report(sess);
    char tmp[64], what[160];
    const char *v;
    size_t i;
    int x;

    if (r == NULL)
        mem_fail(0);
    for (i = 0; i < g->n; i++) {
        const struct test_check *c = &g->v[i];

        switch (c->kind) {
        case TK_OVERALL:
            x = rp_report_overall(r);
            if (!test_cmp_holds(&c->cmp, x))
                test_fail(d, s, c, "report.overall", c->text,
                          test_op_text(x, tmp, sizeof tmp));
            break;
        case TK_DIM:
            snprintf(what, sizeof what, "report.dimensions.%s", c->name);
            x = rp_report_dimension(r, (rp_dim)c->dim);
            if (c->cmp.op == OP_NA ? x >= 0
                                   : x < 0 || !test_cmp_holds(&c->cmp, x))
                test_fail(d, s, c, what, c->text,
                          x < 0 ? "n/a" : test_op_text(x, tmp, sizeof tmp));
            break;
        case TK_ENDING:
            v = rp_session_ending_outcome(sess);
            if (strcmp(v ? v : "none", c->text) != 0)
                test_fail(d, s, c, "report.ending", c->text, v ? v : "none");
            break;
        default:
            break;
        }
    }
    rp_report_free(r);
}

/* The rule examples of a persona: each example must trigger its rule,
 * and no earlier unconditional rule may always take it first
 * (rp_session_check_example).  One test point per example. */
static void test_run_examples(const struct test_script *s, struct buf *out)
{
    struct buf name = {0}, diag = {0}, d = {0};
    rp_persona *p = personas_open("test", s->persona);
    rp_session *sess = p ? rp_session_new(p, s->seed) : NULL;
    size_t emitted = 0;

    for (size_t r = 0; sess && r < rp_persona_rule_count(p); r++) {
        for (size_t j = 0; j < rp_persona_rule_example_count(p, r); j++) {
            int line = 0;
            const char *ex = rp_persona_rule_example(p, r, j, &line);
            size_t thief = 0;
            int rc = rp_session_check_example(sess, r, ex, strlen(ex), &thief);

            buf_clear(&name);
            buf_clear(&diag);
            buf_clear(&d);
            buf_printf(&name, "%s: rule %s example %zu", s->file,
                       rp_persona_rule_id(p, r), j + 1);
            emitted++;
            if (rc == 0) {
                test_emit(out, 'o', buf_str(&name), "");
                continue;
            }
            buf_printf(&diag,
                       "at: %s:%d\nexample: ", rp_persona_rule_file(p, r),
                       line);
            test_quote(&diag, ex, strlen(ex));
            buf_puts(&diag, "\nmessage: ");
            if (rc == 1)
                buf_printf(&d, "does not trigger rule %s (%s:%d)",
                           rp_persona_rule_id(p, r), rp_persona_rule_file(p, r),
                           rp_persona_rule_line(p, r));
            else
                buf_printf(&d,
                           "rule %s (%s:%d) is taken first by rule %s "
                           "(%s:%d), which has no conditions",
                           rp_persona_rule_id(p, r), rp_persona_rule_file(p, r),
                           rp_persona_rule_line(p, r),
                           rp_persona_rule_id(p, thief),
                           rp_persona_rule_file(p, thief),
                           rp_persona_rule_line(p, thief));
            test_quote(&diag, buf_str(&d), d.len);
            buf_putc(&diag, '\n');
            test_emit(out, 'n', buf_str(&name), buf_str(&diag));
        }
    }
    /* The plan counted the examples when the persona loaded; if it no
     * longer does, the points still appear, as failures. */
    for (; emitted < s->examples; emitted++) {
        buf_clear(&name);
        buf_printf(&name, "%s: rule examples", s->file);
        test_emit(out, 'n', buf_str(&name),
                  "message: \"the persona no longer loads\"\n");
    }
    rp_session_free(sess);
    rp_persona_free(p);
    buf_free(&name);
    buf_free(&diag);
    buf_free(&d);
}

/* Run script s; its results, serialised, into out. */
static void test_run(const struct test_script *s, struct buf *out)
{
    if (s->examples > 0) {
        test_run_examples(s, out);
        return;
    }
    struct buf name = {0}, d = {0}, diag = {0}, cov = {0};
    struct test_fails f = {0};
    rp_persona *p = NULL;
    rp_session *sess = NULL;
    int ended_at = 0;
    size_t i;

    if (s->errors != NULL) {
        buf_printf(&name, "%s: load", s->file);
        buf_puts(&diag, "message: |\n");
        for (const char *l = s->errors; *l != '\0';) {
            const char *e = strchr(l, '\n');
            size_t n = e ? (size_t)(e - l) : strlen(l);

            buf_puts(&diag, "  ");
            buf_put(&diag, l, n);
            buf_putc(&diag, '\n');
            l += n + (e ? 1 : 0);
        }
        test_emit(out, 'n', buf_str(&name), buf_str(&diag));
        goto out_free;
    }
    if (s->skip == NULL) {
        p = personas_open("test", s->persona);
        if (p != NULL && (sess = rp_session_new(p, s->seed)) == NULL)
            mem_fail(0);
    }
    for (i = 0; i <= s->nturns; i++) {
        const struct test_group *g = i < s->nturns ? &s->turns[i] : &s->report;
        const rp_turn *t = NULL;

        if (i == s->nturns && !s->has_report)
            break;
        buf_clear(&name);
        buf_clear(&d);
        buf_clear(&f.d);
        buf_clear(&diag);
        if (i < s->nturns)
            buf_printf(&name, "%s: turn %zu", s->file, i + 1);
        else
            buf_printf(&name, "%s: report", s->file);
        if (s->skip != NULL) {
            buf_puts(&name, " # SKIP ");
            buf_puts(&name, s->skip);
            test_emit(out, 's', buf_str(&name), "");
            continue;
        }
        if (sess == NULL) {
            buf_printf(&diag, "at: %s:%d\nmessage: ", s->file, g->line);
            buf_printf(&d, "persona '%s' does not load", s->persona);
            test_quote(&diag, buf_str(&d), d.len);
            buf_putc(&diag, '\n');
            test_emit(out, 'n', buf_str(&name), buf_str(&diag));
            continue;
        }
        if (i < s->nturns) {
            if (ended_at > 0) {
                buf_printf(&diag,
                           "at: %s:%d\nmessage: \"the conversation ended "
                           "at turn %d, before this one\"\n",
                           s->file, g->line, ended_at);
                test_emit(out, 'n', buf_str(&name), buf_str(&diag));
                continue;
            }
            if (i == 0)
                buf_printf(&cov, "S\t%s\n", OR_EMPTY(rp_session_stage(sess)));
            if (rp_session_turn(sess, g->say, g->say_len, &t) != 0)
                mem_fail(0);
            if (rp_turn_ended(t))
                ended_at = (int)i + 1;
            test_cover_turn(&cov, sess, t);
            test_check_turn(s, sess, t, g, &f);
        } else {
            test_check_report(s, sess, &f);
        }
        if (f.d.len == 0) {
            test_emit(out, 'o', buf_str(&name), "");
            continue;
        }
        buf_printf(&diag, "at: %s:%d\n", s->file, g->line);
        if (t != NULL) {
            buf_printf(&diag, "turn: %zu\nsay: ", i + 1);
            test_quote(&diag, g->say, test_cut(g->say, g->say_len, 200));
            buf_puts(&diag, "\nreply: ");
            test_quote(&diag, OR_EMPTY(rp_turn_reply(t)),
                       strlen(OR_EMPTY(rp_turn_reply(t))));
            buf_putc(&diag, '\n');
        }
        buf_puts(&diag, "failures:\n");
        buf_puts(&diag, buf_str(&f.d));
        test_emit(out, 'n', buf_str(&name), buf_str(&diag));
    }
    if (sess != NULL)
        test_emit(out, 'c', s->persona, buf_str(&cov));
out_free:
    rp_session_free(sess);
    rp_persona_free(p);
    buf_free(&name);
    buf_free(&d);
    buf_free(&f.d);
    buf_free(&diag);
    buf_free(&cov);
}

/* ------------------------------------------------------------------ */
/* Updating                                                            */
/* ------------------------------------------------------------------ */

/* --update: rewrite the failing script s as `rapport record` would
 * write its conversation (the same persona, seed and lines; every
 * expectation exact), keeping the comment lines at its top.  Each
 * expectation that no longer held, and each turn dropped because the
 * conversation now ends before it, is appended to log (one line each,
 * "file:line: ...").  Returns 0, or -1 when the script could not be
 * rewritten (the reason in log, or printed). */
static int test_update(const struct test_script *s, struct buf *log)
{
    struct buf text = {0}, out = {0};
    struct test_fails f = {0};
    rp_persona *p = NULL;
    rp_session *sess = NULL;
    const char *l, *e;
    int ended_at = 0, rc = -1;
    size_t i;

    f.brief = log;
    if (s->errors != NULL || s->skip != NULL || s->examples > 0)
        return -1;
    if (test_read(s->file, &text) != 0) {
        buf_printf(log, "%s: cannot read the script: %s\n", s->file,
                   strerror(errno));
        goto out_free;
    }
    p = personas_open("test", s->persona);
    if (p == NULL) {
        buf_printf(log, "%s: not updated: persona '%s' does not load\n",
                   s->file, s->persona);
        goto out_free;
    }
    if ((sess = rp_session_new(p, s->seed)) == NULL)
        mem_fail(0);
    /* The header: the comment and blank lines before the first key. */
    for (l = buf_str(&text); *l != '\0'; l = e) {
        const char *q = l;

        e = strchr(l, '\n');
        e = e ? e + 1 : l + strlen(l);
        while (q < e && (*q == ' ' || *q == '\t'))
            q++;
        if (q < e && *q != '#' && *q != '\n' && *q != '\r')
            break;
        buf_put(&out, l, (size_t)(e - l));
    }
    record_head(&out, s->persona, s->seed);
    for (i = 0; i < s->nturns; i++) {
        const struct test_group *g = &s->turns[i];
        const rp_turn *t;

        if (ended_at > 0) {
            buf_printf(log,
                       "%s:%d: turn %zu dropped: the conversation now ends "
                       "at turn %d\n",
                       s->file, g->line, i + 1, ended_at);
            continue;
        }
        if (rp_session_turn(sess, g->say, g->say_len, &t) != 0)
            mem_fail(0);
        if (rp_turn_ended(t))
            ended_at = (int)i + 1;
        test_check_turn(s, sess, t, g, &f);
        record_turn(&out, g->say, g->say_len, t);
    }
    if (s->has_report)
        test_check_report(s, sess, &f);
    record_report(&out, sess);
    if (record_write("test", s->file, &out) == 0)
        rc = 0;
out_free:
    rp_session_free(sess);
    rp_persona_free(p);
    buf_free(&text);
    buf_free(&out);
    buf_free(&f.d);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Finding scripts                                                     */
/* ------------------------------------------------------------------ */

struct test_files {
    char **v;
    size_t n;
};

static int test_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_files_add(struct test_files *f, char *path)
{
    f->v = mem_realloc(f->v, (f->n + 1) * sizeof *f->v);
    f->v[f->n++] = path;
}

/* Add every *.yaml file below dir, sorted by path.  Returns 0 or -1. */
static int test_scan(struct test_files *f, const char *dir, int depth)
{
    struct test_files here = {0};
    struct dirent *e;
    struct stat st;
    size_t i;
    DIR *d;

    if (depth > 16 || (d = opendir(dir)) == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        struct buf path = {0};

        if (e->d_name[0] == '.')
            continue;
        buf_printf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                   e->d_name);
        if (stat(buf_str(&path), &st) == 0 &&
            (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && n > 5 &&
                                     strcmp(e->d_name + n - 5, ".yaml") == 0)))
            test_files_add(&here, buf_detach(&path));
        else
            buf_free(&path);
    }
    closedir(d);
    qsort(here.v, here.n, sizeof *here.v, test_strcmp);
    for (i = 0; i < here.n; i++) {
        if (stat(here.v[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            test_scan(f, here.v[i], depth + 1);
            free(here.v[i]);
        } else {
            test_files_add(f, here.v[i]);
        }
    }
    free(here.v);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

struct test_totals {
    size_t passed, failed, skipped, number;
    bool quiet; /* count, print nothing (--json) */
};

/* Print the records of one script (TAP or summary) and count them. */
static void test_print(const char *recs, size_t len, bool tap,
                       struct test_totals *tot)
{
    const char *p = recs, *end = recs + len;
    size_t failed = tot->failed, first = tot->number;
    struct buf out = {0};

    while (p < end) {
        char status = *p++;
        const char *name = p, *diag = p + strlen(p) + 1;
        const char *l;

        p = diag + strlen(diag) + 1;
        if (status == 'c')
            continue;
        tot->number++;
        if (status == 'o')
            tot->passed++;
        else if (status == 's')
            tot->skipped++;
        else
            tot->failed++;
        if (tap) {
            buf_printf(&out, "%s %zu - %s\n", status == 'n' ? "not ok" : "ok",
                       tot->number, name);
        } else if (status == 'n') {
            buf_printf(&out, "%sFAIL%s %s\n", term_sgr(stdout, TERM_BAD),
                       term_sgr(stdout, TERM_RESET), name);
        } else if (status == 's') {
            buf_printf(&out, "skip %s\n", name);
        }
        if (status == 'n' && diag[0] != '\0') {
            buf_puts(&out, tap ? "  ---\n" : "");
            for (l = diag; *l != '\0';) {
                const char *e = strchr(l, '\n');
                size_t n = e ? (size_t)(e - l) : strlen(l);

                buf_puts(&out, "  ");
                buf_put(&out, l, n);
                buf_putc(&out, '\n');
                l += n + (e ? 1 : 0);
            }
            buf_puts(&out, tap ? "  ...\n" : "");
        }
    }
    if (!tap && tot->failed == failed && tot->number > first) {
        const char *name = recs + 1, *colon = strrchr(name, ':');

        buf_printf(&out, "%sok%s   %.*s (%zu tests)\n",
                   term_sgr(stdout, TERM_GOOD), term_sgr(stdout, TERM_RESET),
                   colon ? (int)(colon - name) : (int)strlen(name), name,
                   tot->number - first);
    }
    if (!tot->quiet)
        term_puts(stdout, buf_str(&out), TERM_KEEP_NEWLINES);
    buf_free(&out);
}

/* Append s to out with XML's special characters escaped. */
static void test_xml(struct buf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                buf_putc(out, '?');
            else
                buf_putc(out, *s);
        }
    }
}

/* Write every script's results to path as JUnit XML. */
static int test_junit(const char *path, struct test_script *scripts,
                      struct buf *results, size_t n)
{
    struct buf x = {0};
    FILE *f;
    size_t i;
    int rc = 0;

    buf_puts(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (i = 0; i < n; i++) {
        const char *p = buf_str(&results[i]), *end = p + results[i].len;
        struct buf cases = {0};
        size_t tests = 0, fails = 0, skips = 0;

        while (p < end) {
            char status = *p++;
            const char *name = p, *diag = p + strlen(p) + 1;

            p = diag + strlen(diag) + 1;
            if (status == 'c')
                continue;
            tests++;
            buf_puts(&cases, "    <testcase classname=\"");
            test_xml(&cases, scripts[i].file);
            buf_puts(&cases, "\" name=\"");
            test_xml(&cases, name);
            buf_puts(&cases, "\"");
            if (status == 'o') {
                buf_puts(&cases, "/>\n");
                continue;
            }
            buf_puts(&cases, ">\n");
            if (status == 's') {
                skips++;
                buf_puts(&cases, "      <skipped/>\n");
            } else {
                fails++;
                buf_puts(&cases, "      <failure message=\"expectation "
                                 "failed\">");
                test_xml(&cases, diag);
                buf_puts(&cases, "</failure>\n");
            }
            buf_puts(&cases, "    </testcase>\n");
        }
        buf_puts(&x, "  <testsuite name=\"");
        test_xml(&x, scripts[i].file);
        buf_printf(&x, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
                   tests, fails, skips);
        buf_puts(&x, buf_str(&cases));
        buf_puts(&x, "  </testsuite>\n");
        buf_free(&cases);
    }
    buf_puts(&x, "</testsuites>\n");
    f = fopen(path, "w");
    if (f == NULL || fwrite(buf_str(&x), 1, x.len, f) != x.len ||
        fclose(f) != 0) {
        msg_error("test", "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    buf_free(&x);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Coverage                                                            */
/* ------------------------------------------------------------------ */

/* What coverage counts, in the order it is printed. */
enum test_ckind { CK_STAGE, CK_RULE, CK_REPLY, CK_THRESHOLD, CK_ENDING, CK_N };

static const char *const test_ckind_name[CK_N] = {
    "stages", "rules", "replies", "thresholds", "endings",
};

/* What the scripts reached of one persona: one flag per part. */
struct test_cover {
    char *id;
    rp_persona *p; /* NULL when it does not load */
    size_t scripts;
    bool *stages, *rules, *ths, *endings;
    size_t *vbase; /* rule i's first reply variant in variants */
    bool *variants;
};

struct test_covers {
    struct test_cover *v;
    size_t n;
};

/* The entry for persona id, made (and the persona loaded) on first use. */
static struct test_cover *test_cover_get(struct test_covers *cs, const char *id)
{
    struct test_cover *c;
    size_t i, nrules, nv = 0;

    for (i = 0; i < cs->n; i++)
        if (strcmp(cs->v[i].id, id) == 0)
            return &cs->v[i];
    cs->v = mem_realloc(cs->v, (cs->n + 1) * sizeof *cs->v);
    c = &cs->v[cs->n++];
    memset(c, 0, sizeof *c);
    c->id = mem_strdup(id);
    c->p = personas_open("test", id);
    if (c->p == NULL)
        return c;
    nrules = rp_persona_rule_count(c->p);
    c->stages = mem_calloc(rp_persona_stage_count(c->p) + 1, sizeof(bool));
    c->rules = mem_calloc(nrules + 1, sizeof(bool));
    c->ths = mem_calloc(rp_persona_threshold_count(c->p) + 1, sizeof(bool));
    c->endings = mem_calloc(rp_persona_ending_count(c->p) + 1, sizeof(bool));
    c->vbase = mem_calloc(nrules + 1, sizeof(size_t));
    for (i = 0; i < nrules; i++) {
        c->vbase[i] = nv;
        nv += rp_persona_rule_reply_count(c->p, i);
    }
    c->vbase[nrules] = nv;
    c->variants = mem_calloc(nv + 1, sizeof(bool));
    return c;
}

static void test_covers_free(struct test_covers *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        struct test_cover *c = &cs->v[i];

        free(c->id);
        rp_persona_free(c->p);
        free(c->stages);
        free(c->rules);
        free(c->ths);
        free(c->endings);
        free(c->vbase);
        free(c->variants);
    }
    free(cs->v);
}

/* The index of the part called name among n, by the accessor get, or
 * -1 (a script's persona may differ from the one loaded here only if a
 * file changed while the tests ran). */
static long test_cover_find(const rp_persona *p, size_t n,
                            const char *(*get)(const rp_persona *, size_t),
                            const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        const char *x = get(p, i);

        if (x != NULL && strlen(x) == len && memcmp(x, name, len) == 0)
            return (long)i;
    }
    return -1;
}

/* Mark what one script's coverage record (test_cover_turn's lines)
 * reached. */
static void test_cover_add(struct test_cover *c, const char *rec)
{
    const rp_persona *p = c->p;
    const char *l, *e;

    c->scripts++;
    if (p == NULL)
        return;
    for (l = rec; *l != '\0'; l = *e ? e + 1 : e) {
        const char *a = l + 2, *tab;
        size_t len;
        long k;

        e = strchr(l, '\n');
        if (e == NULL)
            e = l + strlen(l);
        if (e - l < 3 || l[1] != '\t')
            continue;
        tab = memchr(a, '\t', (size_t)(e - a));
        len = (size_t)((tab ? tab : e) - a);
        switch (l[0]) {
        case 'S':
            k = test_cover_find(p, rp_persona_stage_count(p),
                                rp_persona_stage_name, a, len);
            if (k >= 0)
                c->stages[k] = true;
            break;
        case 'R':
        case 'V':
            k = test_cover_find(p, rp_persona_rule_count(p), rp_persona_rule_id,
                                a, len);
            if (k < 0)
                break;
            c->rules[k] = true;
            if (l[0] == 'V' && tab != NULL) {
                unsigned long v = strtoul(tab + 1, NULL, 10);

                if (v < rp_persona_rule_reply_count(p, (size_t)k))
                    c->variants[c->vbase[k] + v] = true;
            }
            break;
        case 'T': {
            unsigned long v = strtoul(a, NULL, 10);

            if (v < rp_persona_threshold_count(p))
                c->ths[v] = true;
            break;
        }
        case 'E':
            k = test_cover_find(p, rp_persona_ending_count(p),
                                rp_persona_ending_id, a, len);
            if (k >= 0)
                c->endings[k] = true;
            break;
        }
    }
}

/* Gather the coverage records of every script's results. */
static void test_cover_collect(struct test_covers *cs, struct buf *results,
                               size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = buf_str(&results[i]), *end = p + results[i].len;

        while (p < end) {
            char status = *p++;
            const char *name = p, *rec = p + strlen(p) + 1;

            p = rec + strlen(rec) + 1;
            if (status == 'c')
                test_cover_add(test_cover_get(cs, name), rec);
        }
    }
}

/* Reached and total parts of one kind. */
static void test_cover_count(const struct test_cover *c, enum test_ckind k,
                             size_t *reached, size_t *total)
{
    const bool *v = NULL;
    size_t n = 0, i;

    switch (k) {
    case CK_STAGE:
        v = c->stages;
        n = rp_persona_stage_count(c->p);
        break;
    case CK_RULE:
        v = c->rules;
        n = rp_persona_rule_count(c->p);
        break;
    case CK_REPLY:
        v = c->variants;
        n = c->vbase[rp_persona_rule_count(c->p)];
        break;
    case CK_THRESHOLD:
        v = c->ths;
        n = rp_persona_threshold_count(c->p);
        break;
    default:
        v = c->endings;
        n = rp_persona_ending_count(c->p);
        break;
    }
    *total = n;
    *reached = 0;
    for (i = 0; i < n; i++)
        *reached += v[i];
}

/* A percentage, rounded down (so that 79.9% never shows as 80%); 100
 * when there is nothing to reach. */
static unsigned test_pct(size_t reached, size_t total)
{
    return total ? (unsigned)(reached * 100 / total) : 100;
}

/* One part no script reached. */
struct test_miss {
    enum test_ckind kind;
    const char *file;
    int line;
    const char *id;     /* the part's id; the rule's for a reply */
    const char *detail; /* the threshold's meter, or NULL */
    int variant;        /* a reply: 1-based; a rule: its reply count */
};

static int test_miss_cmp(const void *a, const void *b)
{
    const struct test_miss *x = a, *y = b;

    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    return x->line - y->line;
}

static void test_miss_add(struct test_miss **m, size_t *n, enum test_ckind kind,
                          const char *file, int line, const char *id,
                          const char *detail, int variant)
{
    *m = mem_realloc(*m, (*n + 1) * sizeof **m);
    (*m)[(*n)++] = (struct test_miss){kind, file, line, id, detail, variant};
}

/* Every part of c's persona that no script reached, sorted by kind and
 * line; the caller frees *out.  The replies of a rule never reached are
 * not listed one by one: the rule's entry counts them. */
static size_t test_cover_misses(const struct test_cover *c,
                                struct test_miss **out)
{
    const rp_persona *p = c->p;
    struct test_miss *m = NULL;
    size_t n = 0, i, j;

    for (i = 0; i < rp_persona_stage_count(p); i++)
        if (!c->stages[i])
            test_miss_add(&m, &n, CK_STAGE, rp_persona_stage_file(p, i),
                          rp_persona_stage_line(p, i),
                          rp_persona_stage_name(p, i), NULL, 0);
    for (i = 0; i < rp_persona_rule_count(p); i++) {
        size_t nv = rp_persona_rule_reply_count(p, i);

        if (!c->rules[i]) {
            test_miss_add(&m, &n, CK_RULE, rp_persona_rule_file(p, i),
                          rp_persona_rule_line(p, i), rp_persona_rule_id(p, i),
                          NULL, (int)nv);
            continue;
        }
        for (j = 0; j < nv; j++)
            if (!c->variants[c->vbase[i] + j])
                test_miss_add(&m, &n, CK_REPLY, rp_persona_rule_file(p, i),
                              rp_persona_rule_reply_line(p, i, j),
                              rp_persona_rule_id(p, i), NULL, (int)j + 1);
    }
    for (i = 0; i < rp_persona_threshold_count(p); i++)
        if (!c->ths[i])
            test_miss_add(&m, &n, CK_THRESHOLD, rp_persona_threshold_file(p, i),
                          rp_persona_threshold_line(p, i),
                          rp_persona_threshold_id(p, i),
                          rp_persona_threshold_meter(p, i), 0);
    for (i = 0; i < rp_persona_ending_count(p); i++)
        if (!c->endings[i])
            test_miss_add(&m, &n, CK_ENDING, rp_persona_ending_file(p, i),
                          rp_persona_ending_line(p, i),
                          rp_persona_ending_id(p, i), NULL, 0);
    if (n > 1)
        qsort(m, n, sizeof *m, test_miss_cmp);
    *out = m;
    return n;
}

/* The coverage table of every persona, for people; each line starts
 * with prefix ("# " in TAP). */
static void test_cover_print(const struct test_covers *cs, const char *prefix)
{
    struct buf out = {0};
    size_t i, k, nm, reached, total;

    buf_printf(&out,
               "%s%scoverage: what the scripted conversations reached "
               "(rule examples are not counted)\n",
               prefix[0] == '\0' ? "\n" : "", prefix);
    for (i = 0; i < cs->n; i++) {
        const struct test_cover *c = &cs->v[i];
        struct test_miss *m;

        if (c->p == NULL) {
            buf_printf(&out, "%s%s: does not load, no coverage\n", prefix,
                       c->id);
            continue;
        }
        buf_printf(&out, "%s%s (%s), %zu script%s:\n", prefix, c->id,
                   rp_persona_path(c->p), c->scripts,
                   c->scripts == 1 ? "" : "s");
        for (k = 0; k < CK_N; k++) {
            test_cover_count(c, (enum test_ckind)k, &reached, &total);
            buf_printf(&out, "%s  %-11s %4zu of %-4zu %3u%%\n", prefix,
                       test_ckind_name[k], reached, total,
                       test_pct(reached, total));
        }
        nm = test_cover_misses(c, &m);
        if (nm > 0)
            buf_printf(&out, "%s  not reached:\n", prefix);
        for (k = 0; k < nm; k++) {
            buf_printf(&out, "%s    %s:%d: ", prefix, m[k].file, m[k].line);
            switch (m[k].kind) {
            case CK_STAGE:
                buf_printf(&out, "stage %s\n", m[k].id);
                break;
            case CK_RULE:
                buf_printf(&out, "rule %s (%d repl%s)\n", m[k].id, m[k].variant,
                           m[k].variant == 1 ? "y" : "ies");
                break;
            case CK_REPLY:
                buf_printf(&out, "reply %d of rule %s\n", m[k].variant,
                           m[k].id);
                break;
            case CK_THRESHOLD:
                buf_printf(&out, "threshold %s of meter %s\n", m[k].id,
                           m[k].detail);
                break;
            default:
                buf_printf(&out, "ending %s\n", m[k].id);
                break;
            }
        }
        free(m);
    }
    term_puts(stdout, buf_str(&out), TERM_KEEP_NEWLINES);
    buf_free(&out);
}

/* Append s as a JSON string (term_json_puts makes the rest safe). */
static void test_json_str(struct buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            buf_printf(out, "\\%c", ch);
        else if (ch < 0x20)
            buf_printf(out, "\\u%04x", ch);
        else
            buf_putc(out, (char)ch);
    }
    buf_putc(out, '"');
}

/* --json: the totals and every persona's coverage as one object. */
static void test_cover_json(const struct test_covers *cs,
                            const struct test_totals *tot)
{
    static const char *const miss_kind[CK_N] = {"stage", "rule", "reply",
                                                "threshold", "ending"};
    struct buf out = {0};
    size_t i, k, nm, reached, total;

    buf_printf(&out,
               "{\"passed\": %zu, \"failed\": %zu, \"skipped\": %zu, "
               "\"coverage\": [",
               tot->passed, tot->failed, tot->skipped);
    for (i = 0; i < cs->n; i++) {
        const struct test_cover *c = &cs->v[i];
        struct test_miss *m;

        buf_puts(&out, i ? ",\n  {\"persona\": " : "\n  {\"persona\": ");
        test_json_str(&out, c->id);
        if (c->p == NULL) {
            buf_puts(&out, ", \"loads\": false}");
            continue;
        }
        buf_puts(&out, ", \"file\": ");
        test_json_str(&out, rp_persona_path(c->p));
        buf_printf(&out, ", \"scripts\": %zu", c->scripts);
        for (k = 0; k < CK_N; k++) {
            test_cover_count(c, (enum test_ckind)k, &reached, &total);
            buf_printf(&out,
                       ",\n   \"%s\": {\"reached\": %zu, \"total\": %zu, "
                       "\"percent\": %u}",
                       test_ckind_name[k], reached, total,
                       test_pct(reached, total));
        }
        buf_puts(&out, ",\n   \"not_reached\": [");
        nm = test_cover_misses(c, &m);
        for (k = 0; k < nm; k++) {
            buf_printf(&out,
                       "%s\n    {\"kind\": \"%s\", \"id\": ", k ? "," : "",
                       miss_kind[m[k].kind]);
            test_json_str(&out, m[k].id);
            if (m[k].kind == CK_REPLY)
                buf_printf(&out, ", \"reply\": %d", m[k].variant);
            if (m[k].detail != NULL) {
                buf_puts(&out, ", \"meter\": ");
                test_json_str(&out, m[k].detail);
            }
            buf_puts(&out, ", \"file\": ");
            test_json_str(&out, m[k].file);
            buf_printf(&out, ", \"line\": %d}", m[k].line);
        }
        free(m);
        buf_puts(&out, "]}");
    }
    buf_puts(&out, "]}\n");
    term_json_puts(stdout, buf_str(&out));
    buf_free(&out);
}

/* --fail-under: every persona whose rule coverage is under pct, named
 * on stderr.  Returns how many. */
static size_t test_cover_under(const struct test_covers *cs, unsigned pct)
{
    size_t i, reached, total, n = 0;

    for (i = 0; i < cs->n; i++) {
        const struct test_cover *c = &cs->v[i];

        if (c->p == NULL)
            continue; /* its scripts fail already */
        test_cover_count(c, CK_RULE, &reached, &total);
        if (reached * 100 >= (size_t)pct * total)
            continue;
        msg_error("test",
                  "rule coverage of %s is %u%% (%zu of %zu rules), "
                  "under %u%%",
                  c->id, test_pct(reached, total), reached, total, pct);
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* The pool                                                            */
/* ------------------------------------------------------------------ */

struct test_job {
    pid_t pid;
    FILE *tmp;
    bool done;
};

/* Collect a finished child's results into out; a child that died
 * leaves every point of its script failed. */
static void test_collect(const struct test_script *s, struct test_job *job,
                         int wstatus, struct buf *out)
{
    char chunk[8192];
    size_t n, i;

    rewind(job->tmp);
    while ((n = fread(chunk, 1, sizeof chunk, job->tmp)) > 0)
        buf_put(out, chunk, n);
    fclose(job->tmp);
    job->tmp = NULL;
    job->done = true;
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
        return;
    buf_clear(out);
    for (i = 0; i < test_points(s); i++) {
        struct buf name = {0}, diag = {0};

        buf_printf(&name, "%s: point %zu", s->file, i + 1);
        buf_printf(&diag, "message: \"the test process %s %d\"\n",
                   WIFSIGNALED(wstatus) ? "died of signal" : "exited with",
                   WIFSIGNALED(wstatus) ? WTERMSIG(wstatus)
                                        : WEXITSTATUS(wstatus));
        test_emit(out, 'n', buf_str(&name), buf_str(&diag));
        buf_free(&name);
        buf_free(&diag);
    }
}

/* Run every script, jobs at a time, into results[i]; print each
 * script's results in order as soon as those before it are done. */
static void test_pool(struct test_script *scripts, size_t n, int jobs,
                      struct buf *results, bool tap, struct test_totals *tot)
{
    struct test_job *job = mem_calloc(n ? n : 1, sizeof *job);
    size_t next = 0, printed = 0, running = 0, i;

    while (printed < n) {
        while (next < n && (int)running < jobs) {
            fflush(stdout);
            fflush(stderr);
            job[next].tmp = tmpfile();
            if (job[next].tmp == NULL || (job[next].pid = fork()) < 0) {
                msg_error("test", "cannot start a test process: %s",
                          strerror(errno));
                exit(STATUS_INTERNAL);
            }
            if (job[next].pid == 0) {
                struct buf out = {0};

                test_run(&scripts[next], &out);
                fwrite(buf_str(&out), 1, out.len, job[next].tmp);
                _exit(fflush(job[next].tmp) == 0 ? 0 : STATUS_INTERNAL);
            }
            next++;
            running++;
        }
        if (running > 0) {
            int wstatus;
            pid_t pid = waitpid(-1, &wstatus, 0);

            if (pid < 0) {
                if (errno == EINTR)
                    continue;
                msg_error("test", "waitpid: %s", strerror(errno));
                exit(STATUS_INTERNAL);
            }
            for (i = 0; i < next; i++)
                if (job[i].pid == pid && !job[i].done)
                    break;
            if (i == next)
                continue;
            test_collect(&scripts[i], &job[i], wstatus, &results[i]);
            running--;
        }
        while (printed < n && job[printed].done) {
            test_print(buf_str(&results[printed]), results[printed].len, tap,
                       tot);
            printed++;
        }
    }
    free(job);
}

/* The number of 'n' records in a script's results. */
static size_t test_fail_count(const struct buf *results)
{
    const char *p = buf_str(results), *end = p + results->len;
    size_t n = 0;

    while (p < end) {
        n += *p++ == 'n';
        p += strlen(p) + 1;
        p += strlen(p) + 1;
    }
    return n;
}

/* --update: rewrite every failing script among the first n (the rule
 * examples that follow them cannot be rewritten) and print what changed,
 * as TAP comments under tap.  Returns the number of failed points in the
 * scripts rewritten: they no longer count as failures. */
static size_t test_update_all(struct test_script *scripts, size_t n,
                              struct buf *results, bool tap)
{
    size_t i, fixed = 0, rewritten = 0;
    struct buf log = {0}, out = {0};
    const char *l, *e;

    for (i = 0; i < n; i++) {
        if (test_fail_count(&results[i]) == 0)
            continue;
        buf_clear(&log);
        if (test_update(&scripts[i], &log) == 0) {
            buf_printf(&log,
                       "%s: rewritten with what the persona does now "
                       "(every expectation exact)\n",
                       scripts[i].file);
            fixed += test_fail_count(&results[i]);
            rewritten++;
        } else if (log.len == 0) {
            buf_printf(&log, "%s: cannot be updated\n", scripts[i].file);
        }
        for (l = buf_str(&log); *l != '\0'; l = e) {
            e = strchr(l, '\n');
            e = e ? e + 1 : l + strlen(l);
            buf_puts(&out, tap ? "# " : "");
            buf_put(&out, l, (size_t)(e - l));
        }
    }
    buf_printf(&out, "%s%zu script%s updated\n", tap ? "# " : "", rewritten,
               rewritten == 1 ? "" : "s");
    term_puts(stdout, buf_str(&out), TERM_KEEP_NEWLINES);
    buf_free(&log);
    buf_free(&out);
    return fixed;
}

int cmd_test(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"jobs", required_argument, NULL, 'j'},
        {"junit", required_argument, NULL, 'J'},
        {"tap", no_argument, NULL, 'T'},
        {"update", no_argument, NULL, 'U'},
        {"coverage", no_argument, NULL, 'C'},
        {"fail-under", required_argument, NULL, 'F'},
        {"json", no_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct test_files files = {0};
    struct test_script *scripts;
    struct test_totals tot = {0};
    struct test_covers covers = {0};
    struct buf *results;
    const char *junit = NULL;
    bool tap, force_tap = false, bad_input = false, update = false;
    bool coverage = false, json = false;
    size_t i, plan = 0, fixed = 0, under = 0;
    int c, jobs = 1, status, fail_under = -1;
    char *end;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            jobs = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || jobs < 1 || jobs > TEST_MAX_JOBS)
                return msg_usage("test", "-j takes a number from 1 to %d",
                                 TEST_MAX_JOBS);
            break;
        case 'J':
            junit = optarg;
            break;
        case 'T':
            force_tap = true;
            break;
        case 'U':
            update = true;
            break;
        case 'C':
            coverage = true;
            break;
        case 'F':
            fail_under = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || fail_under < 0 ||
                fail_under > 100)
                return msg_usage("test",
                                 "--fail-under takes a percentage from 0 "
                                 "to 100");
            coverage = true;
            break;
        case 'O':
            json = coverage = true;
            tot.quiet = true;
            break;
        case 'h':
            fputs(test_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("test", c, argv);
        }
    }
    if (json && update)
        return msg_usage("test", "--json and --update do not go together");
    if (optind == argc) {
        if (test_scan(&files, "scripts", 0) != 0) {
            msg_error("test", "cannot read scripts/: %s", strerror(errno));
            return STATUS_INPUT;
        }
    }
    for (; optind < argc; optind++) {
        struct stat st;

        if (stat(argv[optind], &st) != 0) {
            msg_error("test", "cannot find %s: %s", argv[optind],
                      strerror(errno));
            status = STATUS_INPUT;
            goto out_free_files;
        }
        if (S_ISDIR(st.st_mode))
            test_scan(&files, argv[optind], 0);
        else
            test_files_add(&files, mem_strdup(argv[optind]));
    }

    tap = force_tap || !term_isatty(stdout);
    /* Room for the scripts and one examples entry per persona. */
    scripts = mem_calloc(files.n ? files.n * 2 : 1, sizeof *scripts);
    results = mem_calloc(files.n ? files.n * 2 : 1, sizeof *results);
    size_t nscripts = files.n;
    for (i = 0; i < files.n; i++) {
        test_load(files.v[i], &scripts[i]);
        if (scripts[i].errors != NULL)
            bad_input = true;
    }
    /* Every persona the scripts touch also has its rule examples run. */
    for (i = 0; i < files.n; i++) {
        const char *id = scripts[i].persona;
        bool seen = false;

        if (scripts[i].errors != NULL || id == NULL || scripts[i].skip)
            continue;
        for (size_t k = files.n; k < nscripts && !seen; k++)
            seen = strcmp(scripts[k].persona, id) == 0;
        if (seen)
            continue;
        rp_persona *p = personas_open("test", id);
        size_t n = 0;
        for (size_t r = 0; p && r < rp_persona_rule_count(p); r++)
            n += rp_persona_rule_example_count(p, r);
        if (n > 0) {
            struct test_script *e = &scripts[nscripts++];
            e->persona = mem_strdup(id);
            e->file = mem_strdup(rp_persona_path(p));
            e->seed = 1;
            e->examples = n;
        }
        rp_persona_free(p);
    }
    for (i = 0; i < nscripts; i++)
        plan += test_points(&scripts[i]);
    if (tap && !json)
        printf("TAP version 13\n1..%zu\n", plan);
    if (jobs == 1) {
        for (i = 0; i < nscripts; i++) {
            test_run(&scripts[i], &results[i]);
            test_print(buf_str(&results[i]), results[i].len, tap, &tot);
        }
    } else {
        test_pool(scripts, nscripts, jobs, results, tap, &tot);
    }
    /* Points of rewritten scripts are still reported as they ran, but
     * do not fail the run. */
    if (update)
        fixed = test_update_all(scripts, files.n, results, tap);
    /* Coverage counts the scripts only, never the rule examples. */
    if (coverage)
        test_cover_collect(&covers, results, files.n);
    if (json) {
        test_cover_json(&covers, &tot);
    } else {
        if (coverage)
            test_cover_print(&covers, tap ? "# " : "");
        if (!tap)
            printf("%zu scripts, %zu personas' rule examples, %zu tests\n",
                   files.n, nscripts - files.n, tot.number);
        printf("%zu passed, %zu failed", tot.passed, tot.failed);
        if (tot.skipped > 0)
            printf(", %zu skipped", tot.skipped);
        printf("\n");
    }
    fflush(stdout);
    if (fail_under >= 0)
        under = test_cover_under(&covers, (unsigned)fail_under);
    status = bad_input                         ? STATUS_INPUT
             : tot.failed > fixed || under > 0 ? STATUS_WARNINGS
                                               : STATUS_OK;
    if (junit != NULL && test_junit(junit, scripts, results, nscripts) != 0)
        status = STATUS_INTERNAL;
    for (i = 0; i < nscripts; i++) {
        test_script_free(&scripts[i]);
        buf_free(&results[i]);
    }
    free(scripts);
    free(results);
    test_covers_free(&covers);
out_free_files:
    for (i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    return status;
}

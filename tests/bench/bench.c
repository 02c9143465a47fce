/*
 * bench.c - the rapport benchmark driver (issue 8).
 *
 * Loads one persona, answers every line of a corpus in order as one
 * learner (one session), and prints one JSON line:
 *
 *   {"mode", "rules", "lines", "rps", "p50_us", "p99_us", "load_ms",
 *    "load_nojit_ms", "rss_load_mb", "peak_rss_mb", "match_rate"}
 *
 * match_rate is the share of lines answered by a rule rather than a
 * fallback (rp_turn_fallback).  load_nojit_ms is a second load of the
 * same persona without JIT, measured before the timed one (both loads
 * are freed before the turns start, except the one used).
 *
 * Modes: "engine" (the dialogue policy alone: scoring off) and "full"
 * (the whole turn with scoring, each turn's score read).  Trace is off
 * in both, as in any non-interactive run.  --noindex tries every rule
 * (the rule index off), for comparisons.  RAPPORT_NOJIT=1 in the
 * environment loads without JIT.  Uses only the public header.
 *
 * --lines K answers only the first K lines.  --examples K makes the
 * corpus from the persona's own rule examples, cycled to K lines, for a
 * shipped persona (a conversation that ends is restarted).
 *
 * Usage: bench [--mode engine|full] [--noindex] [--seed N] [--lines K]
 *              PERSONA (CORPUS | --examples K)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "rapport.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Resident set size now, from /proc/self/status (MB); -1 if unknown. */
static double rss_now_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    double mb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            mb = strtod(line + 6, NULL) / 1024.0;
            break;
        }
    fclose(f);
    return mb;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Read every non-empty line of path into one buffer; *n lines. */
static char **read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv)
                abort();
            v = nv;
        }
        v[(*n)++] = strdup(line);
    }
    free(line);
    fclose(f);
    return v;
}

/* k lines: the persona's rule examples in rule order, cycled. */
static char **examples_corpus(const rp_persona *p, size_t k, size_t *n)
{
    size_t total = 0;
    for (size_t r = 0; r < rp_persona_rule_count(p); r++)
        total += rp_persona_rule_example_count(p, r);
    *n = 0;
    if (!total)
        return NULL;
    char **v = calloc(k, sizeof *v);
    if (!v)
        abort();
    while (*n < k)
        for (size_t r = 0; r < rp_persona_rule_count(p) && *n < k; r++)
            for (size_t e = 0;
                 e < rp_persona_rule_example_count(p, r) && *n < k; e++)
                v[(*n)++] = strdup(rp_persona_rule_example(p, r, e, NULL));
    return v;
}

static rp_persona *load(const char *path, unsigned flags, double *ms)
{
    rp_load_options o = {0};
    o.flags = flags;
    rp_diags *d = rp_diags_new();
    double t0 = now_us();
    rp_persona *p = rp_persona_load(path, &o, d);
    *ms = (now_us() - t0) / 1e3;
    if (!p)
        for (size_t i = 0; i < rp_diags_count(d); i++) {
            char *r = rp_diag_render(rp_diags_get(d, i), NULL);
            fprintf(stderr, "%s\n", r);
            free(r);
        }
    rp_diags_free(d);
    return p;
}

int main(int argc, char **argv)
{
    const char *mode = "engine";
    bool index = true;
    uint64_t seed = 1;
    size_t max_lines = SIZE_MAX, examples = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc)
            mode = argv[++i];
        else if (strcmp(argv[i], "--noindex") == 0)
            index = false;
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc)
            max_lines = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--examples") == 0 && i + 1 < argc)
            examples = strtoull(argv[++i], NULL, 10);
        else
            break;
    }
    bool full = strcmp(mode, "full") == 0;
    if (argc - i != (examples ? 1 : 2) ||
        (!full && strcmp(mode, "engine") != 0)) {
        fprintf(stderr, "usage: bench [--mode engine|full] [--noindex] "
                        "[--seed N] [--lines K] PERSONA "
                        "(CORPUS | --examples K)\n");
        return 64;
    }
    const char *env = getenv("RAPPORT_NOJIT");
    unsigned flags = env && *env && strcmp(env, "0") != 0 ? RP_LOAD_NOJIT : 0;

    size_t n = 0;
    char **lines = examples ? NULL : read_lines(argv[i + 1], &n);
    if (!examples && (!lines || n == 0)) {
        fprintf(stderr, "bench: no lines in %s\n", argv[i + 1]);
        return 2;
    }
    /* The no-JIT load first, so the RSS after the real load is the
     * persona's alone (the first persona is freed). */
    double nojit_ms;
    rp_persona *q = load(argv[i], RP_LOAD_NOJIT, &nojit_ms);
    if (!q)
        return 2;
    rp_persona_free(q);
    double load_ms;
    rp_persona *p = load(argv[i], flags, &load_ms);
    if (!p)
        return 2;
    double rss_load = rss_now_mb();
    if (examples) {
        lines = examples_corpus(p, examples, &n);
        if (!n) {
            fprintf(stderr, "bench: %s has no rule examples\n", argv[i]);
            return 2;
        }
    }
    size_t nall = n; /* lines to free */
    if (n > max_lines)
        n = max_lines;

    rp_session *s = rp_session_new(p, seed);
    rp_session_set_trace(s, false);
    rp_session_set_scoring(s, full);
    rp_session_set_index(s, index);
    double *lat = malloc(n * sizeof *lat);
    size_t matched = 0, answered = 0, restarts = 0;
    double sink = 0;
    double t0 = now_us();
    for (size_t k = 0; k < n; k++) {
        double a = now_us();
        const rp_turn *t;
        int rc = rp_session_turn(s, lines[k], strlen(lines[k]), &t);
        if (rc == RP_EENDED) {
            /* The persona ended the conversation: start a new one. */
            rp_session_restart(s);
            restarts++;
            rc = rp_session_turn(s, lines[k], strlen(lines[k]), &t);
        }
        if (rc != RP_OK) {
            fprintf(stderr, "bench: line %zu: %s\n", k + 1, rp_strerror(rc));
            return 1;
        }
        if (full) {
            const rp_score *sc = rp_turn_score(t);
            for (int d = 0; d < RP_DIM_COUNT; d++)
                sink += rp_score_value(sc, (rp_dim)d);
        }
        answered++;
        if (!rp_turn_fallback(t))
            matched++;
        lat[k] = now_us() - a;
    }
    double total = now_us() - t0;
    qsort(lat, n, sizeof *lat, cmp_double);
    double p50 = lat[n / 2], p99 = lat[n * 99 / 100 < n ? n * 99 / 100 : n - 1];
    printf("{\"engine\":\"rapport\",\"mode\":\"%s\",\"index\":%s,"
           "\"rules\":%zu,\"lines\":%zu,\"rps\":%.1f,\"p50_us\":%.2f,"
           "\"p99_us\":%.2f,\"load_ms\":%.1f,\"load_nojit_ms\":%.1f,"
           "\"rss_load_mb\":%.1f,\"peak_rss_mb\":%.1f,\"match_rate\":%.4f,"
           "\"restarts\":%zu,\"jit\":%s}\n",
           mode, index ? "true" : "false", rp_persona_rule_count(p), n,
           (double)answered / (total / 1e6), p50, p99, load_ms, nojit_ms,
           rss_load, peak_rss_mb(), (double)matched / (double)answered,
           restarts, flags & RP_LOAD_NOJIT ? "false" : "true");
    (void)sink;
    rp_session_free(s);
    rp_persona_free(p);
    for (size_t k = 0; k < nall; k++)
        free(lines[k]);
    free(lines);
    free(lat);
    return 0;
}

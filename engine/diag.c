/*
 * diag.c - diagnostics as data.
 *
 * Every stage that reads author input (the YAML reader, the persona
 * loader, the pattern compiler via the loader, and the linter in tools/)
 * reports problems by appending an rp_diag to an rp_diags list: a
 * position, a level, a stable code from the catalogue below, and a
 * message.  The library never prints; rp_diag_render() formats one
 * diagnostic the way jq's locfile.c and mandoc do, for the caller to
 * print.
 */
#include "rapport.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct rp_diags {
    rp_diag *items;
    size_t n, cap;
};

/* The catalogue: every code the engine or the tools emit, with its
 * default level.  Each code is documented in doc/diagnostics.md, and
 * tests/unit/test_diag.c fails when the two differ. */
static const rp_diag_code catalogue[] = {
    /* Reading files */
    {"io-error", RP_LEVEL_ERROR, "a file could not be opened or read"},
    {"file-too-large", RP_LEVEL_ERROR,
     "a persona file is larger than the size limit"},
    {"nul-byte", RP_LEVEL_ERROR, "a persona file contains a NUL byte"},
    {"bad-utf8", RP_LEVEL_ERROR, "a persona file is not valid UTF-8"},
    {"yaml-syntax", RP_LEVEL_ERROR, "the file is not well-formed YAML"},
    {"too-deep", RP_LEVEL_ERROR, "YAML nesting deeper than the limit"},
    {"alias-limit", RP_LEVEL_ERROR,
     "more YAML aliases than the limit, or an alias to a node that itself "
     "contains aliases (alias bombs)"},
    {"unknown-anchor", RP_LEVEL_ERROR, "an alias names no anchor"},
    /* Structure */
    {"unknown-key", RP_LEVEL_ERROR, "a key the format does not define"},
    {"wrong-type", RP_LEVEL_ERROR,
     "a value of the wrong type (a list where text was expected, ...)"},
    {"missing-key", RP_LEVEL_ERROR, "a required key is absent"},
    {"duplicate-key", RP_LEVEL_ERROR, "the same key twice in one mapping"},
    {"duplicate-id", RP_LEVEL_ERROR,
     "two rules, intents, stages or thresholds with the same id"},
    {"bad-value", RP_LEVEL_ERROR,
     "a value out of range or not one of the allowed words"},
    {"bad-id", RP_LEVEL_ERROR,
     "an id with characters other than letters, digits, '-' and '_'"},
    {"empty-list", RP_LEVEL_ERROR, "a list that must not be empty is empty"},
    {"control-char", RP_LEVEL_ERROR,
     "a control character (such as an ANSI escape) in text shown to the "
     "learner"},
    /* Patterns and templates */
    {"bad-pattern", RP_LEVEL_ERROR, "a wildcard pattern that does not parse"},
    {"bad-regex", RP_LEVEL_ERROR, "a raw regex that PCRE2 rejects"},
    {"bad-template", RP_LEVEL_ERROR,
     "a reply template with a malformed {...} insertion"},
    {"bad-condition", RP_LEVEL_ERROR,
     "a comparison in 'if' that does not parse"},
    /* References */
    {"undefined-stage", RP_LEVEL_ERROR, "a stage that is not defined"},
    {"undefined-intent", RP_LEVEL_ERROR, "an intent that is not defined"},
    {"undefined-meter", RP_LEVEL_ERROR, "a meter that is not defined"},
    {"undefined-var", RP_LEVEL_ERROR, "a variable that is not defined"},
    {"undefined-ending", RP_LEVEL_ERROR, "an ending that is not defined"},
    {"undefined-rule", RP_LEVEL_ERROR, "a rule id that is not defined"},
    {"undefined-set", RP_LEVEL_ERROR, "a word set that is not defined"},
    /* Keyword scripts (the keywords block) */
    {"bad-decomposition", RP_LEVEL_ERROR,
     "a keyword decomposition pattern that does not parse"},
    {"undefined-keyword", RP_LEVEL_ERROR,
     "a redirect or memory keyword that names no keyword with "
     "decompositions"},
    {"undefined-tag", RP_LEVEL_ERROR, "a (/TAG) element no keyword carries"},
    {"part-range", RP_LEVEL_ERROR,
     "a reassembly part number beyond its pattern's elements"},
    /* Includes */
    {"include-escape", RP_LEVEL_ERROR,
     "an include that leaves the persona directory"},
    {"include-cycle", RP_LEVEL_ERROR, "a file that includes itself"},
    {"include-missing", RP_LEVEL_ERROR, "an included file does not exist"},
    {"include-limit", RP_LEVEL_ERROR, "more included files than the limit"},
    {"include-key", RP_LEVEL_ERROR,
     "an included file holds a key only a persona may hold"},
    /* Limits */
    {"rule-limit", RP_LEVEL_ERROR, "more rules than the limit"},
    {"variant-limit", RP_LEVEL_ERROR, "more reply variants than the limit"},
    /* Warnings found while loading */
    {"catch-all", RP_LEVEL_WARNING,
     "a rule with no trigger and no condition answers every line, so the "
     "rules after it never fire"},
    /* Lint: checks beyond loading (check.c) */
    {"unreachable-stage", RP_LEVEL_WARNING,
     "a stage that is not the start and that no rule or threshold goes to"},
    {"dead-end-stage", RP_LEVEL_WARNING,
     "a stage from which no rule or threshold leads, directly or through "
     "other stages, to one of the persona's endings"},
    {"no-fallback", RP_LEVEL_WARNING,
     "a stage with no fallback lines when the persona has none either"},
    {"shadowed-rule", RP_LEVEL_WARNING,
     "a rule that never fires: a rule tried before it takes every one of "
     "its examples"},
    {"shadowed-example", RP_LEVEL_WARNING,
     "a rule example that a rule tried earlier answers instead"},
    {"example-miss", RP_LEVEL_WARNING,
     "a rule example that does not trigger its rule"},
    {"missing-capture", RP_LEVEL_WARNING,
     "a reply inserts {N}, but a pattern that triggers it has fewer "
     "captures (or none matched)"},
    {"unset-var", RP_LEVEL_WARNING,
     "a variable that is read but that nothing sets"},
    {"unused-meter", RP_LEVEL_WARNING,
     "a meter with no thresholds that no condition reads"},
    {"unused-intent", RP_LEVEL_WARNING,
     "an intent defined in the persona that no rule or cue uses"},
    {"check-limit", RP_LEVEL_NOTE,
     "a lint check stopped at its work limit on a very large persona"},
    {NULL, 0, NULL},
};

const rp_diag_code *rp_diag_catalogue(void)
{
    return catalogue;
}

rp_diags *rp_diags_new(void)
{
    return xcalloc(1, sizeof(rp_diags));
}

void rp_diags_free(rp_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free((char *)d->items[i].file);
        free((char *)d->items[i].code);
        free((char *)d->items[i].message);
    }
    free(d->items);
    free(d);
}

size_t rp_diags_count(const rp_diags *d)
{
    return d ? d->n : 0;
}

const rp_diag *rp_diags_get(const rp_diags *d, size_t i)
{
    return d && i < d->n ? &d->items[i] : NULL;
}

int rp_diags_worst(const rp_diags *d)
{
    int worst = -1;
    for (size_t i = 0; d && i < d->n; i++)
        if ((int)d->items[i].level > worst)
            worst = (int)d->items[i].level;
    return worst;
}

size_t rp_diags_count_level(const rp_diags *d, rp_level level)
{
    size_t n = 0;
    for (size_t i = 0; d && i < d->n; i++)
        if (d->items[i].level == level)
            n++;
    return n;
}

static int diag_cmp(const void *a, const void *b)
{
    const rp_diag *x = a, *y = b;
    int c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return 0;
}

void rp_diags_sort(rp_diags *d)
{
    if (!d || d->n < 2)
        return;
    /* Insertion sort: stable, and lists are short. */
    for (size_t i = 1; i < d->n; i++) {
        rp_diag tmp = d->items[i];
        size_t j = i;
        while (j > 0 && diag_cmp(&d->items[j - 1], &tmp) > 0) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = tmp;
    }
}

void rp_diags_add(rp_diags *d, const char *file, int line, int col,
                  rp_level level, const char *code, const char *fmt, ...)
{
    if (!d)
        return;
    rp_buf msg;
    rp_buf_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    rp_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    RP_GROW(d->items, d->cap, d->n + 1);
    rp_diag *x = &d->items[d->n++];
    x->file = xstrdup(file ? file : "<input>");
    x->line = line;
    x->col = col;
    x->level = level;
    x->code = xstrdup(code);
    x->message = rp_buf_detach(&msg);
}

const char *rp_level_name(rp_level level)
{
    switch (level) {
    case RP_LEVEL_NOTE:
        return "note";
    case RP_LEVEL_WARNING:
        return "warning";
    default:
        return "error";
    }
}

char *rp_diag_render(const rp_diag *d, const char *source_line)
{
    rp_buf b;
    rp_buf_init(&b);
    rp_buf_puts(&b, d->file);
    if (d->line > 0) {
        rp_buf_printf(&b, ":%d", d->line);
        if (d->col > 0)
            rp_buf_printf(&b, ":%d", d->col);
    }
    rp_buf_printf(&b, ": %s: %s [%s]\n", rp_level_name(d->level), d->message,
                  d->code);
    if (source_line && d->line > 0) {
        /* The source line, with control characters made visible, then a
         * caret under the column (tabs kept so the caret lines up). */
        rp_buf_puts(&b, "    ");
        size_t n = strcspn(source_line, "\n");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)source_line[i];
            rp_buf_putc(&b, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : c);
        }
        rp_buf_putc(&b, '\n');
        if (d->col > 0) {
            rp_buf_puts(&b, "    ");
            /* Column counts bytes; the caret counts characters, so skip
             * UTF-8 continuation bytes. */
            for (int i = 0; i < d->col - 1 && (size_t)i < n; i++) {
                unsigned char c = (unsigned char)source_line[i];
                if ((c & 0xc0) == 0x80)
                    continue;
                rp_buf_putc(&b, c == '\t' ? '\t' : ' ');
            }
            rp_buf_puts(&b, "^\n");
        }
    }
    return rp_buf_detach(&b);
}

/* Edit distance with adjacent transpositions (optimal string alignment),
 * for did-you-mean suggestions: "tow" is one step from "two". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t rows[3][65];
    size_t *pp = rows[0], *prev = rows[1], *row = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            row[j] = best;
        }
        size_t *t = pp;
        pp = prev;
        prev = row;
        row = t;
    }
    return prev[lb];
}

/* See rapport.h.  Close enough: one edit for names under four letters,
 * two under nine, three beyond. */
const char *rp_closest(const char *name, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    size_t len = strlen(name);
    size_t maxd = len < 4 ? 1 : len < 9 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t d = edit_distance(name, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    return bestd <= maxd ? best : NULL;
}

const char *rp_strerror(int code)
{
    switch (code) {
    case RP_OK:
        return "success";
    case RP_EINVAL:
        return "invalid argument";
    case RP_EIO:
        return "input/output error";
    case RP_EPARSE:
        return "the input has errors";
    case RP_EENDED:
        return "the conversation has ended";
    case RP_ELIMIT:
        return "a limit was exceeded";
    case RP_ENOTFOUND:
        return "not found";
    default:
        return "unknown error";
    }
}

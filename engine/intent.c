/*
 * intent.c - stage 2b of the pipeline: intent recognition.
 *
 * For each intent (library intents first, then the persona's own), try
 * its patterns in order against the line's match text and keep the first
 * hit that no negator governs.  Patterns were compiled once at load time;
 * matching reuses the session's match data and limits, and a pattern
 * that hits a PCRE2 limit counts as no match (the count is kept so the
 * trace can say so).
 */
#include "intent.h"

#include "index.h"

#include <stdlib.h>
#include <string.h>

void rp_hits_free(rp_hits *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

/* Index of the token that starts at match-text offset off (tokens are
 * sorted by start), or the one containing it. */
static size_t token_at(const rp_text *t, size_t off)
{
    size_t lo = 0, hi = t->ntokens;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->tokens[mid].start + t->tokens[mid].len <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Words that end a negation's scope. */
static bool is_contrast(const char *w, size_t n)
{
    static const char *const words[] = {"but",     "although", "though",
                                        "however", "yet",      "except"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
            return true;
    return false;
}

bool rp_text_negated_at(const rp_text *t, size_t off)
{
    size_t k = token_at(t, off);
    size_t words = 0;
    while (k > 0 && words < RP_NEGATION_WINDOW) {
        const rp_token *tok = &t->tokens[--k];
        if (tok->kind == RP_TOK_PUNCT ||
            is_contrast(t->match.ptr + tok->start, tok->len))
            break;
        if (rp_text_is_negator(t->match.ptr + tok->start, tok->len))
            return true;
        words++;
    }
    return false;
}

/* Map a match-text span to the sanitised original, quoting words only:
 * clause punctuation at either end is left out ("What do", not ". What
 * do"), and a match of punctuation alone (a bare "?") quotes the clause
 * it ends, since that is what the learner asked. */
void rp_intent_src_span(const rp_text *t, const rp_span *s, size_t *a,
                        size_t *b)
{
    size_t first = SIZE_MAX, last = SIZE_MAX;
    for (size_t k = token_at(t, s->start); k < t->ntokens; k++) {
        const rp_token *tok = &t->tokens[k];
        if (tok->start >= s->end)
            break;
        if (tok->kind != RP_TOK_WORD)
            continue;
        if (first == SIZE_MAX)
            first = k;
        last = k;
    }
    if (first == SIZE_MAX) {
        /* Punctuation only: the words of the clause before it. */
        size_t k = token_at(t, s->start);
        last = SIZE_MAX;
        while (k > 0 && t->tokens[k - 1].kind == RP_TOK_WORD) {
            k--;
            if (last == SIZE_MAX)
                last = k;
            first = k;
        }
        if (first == SIZE_MAX) {
            *a = *b = s->start < t->match.len ? t->src_start[s->start] : 0;
            return;
        }
    }
    *a = t->tokens[first].src_start;
    *b = t->tokens[last].src_end;
}

static bool any_match(const rp_pat *pats, size_t n, const rp_text *t,
                      const rp_present *pr, pcre2_match_data *md,
                      pcre2_match_context *mctx, rp_hits *out)
{
    rp_match m;
    for (size_t i = 0; i < n; i++) {
        if (!rp_present_may(pr, &pats[i]))
            continue;
        int rc = rp_pattern_match(pats[i].pat, t->match.ptr, t->match.len, 0,
                                  md, mctx, &m);
        if (rc == RP_MATCH_OK)
            return true;
        if (rc < 0)
            out->limit_hits++;
    }
    return false;
}

void rp_intent_recognise(const rp_persona *p, const rp_text *t,
                         pcre2_match_data *md, pcre2_match_context *mctx,
                         rp_hits *out)
{
    rp_intent_recognise_ix(p, t, NULL, md, mctx, out);
}

/* Try pattern j of intent i, keeping the best hit so far in *best:
 * returns true once the intent's search is over (a hit no negator
 * governs). */
static bool try_pattern(const rp_persona *p, size_t i, size_t j,
                        const rp_text *t, const rp_present *pr,
                        pcre2_match_data *md, pcre2_match_context *mctx,
                        rp_hits *out, rp_hit *best, bool *have)
{
    const rp_intent *in = &p->intents[i];
    if (!rp_present_may(pr, &in->patterns[j]))
        return false;
    rp_match m;
    int rc = rp_pattern_match(in->patterns[j].pat, t->match.ptr, t->match.len,
                              0, md, mctx, &m);
    if (rc < 0)
        out->limit_hits++;
    if (rc != RP_MATCH_OK)
        return false;
    bool neg = in->negatable && rp_text_negated_at(t, m.whole.start);
    if (*have && neg)
        return false; /* keep the earlier negated hit */
    best->intent = (int)i;
    best->pat = &in->patterns[j];
    best->m = m;
    best->negated = neg;
    rp_intent_src_span(t, &m.whole, &best->src_start, &best->src_end);
    *have = true;
    return !neg;
}

/* Intent i's search is over: add its hit unless an 'unless' pattern
 * matches. */
static void finish_intent(const rp_persona *p, size_t i, const rp_text *t,
                          const rp_present *pr, pcre2_match_data *md,
                          pcre2_match_context *mctx, rp_hits *out,
                          const rp_hit *best)
{
    const rp_intent *in = &p->intents[i];
    if (in->nunless && any_match(in->unless, in->nunless, t, pr, md, mctx, out))
        return;
    RP_GROW(out->v, out->cap, out->n + 1);
    out->v[out->n++] = *best;
}

void rp_intent_recognise_ix(const rp_persona *p, const rp_text *t,
                            rp_present *pr, pcre2_match_data *md,
                            pcre2_match_context *mctx, rp_hits *out)
{
    out->n = 0;
    out->limit_hits = 0;
    rp_hit best;
    bool have;
    if (!pr || !pr->ix) {
        for (size_t i = 0; i < p->nintents; i++) {
            have = false;
            for (size_t j = 0; j < p->intents[i].npatterns; j++)
                if (try_pattern(p, i, j, t, NULL, md, mctx, out, &best, &have))
                    break;
            if (have)
                finish_intent(p, i, t, NULL, md, mctx, out, &best);
        }
        return;
    }
    /* Only the patterns with a key word in the line (or none), in the
     * same order: the index's posting lists, not a scan of them all. */
    const uint32_t *cand;
    size_t nc = rp_index_intent_candidates(pr, &cand);
    size_t c = 0;
    while (c < nc) {
        size_t i, j;
        rp_index_intent_pattern(pr->ix, cand[c], &i, &j);
        have = false;
        bool done = false;
        for (; c < nc; c++) {
            size_t i2;
            rp_index_intent_pattern(pr->ix, cand[c], &i2, &j);
            if (i2 != i)
                break;
            if (!done)
                done = try_pattern(p, i, j, t, pr, md, mctx, out, &best, &have);
        }
        if (have)
            finish_intent(p, i, t, pr, md, mctx, out, &best);
    }
}

const rp_hit *rp_hits_find(const rp_hits *h, const rp_persona *p, int intent,
                           bool live_only)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].intent == intent) {
            if (live_only && h->v[i].negated && p->intents[intent].negatable)
                return NULL;
            return &h->v[i];
        }
    return NULL;
}

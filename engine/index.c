/*
 * index.c - the rule index (see index.h): keys for every pattern, and
 * per stage, posting lists from keys to the positions of the rules that
 * carry them.  Built once at load; the persona is immutable afterwards.
 */
#include "index.h"

#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "persona.h"
#include "util.h"

typedef struct stage_ix {
    size_t ncands;
    uint32_t *off;    /* per key: start in pos; [nkeys] is the end */
    uint32_t *pos;    /* candidate positions, ascending per key */
    uint32_t *always; /* positions of rules tried whatever the line */
    size_t nalways;
} stage_ix;

struct rp_index {
    /* The dictionary of required words: open addressing on slots. */
    rp_buf text;    /* the words, each followed by a NUL */
    uint32_t *woff; /* per word id: offset in text */
    uint32_t *wlen;
    uint32_t *df;  /* patterns requiring the word (while building) */
    uint32_t *req; /* required word ids of every pattern, rp_pat.req */
    size_t nreq, capreq;
    size_t nwords, capwords;
    uint32_t *slots;     /* word id + 1; 0 is empty */
    unsigned char *stop; /* per word id: a rubric stopword */
    size_t nslots;       /* a power of two */
    size_t nintents;     /* keys: words, then intents */
    stage_ix *st;
    size_t nstages;
    /* Intent patterns, numbered in the recogniser's order (intent by
     * intent, pattern by pattern); posting lists from key words to them. */
    size_t nipats;
    uint32_t *ibase;   /* per intent: number of its first pattern */
    uint32_t *iintent; /* per intent pattern: its intent */
    uint32_t *ioff;    /* per word: start in ipos; [nwords] is the end */
    uint32_t *ipos;
    uint32_t *ialways; /* the intent patterns without keys */
    size_t nialways;
    /* Prefix words ("transition*"): the shortest and longest prefix, in
     * bytes without the "*"; minpre 0 when there are none. */
    size_t minpre, maxpre;
};

static uint64_t hash_word(const char *w, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)w[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* The id of word w[0..n), or -1. */
static long find_word(const rp_index *ix, const char *w, size_t n)
{
    if (!ix->nslots)
        return -1;
    size_t mask = ix->nslots - 1;
    for (size_t i = (size_t)hash_word(w, n) & mask;; i = (i + 1) & mask) {
        uint32_t v = ix->slots[i];
        if (!v)
            return -1;
        v--;
        if (ix->wlen[v] == n && memcmp(ix->text.ptr + ix->woff[v], w, n) == 0)
            return v;
    }
}

static void rehash(rp_index *ix, size_t nslots)
{
    free(ix->slots);
    ix->slots = xcalloc(nslots, sizeof *ix->slots);
    ix->nslots = nslots;
    for (size_t v = 0; v < ix->nwords; v++) {
        size_t i = (size_t)hash_word(ix->text.ptr + ix->woff[v], ix->wlen[v]) &
                   (nslots - 1);
        while (ix->slots[i])
            i = (i + 1) & (nslots - 1);
        ix->slots[i] = (uint32_t)v + 1;
    }
}

static uint32_t intern(rp_index *ix, const char *w, size_t n)
{
    long f = find_word(ix, w, n);
    if (f >= 0)
        return (uint32_t)f;
    if (ix->nwords == ix->capwords) {
        ix->capwords = ix->capwords ? 2 * ix->capwords : 64;
        ix->woff = xrealloc(ix->woff, ix->capwords * sizeof *ix->woff);
        ix->wlen = xrealloc(ix->wlen, ix->capwords * sizeof *ix->wlen);
        ix->df = xrealloc(ix->df, ix->capwords * sizeof *ix->df);
    }
    uint32_t id = (uint32_t)ix->nwords++;
    ix->woff[id] = (uint32_t)ix->text.len;
    ix->wlen[id] = (uint32_t)n;
    ix->df[id] = 0;
    rp_buf_put(&ix->text, w, n);
    rp_buf_put(&ix->text, "", 1);
    if (2 * ix->nwords > ix->nslots)
        rehash(ix, ix->nslots ? 2 * ix->nslots : 128);
    else {
        size_t mask = ix->nslots - 1;
        size_t i = (size_t)hash_word(w, n) & mask;
        while (ix->slots[i])
            i = (i + 1) & mask;
        ix->slots[i] = id + 1;
    }
    return id;
}

/* Record pat's any-of groups in req as filters (index.h). */
static void add_groups(rp_index *ix, rp_pat *pat, rp_buf *tmp)
{
    rp_buf_clear(tmp);
    size_t ng = rp_pattern_any_groups(pat->pat, tmp);
    pat->grp = (uint32_t)ix->nreq;
    pat->ngrp = (uint32_t)ng;
    const char *w = tmp->ptr;
    for (size_t g = 0; g < ng; g++, w++) {
        RP_GROW(ix->req, ix->capreq, ix->nreq + 1);
        size_t at = ix->nreq++;
        uint32_t k = 0;
        for (; *w; w += strlen(w) + 1, k++) {
            uint32_t id = intern(ix, w, strlen(w));
            RP_GROW(ix->req, ix->capreq, ix->nreq + 1);
            ix->req[ix->nreq++] = id;
        }
        ix->req[at] = k;
    }
}

/* Pass 1 counts how many patterns name each word; pass 2 keys each
 * pattern: on its rarest required word, or on its any-of group whose
 * words are named least in all when they are named less than that word
 * (the group's words are then all keys). */
static void key_pats(rp_index *ix, rp_pat *v, size_t n, int pass, rp_buf *tmp)
{
    for (size_t i = 0; i < n; i++) {
        if (pass == 2)
            add_groups(ix, &v[i], tmp);
        rp_buf_clear(tmp);
        size_t nw = rp_pattern_required_words(v[i].pat, tmp);
        size_t ng = rp_pattern_any_groups(v[i].pat, tmp);
        const char *w = tmp->ptr;
        long best = -1;
        uint32_t reqstart = (uint32_t)ix->nreq;
        for (size_t k = 0; k < nw; k++) {
            size_t len = strlen(w);
            uint32_t id = intern(ix, w, len);
            if (pass == 1) {
                ix->df[id]++;
            } else {
                if (best < 0 || ix->df[id] < ix->df[best])
                    best = id;
                RP_GROW(ix->req, ix->capreq, ix->nreq + 1);
                ix->req[ix->nreq++] = id;
            }
            w += len + 1;
        }
        if (pass == 1) {
            for (size_t g = 0; g < ng; g++, w++)
                for (; *w; w += strlen(w) + 1) {
                    uint32_t id = intern(ix, w, strlen(w));
                    ix->df[id]++; /* after intern, which may move df */
                }
            continue;
        }
        v[i].req = reqstart;
        v[i].nreq = (uint32_t)nw;
        v[i].nkey = 0;
        /* The any-of group whose words are named least. */
        const char *gbest = NULL;
        uint64_t gcost = UINT64_MAX;
        for (size_t g = 0; g < ng; g++, w++) {
            const char *start = w;
            uint64_t cost = 0;
            for (; *w; w += strlen(w) + 1) {
                uint32_t id = intern(ix, w, strlen(w));
                cost += ix->df[id];
            }
            if (cost < gcost) {
                gcost = cost;
                gbest = start;
            }
        }
        if (best >= 0 && (!gbest || ix->df[best] <= gcost)) {
            RP_GROW(ix->req, ix->capreq, ix->nreq + 1);
            v[i].key = (uint32_t)ix->nreq;
            v[i].nkey = 1;
            ix->req[ix->nreq++] = (uint32_t)best;
            continue;
        }
        if (!gbest)
            continue;
        v[i].key = (uint32_t)ix->nreq;
        for (w = gbest; *w; w += strlen(w) + 1) {
            RP_GROW(ix->req, ix->capreq, ix->nreq + 1);
            ix->req[ix->nreq++] = intern(ix, w, strlen(w));
            v[i].nkey++;
        }
    }
}

/* JIT-compile the patterns where it pays: every one in a persona of up
 * to JIT_ALL patterns; in a bigger one, only those without a key, which
 * every line tries (a keyed pattern is tried only by the few lines that
 * have its words, and compiling thousands costs more load time and
 * memory than the interpreter costs those lines). */
#define JIT_ALL 2000

static void jit_pats(rp_pat *v, size_t n, bool all)
{
    for (size_t i = 0; i < n; i++)
        if (all || v[i].nkey == 0)
            rp_pattern_jit(v[i].pat);
}

static void jit_all(rp_persona *p)
{
    bool all = p->npatterns <= JIT_ALL;
    if (all) {
        for (size_t i = 0; i < p->npatterns; i++)
            rp_pattern_jit(p->patterns[i]);
        return;
    }
    for (size_t i = 0; i < p->nrules; i++)
        jit_pats(p->rules[i].patterns, p->rules[i].npatterns, all);
    for (size_t i = 0; i < p->nintents; i++) {
        jit_pats(p->intents[i].patterns, p->intents[i].npatterns, all);
        jit_pats(p->intents[i].unless, p->intents[i].nunless, all);
    }
    for (size_t i = 0; i < p->rubric.ncues; i++)
        jit_pats(p->rubric.cues[i].patterns, p->rubric.cues[i].npatterns, all);
}

static void key_all(rp_index *ix, rp_persona *p, int pass, rp_buf *tmp)
{
    for (size_t i = 0; i < p->nrules; i++)
        key_pats(ix, p->rules[i].patterns, p->rules[i].npatterns, pass, tmp);
    for (size_t i = 0; i < p->nintents; i++) {
        key_pats(ix, p->intents[i].patterns, p->intents[i].npatterns, pass,
                 tmp);
        key_pats(ix, p->intents[i].unless, p->intents[i].nunless, pass, tmp);
    }
    for (size_t i = 0; i < p->rubric.ncues; i++)
        key_pats(ix, p->rubric.cues[i].patterns, p->rubric.cues[i].npatterns,
                 pass, tmp);
}

/* Is rule r tried whatever the line says? */
static bool rule_always(const rp_rule *r)
{
    if (r->nintents == 0 && r->npatterns == 0)
        return true;
    for (size_t i = 0; i < r->npatterns; i++)
        if (r->patterns[i].nkey == 0)
            return true;
    return false;
}

static void build_stage(rp_index *ix, const rp_persona *p, const rp_stage *st,
                        stage_ix *sx)
{
    size_t nkeys = ix->nwords + ix->nintents;
    sx->ncands = st->ncands;
    sx->off = xcalloc(nkeys + 1, sizeof *sx->off);
    sx->always = xcalloc(st->ncands + 1, sizeof *sx->always);
    size_t total = 0;
    for (size_t c = 0; c < st->ncands; c++) {
        const rp_rule *r = &p->rules[st->cands[c]];
        if (rule_always(r)) {
            sx->always[sx->nalways++] = (uint32_t)c;
            continue;
        }
        for (size_t i = 0; i < r->npatterns; i++)
            for (uint32_t k = 0; k < r->patterns[i].nkey; k++)
                sx->off[ix->req[r->patterns[i].key + k]]++;
        for (size_t i = 0; i < r->nintents; i++)
            sx->off[ix->nwords + (size_t)r->intents[i]]++;
        for (size_t i = 0; i < r->npatterns; i++)
            total += r->patterns[i].nkey;
        total += r->nintents;
    }
    /* Counts to starts, then fill (positions come in ascending order). */
    uint32_t sum = 0;
    for (size_t k = 0; k <= nkeys; k++) {
        uint32_t c = sx->off[k];
        sx->off[k] = sum;
        sum += c;
    }
    sx->pos = xcalloc(total + 1, sizeof *sx->pos);
    uint32_t *fill = xcalloc(nkeys + 1, sizeof *fill);
    memcpy(fill, sx->off, (nkeys + 1) * sizeof *fill);
    for (size_t c = 0; c < st->ncands; c++) {
        const rp_rule *r = &p->rules[st->cands[c]];
        if (rule_always(r))
            continue;
        for (size_t i = 0; i < r->npatterns; i++)
            for (uint32_t k = 0; k < r->patterns[i].nkey; k++)
                sx->pos[fill[ix->req[r->patterns[i].key + k]]++] = (uint32_t)c;
        for (size_t i = 0; i < r->nintents; i++)
            sx->pos[fill[ix->nwords + (size_t)r->intents[i]]++] = (uint32_t)c;
    }
    free(fill);
}

static void build_intents(rp_index *ix, const rp_persona *p)
{
    ix->ibase = xcalloc(p->nintents + 1, sizeof *ix->ibase);
    size_t n = 0;
    for (size_t i = 0; i < p->nintents; i++) {
        ix->ibase[i] = (uint32_t)n;
        n += p->intents[i].npatterns;
    }
    ix->ibase[p->nintents] = (uint32_t)n;
    ix->nipats = n;
    ix->iintent = xcalloc(n + 1, sizeof *ix->iintent);
    ix->ialways = xcalloc(n + 1, sizeof *ix->ialways);
    ix->ioff = xcalloc(ix->nwords + 1, sizeof *ix->ioff);
    size_t total = 0;
    for (size_t i = 0; i < p->nintents; i++)
        for (size_t j = 0; j < p->intents[i].npatterns; j++) {
            const rp_pat *pat = &p->intents[i].patterns[j];
            ix->iintent[ix->ibase[i] + j] = (uint32_t)i;
            if (pat->nkey == 0)
                ix->ialways[ix->nialways++] = ix->ibase[i] + (uint32_t)j;
            for (uint32_t k = 0; k < pat->nkey; k++)
                ix->ioff[ix->req[pat->key + k]]++;
            total += pat->nkey;
        }
    uint32_t sum = 0;
    for (size_t w = 0; w <= ix->nwords; w++) {
        uint32_t c = ix->ioff[w];
        ix->ioff[w] = sum;
        sum += c;
    }
    ix->ipos = xcalloc(total + 1, sizeof *ix->ipos);
    uint32_t *fill = xcalloc(ix->nwords + 1, sizeof *fill);
    memcpy(fill, ix->ioff, (ix->nwords + 1) * sizeof *fill);
    for (size_t i = 0; i < p->nintents; i++)
        for (size_t j = 0; j < p->intents[i].npatterns; j++) {
            const rp_pat *pat = &p->intents[i].patterns[j];
            for (uint32_t k = 0; k < pat->nkey; k++)
                ix->ipos[fill[ix->req[pat->key + k]]++] =
                    ix->ibase[i] + (uint32_t)j;
        }
    free(fill);
}

rp_index *rp_index_build(rp_persona *p)
{
    rp_index *ix = xcalloc(1, sizeof *ix);
    rp_buf tmp;
    rp_buf_init(&tmp);
    rp_buf_init(&ix->text);
    key_all(ix, p, 1, &tmp);
    key_all(ix, p, 2, &tmp);
    rp_buf_free(&tmp);
    /* The rubric's stopwords join the dictionary, flagged, so the scorer
     * looks them up by hash (a word never a key only costs a slot). */
    for (size_t i = 0; i < p->rubric.nstopwords; i++)
        intern(ix, p->rubric.stopwords[i], strlen(p->rubric.stopwords[i]));
    ix->stop = xcalloc(ix->nwords + 1, 1);
    for (size_t i = 0; i < p->rubric.nstopwords; i++)
        ix->stop[find_word(ix, p->rubric.stopwords[i],
                           strlen(p->rubric.stopwords[i]))] = 1;
    free(ix->df);
    ix->df = NULL;
    for (size_t v = 0; v < ix->nwords; v++) {
        size_t n = ix->wlen[v];
        if (n < 2 || ix->text.ptr[ix->woff[v] + n - 1] != '*')
            continue;
        if (!ix->minpre || n - 1 < ix->minpre)
            ix->minpre = n - 1;
        if (n - 1 > ix->maxpre)
            ix->maxpre = n - 1;
    }
    build_intents(ix, p);
    ix->nintents = p->nintents;
    ix->nstages = p->nstages;
    ix->st = xcalloc(p->nstages + 1, sizeof *ix->st);
    for (size_t i = 0; i < p->nstages; i++)
        build_stage(ix, p, &p->stages[i], &ix->st[i]);
    if (!(p->pattern_flags & RP_PAT_NOJIT))
        jit_all(p);
    return ix;
}

void rp_index_free(rp_index *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i < ix->nstages; i++) {
        free(ix->st[i].off);
        free(ix->st[i].pos);
        free(ix->st[i].always);
    }
    free(ix->st);
    rp_buf_free(&ix->text);
    free(ix->woff);
    free(ix->wlen);
    free(ix->df);
    free(ix->req);
    free(ix->slots);
    free(ix->stop);
    free(ix->ibase);
    free(ix->iintent);
    free(ix->ioff);
    free(ix->ipos);
    free(ix->ialways);
    free(ix);
}

void rp_present_free(rp_present *pr)
{
    free(pr->stamp);
    free(pr->words);
    free(pr->bits);
    free(pr->ibits);
    free(pr->icand);
    memset(pr, 0, sizeof *pr);
}

/* Word id (or -1) is in the line. */
static void mark(rp_present *pr, long id)
{
    if (id < 0 || pr->stamp[id] == pr->gen)
        return;
    pr->stamp[id] = pr->gen;
    RP_GROW(pr->words, pr->capwords, pr->nwords + 1);
    pr->words[pr->nwords++] = (uint32_t)id;
}

/* Mark the prefix words ("transition*") that token w[0..n) starts with:
 * the hash of each prefix then "*", as find_word would compute it. */
static void scan_prefixes(rp_present *pr, const rp_index *ix, const char *w,
                          size_t n)
{
    size_t mask = ix->nslots - 1;
    size_t top = n < ix->maxpre ? n : ix->maxpre;
    uint64_t h = 1469598103934665603ull; /* FNV-1a, as hash_word */
    for (size_t len = 1; len <= top; len++) {
        h ^= (unsigned char)w[len - 1];
        h *= 1099511628211ull;
        if (len < ix->minpre)
            continue;
        uint64_t hs = (h ^ (unsigned char)'*') * 1099511628211ull;
        for (size_t i = (size_t)hs & mask;; i = (i + 1) & mask) {
            uint32_t v = ix->slots[i];
            if (!v)
                break;
            v--;
            const char *e = ix->text.ptr + ix->woff[v];
            if (ix->wlen[v] == len + 1 && e[len] == '*' &&
                memcmp(e, w, len) == 0) {
                mark(pr, (long)v);
                break;
            }
        }
    }
}

void rp_present_scan(rp_present *pr, const rp_index *ix, const rp_text *t)
{
    pr->ix = ix;
    pr->nwords = 0;
    if (!ix)
        return;
    pr->req = ix->req;
    if (pr->nstamp < ix->nwords) {
        /* A new or rebound persona: fresh stamps. */
        free(pr->stamp);
        pr->stamp = xcalloc(ix->nwords + 1, sizeof *pr->stamp);
        pr->nstamp = ix->nwords;
        pr->gen = 0;
    }
    if (++pr->gen == 0) {
        /* Wrapped around: forget every old stamp. */
        memset(pr->stamp, 0, pr->nstamp * sizeof *pr->stamp);
        pr->gen = 1;
    }
    for (size_t i = 0; i < t->ntokens; i++) {
        const rp_token *tok = &t->tokens[i];
        if (tok->kind != RP_TOK_WORD)
            continue;
        const char *w = t->match.ptr + tok->start;
        mark(pr, find_word(ix, w, tok->len));
        if (ix->minpre)
            scan_prefixes(pr, ix, w, tok->len);
    }
}

static void add_list(uint32_t **out, size_t *cap, size_t *n, const uint32_t *v,
                     size_t k)
{
    if (!k)
        return;
    RP_GROW(*out, *cap, *n + k);
    memcpy(*out + *n, v, k * sizeof *v);
    *n += k;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t rp_index_candidates(rp_present *pr, size_t stage, const rp_hits *hits,
                           uint32_t **out, size_t *cap)
{
    const rp_index *ix = pr->ix;
    const stage_ix *sx = &ix->st[stage];
    size_t n = 0;
    int lists = 0;
    if (sx->nalways) {
        add_list(out, cap, &n, sx->always, sx->nalways);
        lists++;
    }
    for (size_t i = 0; i < pr->nwords; i++) {
        uint32_t w = pr->words[i];
        size_t k = sx->off[w + 1] - sx->off[w];
        if (k) {
            add_list(out, cap, &n, sx->pos + sx->off[w], k);
            lists++;
        }
    }
    for (size_t i = 0; i < hits->n; i++) {
        size_t key = ix->nwords + (size_t)hits->v[i].intent;
        size_t k = sx->off[key + 1] - sx->off[key];
        if (k) {
            add_list(out, cap, &n, sx->pos + sx->off[key], k);
            lists++;
        }
    }
    uint32_t *v = *out;
    size_t need = (ix->st[stage].ncands + 63) / 64;
    if (lists < 2) {
        /* One list is sorted already. */
    } else if (n > 32 && need <= n) {
        /* Many: mark them in a bitmap and read it in order (linear in
         * the stage's rules / 64, not n log n). */
        if (pr->nbits < need) {
            free(pr->bits);
            pr->bits = xcalloc(need, sizeof *pr->bits);
            pr->nbits = need;
        }
        for (size_t i = 0; i < n; i++)
            pr->bits[v[i] / 64] |= (uint64_t)1 << (v[i] % 64);
        size_t u = 0;
        for (size_t w = 0; w < need; w++)
            for (uint64_t b = pr->bits[w]; b; b &= b - 1)
                v[u++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
        memset(pr->bits, 0, need * sizeof *pr->bits);
        return u;
    } else if (n <= 32) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = v[i];
            size_t j = i;
            for (; j > 0 && v[j - 1] > x; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
    } else {
        qsort(v, n, sizeof *v, cmp_u32);
    }
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    return u;
}

bool rp_index_stopword(const rp_index *ix, const char *w, size_t n)
{
    long id = find_word(ix, w, n);
    return id >= 0 && ix->stop[id];
}

size_t rp_index_intent_candidates(rp_present *pr, const uint32_t **out)
{
    const rp_index *ix = pr->ix;
    *out = pr->icand;
    if (ix->nipats == 0)
        return 0;
    size_t need = (ix->nipats + 63) / 64;
    if (pr->nibits < need) {
        free(pr->ibits);
        pr->ibits = xcalloc(need, sizeof *pr->ibits);
        pr->nibits = need;
    }
    if (pr->capicand < ix->nipats + 1) {
        free(pr->icand);
        pr->icand = xcalloc(ix->nipats + 1, sizeof *pr->icand);
        pr->capicand = ix->nipats + 1;
    }
    uint64_t *bits = pr->ibits;
    for (size_t i = 0; i < ix->nialways; i++)
        bits[ix->ialways[i] / 64] |= (uint64_t)1 << (ix->ialways[i] % 64);
    for (size_t i = 0; i < pr->nwords; i++) {
        uint32_t w = pr->words[i];
        for (uint32_t k = ix->ioff[w]; k < ix->ioff[w + 1]; k++)
            bits[ix->ipos[k] / 64] |= (uint64_t)1 << (ix->ipos[k] % 64);
    }
    size_t u = 0;
    for (size_t w = 0; w < need; w++) {
        for (uint64_t b = bits[w]; b; b &= b - 1)
            pr->icand[u++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
        bits[w] = 0;
    }
    *out = pr->icand;
    return u;
}

void rp_index_intent_pattern(const rp_index *ix, uint32_t n, size_t *intent,
                             size_t *pat)
{
    uint32_t i = ix->iintent[n];
    *intent = i;
    *pat = n - ix->ibase[i];
}

/*
 * keyword.c - running a keyword script (keyword.h): one learner line in,
 * one reply out, the way Weizenbaum's 1966 ELIZA answered.
 *
 * Per line:
 *   1. LIMIT advances (1, 2, ..., limit, 1, ...) before anything else.
 *   2. The line is read into words: the script's replacements apply,
 *      its punctuation characters become tokens of their own, spaces and
 *      control characters separate words.
 *   3. One left-to-right scan.  A delimiter word with no keyword found
 *      yet drops everything before it; after a keyword it ends the line.
 *      A keyword with transformations goes on top of the keystack when
 *      its rank beats the top's, else at the bottom (the stack is not
 *      sorted).  Each word is then replaced by its substitute, once.
 *   4. No keyword: the oldest memory when LIMIT equals the recall value
 *      and one is queued, else NONE.  Otherwise pop keywords: storing a
 *      memory when the memory keyword comes up, trying decompositions in
 *      order; the first that matches answers with the reassembly at its
 *      cursor (which then advances, whatever its kind).
 *
 * Matching runs PCRE2 over the words as "W1 W2 ... Wn " with the match
 * limits of rp_limits; a limit hit counts as no match.  Work per line is
 * bounded by RP_KW_MAX_WORDS and RP_KW_MAX_STEPS.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyword.h"

struct rp_kwstate {
    const rp_kwscript *k;
    uint64_t seed;
    rp_rng rng;
    int limit;
    size_t *cursor; /* per decomposition slot */
    size_t mem_cursor;
    char **queue; /* memories, oldest first */
    size_t nqueue;
    rp_buf norm; /* the line's tokens, NUL-separated */
    size_t *tok; /* offsets of tokens in norm */
    size_t ntok, captok;
    rp_buf words; /* "W1 W2 ... Wn " */
    rp_buf tmp;
    rp_buf trace; /* how the last line was answered */
    int *stack;   /* keystack, top first */
    size_t nstack, capstack;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
};

/* ------------------------------------------------------------------ */
/* Lookup                                                              */
/* ------------------------------------------------------------------ */

/* Compare w[0..n) upper-cased with an upper-case NUL-terminated word. */
static int cmp_upper(const char *w, size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++) {
        int a = toupper((unsigned char)w[i]), b = (unsigned char)word[i];
        if (b == 0 || a != b)
            return b == 0 ? 1 : a - b;
    }
    return word[n] ? -1 : 0;
}

int rp_kw_find(const rp_kwscript *k, const char *w, size_t n)
{
    size_t lo = 0, hi = k->ne;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_upper(w, n, k->e[k->sorted[mid]].word);
        if (c == 0)
            return k->sorted[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* The SLIP HASH                                                       */
/* ------------------------------------------------------------------ */

/* A character in the IBM 7094's six-bit BCD code (others: blank). */
static unsigned bcd(int c)
{
    static const char digits[] = "0123456789";
    c = toupper(c);
    if (c && strchr(digits, c))
        return (unsigned)(c - '0');
    if (c >= 'A' && c <= 'I')
        return 17u + (unsigned)(c - 'A');
    if (c >= 'J' && c <= 'R')
        return 33u + (unsigned)(c - 'J');
    if (c >= 'S' && c <= 'Z')
        return 50u + (unsigned)(c - 'S');
    switch (c) {
    case '=':
        return 11;
    case '\'':
        return 12;
    case '+':
        return 16;
    case '.':
        return 27;
    case ')':
        return 28;
    case '-':
        return 32;
    case '$':
        return 43;
    case '*':
        return 44;
    case '/':
        return 49;
    case ',':
        return 59;
    case '(':
        return 60;
    default:
        return 48; /* blank */
    }
}

unsigned rp_kw_slip_hash(const char *w, size_t n, int nbits)
{
    size_t start = n ? (n - 1) / 6 * 6 : 0;
    uint64_t d = 0;
    for (size_t i = 0; i < 6; i++)
        d = (d << 6) |
            bcd(start + i < n ? (unsigned char)w[start + i] : (unsigned)' ');
    d &= 0x7FFFFFFFFull;
    uint64_t sq = d * d; /* wraps; the bits taken are below bit 64 */
    return (unsigned)((sq >> (35 - nbits / 2)) & ((1u << nbits) - 1));
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

rp_kwstate *rp_kw_state_new(const rp_kwscript *k, uint64_t seed)
{
    rp_kwstate *st = xcalloc(1, sizeof(*st));
    st->k = k;
    st->seed = seed;
    st->cursor = xcalloc(k->nslots + 1, sizeof(size_t));
    st->md = pcre2_match_data_create((uint32_t)k->max_groups + 1, NULL);
    if (!st->md)
        abort(); /* out of memory, as xmalloc */
    st->mctx = pcre2_match_context_create(NULL);
    if (!st->mctx)
        abort();
    const rp_limits *lim = rp_limits_get();
    pcre2_set_match_limit(st->mctx, lim->match_limit);
    pcre2_set_depth_limit(st->mctx, lim->depth_limit);
    pcre2_set_heap_limit(st->mctx, lim->heap_limit_kb);
    rp_kw_state_reset(st);
    return st;
}

static void clear_queue(rp_kwstate *st)
{
    for (size_t i = 0; i < st->nqueue; i++)
        free(st->queue[i]);
    st->nqueue = 0;
}

void rp_kw_state_reset(rp_kwstate *st)
{
    st->limit = 1;
    rp_rng_seed(&st->rng, st->seed);
    memset(st->cursor, 0, (st->k->nslots + 1) * sizeof(size_t));
    st->mem_cursor = 0;
    clear_queue(st);
}

void rp_kw_state_free(rp_kwstate *st)
{
    if (!st)
        return;
    clear_queue(st);
    free(st->queue);
    free(st->cursor);
    free(st->tok);
    free(st->stack);
    rp_buf_free(&st->norm);
    rp_buf_free(&st->words);
    rp_buf_free(&st->tmp);
    rp_buf_free(&st->trace);
    pcre2_match_data_free(st->md);
    pcre2_match_context_free(st->mctx);
    free(st);
}

/* ------------------------------------------------------------------ */
/* Reading the line                                                    */
/* ------------------------------------------------------------------ */

static void end_token(rp_kwstate *st, bool *in_word)
{
    if (*in_word) {
        rp_buf_putc(&st->norm, '\0');
        *in_word = false;
    }
}

/* One character of the (replaced) line. */
static void take_char(rp_kwstate *st, unsigned char c, bool *in_word)
{
    if (st->ntok >= RP_KW_MAX_WORDS && !*in_word)
        return;
    if (c <= ' ' || c == 0x7f) {
        end_token(st, in_word);
        return;
    }
    bool punct = c < 0x80 && strchr(st->k->punct, c) != NULL;
    if (punct)
        end_token(st, in_word);
    if (!*in_word) {
        if (st->ntok >= RP_KW_MAX_WORDS)
            return;
        RP_GROW(st->tok, st->captok, st->ntok + 1);
        st->tok[st->ntok++] = st->norm.len;
        *in_word = true;
    }
    rp_buf_putc(&st->norm, c);
    if (punct)
        end_token(st, in_word);
}

static void tokenize(rp_kwstate *st, const char *line, size_t len)
{
    const rp_kwscript *k = st->k;
    rp_buf_clear(&st->norm);
    st->ntok = 0;
    bool in_word = false;
    for (size_t i = 0; i < len;) {
        const rp_kwrepl *r = NULL;
        for (size_t j = 0; j < k->nrepl && !r; j++)
            if (k->repl[j].nfrom <= len - i &&
                !memcmp(line + i, k->repl[j].from, k->repl[j].nfrom))
                r = &k->repl[j];
        if (r) {
            for (size_t j = 0; j < r->nto; j++)
                take_char(st, (unsigned char)r->to[j], &in_word);
            i += r->nfrom;
        } else
            take_char(st, (unsigned char)line[i++], &in_word);
    }
    end_token(st, &in_word);
}

static bool is_delim(const rp_kwscript *k, const char *w)
{
    for (size_t i = 0; i < k->ndelims; i++)
        if (!strcasecmp(k->delims[i], w))
            return true;
    return false;
}

/* Step 3: trim clauses, stack keywords, substitute. */
static void scan(rp_kwstate *st)
{
    const rp_kwscript *k = st->k;
    rp_buf_clear(&st->words);
    st->nstack = 0;
    RP_GROW(st->stack, st->capstack, st->ntok + RP_KW_MAX_STEPS + 1);
    for (size_t i = 0; i < st->ntok; i++) {
        const char *w = st->norm.ptr + st->tok[i];
        size_t n = strlen(w);
        if (is_delim(k, w)) {
            if (st->nstack)
                break;
            rp_buf_clear(&st->words);
            continue;
        }
        int e = rp_kw_find(k, w, n);
        if (e >= 0 && k->e[e].active) {
            if (st->nstack == 0 || k->e[e].rank > k->e[st->stack[0]].rank) {
                memmove(st->stack + 1, st->stack, st->nstack * sizeof(int));
                st->stack[0] = e;
            } else
                st->stack[st->nstack] = e;
            st->nstack++;
        }
        if (e >= 0 && k->e[e].sub)
            rp_buf_puts(&st->words, k->e[e].sub);
        else
            rp_buf_put(&st->words, w, n);
        rp_buf_putc(&st->words, ' ');
    }
    if (!st->words.ptr)
        rp_buf_puts(&st->words, "");
}

/* ------------------------------------------------------------------ */
/* Matching and reassembly                                             */
/* ------------------------------------------------------------------ */

static bool match(rp_kwstate *st, const rp_kwdecomp *d)
{
    int rc = pcre2_match(d->re, (PCRE2_SPTR)st->words.ptr, st->words.len, 0, 0,
                         st->md, st->mctx);
    return rc > 0; /* a limit hit is no match */
}

/* Append template t filled with the parts of the last match to out,
 * every token separated by one space. */
static void fill(rp_kwstate *st, const rp_kwtemplate *t, rp_buf *out)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
    for (size_t i = 0; i < t->n; i++) {
        const char *s = t->toks[i].lit;
        size_t n = t->toks[i].len;
        if (!s) {
            size_t a = ov[2 * t->toks[i].part], b = ov[2 * t->toks[i].part + 1];
            if (a == PCRE2_UNSET)
                continue;
            if (b > a && st->words.ptr[b - 1] == ' ')
                b--;
            s = st->words.ptr + a;
            n = b - a;
        }
        if (n == 0)
            continue;
        if (out->len && out->ptr[out->len - 1] != ' ')
            rp_buf_putc(out, ' ');
        rp_buf_put(out, s, n);
    }
}

static void answer(rp_kwstate *st, const rp_kwtemplate *t, rp_buf *out)
{
    rp_buf_clear(&st->tmp);
    fill(st, t, &st->tmp);
    if (out->len && st->tmp.len)
        rp_buf_putc(out, ' ');
    rp_buf_put(out, st->tmp.ptr ? st->tmp.ptr : "", st->tmp.len);
}

/* The reply of decomposition d to use now: at its cursor, which moves
 * on, or (select: random) one drawn from the session's stream. */
static const rp_kwreply *pick(rp_kwstate *st, const rp_kwdecomp *d)
{
    size_t *c = &st->cursor[d->slot];
    if (st->k->select == RP_KWSEL_RANDOM)
        *c = rp_rng_below(&st->rng, (uint32_t)d->nr);
    const rp_kwreply *r = &d->r[*c];
    rp_buf_printf(&st->trace, "reply %zu", *c + 1);
    *c = (*c + 1) % d->nr;
    return r;
}

/* NONE: pattern (0), its own cursor. */
static void none(rp_kwstate *st, rp_buf *out)
{
    const rp_kwdecomp *d = &st->k->none;
    if (!match(st, d)) {
        /* Only a match limit refuses (0): answer without the words. */
        rp_buf_clear(&st->words);
        rp_buf_puts(&st->words, "");
        if (!match(st, d))
            return;
    }
    rp_buf_puts(&st->trace, st->trace.len ? " > NONE " : "NONE ");
    answer(st, &pick(st, d)->t, out);
}

/* The memory keyword came up: maybe queue a memory of the words. */
static void remember(rp_kwstate *st)
{
    const rp_kwscript *k = st->k;
    size_t end = st->words.len;
    while (end && st->words.ptr[end - 1] == ' ')
        end--;
    if (end == 0 || k->nmem == 0)
        return;
    size_t start = end;
    while (start && st->words.ptr[start - 1] != ' ')
        start--;
    size_t i =
        k->mem_select == RP_KWMEM_HASH
            ? rp_kw_slip_hash(st->words.ptr + start, end - start, k->mem_bits)
            : st->mem_cursor++ % k->nmem;
    const rp_kwdecomp *d = &k->mem[i];
    if (!match(st, d))
        return;
    rp_buf_clear(&st->tmp);
    fill(st, &d->r[0].t, &st->tmp);
    if (st->nqueue == RP_KW_MAX_MEMORIES) {
        free(st->queue[0]);
        memmove(st->queue, st->queue + 1, --st->nqueue * sizeof(char *));
    }
    st->queue = xrealloc(st->queue, (st->nqueue + 1) * sizeof(char *));
    st->queue[st->nqueue++] = xstrdup(st->tmp.ptr ? st->tmp.ptr : "");
    rp_buf_printf(&st->trace, " (memory %zu stored)", i + 1);
}

/* PRE: the words become the filled-in template. */
static void replace_words(rp_kwstate *st, const rp_kwtemplate *t)
{
    rp_buf_clear(&st->tmp);
    fill(st, t, &st->tmp);
    rp_buf_clear(&st->words);
    if (st->tmp.len) {
        rp_buf_put(&st->words, st->tmp.ptr, st->tmp.len);
        rp_buf_putc(&st->words, ' ');
    }
    if (!st->words.ptr)
        rp_buf_puts(&st->words, "");
}

static int pop(rp_kwstate *st)
{
    int e = st->stack[0];
    memmove(st->stack, st->stack + 1, --st->nstack * sizeof(int));
    return e;
}

bool rp_kw_reply(rp_kwstate *st, const char *line, size_t len, rp_buf *out)
{
    const rp_kwscript *k = st->k;
    st->limit = st->limit % k->limit + 1;
    rp_buf_clear(&st->trace);
    tokenize(st, line ? line : "", line ? len : 0);
    scan(st);

    if (st->nstack == 0) {
        if (st->limit == k->recall && st->nqueue) {
            if (out->len)
                rp_buf_putc(out, ' ');
            rp_buf_puts(out, st->queue[0]);
            rp_buf_puts(&st->trace, "memory (oldest of the queue)");
            free(st->queue[0]);
            memmove(st->queue, st->queue + 1, --st->nqueue * sizeof(char *));
        } else
            none(st, out);
        return false;
    }

    int cur = pop(st);
    for (int step = 0; step < RP_KW_MAX_STEPS; step++) {
        const rp_kwentry *e = &k->e[cur];
        rp_buf_printf(&st->trace, "%s%s", step ? " > " : "", e->word);
        if (cur == k->mem_key)
            remember(st);
        const rp_kwdecomp *d = NULL;
        for (size_t i = 0; i < e->nd && !d; i++)
            if (e->d[i].re && match(st, &e->d[i]))
                d = &e->d[i];
        if (!d) {
            if (e->redirect >= 0) {
                rp_buf_puts(&st->trace, " (redirect)");
                cur = e->redirect;
                continue;
            }
            rp_buf_puts(&st->trace, ": no pattern matched");
            if (k->nfailure) {
                rp_buf_printf(&st->trace, " > failure message %d",
                              (st->limit - 1) % (int)k->nfailure + 1);
                answer(st, &k->failure[(st->limit - 1) % k->nfailure], out);
                return false;
            }
            none(st, out);
            return false;
        }
        rp_buf_printf(&st->trace, ": \"%s\" (line %d) ", d->source, d->line);
        const rp_kwreply *r = pick(st, d);
        rp_buf_puts(&st->trace, r->kind == RP_KWR_REDIRECT ? " (redirect)"
                                : r->kind == RP_KWR_PRE    ? " (PRE)"
                                : r->kind == RP_KWR_NEWKEY ? " (NEWKEY)"
                                                           : "");
        switch (r->kind) {
        case RP_KWR_TEMPLATE:
            answer(st, &r->t, out);
            return true;
        case RP_KWR_REDIRECT:
            cur = r->target;
            break;
        case RP_KWR_PRE:
            replace_words(st, &r->t);
            cur = r->target;
            break;
        case RP_KWR_NEWKEY:
            if (st->nstack == 0) {
                none(st, out);
                return false;
            }
            cur = pop(st);
            break;
        }
    }
    rp_buf_puts(&st->trace, " > too many steps");
    none(st, out); /* a loop of redirects: give up on this line */
    return false;
}

const char *rp_kw_trace(const rp_kwstate *st)
{
    return st->trace.ptr ? st->trace.ptr : "";
}

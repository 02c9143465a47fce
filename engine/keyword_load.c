/*
 * keyword_load.c - loading a persona's `keywords:` block (keyword.h).
 *
 * The block is read in two passes over its `rules` mapping: the first
 * declares every keyword with its rank, substitute and tags, so that the
 * second can compile decomposition patterns (tag elements expand to the
 * keywords carrying the tag) and resolve redirects to keywords declared
 * anywhere.  Every pattern becomes one anchored PCRE2 regex over the line
 * written as "W1 W2 ... Wn " (each word followed by one space):
 *
 *   0         ((?:\S++ )*?)    any number of words, the fewest that let
 *                              the rest match (SLIP's YMATCH)
 *   N         ((?:\S++ ){N})   exactly N words
 *   WORD      (WORD )
 *   (* A B)   ((?:A|B) )       one of the words
 *   (/T U)    ((?:K1|K2...) )  a keyword tagged T or U
 *
 * so element i is capture group i, the "part" a template's number i
 * inserts.  A 0 at the end is "(.*)": it must take the rest of the line
 * anyway, and so costs no backtracking level per word.  A word is matched
 * possessively (\S++: it must run to the space anyway), so a word costs one
 * backtracking level, not two, and lines of thousands of words stay within the
 * PCRE2 depth limit. Problems are positioned diagnostics with catalogue codes
 * (engine/diag.c); nothing is kept from a block with errors.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyword.h"

typedef struct kl {
    rp_kwscript *k;
    rp_diags *diags;
    const char *file;
    int errors;
    rp_buf re; /* regex being built */
} kl;

/* ------------------------------------------------------------------ */
/* Ownership: everything the script holds is in its arena              */
/* ------------------------------------------------------------------ */

static void *kalloc(rp_kwscript *k, size_t size)
{
    return rp_arena_alloc(&k->arena, size);
}

static const char *kstrndup(rp_kwscript *k, const char *s, size_t n)
{
    return rp_arena_strndup(&k->arena, s, n);
}

void rp_kw_free(rp_kwscript *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->ncodes; i++)
        pcre2_code_free(k->codes[i]);
    free(k->codes);
    rp_arena_free(&k->arena);
    free(k);
}

/* ------------------------------------------------------------------ */
/* Diagnostics and typed access                                        */
/* ------------------------------------------------------------------ */

static void kdiag(kl *L, rp_level level, const ynode *n, int coloff,
                  const char *code, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (L->diags)
        rp_diags_add(L->diags, L->file, n ? n->line : 0,
                     n ? n->col + coloff : 0, level, code, "%s", msg);
    if (level == RP_LEVEL_ERROR)
        L->errors++;
}

static void kerr(kl *L, const ynode *n, int coloff, const char *code,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void kerr(kl *L, const ynode *n, int coloff, const char *code,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kdiag(L, RP_LEVEL_ERROR, n, coloff, code, fmt, ap);
    va_end(ap);
}

static void kwarn(kl *L, const ynode *n, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void kwarn(kl *L, const ynode *n, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kdiag(L, RP_LEVEL_WARNING, n, 0, code, fmt, ap);
    va_end(ap);
}

static bool want(kl *L, const ynode *n, ynode_type t, const char *what)
{
    static const char *names[] = {"text", "a list", "a mapping"};
    if (n && n->type == t)
        return true;
    kerr(L, n, 0, "wrong-type", "%s must be %s, not %s", what, names[t],
         !n                     ? "nothing"
         : n->type == YNODE_MAP ? "a mapping"
         : n->type == YNODE_SEQ ? "a list"
                                : "text");
    return false;
}

static void check_keys(kl *L, const ynode *map, const char *what,
                       const char *const *allowed, size_t nallowed)
{
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const ynode *key = map->items[i];
        if (key->type != YNODE_SCALAR) {
            kerr(L, key, 0, "wrong-type", "keys of %s must be text", what);
            continue;
        }
        for (size_t j = 0; j < i; j += 2)
            if (map->items[j]->type == YNODE_SCALAR &&
                !strcmp(map->items[j]->str, key->str)) {
                kerr(L, key, 0, "duplicate-key",
                     "key '%s' appears twice in %s (first at line %d)",
                     key->str, what, map->items[j]->line);
                break;
            }
        bool ok = false;
        for (size_t j = 0; j < nallowed && !ok; j++)
            ok = !strcmp(key->str, allowed[j]);
        if (!ok) {
            const char *c = rp_closest(key->str, allowed, nallowed);
            kerr(L, key, 0, "unknown-key", "unknown key '%s' in %s%s%s%s",
                 key->str, what, c ? "; did you mean '" : "", c ? c : "",
                 c ? "'?" : "");
        }
    }
}
#define CHECK_KEYS(L, map, what, arr)                                          \
    check_keys((L), (map), (what), (arr), sizeof(arr) / sizeof(*(arr)))

static bool get_int(kl *L, const ynode *n, const char *what, int lo, int hi,
                    int *out)
{
    if (!want(L, n, YNODE_SCALAR, what))
        return false;
    char *end;
    long v = strtol(n->str, &end, 10);
    if (end == n->str || *end || v < lo || v > hi) {
        kerr(L, n, 0, "bad-value", "%s must be a whole number from %d to %d",
             what, lo, hi);
        return false;
    }
    *out = (int)v;
    return true;
}

/* A single word: non-empty text without spaces or control characters. */
static const char *get_word(kl *L, const ynode *n, const char *what)
{
    if (!want(L, n, YNODE_SCALAR, what))
        return NULL;
    bool bad = n->len == 0;
    for (size_t i = 0; i < n->len && !bad; i++)
        bad = (unsigned char)n->str[i] <= ' ' || n->str[i] == 0x7f;
    if (bad) {
        kerr(L, n, 0, "bad-value",
             "%s must be one word (no spaces or control characters)", what);
        return NULL;
    }
    return kstrndup(L->k, n->str, n->len);
}

static const char *upper_dup(rp_kwscript *k, const char *s)
{
    size_t n = strlen(s);
    char *m = kalloc(k, n + 1);
    for (size_t i = 0; i < n; i++)
        m[i] = (char)toupper((unsigned char)s[i]);
    return m;
}

/* ------------------------------------------------------------------ */
/* Templates                                                           */
/* ------------------------------------------------------------------ */

/* Parse a reassembly template: tokens separated by spaces, a token of
 * digits being a part number (1..nparts). */
static bool parse_template(kl *L, const ynode *n, int nparts, const char *what,
                           rp_kwtemplate *t)
{
    if (!want(L, n, YNODE_SCALAR, what))
        return false;
    int q = n->plain ? 0 : 1;
    size_t cap = n->len / 2 + 1, nt = 0;
    rp_kwtok *toks = kalloc(L->k, cap * sizeof(*toks));
    bool ok = true;
    for (size_t i = 0; i < n->len;) {
        unsigned char c = (unsigned char)n->str[i];
        if (c == ' ') {
            i++;
            continue;
        }
        if (c < ' ' || c == 0x7f) {
            kerr(L, n, q + (int)i, "control-char",
                 "control character 0x%02x in %s", c, what);
            return false;
        }
        size_t s = i;
        while (i < n->len && (unsigned char)n->str[i] > ' ' &&
               n->str[i] != 0x7f)
            i++;
        rp_kwtok *tk = &toks[nt++];
        bool digits = true;
        for (size_t j = s; j < i && digits; j++)
            digits = isdigit((unsigned char)n->str[j]);
        if (digits) {
            long v = i - s > 6 ? 1000000 : strtol(n->str + s, NULL, 10);
            if (v < 1 || v > nparts) {
                kerr(L, n, q + (int)s, "part-range",
                     "part %.*s in %s, but its pattern has %d part%s",
                     (int)(i - s), n->str + s, what, nparts,
                     nparts == 1 ? "" : "s");
                ok = false;
            }
            tk->part = (int)v;
        } else {
            tk->lit = kstrndup(L->k, n->str + s, i - s);
            tk->len = i - s;
        }
    }
    t->toks = toks;
    t->n = nt;
    return ok;
}

/* ------------------------------------------------------------------ */
/* Decomposition patterns                                              */
/* ------------------------------------------------------------------ */

static void put_escaped(rp_buf *b, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (!isalnum(c) && c < 0x80)
            rp_buf_putc(b, '\\');
        rp_buf_putc(b, c);
    }
}

static bool has_tag(const rp_kwentry *e, const char *t, size_t n)
{
    for (size_t i = 0; i < e->ntags; i++)
        if (strlen(e->tags[i]) == n && !strncasecmp(e->tags[i], t, n))
            return true;
    return false;
}

/* Compile pattern node n into d (replies are filled in by the caller). */
static bool compile_decomp(kl *L, const ynode *n, rp_kwdecomp *d)
{
    if (!want(L, n, YNODE_SCALAR, "a decomposition pattern ('match')"))
        return false;
    rp_kwscript *k = L->k;
    rp_buf *re = &L->re;
    rp_buf_clear(re);
    rp_buf_putc(re, '^');
    int q = n->plain ? 0 : 1, nparts = 0;
    const char *s = n->str;
    size_t len = n->len;
    for (size_t i = 0; i < len;) {
        if (s[i] == ' ') {
            i++;
            continue;
        }
        size_t at = i;
        nparts++;
        if (s[i] == ')') {
            kerr(L, n, q + (int)at, "bad-decomposition",
                 "')' without a '(' in a decomposition pattern");
            return false;
        }
        if (s[i] != '(') {
            size_t b = i;
            while (i < len && s[i] != ' ' && s[i] != '(' && s[i] != ')')
                i++;
            bool digits = true;
            for (size_t j = b; j < i && digits; j++)
                digits = isdigit((unsigned char)s[j]);
            if (digits && i - b > 4) {
                kerr(L, n, q + (int)b, "bad-decomposition",
                     "a word count of more than 4 digits");
                return false;
            }
            size_t rest = i;
            while (rest < len && s[rest] == ' ')
                rest++;
            if (digits && strtol(s + b, NULL, 10) == 0 && rest == len)
                rp_buf_puts(re, "(.*)"); /* the last 0 takes the rest */
            else if (digits && strtol(s + b, NULL, 10) == 0)
                rp_buf_puts(re, "((?:\\S++ )*?)");
            else if (digits)
                rp_buf_printf(re, "((?:\\S++ ){%ld})", strtol(s + b, NULL, 10));
            else {
                rp_buf_putc(re, '(');
                put_escaped(re, s + b, i - b);
                rp_buf_puts(re, " )");
            }
            continue;
        }
        /* "(* A B)" or "(/T U)" */
        size_t close = i + 1;
        while (close < len && s[close] != ')' && s[close] != '(')
            close++;
        if (close >= len || s[close] != ')') {
            kerr(L, n, q + (int)at, "bad-decomposition",
                 "'(' without its ')' in a decomposition pattern");
            return false;
        }
        size_t j = i + 1;
        while (j < close && s[j] == ' ')
            j++;
        char kind = j < close ? s[j] : 0;
        if (kind != '*' && kind != '/') {
            kerr(L, n, q + (int)at, "bad-decomposition",
                 "a group must be '(* WORD ...)' (one of the words) or "
                 "'(/TAG ...)' (a keyword with one of the tags)");
            return false;
        }
        j++;
        rp_buf_puts(re, "((?:");
        size_t alts = 0;
        while (j < close) {
            while (j < close && s[j] == ' ')
                j++;
            size_t b = j;
            while (j < close && s[j] != ' ')
                j++;
            if (j == b)
                break;
            if (kind == '*') {
                if (alts++)
                    rp_buf_putc(re, '|');
                put_escaped(re, s + b, j - b);
                continue;
            }
            size_t found = 0;
            for (size_t e = 0; e < k->ne; e++)
                if (has_tag(&k->e[e], s + b, j - b)) {
                    if (alts++)
                        rp_buf_putc(re, '|');
                    put_escaped(re, k->e[e].word, strlen(k->e[e].word));
                    found++;
                }
            if (!found) {
                kerr(L, n, q + (int)b, "undefined-tag",
                     "no keyword has the tag '%.*s'", (int)(j - b), s + b);
                return false;
            }
        }
        if (!alts) {
            kerr(L, n, q + (int)at, "bad-decomposition",
                 "an empty group in a decomposition pattern");
            return false;
        }
        rp_buf_puts(re, ") )");
        i = close + 1;
    }
    if (nparts == 0) {
        kerr(L, n, 0, "bad-decomposition",
             "an empty decomposition pattern (write 0 for any line)");
        return false;
    }
    rp_buf_putc(re, '$');
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re->ptr, re->len,
                                     PCRE2_CASELESS, &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        kerr(L, n, 0, "bad-decomposition",
             "the pattern compiles to a regex "
             "PCRE2 rejects: %s",
             (const char *)msg);
        return false;
    }
    if (!k->nojit)
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* fall back silently */
    RP_GROW(k->codes, k->capcodes, k->ncodes + 1);
    k->codes[k->ncodes++] = code;
    d->re = code;
    d->nparts = nparts;
    d->source = kstrndup(k, n->str, n->len);
    d->line = n->line;
    if (nparts > k->max_groups)
        k->max_groups = nparts;
    return true;
}

/* ------------------------------------------------------------------ */
/* Keywords                                                            */
/* ------------------------------------------------------------------ */

static const char *const entry_keys[] = {"rank", "substitute", "tags",
                                         "decompose", "redirect"};

static int target_of(kl *L, const ynode *n, const char *what)
{
    const char *w = get_word(L, n, what);
    if (!w)
        return -1;
    int e = rp_kw_find(L->k, w, strlen(w));
    if (e < 0 || !L->k->e[e].active) {
        kerr(L, n, 0, "undefined-keyword",
             "%s '%s' names no keyword with decompositions or a redirect", what,
             w);
        return -1;
    }
    return e;
}

static bool parse_reply(kl *L, const ynode *n, int nparts, rp_kwreply *r)
{
    if (n->type == YNODE_SCALAR) {
        r->kind = RP_KWR_TEMPLATE;
        return parse_template(L, n, nparts, "a reassembly", &r->t);
    }
    if (!want(L, n, YNODE_MAP, "a reassembly"))
        return false;
    static const char *const keys[] = {"redirect", "newkey", "pre"};
    CHECK_KEYS(L, n, "a reassembly", keys);
    const ynode *nk = ynode_get(n, "newkey");
    const ynode *pre = ynode_get(n, "pre");
    const ynode *to = ynode_get(n, "redirect");
    if (nk) {
        if (pre || to || nk->type != YNODE_SCALAR || strcmp(nk->str, "true")) {
            kerr(L, n, 0, "bad-value",
                 "a NEWKEY reassembly is exactly {newkey: true}");
            return false;
        }
        r->kind = RP_KWR_NEWKEY;
        return true;
    }
    if (!to) {
        kerr(L, n, 0, "missing-key",
             "a reassembly mapping needs 'redirect' (or is {newkey: true})");
        return false;
    }
    r->target = target_of(L, to, "redirect");
    if (r->target < 0)
        return false;
    r->kind = RP_KWR_REDIRECT;
    if (pre) {
        r->kind = RP_KWR_PRE;
        return parse_template(L, pre, nparts, "'pre'", &r->t);
    }
    return true;
}

/* One decomposition {match, reply}; the replies all need decomposing. */
static void parse_decomp(kl *L, const ynode *n, rp_kwdecomp *d)
{
    if (!want(L, n, YNODE_MAP, "a decomposition"))
        return;
    static const char *const keys[] = {"match", "reply"};
    CHECK_KEYS(L, n, "a decomposition", keys);
    const ynode *m = ynode_get(n, "match"), *r = ynode_get(n, "reply");
    if (!m || !r) {
        kerr(L, n, 0, "missing-key",
             "a decomposition needs 'match' and "
             "'reply'");
        return;
    }
    if (!compile_decomp(L, m, d))
        return;
    size_t nr = r->type == YNODE_SEQ ? r->n : 1;
    if (nr == 0) {
        kerr(L, r, 0, "empty-list", "a decomposition needs a reply");
        return;
    }
    d->r = kalloc(L->k, nr * sizeof(*d->r));
    d->nr = nr;
    for (size_t i = 0; i < nr; i++)
        parse_reply(L, r->type == YNODE_SEQ ? r->items[i] : r, d->nparts,
                    &d->r[i]);
    d->slot = L->k->nslots++;
}

static int cmp_entries(const void *a, const void *b, void *ctx)
{
    const rp_kwscript *k = ctx;
    return strcmp(k->e[*(const int *)a].word, k->e[*(const int *)b].word);
}

/* qsort_r is not in C11: a small insertion sort (a script has tens to
 * hundreds of keywords, sorted once at load). */
static void sort_entries(rp_kwscript *k)
{
    for (size_t i = 1; i < k->ne; i++) {
        int x = k->sorted[i];
        size_t j = i;
        while (j > 0 && cmp_entries(&k->sorted[j - 1], &x, k) > 0) {
            k->sorted[j] = k->sorted[j - 1];
            j--;
        }
        k->sorted[j] = x;
    }
}

/* Pass 1: words, ranks, substitutes, tags. */
static void declare_entries(kl *L, const ynode *rules)
{
    rp_kwscript *k = L->k;
    k->e = kalloc(k, (rules->n / 2 + 1) * sizeof(*k->e));
    k->sorted = kalloc(k, (rules->n / 2 + 1) * sizeof(int));
    for (size_t i = 0; i + 1 < rules->n; i += 2) {
        const ynode *key = rules->items[i], *v = rules->items[i + 1];
        const char *w = get_word(L, key, "a keyword");
        if (!w)
            continue;
        w = upper_dup(k, w);
        for (size_t j = 0; j < k->ne; j++)
            if (!strcmp(k->e[j].word, w)) {
                kerr(L, key, 0, "duplicate-id", "keyword '%s' is defined twice",
                     w);
                w = NULL;
                break;
            }
        if (!w)
            continue;
        rp_kwentry *e = &k->e[k->ne];
        e->word = w;
        e->redirect = -1;
        if (!ynode_is_null(v) && want(L, v, YNODE_MAP, "a keyword")) {
            CHECK_KEYS(L, v, "a keyword", entry_keys);
            const ynode *x;
            if ((x = ynode_get(v, "rank")))
                get_int(L, x, "rank", 0, 1000000, &e->rank);
            if ((x = ynode_get(v, "substitute")))
                e->sub = get_word(L, x, "substitute");
            if ((x = ynode_get(v, "tags"))) {
                size_t nt = x->type == YNODE_SEQ ? x->n : 1;
                e->tags = kalloc(k, (nt + 1) * sizeof(char *));
                for (size_t t = 0; t < nt; t++) {
                    const char *tg = get_word(
                        L, x->type == YNODE_SEQ ? x->items[t] : x, "a tag");
                    if (tg)
                        e->tags[e->ntags++] = tg;
                }
            }
            e->active = ynode_get(v, "decompose") || ynode_get(v, "redirect");
        }
        k->sorted[k->ne] = (int)k->ne;
        k->ne++;
    }
    sort_entries(k);
}

/* A pattern of only 0s matches every line: warn about what follows it
 * in the same keyword, which can never be used. */
static void warn_unreachable(kl *L, const ynode *list, const ynode *redirect)
{
    for (size_t j = 0; j < list->n; j++) {
        const ynode *m = list->items[j]->type == YNODE_MAP
                             ? ynode_get(list->items[j], "match")
                             : NULL;
        if (!m || m->type != YNODE_SCALAR || m->len == 0 ||
            strspn(m->str, "0 ") != m->len)
            continue;
        if (j + 1 < list->n)
            kwarn(L, list->items[j + 1], "catch-all",
                  "pattern '%s' above matches every line, so this "
                  "decomposition is never tried",
                  m->str);
        else if (redirect)
            kwarn(L, redirect, "catch-all",
                  "pattern '%s' (line %d) matches every line, so this "
                  "redirect is never used",
                  m->str, m->line);
        return;
    }
}

/* Pass 2: decompositions and redirects (every keyword is known now). */
static void build_entries(kl *L, const ynode *rules)
{
    rp_kwscript *k = L->k;
    for (size_t i = 0; i + 1 < rules->n; i += 2) {
        const ynode *key = rules->items[i], *v = rules->items[i + 1];
        if (key->type != YNODE_SCALAR || v->type != YNODE_MAP)
            continue;
        int ei = rp_kw_find(k, key->str, key->len);
        if (ei < 0)
            continue;
        rp_kwentry *e = &k->e[ei];
        const ynode *x;
        if ((x = ynode_get(v, "redirect")))
            e->redirect = target_of(L, x, "redirect");
        if ((x = ynode_get(v, "decompose")) &&
            want(L, x, YNODE_SEQ, "decompose")) {
            e->d = kalloc(k, (x->n + 1) * sizeof(*e->d));
            for (size_t j = 0; j < x->n; j++)
                parse_decomp(L, x->items[j], &e->d[e->nd++]);
            warn_unreachable(L, x, ynode_get(v, "redirect"));
        }
    }
}

/* ------------------------------------------------------------------ */
/* The block                                                           */
/* ------------------------------------------------------------------ */

static void parse_memory(kl *L, const ynode *n)
{
    rp_kwscript *k = L->k;
    if (!want(L, n, YNODE_MAP, "memory"))
        return;
    static const char *const keys[] = {"keyword", "select", "recall", "rules"};
    CHECK_KEYS(L, n, "memory", keys);
    const ynode *kw = ynode_get(n, "keyword"), *rules = ynode_get(n, "rules");
    if (!kw || !rules) {
        kerr(L, n, 0, "missing-key", "memory needs 'keyword' and 'rules'");
        return;
    }
    k->mem_key = target_of(L, kw, "the memory keyword");
    const ynode *x;
    if ((x = ynode_get(n, "select")) && want(L, x, YNODE_SCALAR, "select")) {
        if (!strcmp(x->str, "hash"))
            k->mem_select = RP_KWMEM_HASH;
        else if (!strcmp(x->str, "cycle"))
            k->mem_select = RP_KWMEM_CYCLE;
        else
            kerr(L, x, 0, "bad-value",
                 "memory select must be 'hash' or 'cycle', not '%s'", x->str);
    }
    if ((x = ynode_get(n, "recall")))
        get_int(L, x, "recall", 1, k->limit, &k->recall);
    if (!want(L, rules, YNODE_SEQ, "memory rules"))
        return;
    if (rules->n == 0) {
        kerr(L, rules, 0, "empty-list", "memory needs at least one rule");
        return;
    }
    k->mem = kalloc(k, rules->n * sizeof(*k->mem));
    for (size_t i = 0; i < rules->n; i++) {
        const ynode *r = rules->items[i];
        if (!want(L, r, YNODE_MAP, "a memory rule"))
            continue;
        static const char *const rkeys[] = {"match", "reply"};
        CHECK_KEYS(L, r, "a memory rule", rkeys);
        const ynode *m = ynode_get(r, "match"), *t = ynode_get(r, "reply");
        if (!m || !t) {
            kerr(L, r, 0, "missing-key",
                 "a memory rule needs 'match' and 'reply'");
            continue;
        }
        rp_kwdecomp *d = &k->mem[k->nmem++];
        if (!compile_decomp(L, m, d))
            continue;
        d->r = kalloc(k, sizeof(*d->r));
        d->nr = 1;
        parse_template(L, t, d->nparts, "a memory reply", &d->r[0].t);
    }
    if (k->mem_select == RP_KWMEM_HASH) {
        int bits = 0;
        while ((1u << bits) < k->nmem)
            bits++;
        if ((1u << bits) != k->nmem || bits > 15)
            kerr(L, rules, 0, "bad-value",
                 "select: hash needs 1, 2, 4, 8, ... memory rules (it picks "
                 "one by a hash of %s bits), not %zu",
                 "log2(count)", k->nmem);
        k->mem_bits = bits;
    }
}

static const char *const block_keys[] = {"punctuation", "replace", "delimiters",
                                         "limit",       "select",  "failure",
                                         "none",        "memory",  "rules"};

int rp_kw_load(const ynode *n, const char *file, bool nojit, rp_diags *diags,
               rp_kwscript **out)
{
    kl L;
    memset(&L, 0, sizeof L);
    L.diags = diags;
    L.file = file;
    rp_kwscript *k = xcalloc(1, sizeof(*k));
    L.k = k;
    k->nojit = nojit;
    k->limit = 4;
    k->mem_key = -1;
    k->punct = ",.";
    *out = NULL;
    if (!want(&L, n, YNODE_MAP, "keywords"))
        goto out_free;
    CHECK_KEYS(&L, n, "keywords", block_keys);
    const ynode *x;
    if ((x = ynode_get(n, "punctuation")) &&
        want(&L, x, YNODE_SCALAR, "punctuation")) {
        for (size_t i = 0; i < x->len; i++) {
            unsigned char c = (unsigned char)x->str[i];
            if (c <= ' ' || c >= 0x7f || isalnum(c))
                kerr(&L, x, (x->plain ? 0 : 1) + (int)i, "bad-value",
                     "punctuation lists ASCII symbols (not letters, digits "
                     "or spaces)");
        }
        k->punct = kstrndup(k, x->str, x->len);
    }
    if ((x = ynode_get(n, "replace")) && want(&L, x, YNODE_MAP, "replace")) {
        k->repl = kalloc(k, (x->n / 2 + 1) * sizeof(*k->repl));
        for (size_t i = 0; i + 1 < x->n; i += 2) {
            const ynode *f = x->items[i], *t = x->items[i + 1];
            if (!want(&L, f, YNODE_SCALAR, "a replaced text") ||
                !want(&L, t, YNODE_SCALAR, "a replacement"))
                continue;
            if (f->len == 0) {
                kerr(&L, f, 0, "bad-value",
                     "an empty text cannot be "
                     "replaced");
                continue;
            }
            rp_kwrepl *r = &k->repl[k->nrepl++];
            r->from = kstrndup(k, f->str, f->len);
            r->nfrom = f->len;
            r->to = kstrndup(k, t->str, t->len);
            r->nto = t->len;
        }
    }
    if ((x = ynode_get(n, "delimiters"))) {
        size_t nd = x->type == YNODE_SEQ ? x->n : 1;
        k->delims = kalloc(k, (nd + 1) * sizeof(char *));
        for (size_t i = 0; i < nd; i++) {
            const char *w = get_word(&L, x->type == YNODE_SEQ ? x->items[i] : x,
                                     "a delimiter");
            if (w)
                k->delims[k->ndelims++] = w;
        }
    } else {
        k->delims = kalloc(k, 2 * sizeof(char *));
        k->delims[0] = ",";
        k->delims[1] = ".";
        k->ndelims = 2;
    }
    if ((x = ynode_get(n, "limit")))
        get_int(&L, x, "limit", 1, 1000, &k->limit);
    if ((x = ynode_get(n, "select")) && want(&L, x, YNODE_SCALAR, "select")) {
        if (!strcmp(x->str, "random"))
            k->select = RP_KWSEL_RANDOM;
        else if (strcmp(x->str, "cycle"))
            kerr(&L, x, 0, "bad-value",
                 "select must be 'cycle' or 'random', not '%s'", x->str);
    }
    k->recall = k->limit;

    const ynode *rules = ynode_get(n, "rules");
    if (!rules)
        kerr(&L, n, 0, "missing-key", "keywords needs 'rules'");
    else if (want(&L, rules, YNODE_MAP, "keyword rules")) {
        declare_entries(&L, rules);
        build_entries(&L, rules);
    }
    if ((x = ynode_get(n, "failure")) && want(&L, x, YNODE_SEQ, "failure")) {
        k->failure = kalloc(k, (x->n + 1) * sizeof(*k->failure));
        for (size_t i = 0; i < x->n; i++)
            parse_template(&L, x->items[i], 0, "a failure message",
                           &k->failure[k->nfailure++]);
    }
    const ynode *none = ynode_get(n, "none");
    if (!none)
        kerr(&L, n, 0, "missing-key",
             "keywords needs 'none' (the replies when no keyword is found)");
    else if (want(&L, none, YNODE_SEQ, "none")) {
        /* NONE's pattern is (0): part 1 is the whole line. */
        ynode any;
        memset(&any, 0, sizeof any);
        any.type = YNODE_SCALAR;
        any.str = (char *)"0";
        any.len = 1;
        any.plain = true;
        any.line = none->line;
        any.col = none->col;
        if (none->n == 0)
            kerr(&L, none, 0, "empty-list", "'none' needs at least one reply");
        else if (compile_decomp(&L, &any, &k->none)) {
            k->none.r = kalloc(k, none->n * sizeof(*k->none.r));
            k->none.nr = none->n;
            for (size_t i = 0; i < none->n; i++)
                parse_template(&L, none->items[i], 1, "a 'none' reply",
                               &k->none.r[i].t);
            k->none.slot = k->nslots++;
        }
    }
    if ((x = ynode_get(n, "memory")))
        parse_memory(&L, x);

out_free:
    rp_buf_free(&L.re);
    if (L.errors) {
        rp_kw_free(k);
        return L.errors;
    }
    *out = k;
    return 0;
}

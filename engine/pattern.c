/*
 * pattern.c - stage 2a: compiling and matching patterns.
 *
 * At persona load time every pattern an author wrote (a wildcard pattern,
 * or raw PCRE2 after "regex:") is compiled here, once, to a PCRE2 program
 * (JIT-compiled where the platform allows).  At run time intent
 * recognition and rule triggers match those programs against the match
 * text that text.c produced (" tok tok ... "), under the limits of the
 * session's match context.  See pattern.h for the syntax and the compiled
 * form.
 *
 * A wildcard pattern goes through three steps: a lexer splits the source
 * into words and the delimiters [ ] ( ) |; a recursive-descent parser
 * builds a small tree (checking syntax and reporting the offending
 * element's offset); an emitter walks the tree and writes the regex, with
 * a map from every regex byte back to the source offset it came from, so
 * that even an error PCRE2 finds in a generated regex points into the
 * author's text.  The same tree gives the required words for the rule
 * index.
 */
#include "pattern.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Patterns' literal words are normalised like a learner's line, with
 * the persona's settings (RP_PAT_NOCONTRACTIONS, RP_PAT_NOCHAT). */
static unsigned norm_flags(unsigned pat_flags)
{
    unsigned f = RP_NORM_DEFAULT;
    if (pat_flags & RP_PAT_NOCONTRACTIONS)
        f &= ~(unsigned)RP_NORM_CONTRACTIONS;
    if (pat_flags & RP_PAT_NOCHAT)
        f &= ~(unsigned)RP_NORM_CHAT;
    return f;
}
/* Pairs in the match data: group 0, 32 raw groups, slack. */
#define MATCH_PAIRS 40

/* One word of the compiled form: a non-punctuation token and its space. */
#define WORD_RE "[^ .?!,][^ ]* "

struct rp_pattern {
    char *src;   /* the source, NUL-terminated */
    char *regex; /* what PCRE2 compiled */
    pcre2_code *code;
    unsigned ncaps; /* capture groups, at most RP_PAT_MAX_CAPS */
    char *req;      /* required words, each followed by a NUL */
    size_t req_len, nreq;
    char *any; /* any-of groups: words each followed by a NUL, each group
                  ended by an empty word */
    size_t any_len, nany;
};

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static void set_error(rp_pattern_error *err, size_t offset, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

/* Fill err (when the caller gave one) with an offset and a message. */
static void set_error(rp_pattern_error *err, size_t offset, const char *fmt,
                      ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    err->offset = offset;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* Fill err with PCRE2's message for an error code. */
static void set_pcre2_error(rp_pattern_error *err, size_t offset, int code)
{
    if (!err)
        return;
    err->offset = offset;
    if (pcre2_get_error_message(code, (PCRE2_UCHAR *)err->message,
                                sizeof err->message) < 0 &&
        err->message[0] == '\0')
        snprintf(err->message, sizeof err->message, "PCRE2 error %d", code);
}

/* ------------------------------------------------------------------ */
/* Lexer                                                               */
/* ------------------------------------------------------------------ */

typedef enum tok_kind {
    T_WORD,   /* any run of bytes up to a separator or delimiter */
    T_LBRACK, /* [ */
    T_RBRACK, /* ] */
    T_LPAREN, /* ( */
    T_RPAREN, /* ) */
    T_BAR,    /* | */
    T_EOF,
} tok_kind;

typedef struct tok {
    tok_kind kind;
    size_t off, len;
} tok;

/* Spaces, tabs, newlines and other control bytes separate elements. */
static bool is_sep(unsigned char c)
{
    return c <= ' ' || c == 0x7f;
}

static tok_kind delim_kind(char c)
{
    switch (c) {
    case '[':
        return T_LBRACK;
    case ']':
        return T_RBRACK;
    case '(':
        return T_LPAREN;
    case ')':
        return T_RPAREN;
    case '|':
        return T_BAR;
    default:
        return T_WORD;
    }
}

/* Split src into tokens (the last is T_EOF).  The delimiters need no
 * spaces around them: "(a|b)" is five tokens. */
static tok *lex(const char *src, size_t len, size_t *ntok)
{
    tok *toks = NULL;
    size_t n = 0, cap = 0;
    size_t i = 0;
    for (;;) {
        while (i < len && is_sep((unsigned char)src[i]))
            i++;
        RP_GROW(toks, cap, n + 1);
        if (i >= len) {
            toks[n++] = (tok){T_EOF, len, 0};
            break;
        }
        tok_kind k = delim_kind(src[i]);
        if (k != T_WORD) {
            toks[n++] = (tok){k, i, 1};
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && !is_sep((unsigned char)src[i]) &&
               delim_kind(src[i]) == T_WORD)
            i++;
        /* "^hi" and "bye$" are read as "^ hi" and "bye $" rather than
         * letting the normaliser drop the symbol and the anchor. */
        if (src[start] == '^' && i - start > 1) {
            toks[n++] = (tok){T_WORD, start, 1};
            start++;
            RP_GROW(toks, cap, n + 1);
        }
        if (src[i - 1] == '$' && i - start > 1) {
            toks[n++] = (tok){T_WORD, start, i - 1 - start};
            RP_GROW(toks, cap, n + 1);
            start = i - 1;
        }
        toks[n++] = (tok){T_WORD, start, i - start};
    }
    *ntok = n;
    return toks;
}

/* ------------------------------------------------------------------ */
/* Parser: source -> tree                                              */
/* ------------------------------------------------------------------ */

typedef enum node_kind {
    N_SEQ,    /* children: elements in order */
    N_GROUP,  /* ( ): children are N_SEQ branches */
    N_OPT,    /* [ ]: children are N_SEQ branches */
    N_LIT,    /* normalised tokens in the literal buffer */
    N_PREFIX, /* word*: tokens, the last one a prefix */
    N_STAR,   /* * */
    N_STARN,  /* *~N */
    N_SET,    /* @name */
    N_PUNCT,  /* ? ! . , */
} node_kind;

typedef struct node {
    node_kind kind;
    size_t off;                 /* offset of the element in src */
    size_t text, tlen;          /* N_LIT, N_PREFIX: span of parser.lits */
    unsigned n;                 /* N_STARN: the bound */
    char punct;                 /* N_PUNCT */
    const char *const *entries; /* N_SET */
    size_t nentries;
    int child, last, next; /* tree links: node indices, -1 for none */
} node;

typedef struct parser {
    const char *src;
    size_t len;
    tok *toks;
    size_t ntok, pos;
    node *nodes;
    size_t nnodes, capnodes;
    rp_buf lits; /* normalised literal text of N_LIT / N_PREFIX nodes */
    unsigned ncaps;
    int depth;
    bool anchor_start, anchor_end;
    size_t end_off; /* offset of "$" */
    rp_set_lookup lookup;
    void *lookup_ctx;
    rp_pattern_error *err;
    unsigned norm; /* RP_NORM_* for literal words */
} parser;

/* Add a node with no children; returns its index. */
static int new_node(parser *P, node_kind kind, size_t off)
{
    RP_GROW(P->nodes, P->capnodes, P->nnodes + 1);
    node *n = &P->nodes[P->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->off = off;
    n->child = n->last = n->next = -1;
    return (int)P->nnodes++;
}

static void add_child(parser *P, int parent, int child)
{
    node *p = &P->nodes[parent];
    if (p->last < 0)
        p->child = child;
    else
        P->nodes[p->last].next = child;
    p->last = child;
}

static const tok *peek(const parser *P)
{
    return &P->toks[P->pos];
}

static bool is_punct_char(char c)
{
    return c == '.' || c == '?' || c == '!' || c == ',' || c == ';' || c == ':';
}

/* The clause token a run of punctuation stands for, as text.c collapses
 * it: "?" wins over "!" over "." over "," (";" and ":" are ","). */
static char punct_of(const char *s, size_t n)
{
    char best = ',';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '?')
            return '?';
        if (c == '!')
            best = '!';
        else if (c == '.' && best != '!')
            best = '.';
    }
    return best;
}

/* Is the last token of a normalised phrase s[0..n) a punctuation token? */
static bool ends_in_punct(const char *s, size_t n)
{
    return n > 0 && is_punct_char(s[n - 1]) && (n == 1 || s[n - 2] == ' ');
}

/* Normalise a literal (or a prefix) into P->lits, storing its span in
 * the node.  Returns false when nothing is left. */
static bool norm_literal(parser *P, int ni, const char *w, size_t n,
                         unsigned flags)
{
    size_t before = P->lits.len;
    rp_text_norm_phrase(w, n, flags, &P->lits);
    node *nd = &P->nodes[ni];
    nd->text = before;
    nd->tlen = P->lits.len - before;
    return nd->tlen > 0;
}

/* The clause token that element w[0..n) stands for between two words, or
 * 0.  Asks the normaliser, which knows every dash, ellipsis and foreign
 * question mark: "x - x" normalises to "x , x". */
static char probe_punct(const char *w, size_t n)
{
    rp_buf in = {0}, out = {0};
    rp_buf_puts(&in, "x ");
    rp_buf_put(&in, w, n);
    rp_buf_puts(&in, " x");
    rp_text_norm_phrase(in.ptr, in.len, 0, &out);
    char c = 0;
    if (out.len == 5 && memcmp(out.ptr, "x ", 2) == 0 &&
        memcmp(out.ptr + 3, " x", 2) == 0 && is_punct_char(out.ptr[2]))
        c = out.ptr[2];
    rp_buf_free(&in);
    rp_buf_free(&out);
    return c;
}

/* Parse a word token: a literal, word*, *, *~N, @set or punctuation.
 * (The anchors are handled by the sequence parser.)  Returns the node
 * index or -1 after setting the error. */
static int parse_word(parser *P, const tok *t)
{
    const char *w = P->src + t->off;
    size_t n = t->len;
    int ni;

    if (w[0] == '*') {
        if (n == 1) {
            ni = new_node(P, N_STAR, t->off);
        } else if (n == 3 && w[1] == '~' && w[2] >= '1' && w[2] <= '9') {
            ni = new_node(P, N_STARN, t->off);
            P->nodes[ni].n = (unsigned)(w[2] - '0');
        } else if (w[1] == '~') {
            set_error(P->err, t->off, "'%.*s': the N of *~N must be 1..9",
                      (int)n, w);
            return -1;
        } else {
            set_error(P->err, t->off, "'%.*s': '*' stands alone or ends a word",
                      (int)n, w);
            return -1;
        }
        if (P->ncaps == RP_PAT_MAX_CAPS) {
            set_error(P->err, t->off, "more than %d captures ('*')",
                      RP_PAT_MAX_CAPS);
            return -1;
        }
        P->ncaps++;
        return ni;
    }

    if (w[0] == '@') {
        const char *const *entries = NULL;
        size_t count = 0;
        if (!P->lookup ||
            !P->lookup(P->lookup_ctx, w + 1, n - 1, &entries, &count)) {
            set_error(P->err, t->off, "unknown word set '%.*s'", (int)n, w);
            return -1;
        }
        ni = new_node(P, N_SET, t->off);
        P->nodes[ni].entries = entries;
        P->nodes[ni].nentries = entries ? count : 0;
        return ni;
    }

    size_t np = 0;
    while (np < n && is_punct_char(w[np]))
        np++;
    if (np == n) {
        ni = new_node(P, N_PUNCT, t->off);
        P->nodes[ni].punct = punct_of(w, n);
        return ni;
    }

    const char *star = memchr(w, '*', n);
    if (star && star != w + n - 1) {
        set_error(P->err, t->off + (size_t)(star - w),
                  "'%.*s': '*' stands alone or ends a word", (int)n, w);
        return -1;
    }
    if (star) {
        /* A prefix is a fragment, not a word: no contraction or chat
         * expansion ("u*" is not "you*"), only case and splitting. */
        ni = new_node(P, N_PREFIX, t->off);
        bool words = norm_literal(P, ni, w, n - 1, 0);
        node *nd = &P->nodes[ni];
        if (!words || ends_in_punct(P->lits.ptr + nd->text, nd->tlen)) {
            set_error(P->err, t->off, "'%.*s': '*' must follow a word", (int)n,
                      w);
            return -1;
        }
        return ni;
    }
    ni = new_node(P, N_LIT, t->off);
    if (norm_literal(P, ni, w, n, P->norm))
        return ni;
    /* Nothing left: a dash or an ellipsis is still punctuation. */
    char c = probe_punct(w, n);
    if (!c) {
        set_error(P->err, t->off, "'%.*s' matches no word", (int)n, w);
        return -1;
    }
    P->nodes[ni].kind = N_PUNCT;
    P->nodes[ni].punct = c;
    return ni;
}

static int parse_group(parser *P);

/* Parse a sequence of elements up to "|", ")", "]" or the end.  top: the
 * sequence is the whole pattern (where the anchors may appear). */
static int parse_seq(parser *P, bool top)
{
    int seq = new_node(P, N_SEQ, peek(P)->off);
    for (;;) {
        const tok *t = peek(P);
        if (t->kind == T_EOF || t->kind == T_BAR || t->kind == T_RPAREN ||
            t->kind == T_RBRACK)
            return seq;
        int child;
        if (t->kind == T_LBRACK || t->kind == T_LPAREN) {
            child = parse_group(P);
        } else if (t->len == 1 && P->src[t->off] == '^') {
            if (!top || P->pos != 0) {
                set_error(P->err, t->off, "'^' may only be the first element");
                return -1;
            }
            P->anchor_start = true;
            P->pos++;
            continue;
        } else if (t->len == 1 && P->src[t->off] == '$') {
            if (!top || P->toks[P->pos + 1].kind != T_EOF) {
                set_error(P->err, t->off, "'$' may only be the last element");
                return -1;
            }
            P->anchor_end = true;
            P->end_off = t->off;
            P->pos++;
            continue;
        } else {
            child = parse_word(P, t);
            P->pos++;
        }
        if (child < 0)
            return -1;
        add_child(P, seq, child);
    }
}

/* Parse "[...]" or "(...)": branches separated by "|", each non-empty. */
static int parse_group(parser *P)
{
    const tok *open = peek(P);
    size_t open_off = open->off;
    bool opt = open->kind == T_LBRACK;
    char close = opt ? ']' : ')';
    if (P->depth == RP_PAT_MAX_DEPTH) {
        set_error(P->err, open_off, "more than %d levels of [ ] and ( )",
                  RP_PAT_MAX_DEPTH);
        return -1;
    }
    P->depth++;
    P->pos++;
    int g = new_node(P, opt ? N_OPT : N_GROUP, open_off);
    for (;;) {
        int branch = parse_seq(P, false);
        if (branch < 0)
            return -1;
        const tok *t = peek(P);
        if (t->kind == T_EOF) {
            set_error(P->err, open_off, "'%c' is not closed", opt ? '[' : '(');
            return -1;
        }
        if (P->nodes[branch].child < 0) {
            set_error(P->err, t->off, "empty alternative in '%c%c'",
                      opt ? '[' : '(', close);
            return -1;
        }
        add_child(P, g, branch);
        if (t->kind == T_BAR) {
            P->pos++;
            continue;
        }
        if ((t->kind == T_RBRACK) != opt) {
            set_error(P->err, t->off, "'%c' where '%c' was expected",
                      P->src[t->off], close);
            return -1;
        }
        P->pos++;
        P->depth--;
        return g;
    }
}

/* Parse the whole pattern; returns the root N_SEQ or -1. */
static int parse(parser *P)
{
    if (P->toks[0].kind == T_EOF) {
        set_error(P->err, 0, "empty pattern");
        return -1;
    }
    int root = parse_seq(P, true);
    if (root < 0)
        return -1;
    const tok *t = peek(P);
    if (t->kind == T_BAR) {
        set_error(P->err, t->off, "'|' outside ( ) or [ ]");
        return -1;
    }
    if (t->kind != T_EOF) {
        set_error(P->err, t->off, "'%c' without a matching '%c'",
                  P->src[t->off], t->kind == T_RPAREN ? '(' : '[');
        return -1;
    }
    return root;
}

/* ------------------------------------------------------------------ */
/* Emitter: tree -> regex                                              */
/* ------------------------------------------------------------------ */

typedef struct emitter {
    const parser *P;
    rp_buf re;
    size_t *map; /* map[i]: source offset of regex byte i */
    size_t mapcap;
} emitter;

static void emit(emitter *E, const char *s, size_t n, size_t off)
{
    RP_GROW(E->map, E->mapcap, E->re.len + n);
    for (size_t i = 0; i < n; i++)
        E->map[E->re.len + i] = off;
    rp_buf_put(&E->re, s, n);
}

static void emits(emitter *E, const char *s, size_t off)
{
    emit(E, s, strlen(s), off);
}

/* Emit one token's bytes, backslash-escaping every ASCII character that
 * is not a letter or digit (always a literal in PCRE2, unlike \Q..\E,
 * which a "\E" inside the text would end). */
static void emit_escaped(emitter *E, const char *s, size_t n, size_t off)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                     (c >= 'A' && c <= 'Z');
        if (c < 0x80 && !alnum)
            emit(E, "\\", 1, off);
        emit(E, s + i, 1, off);
    }
}

/* The next space-separated word of s[0..n) at or after *i: its start and
 * length, and whether it is the last word.  Returns false when none is
 * left.  (Phrases here are normalised: words separated by spaces.) */
static bool next_word(const char *s, size_t n, size_t *i, size_t *start,
                      size_t *len, bool *last)
{
    while (*i < n && s[*i] == ' ')
        (*i)++;
    *start = *i;
    while (*i < n && s[*i] != ' ')
        (*i)++;
    if (*i == *start)
        return false;
    *len = *i - *start;
    size_t j = *i;
    while (j < n && s[j] == ' ')
        j++;
    *last = j == n;
    return true;
}

/* Emit space-separated words s[0..n) as "w1 w2 ... " (each token followed
 * by one space, runs of spaces ignored).  prefix: the last token may be
 * followed by more characters of the same word. */
static void emit_words(emitter *E, const char *s, size_t n, bool prefix,
                       size_t off)
{
    size_t i = 0, start, len;
    bool last;
    while (next_word(s, n, &i, &start, &len, &last)) {
        emit_escaped(E, s + start, len, off);
        if (prefix && last)
            emits(E, "[^ ]*", off);
        emit(E, " ", 1, off);
    }
}

/* Byte length of a set entry with its spaces collapsed, for sorting. */
static size_t entry_len(const char *s)
{
    size_t n = 0;
    bool gap = false;
    for (; *s; s++) {
        if (*s == ' ') {
            gap = n > 0;
            continue;
        }
        n += 1 + gap;
        gap = false;
    }
    return n;
}

typedef struct entry_ref {
    const char *s;
    size_t len, index;
} entry_ref;

/* Longest first; equal lengths keep the author's order. */
static int cmp_entries(const void *a, const void *b)
{
    const entry_ref *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* A set becomes an alternation of its entries, longest first so that
 * "data science" is preferred to "data".  An empty set never matches. */
static void emit_set(emitter *E, const node *nd)
{
    entry_ref *refs = xcalloc(nd->nentries, sizeof *refs);
    size_t n = 0;
    for (size_t i = 0; i < nd->nentries; i++) {
        const char *s = nd->entries[i];
        size_t len = s ? entry_len(s) : 0;
        if (len > 0)
            refs[n++] = (entry_ref){s, len, i};
    }
    qsort(refs, n, sizeof *refs, cmp_entries);
    if (n == 0)
        emits(E, "(?!)", nd->off);
    else {
        emits(E, "(?:", nd->off);
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                emits(E, "|", nd->off);
            emit_words(E, refs[i].s, strlen(refs[i].s), false, nd->off);
        }
        emits(E, ")", nd->off);
    }
    free(refs);
}

/* Emit node ni.  tail: nothing follows it to the end of the pattern (and
 * the pattern is not "$"-anchored), so a "*" there is greedy and takes
 * the rest of the clause; elsewhere it is lazy. */
static void emit_node(emitter *E, int ni, bool tail)
{
    const node *nd = &E->P->nodes[ni];
    const char *lits = E->P->lits.ptr;
    char buf[64];
    switch (nd->kind) {
    case N_SEQ:
        for (int c = nd->child; c >= 0; c = E->P->nodes[c].next)
            emit_node(E, c, tail && E->P->nodes[c].next < 0);
        break;
    case N_GROUP:
    case N_OPT:
        emits(E, "(?:", nd->off);
        for (int c = nd->child; c >= 0; c = E->P->nodes[c].next) {
            if (c != nd->child)
                emits(E, "|", nd->off);
            emit_node(E, c, tail);
        }
        emits(E, nd->kind == N_OPT ? ")?" : ")", nd->off);
        break;
    case N_LIT:
        emit_words(E, lits + nd->text, nd->tlen, false, nd->off);
        break;
    case N_PREFIX:
        emit_words(E, lits + nd->text, nd->tlen, true, nd->off);
        break;
    case N_STAR:
        emits(E, tail ? "((?:" WORD_RE ")+)" : "((?:" WORD_RE ")+?)", nd->off);
        break;
    case N_STARN:
        snprintf(buf, sizeof buf, "((?:" WORD_RE "){0,%u}%s)", nd->n,
                 tail ? "" : "?");
        emits(E, buf, nd->off);
        break;
    case N_SET:
        emit_set(E, nd);
        break;
    case N_PUNCT:
        buf[0] = '\\';
        buf[1] = nd->punct;
        buf[2] = ' ';
        emit(E, buf, 3, nd->off);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Required words                                                      */
/* ------------------------------------------------------------------ */

/* A list of words, each followed by a NUL. */
typedef struct wlist {
    rp_buf b;
    size_t n;
} wlist;

static bool wl_has(const wlist *l, const char *w, size_t n)
{
    const char *p = l->b.ptr;
    for (size_t i = 0; i < l->n; i++) {
        size_t len = strlen(p);
        if (len == n && memcmp(p, w, n) == 0)
            return true;
        p += len + 1;
    }
    return false;
}

static void wl_add(wlist *l, const char *w, size_t n)
{
    if (wl_has(l, w, n))
        return;
    rp_buf_put(&l->b, w, n);
    rp_buf_putc(&l->b, '\0');
    l->n++;
}

/* May the index rely on this word?  The regex matches caselessly, but an
 * index compares bytes: text.c lower-cases ASCII, Latin-1 and Latin
 * Extended-A in both the learner's line and our literals, so words made
 * of those are safe.  Other scripts keep their case (Greek, Cyrillic...),
 * and a few letters have caseless twins that text.c does not fold (micro
 * sign / Greek mu, a-ring / Angstrom sign, sharp s / capital sharp s):
 * words with those are not claimed.  The twins of ASCII letters, the
 * Kelvin sign U+212A and the long s U+017F, text.c folds to "k" and "s"
 * in both the learner's line and our literals. */
static bool index_safe(const char *w, size_t n)
{
    const unsigned char *s = (const unsigned char *)w;
    for (size_t i = 0; i < n;) {
        size_t len = rp_utf8_valid_len(s + i, n - i);
        if (len == 0)
            return false;
        uint32_t cp = len == 1 ? s[i] : rp_utf8_decode(s + i, len);
        if (cp >= 0x17f || cp == 0xb5 || cp == 0xc5 || cp == 0xe5 || cp == 0xdf)
            return false;
        i += len;
    }
    return true;
}

/* Add the word tokens of a normalised phrase that the index may rely on;
 * for a prefix, its last word as that word followed by "*" (every match
 * has a token starting with it). */
static void req_words(wlist *out, const char *s, size_t n, bool prefix)
{
    size_t i = 0, start, len;
    bool last;
    while (next_word(s, n, &i, &start, &len, &last)) {
        if (ends_in_punct(s + start, len) || !index_safe(s + start, len))
            continue;
        if (prefix && last) {
            char w[RP_PAT_MAX_PREFIX + 2];
            if (len == 0 || len > RP_PAT_MAX_PREFIX)
                break;
            memcpy(w, s + start, len);
            w[len] = '*';
            wl_add(out, w, len + 1);
            break;
        }
        wl_add(out, s + start, len);
    }
}

/* Collect the words every match of node ni must contain.  Sound before
 * complete: optional parts, sets, wildcards and prefixes add nothing, and
 * alternatives add only the words all their branches require. */
static void req_node(const parser *P, int ni, wlist *out)
{
    const node *nd = &P->nodes[ni];
    switch (nd->kind) {
    case N_SEQ:
        for (int c = nd->child; c >= 0; c = P->nodes[c].next)
            req_node(P, c, out);
        break;
    case N_GROUP: {
        /* Each branch's words once, then the ones every branch has. */
        size_t nb = 0;
        for (int c = nd->child; c >= 0; c = P->nodes[c].next)
            nb++;
        wlist *br = xcalloc(nb, sizeof *br);
        size_t k = 0;
        for (int c = nd->child; c >= 0; c = P->nodes[c].next)
            req_node(P, c, &br[k++]);
        const char *w = br[0].b.ptr;
        for (size_t i = 0; i < br[0].n; i++) {
            size_t len = strlen(w);
            bool all = true;
            for (size_t j = 1; j < nb && all; j++)
                all = wl_has(&br[j], w, len);
            if (all)
                wl_add(out, w, len);
            w += len + 1;
        }
        for (k = 0; k < nb; k++)
            rp_buf_free(&br[k].b);
        free(br);
        break;
    }
    case N_LIT:
        req_words(out, P->lits.ptr + nd->text, nd->tlen, false);
        break;
    case N_PREFIX:
        req_words(out, P->lits.ptr + nd->text, nd->tlen, true);
        break;
    case N_OPT:
    case N_STAR:
    case N_STARN:
    case N_SET:
    case N_PUNCT:
        break;
    }
}

/* The longest word of w[0..n) that the index may rely on, or 0. */
static size_t longest_word(const char *w, size_t n, size_t *at)
{
    size_t i = 0, start, len, best = 0;
    bool last;
    while (next_word(w, n, &i, &start, &len, &last))
        if (len > best && !ends_in_punct(w + start, len) &&
            index_safe(w + start, len)) {
            best = len;
            *at = start;
        }
    return best;
}

/* Any-of groups of the elements of sequence ni (recursing into nested
 * sequences only): an alternative none of whose branches is free of
 * required words, or a word set, means every match contains one of its
 * branches' (entries') words.  Each branch gives its longest required
 * word.  Appended to out as words each followed by a NUL, each group
 * closed by an empty word; returns the number of groups. */
static size_t any_node(const parser *P, int ni, rp_buf *out)
{
    const node *nd = &P->nodes[ni];
    size_t groups = 0;
    if (nd->kind == N_SEQ) {
        for (int c = nd->child; c >= 0; c = P->nodes[c].next)
            groups += any_node(P, c, out);
        return groups;
    }
    size_t mark = out->len;
    bool ok = true;
    if (nd->kind == N_GROUP) {
        for (int c = nd->child; c >= 0 && ok; c = P->nodes[c].next) {
            wlist br = {0};
            req_node(P, c, &br);
            const char *w = br.b.ptr, *best = NULL;
            size_t blen = 0;
            for (size_t i = 0; i < br.n; i++) {
                size_t len = strlen(w);
                if (len > blen) {
                    best = w;
                    blen = len;
                }
                w += len + 1;
            }
            if (best) {
                rp_buf_put(out, best, blen);
                rp_buf_putc(out, '\0');
            } else {
                ok = false;
            }
            rp_buf_free(&br.b);
        }
    } else if (nd->kind == N_SET && nd->nentries) {
        for (size_t e = 0; e < nd->nentries && ok; e++) {
            size_t at = 0;
            size_t len =
                longest_word(nd->entries[e], strlen(nd->entries[e]), &at);
            if (len) {
                rp_buf_put(out, nd->entries[e] + at, len);
                rp_buf_putc(out, '\0');
            } else {
                ok = false;
            }
        }
    } else {
        return 0;
    }
    if (!ok) {
        out->len = mark;
        if (out->ptr)
            out->ptr[mark] = '\0';
        return 0;
    }
    rp_buf_putc(out, '\0');
    return 1;
}

/* ------------------------------------------------------------------ */
/* Compilation                                                         */
/* ------------------------------------------------------------------ */

#define RE_FLAGS (PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS)

/* Compile regex with PCRE2 and (unless told not to) the JIT; a platform
 * without JIT support silently keeps the interpreter. */
static pcre2_code *compile_re(const char *re, size_t len, unsigned flags,
                              int *errcode, size_t *erroff)
{
    PCRE2_SIZE off = 0;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)re, len, RE_FLAGS, errcode, &off, NULL);
    *erroff = off;
    if (code && !(flags & RP_PAT_NOJIT))
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    return code;
}

/* Compile a wildcard pattern into p (src already copied to p->src). */
static bool compile_wildcard(rp_pattern *p, size_t len, unsigned flags,
                             rp_set_lookup lookup, void *lookup_ctx,
                             rp_pattern_error *err)
{
    parser P = {0};
    P.src = p->src;
    P.len = len;
    P.lookup = lookup;
    P.lookup_ctx = lookup_ctx;
    P.err = err;
    P.norm = norm_flags(flags);
    P.toks = lex(p->src, len, &P.ntok);
    emitter E = {0};
    wlist req = {0};
    bool ok = false;

    int root = parse(&P);
    if (root < 0)
        goto done;

    E.P = &P;
    emits(&E, P.anchor_start ? "^ " : " ", 0);
    emit_node(&E, root, !P.anchor_end);
    if (P.anchor_end)
        emits(&E, "(?:[.?!,] )*$", P.end_off);

    int errcode;
    size_t erroff;
    p->code = compile_re(E.re.ptr, E.re.len, flags, &errcode, &erroff);
    if (!p->code) {
        size_t at = erroff < E.re.len ? erroff : E.re.len - 1;
        set_pcre2_error(err, E.map[at], errcode);
        goto done;
    }
    p->ncaps = P.ncaps;

    req_node(&P, root, &req);
    {
        /* Groups one word of each of which every match has (the keys of
         * a pattern that requires no word; a filter besides for one that
         * does). */
        rp_buf any;
        rp_buf_init(&any);
        p->nany = any_node(&P, root, &any);
        p->any_len = any.len;
        p->any = rp_buf_detach(&any);
    }
    p->nreq = req.n;
    p->req_len = req.b.len;
    p->req = rp_buf_detach(&req.b);
    p->regex = rp_buf_detach(&E.re);
    ok = true;
done:
    free(P.toks);
    free(P.nodes);
    rp_buf_free(&P.lits);
    rp_buf_free(&E.re);
    free(E.map);
    rp_buf_free(&req.b);
    return ok;
}

/* Compile a raw regex as-is: its errors are PCRE2's, at PCRE2's offset. */
static bool compile_raw(rp_pattern *p, size_t len, unsigned flags,
                        rp_pattern_error *err)
{
    int errcode;
    size_t erroff;
    p->code = compile_re(p->src, len, flags, &errcode, &erroff);
    if (!p->code) {
        set_pcre2_error(err, erroff, errcode);
        return false;
    }
    uint32_t count = 0;
    pcre2_pattern_info(p->code, PCRE2_INFO_CAPTURECOUNT, &count);
    p->ncaps = count < RP_PAT_MAX_CAPS ? count : RP_PAT_MAX_CAPS;
    p->regex = xstrndup(p->src, len);
    return true;
}

rp_pattern *rp_pattern_compile(const char *src, size_t len, unsigned flags,
                               rp_set_lookup lookup, void *lookup_ctx,
                               rp_pattern_error *err)
{
    if (err) {
        err->offset = 0;
        err->message[0] = '\0';
    }
    if (len > RP_PAT_MAX_LEN) {
        set_error(err, RP_PAT_MAX_LEN, "pattern longer than %d bytes",
                  RP_PAT_MAX_LEN);
        return NULL;
    }
    rp_pattern *p = xcalloc(1, sizeof *p);
    p->src = xstrndup(src ? src : "", src ? len : 0);
    len = src ? len : 0;
    bool ok;
    if (flags & RP_PAT_RAW) {
        if (len == 0) {
            set_error(err, 0, "empty pattern");
            ok = false;
        } else {
            ok = compile_raw(p, len, flags, err);
        }
    } else {
        ok = compile_wildcard(p, len, flags, lookup, lookup_ctx, err);
    }
    if (!ok) {
        rp_pattern_free(p);
        return NULL;
    }
    if (!p->req)
        p->req = xstrdup("");
    return p;
}

void rp_pattern_free(rp_pattern *p)
{
    if (!p)
        return;
    pcre2_code_free(p->code);
    free(p->src);
    free(p->regex);
    free(p->req);
    free(p->any);
    free(p);
}

const char *rp_pattern_regex(const rp_pattern *p)
{
    return p->regex;
}

unsigned rp_pattern_ncaptures(const rp_pattern *p)
{
    return p->ncaps;
}

void rp_pattern_jit(rp_pattern *p)
{
    if (p && p->code)
        (void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
}

const char *rp_pattern_source(const rp_pattern *p)
{
    return p->src;
}

size_t rp_pattern_required_words(const rp_pattern *p, rp_buf *out)
{
    if (p->req_len)
        rp_buf_put(out, p->req, p->req_len);
    return p->nreq;
}

size_t rp_pattern_required_any(const rp_pattern *p, rp_buf *out)
{
    if (p->nreq)
        return 0;
    return rp_pattern_any_groups(p, out);
}

size_t rp_pattern_any_groups(const rp_pattern *p, rp_buf *out)
{
    if (p->any_len)
        rp_buf_put(out, p->any, p->any_len);
    return p->nany;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */
/* ------------------------------------------------------------------ */

/* A span of the subject without the space that ends (or, for the whole
 * match, starts) it: every element of the compiled form consumes
 * "tok ", and the pattern begins with the space before its first
 * token. */
static rp_span trim_span(const char *s, size_t start, size_t end, bool lead)
{
    if (end < start)
        end = start;
    if (end > start && s[end - 1] == ' ')
        end--;
    if (lead && end > start && s[start] == ' ')
        start++;
    return (rp_span){start, end};
}

pcre2_match_data *rp_pattern_match_data(void)
{
    pcre2_match_data *md = pcre2_match_data_create(MATCH_PAIRS, NULL);
    if (!md)
        xmalloc(SIZE_MAX); /* reports out-of-memory and aborts */
    return md;
}

int rp_pattern_match(const rp_pattern *p, const char *subject, size_t len,
                     size_t start, pcre2_match_data *md,
                     pcre2_match_context *mctx, rp_match *m)
{
    if (!subject) {
        subject = "";
        len = 0;
    }
    /* The match text is valid UTF-8 (text.h): no need to check it again
     * for every pattern tried. */
    int rc = pcre2_match(p->code, (PCRE2_SPTR)subject, len, start,
                         PCRE2_NO_UTF_CHECK, md, mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return RP_MATCH_NONE;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return RP_MATCH_LIMIT;
    if (rc < 0)
        return RP_MATCH_ERROR;
    if (!m)
        return RP_MATCH_OK;

    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t pairs = pcre2_get_ovector_count(md);
    /* rc == 0: the ovector was too small and every pair is filled. */
    uint32_t used = rc == 0 ? pairs : (uint32_t)rc;
    memset(m, 0, sizeof *m);
    m->whole = trim_span(subject, ov[0], ov[1], true);
    m->ncaps = p->ncaps;
    for (unsigned i = 1; i <= p->ncaps; i++) {
        if (i < used && ov[2 * i] != PCRE2_UNSET)
            m->caps[i - 1] =
                trim_span(subject, ov[2 * i], ov[2 * i + 1], false);
    }
    return RP_MATCH_OK;
}

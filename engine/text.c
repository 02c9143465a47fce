/*
 * text.c - stage 1 of the pipeline: text normalisation.
 *
 * Turns any bytes at all into an rp_text: a sanitised copy of the input
 * (valid UTF-8, control characters blanked) and the normalised match text
 * " tok tok ... " that pattern.c matches against, with a byte map from the
 * match text back to the sanitised original so that evidence can quote
 * the learner exactly.  text.h holds the contract; the choices it leaves
 * open are settled here:
 *
 *  - Sanitising: each byte that does not start a valid UTF-8 sequence
 *    becomes one U+FFFD; NUL, the other C0 controls except tab, newline
 *    and carriage return, DEL and the C1 controls become one ASCII space.
 *    Truncation drops the whole sequence that would straddle the limit.
 *  - U+FFFD is a word break (garbage does not form words).  Invisible
 *    format characters (soft hyphen, bidi marks, word joiner, BOM) are
 *    skipped without breaking a word; the joiners U+200C/U+200D are word
 *    characters, so emoji ZWJ sequences stay one word.
 *  - "," and ":" between two ASCII digits stay inside the word ("1,000",
 *    "10:30"), like "." in "3.5".
 *  - A run of two or more hyphens is a dash (a "," token); so is a lone
 *    hyphen with white space (or the end) on both sides.
 *  - A run of clause punctuation collapses even across spaces and
 *    symbols ("wait . . ." -> "wait ."); the token's source span runs
 *    from the run's first mark to its last.
 *  - Without RP_NORM_CONTRACTIONS apostrophes are just removed ("don't"
 *    -> "dont", "Dana's" -> "danas").  Chat shorthand applies to the
 *    parts of a contraction too ("u're" -> "you are").
 *  - A word that was rewritten (an apostrophe, a table expansion) maps
 *    every byte to the whole original word; other words map each byte to
 *    the character it came from.  The trailing space maps to an empty
 *    span at the end of the original.
 *  - Empty or blank input gives the match text " " and no tokens.
 *
 * Everything happens in two linear passes (sanitise, then tokenise)
 * into the rp_text's own buffers, which only grow: no allocation per call
 * once they are warm.
 */
#include "text.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

/* Character classes of the tokeniser. */
enum cls {
    C_SPACE,  /* white space and controls: a word break */
    C_BREAK,  /* any other symbol: a word break */
    C_IGNORE, /* invisible format character: skipped, breaks nothing */
    C_WORD,   /* part of a word */
    C_APOS,   /* apostrophe: inside a word, contraction handling */
    C_HYPHEN, /* splits words, or a dash when spaced or doubled */
    C_DOT,    /* ".": inside a word or a clause "." */
    C_NUMSEP, /* "," or ":": inside a number or a clause "," */
    C_DASH,   /* en / em dash: a clause "," */
    C_PDOT,   /* clause punctuation, always a token: "." */
    C_PCOMMA, /* "," */
    C_PQUEST, /* "?" */
    C_PEXCL,  /* "!" */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Classify an ASCII byte. */
static enum cls ascii_class(unsigned c)
{
    if ((c | 0x20) - 'a' < 26 || c - '0' < 10)
        return C_WORD;
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
        return C_SPACE;
    case '.':
        return C_DOT;
    case ',':
    case ':':
        return C_NUMSEP;
    case ';':
        return C_PCOMMA;
    case '?':
        return C_PQUEST;
    case '!':
        return C_PEXCL;
    case '\'':
    case '`':
        return C_APOS;
    case '-':
        return C_HYPHEN;
    default:
        return c < 0x20 || c == 0x7f ? C_SPACE : C_BREAK;
    }
}

/* Classify a non-ASCII code point.  Everything that is not listed as a
 * space, a mark of punctuation or a symbol is a word character (text.h),
 * which makes every script, emoji included, a word. */
static enum cls uni_class(uint32_t cp)
{
    if (cp < 0x2000) {
        if (cp <= 0xa0)
            return C_SPACE; /* C1 controls, no-break space */
        if (cp <= 0xbf) {
            switch (cp) {
            case 0xaa: /* ordinal indicators, micro sign, superscripts */
            case 0xba:
            case 0xb5:
            case 0xb2:
            case 0xb3:
            case 0xb9:
            case 0xbc:
            case 0xbd:
            case 0xbe:
                return C_WORD;
            case 0xad:
                return C_IGNORE; /* soft hyphen */
            case 0xb4:
                return C_APOS; /* acute accent typed as apostrophe */
            default:
                return C_BREAK;
            }
        }
        switch (cp) {
        case 0xd7:
        case 0xf7:
            return C_BREAK;
        case 0x2bc:
            return C_APOS; /* modifier letter apostrophe */
        case 0x37e:
        case 0x61f:
            return C_PQUEST; /* Greek and Arabic question marks */
        case 0x387:
        case 0x60c:
        case 0x61b:
            return C_PCOMMA;
        case 0x6d4:
        case 0x964:
        case 0x965:
            return C_PDOT;
        case 0x1680:
        case 0x180e:
            return C_SPACE;
        default:
            return C_WORD;
        }
    }
    if (cp <= 0x206f) {
        if (cp <= 0x200b || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
            cp == 0x205f)
            return C_SPACE;
        switch (cp) {
        case 0x200c:
        case 0x200d:
            return C_WORD; /* ZWNJ, ZWJ: inside words and emoji */
        case 0x200e:
        case 0x200f:
            return C_IGNORE; /* bidi marks */
        case 0x2010:
        case 0x2011:
            return C_HYPHEN;
        case 0x2013:
        case 0x2014:
        case 0x2015:
            return C_DASH;
        case 0x2018:
        case 0x2019:
        case 0x201b:
            return C_APOS;
        case 0x2026:
            return C_PDOT;
        case 0x203c:
            return C_PEXCL;
        case 0x203d:
        case 0x2047:
        case 0x2048:
        case 0x2049:
            return C_PQUEST;
        default:
            if ((cp >= 0x202a && cp <= 0x202e) || cp >= 0x2060)
                return C_IGNORE; /* bidi embeddings, joiners, isolates */
            return C_BREAK;
        }
    }
    if (cp < 0x2e00)
        return C_WORD;
    if (cp <= 0x2e7f)
        return cp == 0x2e3a || cp == 0x2e3b ? C_DASH : C_BREAK;
    if (cp < 0x3000)
        return C_WORD;
    if (cp <= 0x303f) {
        switch (cp) {
        case 0x3000:
            return C_SPACE;
        case 0x3001:
            return C_PCOMMA;
        case 0x3002:
            return C_PDOT;
        case 0x3005: /* iteration mark, closing mark, ideographic zero */
        case 0x3006:
        case 0x3007:
        case 0x303b:
        case 0x303c:
            return C_WORD;
        default:
            return C_BREAK;
        }
    }
    if (cp < 0xfe10)
        return C_WORD;
    if (cp <= 0xfe6f) {
        switch (cp) {
        case 0xfe10:
        case 0xfe11:
        case 0xfe13:
        case 0xfe14:
        case 0xfe50:
        case 0xfe51:
        case 0xfe54:
        case 0xfe55:
            return C_PCOMMA;
        case 0xfe12:
        case 0xfe19:
        case 0xfe52:
            return C_PDOT;
        case 0xfe15:
        case 0xfe57:
            return C_PEXCL;
        case 0xfe16:
        case 0xfe56:
            return C_PQUEST;
        default:
            /* Variation selectors FE00-FE0F stay with their emoji. */
            return cp >= 0xfe20 && cp <= 0xfe2f ? C_WORD : C_BREAK;
        }
    }
    if (cp == 0xfeff)
        return C_IGNORE; /* byte order mark */
    if (cp >= 0xff01 && cp <= 0xff65) {
        switch (cp) {
        case 0xff01:
            return C_PEXCL;
        case 0xff07:
            return C_APOS;
        case 0xff0c:
        case 0xff1a:
        case 0xff1b:
            return C_PCOMMA;
        case 0xff0d:
            return C_HYPHEN;
        case 0xff0e:
            return C_DOT;
        case 0xff1f:
            return C_PQUEST;
        default:
            if ((cp >= 0xff10 && cp <= 0xff19) ||
                (cp >= 0xff21 && cp <= 0xff3a) ||
                (cp >= 0xff41 && cp <= 0xff5a))
                return C_WORD; /* full-width digits and letters */
            return C_BREAK;
        }
    }
    if (cp >= 0xfff9 && cp <= 0xfffd)
        return C_BREAK; /* specials, replacement character */
    return C_WORD;
}

static enum cls class_of(uint32_t cp)
{
    return cp < 0x80 ? ascii_class(cp) : uni_class(cp);
}

/* Decode the code point at s[i] (s is valid UTF-8, n bytes); its length
 * goes to *len. */
static uint32_t decode_at(const unsigned char *s, size_t i, size_t n,
                          size_t *len)
{
    if (s[i] < 0x80) {
        *len = 1;
        return s[i];
    }
    size_t l = rp_utf8_valid_len(s + i, n - i);
    if (l == 0) { /* cannot happen after sanitising; be safe anyway */
        *len = 1;
        return 0xfffd;
    }
    *len = l;
    return rp_utf8_decode(s + i, l);
}

/* Class of the code point at s[i], C_SPACE past the end. */
static enum cls class_at(const unsigned char *s, size_t i, size_t n)
{
    size_t l;
    return i < n ? class_of(decode_at(s, i, n, &l)) : C_SPACE;
}

/* Lower-case ASCII, Latin-1 and Latin Extended-A capitals; fold the
 * Kelvin sign and the long s, which PCRE2 matches caselessly as "k" and
 * "s", to those letters (so a word compares equal byte for byte where the
 * regex would match it: the rule index relies on it); every other code
 * point is returned unchanged. */
static uint32_t lower_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp - 'A' < 26 ? cp | 0x20 : cp;
    if (cp == 0x212a)
        return 'k'; /* KELVIN SIGN */
    if (cp == 0x17f)
        return 's'; /* LATIN SMALL LETTER LONG S */
    if (cp < 0xc0 || cp > 0x17e)
        return cp;
    if (cp <= 0xde)
        return cp == 0xd7 ? cp : cp + 0x20;
    if (cp < 0x100)
        return cp;
    if (cp <= 0x12f || (cp >= 0x132 && cp <= 0x137) ||
        (cp >= 0x14a && cp <= 0x177))
        return cp | 1; /* even capitals, odd small letters */
    if (cp == 0x130)
        return 'i'; /* capital I with dot above */
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
        return cp & 1 ? cp + 1 : cp; /* odd capitals */
    if (cp == 0x178)
        return 0xff; /* Y with diaeresis */
    return cp;
}

/* ------------------------------------------------------------------ */
/* Word tables                                                         */
/* ------------------------------------------------------------------ */

/* Whole words rewritten after tokenising: apostrophe-less contractions
 * (under RP_NORM_CONTRACTIONS) and chat shorthand (RP_NORM_CHAT).  Sorted
 * by key for bsearch; keys are at most WORD_KEY_MAX bytes. */
typedef struct word_entry {
    const char *key;
    const char *expansion;
    unsigned flag;
} word_entry;

#define CONTR        RP_NORM_CONTRACTIONS
#define CHAT         RP_NORM_CHAT
#define WORD_KEY_MAX 8

static const word_entry word_table[] = {
    {"arent", "are not", CONTR},
    {"btw", "by the way", CHAT},
    {"cant", "can not", CONTR},
    {"couldnt", "could not", CONTR},
    {"didnt", "did not", CONTR},
    {"doesnt", "does not", CONTR},
    {"dont", "do not", CONTR},
    {"hadnt", "had not", CONTR},
    {"hasnt", "has not", CONTR},
    {"havent", "have not", CONTR},
    {"howd", "how did", CONTR},
    {"hows", "how is", CONTR},
    {"idk", "i do not know", CHAT},
    {"im", "i am", CONTR},
    {"isnt", "is not", CONTR},
    {"ive", "i have", CONTR},
    {"pls", "please", CHAT},
    {"plz", "please", CHAT},
    {"shouldnt", "should not", CONTR},
    {"tbh", "to be honest", CHAT},
    {"thanx", "thanks", CHAT},
    {"thats", "that is", CONTR},
    {"theres", "there is", CONTR},
    {"theyre", "they are", CONTR},
    {"thx", "thanks", CHAT},
    {"ty", "thank you", CHAT},
    {"u", "you", CHAT},
    {"ur", "your", CHAT},
    {"wasnt", "was not", CONTR},
    {"werent", "were not", CONTR},
    {"whatd", "what did", CONTR},
    {"whats", "what is", CONTR},
    {"whered", "where did", CONTR},
    {"wheres", "where is", CONTR},
    {"whos", "who is", CONTR},
    {"whyd", "why did", CONTR},
    {"wont", "will not", CONTR},
    {"wouldnt", "would not", CONTR},
    {"youre", "you are", CONTR},
    {"youve", "you have", CONTR},
};

#undef CONTR
#undef CHAT

/* bsearch key: a word that is not NUL-terminated. */
typedef struct word_key {
    const char *s;
    size_t n;
} word_key;

static int word_cmp(const void *k, const void *e)
{
    const word_key *key = k;
    const char *w = ((const word_entry *)e)->key;
    size_t wn = strlen(w);
    int c = memcmp(key->s, w, key->n < wn ? key->n : wn);
    if (c)
        return c;
    return key->n < wn ? -1 : key->n > wn;
}

/* The expansion of word w[0..n) enabled by flags, or NULL. */
static const char *word_lookup(const char *w, size_t n, unsigned flags)
{
    if (n == 0 || n > WORD_KEY_MAX || !(flags & RP_NORM_DEFAULT))
        return NULL;
    word_key key = {w, n};
    const word_entry *e =
        bsearch(&key, word_table, sizeof word_table / sizeof *word_table,
                sizeof *word_table, word_cmp);
    return e && (e->flag & flags) ? e->expansion : NULL;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/* What "'s" after the word w[0..n) stands for: "is", "us" (let's), or
 * NULL for a possessive. */
static const char *apos_s(const char *w, size_t n)
{
    static const char *const is_words[] = {
        "it",  "that",  "what", "where", "who",
        "how", "there", "here", "he",    "she",
    };
    if (word_is(w, n, "let"))
        return "us";
    for (size_t i = 0; i < sizeof is_words / sizeof *is_words; i++)
        if (word_is(w, n, is_words[i]))
            return "is";
    return NULL;
}

/* Question words, after which "'d" is "did" ("how'd you start?"). */
static bool wh_word(const char *w, size_t n)
{
    static const char *const words[] = {"how", "what", "where",
                                        "why", "when", "who"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (word_is(w, n, words[i]))
            return true;
    return false;
}

/* The word for a contraction suffix other than "'s" and "n't" ("re" ->
 * "are"), or NULL. */
static const char *apos_suffix(const char *s, size_t n)
{
    if (word_is(s, n, "re"))
        return "are";
    if (word_is(s, n, "ve"))
        return "have";
    if (word_is(s, n, "ll"))
        return "will";
    if (word_is(s, n, "d"))
        return "would";
    if (word_is(s, n, "m"))
        return "am";
    return NULL;
}

/* The irregular bases of "n't", once the "n" is gone: can't, won't,
 * shan't, ain't. */
static const char *nt_base(const char *w, size_t n)
{
    if (word_is(w, n, "ca"))
        return "can";
    if (word_is(w, n, "wo"))
        return "will";
    if (word_is(w, n, "sha"))
        return "shall";
    if (word_is(w, n, "ai"))
        return "am";
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Building the match text                                             */
/* ------------------------------------------------------------------ */

/* State of one rp_text_set call. */
typedef struct norm {
    rp_text *t;
    unsigned flags;
    bool in_word;
    bool has_apos;   /* the current word holds an apostrophe (as ') */
    size_t wm;       /* match offset of the current word */
    uint32_t ws, we; /* its span in the original */
    char pend;       /* pending clause punctuation, or 0 */
    uint32_t ps, pe; /* its span */
    size_t out0;     /* while rewriting a word: start of the new text */
    size_t pc;       /* ... and of the piece being built */
} norm;

/* Make room for need map entries. */
static void map_reserve(rp_text *t, size_t need)
{
    if (need <= t->map_cap)
        return;
    size_t cap = t->map_cap;
    RP_GROW(t->src_start, cap, need);
    cap = t->map_cap;
    RP_GROW(t->src_end, cap, need);
    t->map_cap = cap;
}

/* Fill the map of match bytes [from, to) with the span [s, e). */
static void map_fill(rp_text *t, size_t from, size_t to, uint32_t s, uint32_t e)
{
    map_reserve(t, to);
    for (size_t i = from; i < to; i++) {
        t->src_start[i] = s;
        t->src_end[i] = e;
    }
}

/* Append b[0..n) to the match text, every byte from span [s, e). */
static void put_mapped(rp_text *t, const char *b, size_t n, uint32_t s,
                       uint32_t e)
{
    size_t at = t->match.len;
    rp_buf_put(&t->match, b, n);
    map_fill(t, at, at + n, s, e);
}

static void add_token(rp_text *t, size_t start, size_t len, uint32_t s,
                      uint32_t e, rp_token_kind kind)
{
    RP_GROW(t->tokens, t->tok_cap, t->ntokens + 1);
    rp_token *tok = &t->tokens[t->ntokens++];
    tok->start = (uint32_t)start;
    tok->len = (uint32_t)len;
    tok->src_start = s;
    tok->src_end = e;
    tok->kind = kind;
    tok->stem_start = 0;
    tok->stem_len = 0;
    if (kind == RP_TOK_WORD)
        t->nwords++;
}

static int punct_rank(char c)
{
    switch (c) {
    case '?':
        return 4;
    case '!':
        return 3;
    case '.':
        return 2;
    case ',':
        return 1;
    default:
        return 0;
    }
}

/* Note clause punctuation c from span [s, e); a run keeps its strongest
 * mark and is emitted before the next word or at the end. */
static void punct(norm *nm, char c, uint32_t s, uint32_t e)
{
    if (!nm->pend)
        nm->ps = s;
    if (punct_rank(c) > punct_rank(nm->pend))
        nm->pend = c;
    nm->pe = e;
}

/* Emit the pending punctuation token, unless nothing precedes it. */
static void flush_punct(norm *nm)
{
    rp_text *t = nm->t;
    if (!nm->pend)
        return;
    if (t->ntokens > 0) {
        put_mapped(t, " ", 1, nm->ps, nm->ps);
        size_t at = t->match.len;
        put_mapped(t, &nm->pend, 1, nm->ps, nm->pe);
        add_token(t, at, 1, nm->ps, nm->pe, RP_TOK_PUNCT);
        if (nm->pend == '?')
            t->question = true;
    }
    nm->pend = 0;
}

/* Start a word at offset pos of the original. */
static void begin_word(norm *nm, uint32_t pos)
{
    flush_punct(nm);
    put_mapped(nm->t, " ", 1, pos, pos);
    nm->wm = nm->t->match.len;
    nm->ws = nm->we = pos;
    nm->in_word = true;
    nm->has_apos = false;
}

/* Append match[from, from + n) to the end of the match text (the source
 * lies before the end, so reserve first: the buffer may move). */
static void self_append(rp_buf *b, size_t from, size_t n)
{
    rp_buf_reserve(b, n);
    memcpy(b->ptr + b->len, b->ptr + from, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

/* Piece handling while a word is rewritten: the new text is built after
 * the word, at match[out0..), as space-separated pieces. */
static void piece_start(norm *nm)
{
    if (nm->t->match.len > nm->out0)
        rp_buf_putc(&nm->t->match, ' ');
    nm->pc = nm->t->match.len;
}

/* Finish the current piece: drop it if empty, else apply the word
 * table. */
static void piece_close(norm *nm)
{
    rp_buf *m = &nm->t->match;
    size_t n = m->len - nm->pc;
    if (n == 0) {
        rp_buf_truncate(m, nm->pc > nm->out0 ? nm->pc - 1 : nm->pc);
        return;
    }
    const char *x = word_lookup(m->ptr + nm->pc, n, nm->flags);
    if (x) {
        rp_buf_truncate(m, nm->pc);
        rp_buf_puts(m, x);
    }
}

/* A whole piece that is a contraction's expansion ("not", "is"). */
static void piece_word(norm *nm, const char *w)
{
    piece_close(nm);
    piece_start(nm);
    rp_buf_puts(&nm->t->match, w);
    piece_start(nm);
}

/* Rewrite the word at match[wm..end): split it at its apostrophes,
 * expand contractions and the word table, then move the result into
 * place.  Every byte maps to the whole word. */
static void rewrite_word(norm *nm)
{
    rp_text *t = nm->t;
    rp_buf *m = &t->match;
    size_t end = m->len;
    nm->out0 = end;
    piece_start(nm);

    size_t a = nm->wm, b = a;
    while (b < end && m->ptr[b] != '\'')
        b++;
    self_append(m, a, b - a);
    while (b < end) {
        a = b + 1;
        b = a;
        while (b < end && m->ptr[b] != '\'')
            b++;
        size_t sn = b - a, cn = m->len - nm->pc;
        const char *seg = m->ptr + a, *cur = m->ptr + nm->pc;
        const char *x;
        if (!(nm->flags & RP_NORM_CONTRACTIONS)) {
            self_append(m, a, sn);
        } else if (sn == 1 && seg[0] == 't' && cn > 0 &&
                   m->ptr[m->len - 1] == 'n' &&
                   (cn == 1 || !strchr(".,:", m->ptr[m->len - 2]))) {
            /* (Not after "." in "a.n't": "a." would be no word.) */
            rp_buf_truncate(m, m->len - 1);
            x = nt_base(cur, cn - 1);
            if (x) {
                rp_buf_truncate(m, nm->pc);
                rp_buf_puts(m, x);
            }
            piece_word(nm, "not");
        } else if (sn == 1 && seg[0] == 's') {
            x = apos_s(cur, cn);
            if (x) /* else a possessive: dropped */
                piece_word(nm, x);
        } else if (sn == 1 && seg[0] == 'd' && wh_word(cur, cn)) {
            piece_word(nm, "did"); /* "how'd you" asks about the past */
        } else if ((x = apos_suffix(seg, sn)) != NULL) {
            piece_word(nm, x);
        } else {
            self_append(m, a, sn); /* "o'clock" -> "oclock" */
        }
    }
    piece_close(nm);

    size_t n = m->len - end;
    memmove(m->ptr + nm->wm, m->ptr + end, n);
    if (n == 0) /* cannot happen: a word keeps a piece; drop it anyway */
        nm->wm--;
    rp_buf_truncate(m, nm->wm + n);
    map_fill(t, nm->wm, nm->wm + n, nm->ws, nm->we);
    size_t s = nm->wm;
    for (size_t i = nm->wm; i <= nm->wm + n; i++) {
        if (i == nm->wm + n || m->ptr[i] == ' ') {
            if (i > s)
                add_token(t, s, i - s, nm->ws, nm->we, RP_TOK_WORD);
            if (i < nm->wm + n) {
                t->src_start[i] = t->src_end[i] = nm->ws;
            }
            s = i + 1;
        }
    }
}

/* End the current word, if any: a plain word becomes a token as it
 * stands, one with an apostrophe or in the word table is rewritten. */
static void end_word(norm *nm)
{
    rp_text *t = nm->t;
    if (!nm->in_word)
        return;
    nm->in_word = false;
    size_t n = t->match.len - nm->wm;
    if (nm->has_apos || word_lookup(t->match.ptr + nm->wm, n, nm->flags))
        rewrite_word(nm);
    else
        add_token(t, nm->wm, n, nm->ws, nm->we, RP_TOK_WORD);
}

/* Append one character of the current word: c[0..n) from the original
 * span [s, e). */
static void word_put(norm *nm, const char *c, size_t n, uint32_t s, uint32_t e)
{
    put_mapped(nm->t, c, n, s, e);
    nm->we = e;
}

/* Copy in[0..len) to t->src as valid UTF-8, at most RP_TEXT_MAX_INPUT
 * input bytes, never splitting a sequence. */
static void sanitise(rp_text *t, const unsigned char *in, size_t len)
{
    size_t limit = len > RP_TEXT_MAX_INPUT ? RP_TEXT_MAX_INPUT : len;
    t->truncated = len > RP_TEXT_MAX_INPUT;
    rp_buf_reserve(&t->src, limit);
    size_t i = 0;
    while (i < limit) {
        unsigned char c = in[i];
        if (c >= 0x20 && c < 0x7f) {
            size_t j = i + 1;
            while (j < limit && in[j] >= 0x20 && in[j] < 0x7f)
                j++;
            rp_buf_put(&t->src, in + i, j - i);
            i = j;
            continue;
        }
        if (c < 0x80) {
            bool keep = c == '\t' || c == '\n' || c == '\r';
            rp_buf_putc(&t->src, keep ? c : ' ');
            i++;
            continue;
        }
        /* Look past the limit so a sequence cut by it is seen whole. */
        size_t l = rp_utf8_valid_len(in + i, len - i);
        if (l == 0) {
            rp_buf_put(&t->src, "\xef\xbf\xbd", 3);
            t->had_invalid = true;
            i++;
            continue;
        }
        if (i + l > limit)
            break;
        if (l == 2 && rp_utf8_decode(in + i, l) < 0xa0)
            rp_buf_putc(&t->src, ' '); /* C1 control */
        else
            rp_buf_put(&t->src, in + i, l);
        i += l;
    }
    t->src.ptr[t->src.len] = '\0';
}

/* The tokeniser: one pass over the sanitised original. */
static void tokenise(rp_text *t, unsigned flags)
{
    const unsigned char *s = (const unsigned char *)t->src.ptr;
    size_t n = t->src.len;
    norm nm = {.t = t, .flags = flags};
    enum cls prev = C_SPACE;
    size_t i = 0;
    rp_buf_reserve(&t->match, n + 2);

    while (i < n) {
        size_t l;
        uint32_t cp = decode_at(s, i, n, &l);
        uint32_t at = (uint32_t)i, next = (uint32_t)(i + l);
        enum cls c = class_of(cp);
        switch (c) {
        case C_WORD: {
            char buf[4];
            if (!nm.in_word)
                begin_word(&nm, at);
            if (cp < 0x80) {
                buf[0] = (char)lower_cp(cp);
                word_put(&nm, buf, 1, at, next);
            } else {
                uint32_t lc = lower_cp(cp);
                if (lc == cp)
                    word_put(&nm, (const char *)s + i, l, at, next);
                else
                    word_put(&nm, buf, rp_utf8_encode(lc, buf), at, next);
            }
            break;
        }
        case C_IGNORE:
            i += l;
            continue; /* not even "prev" changes */
        case C_APOS:
            if (nm.in_word && class_at(s, next, n) == C_WORD) {
                word_put(&nm, "'", 1, at, next);
                nm.has_apos = true;
            } else {
                end_word(&nm);
            }
            break;
        case C_DOT:
            if (nm.in_word && class_at(s, next, n) == C_WORD) {
                word_put(&nm, ".", 1, at, next);
            } else {
                end_word(&nm);
                punct(&nm, '.', at, next);
            }
            break;
        case C_NUMSEP:
            if (nm.in_word && is_digit(t->match.ptr[t->match.len - 1]) &&
                next < n && is_digit((char)s[next])) {
                word_put(&nm, (const char *)s + i, 1, at, next);
            } else {
                end_word(&nm);
                punct(&nm, ',', at, next);
            }
            break;
        case C_HYPHEN: {
            /* Look at the whole run of hyphens and what surrounds it. */
            size_t j = next, runs = 1, lj;
            while (j < n && class_of(decode_at(s, j, n, &lj)) == C_HYPHEN) {
                j += lj;
                runs++;
            }
            enum cls after = class_at(s, j, n);
            end_word(&nm);
            /* Otherwise ("follow-up", "-5") it is a plain word break. */
            if (runs >= 2 || (prev == C_SPACE && after == C_SPACE))
                punct(&nm, ',', at, (uint32_t)j);
            prev = C_HYPHEN;
            i = j;
            continue;
        }
        case C_DASH:
        case C_PCOMMA:
            end_word(&nm);
            punct(&nm, ',', at, next);
            break;
        case C_PDOT:
            end_word(&nm);
            punct(&nm, '.', at, next);
            break;
        case C_PQUEST:
            end_word(&nm);
            punct(&nm, '?', at, next);
            break;
        case C_PEXCL:
            end_word(&nm);
            punct(&nm, '!', at, next);
            break;
        case C_SPACE:
        case C_BREAK:
            end_word(&nm);
            break;
        }
        prev = c;
        i = next;
    }
    end_word(&nm);
    flush_punct(&nm);
    put_mapped(t, " ", 1, (uint32_t)n, (uint32_t)n);
}

/* ------------------------------------------------------------------ */
/* Public functions                                                    */
/* ------------------------------------------------------------------ */

void rp_text_init(rp_text *t)
{
    memset(t, 0, sizeof *t);
}

void rp_text_free(rp_text *t)
{
    rp_buf_free(&t->src);
    rp_buf_free(&t->match);
    rp_buf_free(&t->stems);
    free(t->src_start);
    free(t->src_end);
    free(t->tokens);
    rp_text_init(t);
}

/* Sanitise, then tokenise; every buffer is reused. */
void rp_text_set(rp_text *t, const char *in, size_t len, unsigned flags)
{
    rp_buf_clear(&t->src);
    rp_buf_clear(&t->match);
    rp_buf_clear(&t->stems);
    t->ntokens = 0;
    t->nwords = 0;
    t->question = false;
    t->truncated = false;
    t->had_invalid = false;
    if (!in)
        len = 0;
    sanitise(t, (const unsigned char *)in, len);
    tokenise(t, flags);
}

/* Stem every word token into t->stems ("stem stem ..."); punctuation
 * tokens get an empty stem.  libstemmer returns its own buffer, which is
 * copied at once. */
typedef struct stem_entry {
    uint8_t wlen, slen; /* wlen 0: empty */
    char word[RP_STEMCACHE_WORD];
    char stem[RP_STEMCACHE_WORD];
} stem_entry;

struct rp_stemcache {
    stem_entry slot[RP_STEMCACHE_SLOTS];
    unsigned long hits, misses;
};

rp_stemcache *rp_stemcache_new(void)
{
    return xcalloc(1, sizeof(rp_stemcache));
}

void rp_stemcache_free(rp_stemcache *c)
{
    free(c);
}

size_t rp_stemcache_slot(const char *w, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)w[i];
        h *= 16777619u;
    }
    return h % RP_STEMCACHE_SLOTS;
}

void rp_stemcache_counts(const rp_stemcache *c, unsigned long *hits,
                         unsigned long *misses)
{
    *hits = c->hits;
    *misses = c->misses;
}

/* The stem of w[0..n) into *out, *outn (pointing into c or stemmer). */
static void stem_word(struct sb_stemmer *stemmer, rp_stemcache *c,
                      const char *w, size_t n, const char **out, size_t *outn)
{
    *out = w;
    *outn = n;
    if (!stemmer)
        return;
    stem_entry *e = NULL;
    if (c && n > 0 && n < RP_STEMCACHE_WORD) {
        e = &c->slot[rp_stemcache_slot(w, n)];
        if (e->wlen == n && memcmp(e->word, w, n) == 0) {
            c->hits++;
            *out = e->stem;
            *outn = e->slen;
            return;
        }
        c->misses++;
    }
    const sb_symbol *r = sb_stemmer_stem(stemmer, (const sb_symbol *)w, (int)n);
    if (!r) /* NULL only when libstemmer is out of memory */
        return;
    *out = (const char *)r;
    *outn = (size_t)sb_stemmer_length(stemmer);
    if (e && *outn < RP_STEMCACHE_WORD) {
        e->wlen = (uint8_t)n;
        memcpy(e->word, w, n);
        e->slen = (uint8_t)*outn;
        memcpy(e->stem, r, *outn);
    }
}

void rp_text_stem(rp_text *t, struct sb_stemmer *stemmer)
{
    rp_text_stem_cached(t, stemmer, NULL);
}

void rp_text_stem_cached(rp_text *t, struct sb_stemmer *stemmer,
                         rp_stemcache *c)
{
    rp_buf_clear(&t->stems);
    rp_buf_reserve(&t->stems, t->match.len);
    t->stems.ptr[0] = '\0';
    for (size_t i = 0; i < t->ntokens; i++) {
        rp_token *tok = &t->tokens[i];
        if (tok->kind != RP_TOK_WORD) {
            tok->stem_start = (uint32_t)t->stems.len;
            tok->stem_len = 0;
            continue;
        }
        const char *w;
        size_t n;
        stem_word(stemmer, c, t->match.ptr + tok->start, tok->len, &w, &n);
        if (t->stems.len)
            rp_buf_putc(&t->stems, ' ');
        tok->stem_start = (uint32_t)t->stems.len;
        tok->stem_len = (uint32_t)n;
        rp_buf_put(&t->stems, w, n);
    }
}

/* Normalise a pattern word with a scratch rp_text (load time only, so
 * the allocation does not matter) and append its tokens to out. */
void rp_text_norm_phrase(const char *w, size_t n, unsigned flags, rp_buf *out)
{
    /* Most literals are one plain lower-case word that normalises to
     * itself: skip the whole normaliser (load time of big personas). */
    size_t k = 0;
    while (k < n &&
           ((w[k] >= 'a' && w[k] <= 'z') || (w[k] >= '0' && w[k] <= '9')))
        k++;
    if (n > 0 && k == n && !word_lookup(w, n, flags)) {
        rp_buf_put(out, w, n);
        return;
    }
    rp_text t;
    rp_text_init(&t);
    rp_text_set(&t, w, n, flags);
    if (t.match.len > 2)
        rp_buf_put(out, t.match.ptr + 1, t.match.len - 2);
    else
        rp_buf_put(out, "", 0); /* keep out NUL-terminated */
    rp_text_free(&t);
}

/* Negators, compared ASCII case-insensitively. */
bool rp_text_is_negator(const char *w, size_t n)
{
    static const char *const negators[] = {
        "not",    "no",   "never",   "nothing", "without",
        "nobody", "none", "neither", "nor",     "cannot",
    };
    char low[8];
    if (n < 2 || n > sizeof low)
        return false;
    for (size_t i = 0; i < n; i++)
        low[i] = w[i] >= 'A' && w[i] <= 'Z' ? (char)(w[i] | 0x20) : w[i];
    for (size_t i = 0; i < sizeof negators / sizeof *negators; i++)
        if (word_is(low, n, negators[i]))
            return true;
    return false;
}

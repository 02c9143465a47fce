/*
 * text.h - stage 1 of the pipeline: text normalisation.
 *
 * A learner's line (or a persona's reply, or a pattern's literal word)
 * becomes an rp_text: the sanitised original, and a normalised "match
 * text" that the pattern stage (pattern.h) matches against.  Internal
 * header: tools/ never includes it.
 *
 * THE MATCH TEXT.  Tokens separated by single spaces, with one leading and
 * one trailing space, so every token is " tok ":
 *
 *     "So, what's your role?"   ->   " so , what is your role ? "
 *
 *  - Invalid UTF-8 is replaced by U+FFFD in the sanitised original (never
 *    a crash); NUL bytes and other control characters count as spaces.
 *  - Case: ASCII A-Z lower-cased, and Latin-1 / Latin Extended-A capitals
 *    lower-cased; the Kelvin sign U+212A and the long s U+017F become "k"
 *    and "s" (their caseless twins); other scripts pass through (patterns
 *    are compiled caseless, so matching is case-insensitive anyway).
 *  - Curly quotes map to ' and "; en and em dashes, and " - " between
 *    words, become a "," clause token; the ellipsis becomes ".".
 *  - Clause punctuation becomes a token of its own: "." "?" "!" and ","
 *    (";" and ":" become ","). A run collapses to one token, "?" winning
 *    over "!" over "." over "," ("?!" -> "?").  No punctuation token is
 *    emitted at the very start.  A "." between two digits stays inside
 *    the word ("3.5"); so does one inside a word like "e.g" or "node.js".
 *  - Word characters: ASCII letters and digits, and every non-ASCII code
 *    point except spaces and punctuation (U+00A0, U+2000-U+206F, U+3000-
 *    U+303F, U+FF01-U+FF0F and the like).  So emoji and CJK are words.
 *  - An apostrophe inside a word is handled by contraction expansion (with
 *    RP_NORM_CONTRACTIONS), then removed:  n't -> " not" (can't -> "can
 *    not", won't -> "will not", shan't -> "shall not", ain't -> "am not"),
 *    're -> are, 've -> have, 'll -> will, 'd -> would, 'm -> am; 's ->
 *    " is" after it, that, what, where, who, how, there, here, he, she,
 *    let ("let's" -> "let us"), otherwise 's is a possessive and is
 *    dropped ("Dana's" -> "dana").  Common apostrophe-less forms learners
 *    type are expanded too: dont didnt doesnt isnt arent wasnt werent cant
 *    couldnt wouldnt shouldnt havent hasnt hadnt wont im ive youre youve
 *    theyre thats whats theres.
 *  - With RP_NORM_CHAT, chat shorthand is expanded: u -> you, ur -> your,
 *    thx/thanx -> thanks, ty -> thank you, pls/plz -> please, idk -> i do
 *    not know, tbh -> to be honest, btw -> by the way.
 *  - Hyphens and slashes between letters split words ("follow-up" ->
 *    "follow up"); every other symbol (quotes, brackets, #, &, ...) is a
 *    word break.
 *
 * OFFSETS.  For every byte of the match text, src_start[i]/src_end[i]
 * give the byte span of the sanitised original it came from (an expanded
 * contraction maps every one of its bytes to the whole original word; a
 * separator space maps to an empty span at the next token).  Evidence
 * quotes the learner by these spans.
 *
 * ALLOCATION.  An rp_text is reusable: rp_text_set() keeps its buffers
 * and only grows them, so a session that owns one does not allocate per
 * turn once warm.  Input beyond RP_TEXT_MAX_INPUT bytes is ignored (the
 * truncated flag says so).
 */
#ifndef RP_TEXT_H
#define RP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct sb_stemmer;

#define RP_TEXT_MAX_INPUT (16 * 1024)

enum {
    RP_NORM_CONTRACTIONS = 1 << 0, /* expand contractions (default on) */
    RP_NORM_CHAT = 1 << 1,         /* expand chat shorthand (default on) */
    RP_NORM_DEFAULT = RP_NORM_CONTRACTIONS | RP_NORM_CHAT,
};

typedef enum rp_token_kind {
    RP_TOK_WORD,
    RP_TOK_PUNCT, /* one of . ? ! , */
} rp_token_kind;

typedef struct rp_token {
    uint32_t start, len;         /* in the match text (no spaces) */
    uint32_t src_start, src_end; /* byte span in the sanitised original */
    rp_token_kind kind;
    uint32_t stem_start, stem_len; /* in stems buffer, after rp_text_stem */
} rp_token;

typedef struct rp_text {
    rp_buf src;                    /* sanitised original (valid UTF-8) */
    rp_buf match;                  /* " tok tok ... " */
    uint32_t *src_start, *src_end; /* one per match byte; cap = map_cap */
    size_t map_cap;
    rp_token *tokens;
    size_t ntokens, tok_cap;
    size_t nwords;    /* tokens of kind RP_TOK_WORD */
    bool question;    /* contains a "?" token */
    bool truncated;   /* input was longer than RP_TEXT_MAX_INPUT */
    bool had_invalid; /* invalid UTF-8 was replaced */
    rp_buf stems;     /* filled by rp_text_stem: stems, space-separated */
} rp_text;

/* A zeroed rp_text is valid and empty.  rp_text_free releases buffers
 * (not the struct itself, which the caller owns). */
void rp_text_init(rp_text *t);
void rp_text_free(rp_text *t);

/* Normalise in[0..len) (any bytes at all) into t, replacing its previous
 * contents.  flags: RP_NORM_*.  Never fails. */
void rp_text_set(rp_text *t, const char *in, size_t len, unsigned flags);

/* Compute the Snowball stem of every word token (lower-case UTF-8) with
 * the given stemmer (owned by the caller: one per session, as libstemmer
 * is not thread-safe).  Fills t->stems and each token's stem_start/len.
 * A NULL stemmer copies the words unchanged. */
void rp_text_stem(rp_text *t, struct sb_stemmer *stemmer);

/* A cache of word -> stem for one stemmer (a session's): direct-mapped,
 * RP_STEMCACHE_SLOTS slots of words up to RP_STEMCACHE_WORD - 1 bytes
 * (longer words, and words with longer stems, are stemmed every time).
 * Allocated once; a lookup never allocates. */
#define RP_STEMCACHE_SLOTS 1024
#define RP_STEMCACHE_WORD  24
typedef struct rp_stemcache rp_stemcache;
rp_stemcache *rp_stemcache_new(void);
void rp_stemcache_free(rp_stemcache *c);
/* The slot of word w[0..n) (tests use it to make collisions). */
size_t rp_stemcache_slot(const char *w, size_t n);
/* Lookups that found the word, and that did not (tests). */
void rp_stemcache_counts(const rp_stemcache *c, unsigned long *hits,
                         unsigned long *misses);

/* rp_text_stem, with the stems of words seen before taken from c (NULL:
 * no cache).  The result is the same byte for byte. */
void rp_text_stem_cached(rp_text *t, struct sb_stemmer *stemmer,
                         rp_stemcache *c);

/* Normalise a single pattern word (or short phrase) the same way, for
 * the pattern compiler: appends the space-separated tokens of w[0..n) to
 * out, without the leading and trailing space.  ("What's" -> "what is") */
void rp_text_norm_phrase(const char *w, size_t n, unsigned flags, rp_buf *out);

/* Is this word a negator ("not", "no", "never", "nothing", "without",
 * "nobody", "none", "neither", "nor", "cannot")?  Used for negation
 * scope by intents and scoring. */
bool rp_text_is_negator(const char *w, size_t n);

#endif

/*
 * pattern.h - stage 2a: compiling and matching patterns.
 *
 * Authors write patterns in a wildcard syntax; power users write raw
 * PCRE2 with "regex:".  Both are compiled once, at persona load time, to
 * PCRE2 (with JIT where available) and matched against the match text of
 * text.h (" tok tok ... ") under the limits of a match context.
 * Internal header.
 *
 * WILDCARD SYNTAX (elements separated by spaces; case-insensitive):
 *   word        a literal word.  Literal words are normalised like input
 *               (rp_text_norm_phrase), so "what's" means "what is".
 *   word*       any word starting with "word" (transition* matches
 *               transition, transitions, transitioning).  Not captured.
 *   *           one or more words, captured.  Never crosses clause
 *               punctuation (. ? ! ,).  Takes the fewest words that let the
 *               rest match, except when it is the last element, where it
 *               takes the rest of the clause.
 *   *~N         zero to N words (N = 1..9), captured (possibly empty).
 *   [a b]       optional: the words a b, or nothing.  May contain any
 *               elements, including * and alternatives.
 *   (a b|c)     alternatives, each a sequence of elements.
 *   @name       any entry of word set "name" (entries are words or
 *               phrases; longest first).  Not captured.
 *   ? ! . ,     a clause punctuation token ("sorry ?").
 *   ^           (first element only) anchors at the start of the input.
 *   $           (last element only) anchors at the end; trailing clause
 *               punctuation is allowed after it.
 * Without ^ the pattern matches anywhere, at token boundaries.  Nesting
 * depth of [] and () is limited to 8.  Captures are numbered 1.. in order
 * of their "*" in the source, 9 at most.
 *
 * COMPILED FORM (documented because raw "regex:" authors need it): the
 * subject is the match text with its leading and trailing space; each
 * element consumes whole tokens each followed by one space.  A literal
 * becomes "word ", "*" becomes "((?:[^ .?!,][^ ]* )+?)" (greedy when
 * last), the pattern is prefixed with " " (or "^ " when anchored), and "$"
 * becomes "(?:[.?!,] )*$".  Flags: PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS
 * (| PCRE2_MATCH_INVALID_UTF is not needed: the text is valid UTF-8).
 *
 * RAW: rp_pattern_compile with RP_PAT_RAW compiles src as PCRE2 as-is,
 * with the same flags, matched against the same subject.  Its numbered
 * groups are its captures.
 */
#ifndef RP_PATTERN_H
#define RP_PATTERN_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define RP_PAT_MAX_CAPS  9
#define RP_PAT_MAX_DEPTH 8
#define RP_PAT_MAX_LEN   4096 /* bytes of pattern source */

enum {
    RP_PAT_RAW = 1 << 0,   /* src is a PCRE2 regex */
    RP_PAT_NOJIT = 1 << 1, /* skip JIT compilation (benchmarks, tests) */
    /* Normalise literal words as the persona normalises lines: without
     * contraction or chat expansion (settings: contractions, chat). */
    RP_PAT_NOCONTRACTIONS = 1 << 2,
    RP_PAT_NOCHAT = 1 << 3,
};

/* Word sets for @name: the compiler asks this callback for the entries of
 * a set.  Return false when there is no such set.  The entries (already
 * normalised, space-separated words) stay owned by the caller. */
typedef bool (*rp_set_lookup)(void *ctx, const char *name, size_t len,
                              const char *const **entries, size_t *count);

typedef struct rp_pattern_error {
    size_t offset; /* 0-based byte offset in src where the problem is */
    char message[256];
} rp_pattern_error;

typedef struct rp_pattern rp_pattern;

/* Compile src[0..len).  On failure returns NULL and fills err (offset
 * points into src: for a PCRE2 error inside a raw regex, PCRE2's own
 * offset; for wildcard syntax, the offending element).  lookup may be
 * NULL when no sets are defined.  The caller frees with
 * rp_pattern_free. */
rp_pattern *rp_pattern_compile(const char *src, size_t len, unsigned flags,
                               rp_set_lookup lookup, void *lookup_ctx,
                               rp_pattern_error *err);
void rp_pattern_free(rp_pattern *p);

/* JIT-compile a pattern compiled with RP_PAT_NOJIT (silently keeps the
 * interpreter where JIT is unavailable).  Not thread-safe: only while
 * the pattern is not shared yet (at load). */
void rp_pattern_jit(rp_pattern *p);

/* The PCRE2 source the pattern compiled to (for traces and tests). */
const char *rp_pattern_regex(const rp_pattern *p);
/* The number of capture groups. */
unsigned rp_pattern_ncaptures(const rp_pattern *p);
/* The source, as given. */
const char *rp_pattern_source(const rp_pattern *p);

typedef struct rp_span {
    size_t start, end; /* byte offsets in the subject; start == end: empty */
} rp_span;

typedef struct rp_match {
    rp_span whole; /* trimmed of its trailing space */
    unsigned ncaps;
    rp_span caps[RP_PAT_MAX_CAPS]; /* trimmed; unset groups are empty */
} rp_match;

enum {
    RP_MATCH_NONE = 0,
    RP_MATCH_OK = 1,
    RP_MATCH_LIMIT = -1, /* a match, depth or heap limit was hit */
    RP_MATCH_ERROR = -2, /* any other PCRE2 error */
};

/* Match p against subject[0..len) starting at byte offset start.
 * subject must be valid UTF-8 (the match text is): it is not checked.  md must
 * come from rp_pattern_match_data() or be large enough (the session owns
 * one and reuses it); mctx carries the limits (may be NULL for PCRE2's
 * defaults).  Returns RP_MATCH_OK and fills *m, RP_MATCH_NONE, or a
 * negative code: a limit hit is reported, never aborts. */
int rp_pattern_match(const rp_pattern *p, const char *subject, size_t len,
                     size_t start, pcre2_match_data *md,
                     pcre2_match_context *mctx, rp_match *m);

/* Match data big enough for any pattern (RP_PAT_MAX_CAPS + slack and
 * raw regexes up to 32 groups).  Caller frees with
 * pcre2_match_data_free. */
pcre2_match_data *rp_pattern_match_data(void);

/* The literal words every match must contain (each at least once), for
 * the rule index: appended to out as NUL-separated words, the count
 * returned.  A prefix element ("transition*") contributes its word
 * followed by "*": some token of the match starts with it (prefixes of
 * up to RP_PAT_MAX_PREFIX bytes).  Alternatives contribute nothing unless
 * every branch shares a word; optional parts and sets contribute
 * nothing; raw regexes contribute nothing.  A pattern with no required
 * word returns 0. */
#define RP_PAT_MAX_PREFIX 32
size_t rp_pattern_required_words(const rp_pattern *p, rp_buf *out);

/* For a pattern with no required word: groups of words of which every
 * match contains at least one (an alternative each of whose branches
 * requires a word, or a word set): appended to out as words each followed
 * by a NUL, each group closed by an empty word; the number of groups is
 * returned (0 when there is none, or the pattern requires words). */
size_t rp_pattern_required_any(const rp_pattern *p, rp_buf *out);

/* The same groups whether or not the pattern requires words too (the
 * index checks them as a filter). */
size_t rp_pattern_any_groups(const rp_pattern *p, rp_buf *out);

#endif

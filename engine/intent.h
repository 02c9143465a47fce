/*
 * intent.h - stage 2b: recognising intents in a normalised line.
 *
 * Given the match text of a learner's line (text.h) and a persona's
 * intents (its own and the shared library's), find every intent present,
 * with the span that matched and whether a negator governs it.  The
 * dialogue policy triggers rules on these hits and the scorer reads the
 * same hits, so there is one recogniser.  Internal.
 */
#ifndef RP_INTENT_H
#define RP_INTENT_H

#include <stdbool.h>
#include <stddef.h>

#include "pattern.h"
#include "persona.h"
#include "text.h"

struct rp_present;

/* Words before a match that are searched for a negator.  The scope also
 * ends at clause punctuation and at a contrast word ("but", "although"):
 * "I'm not here to ask for a job" is negated, "not much, but a job" and
 * "no idea but could you refer me" are not. */
#define RP_NEGATION_WINDOW 6

typedef struct rp_hit {
    int intent;                /* index in the persona's intents */
    const rp_pat *pat;         /* the pattern that matched */
    rp_match m;                /* spans in the match text */
    size_t src_start, src_end; /* the whole match in the sanitised line */
    bool negated;
} rp_hit;

/* A reusable list of hits (the session owns one). */
typedef struct rp_hits {
    rp_hit *v;
    size_t n, cap;
    unsigned limit_hits; /* patterns that hit a PCRE2 limit this line */
} rp_hits;

void rp_hits_free(rp_hits *h);

/* Recognise every intent of p in t, replacing out's contents.  Each
 * intent appears at most once: its first non-negated hit in pattern
 * order, or else its first negated hit.  An intent whose 'unless'
 * pattern matches is absent. */
void rp_intent_recognise(const rp_persona *p, const rp_text *t,
                         pcre2_match_data *md, pcre2_match_context *mctx,
                         rp_hits *out);
/* The same, trying only the patterns the rule index says may match
 * (pr from rp_present_scan of t, whose scratch this uses; NULL tries
 * every pattern).  The hits are the same either way. */
void rp_intent_recognise_ix(const rp_persona *p, const rp_text *t,
                            struct rp_present *pr, pcre2_match_data *md,
                            pcre2_match_context *mctx, rp_hits *out);

/* The hit for intent i, or NULL.  With live_only, a negated hit of a
 * negatable intent counts as absent. */
const rp_hit *rp_hits_find(const rp_hits *h, const rp_persona *p, int intent,
                           bool live_only);

/* The bytes of the sanitised line that a match-text span quotes: its
 * words, without clause punctuation at the ends; for a span of
 * punctuation alone (a "?"), the clause it ends. */
void rp_intent_src_span(const rp_text *t, const rp_span *s, size_t *a,
                        size_t *b);

/* Is the match starting at byte off of the match text governed by a
 * negator (within RP_NEGATION_WINDOW words before it, in its scope)? */
bool rp_text_negated_at(const rp_text *t, size_t off);

#endif

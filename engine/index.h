/*
 * index.h - the rule index: which rules and patterns a line can trigger.
 *
 * Every compiled pattern knows the literal words any match must contain
 * (rp_pattern_required_words), or else groups of words one of which it
 * must contain (rp_pattern_required_any).  At load time each pattern gets
 * its keys: its required word that the fewest patterns of the persona
 * name, or else the words of its least named group (or none, when it
 * requires no word).  A line can only match a pattern one of whose keys
 * is one of its words, so a turn need only try:
 *
 *   - the rules with a pattern keyed on a word of the line,
 *   - the rules triggered by an intent the line has,
 *   - and the rules that have neither (no trigger, or a pattern with no
 *     keys, such as a raw regex);
 *
 * in the stage's order.  PCRE2 still confirms every candidate, so the
 * answer is the one trying every rule would give.  Intent patterns,
 * 'unless' patterns and rubric cue patterns are keyed the same way.
 * Built once with the persona (immutable, shared); the per-line state
 * (rp_present) belongs to the session.  Internal.
 */
#ifndef RP_INDEX_H
#define RP_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "persona.h"
#include "text.h"

struct rp_hits;

typedef struct rp_index rp_index;

/* Build the index of a fully loaded persona, setting the key of every
 * rp_pat it holds.  Free with rp_index_free (NULL is fine). */
rp_index *rp_index_build(rp_persona *p);
void rp_index_free(rp_index *ix);

/* The words of one line that are keys: a session owns one and reuses it
 * (no allocation per line once warm).  A zeroed struct is valid. */
typedef struct rp_present {
    const rp_index *ix;  /* NULL: the index is off, every pattern is tried */
    const uint32_t *req; /* ix's required-word lists */
    uint32_t *stamp;     /* per key word: the generation it was last seen */
    size_t nstamp;
    uint32_t gen;
    uint32_t *words; /* key words of this line, each once */
    size_t nwords, capwords;
    uint64_t *bits;  /* candidate positions, to order a big union */
    size_t nbits;    /* 64-bit words */
    uint64_t *ibits; /* candidate intent patterns (scratch, kept zeroed) */
    size_t nibits;
    uint32_t *icand; /* the intent patterns the line may match */
    size_t capicand;
} rp_present;

void rp_present_free(rp_present *pr);

/* Find the key words of t (ix NULL turns the index off for this line). */
void rp_present_scan(rp_present *pr, const rp_index *ix, const rp_text *t);

/* Can pattern pat match the scanned line?  Only when one of its keys,
 * every word it requires and a word of each of its any-of groups are
 * there (always true when the index is off).
 * Inline: the recogniser asks it of every intent pattern on every line. */
static inline bool rp_present_may(const rp_present *pr, const rp_pat *pat)
{
    if (!pr || !pr->ix || pat->nkey == 0)
        return true;
    bool any = false;
    for (uint32_t i = 0; i < pat->nkey && !any; i++)
        any = pr->stamp[pr->req[pat->key + i]] == pr->gen;
    if (!any)
        return false;
    for (uint32_t i = 0; i < pat->nreq; i++)
        if (pr->stamp[pr->req[pat->req + i]] != pr->gen)
            return false;
    const uint32_t *g = pr->req + pat->grp;
    for (uint32_t i = 0; i < pat->ngrp; i++) {
        uint32_t k = *g++;
        bool one = false;
        for (uint32_t j = 0; j < k && !one; j++)
            one = pr->stamp[g[j]] == pr->gen;
        if (!one)
            return false;
        g += k;
    }
    return true;
}

/* The intent patterns (numbered intent by intent, pattern by pattern)
 * that have a key word in the scanned line or no key, ascending, in
 * pr's scratch (valid until the next call); returns how many.  The index
 * must be on (pr->ix).  rp_present_may still decides each. */
size_t rp_index_intent_candidates(rp_present *pr, const uint32_t **out);
/* The intent and its pattern that intent pattern number n is. */
void rp_index_intent_pattern(const rp_index *ix, uint32_t n, size_t *intent,
                             size_t *pat);

/* Is w[0..n) one of the persona's stopwords (rubric)? */
bool rp_index_stopword(const rp_index *ix, const char *w, size_t n);

/* The positions in stage's candidate list (rp_stage.cands) of the rules
 * the line may trigger, ascending, into *out (grown as needed); returns
 * how many.  hits are the line's intents.  Uses pr's scratch bitmap. */
size_t rp_index_candidates(rp_present *pr, size_t stage,
                           const struct rp_hits *hits, uint32_t **out,
                           size_t *cap);

#endif

/*
 * score.h - stage 4 of the pipeline: scoring the learner's reply.
 *
 * The scorer reads the same normalised text and the same intent hits as
 * the dialogue policy (one recogniser), plus the conversation's context:
 * what the persona said before, whether it was a brush-off, whether
 * rapport is built, whether the conversation is closing.  The rubric (the
 * cues, their weights, the bands that turn rates into 0-100) is data in
 * the persona (persona.h), loaded from personas/common/rubric.yaml.
 * Internal.
 */
#ifndef RP_SCORE_H
#define RP_SCORE_H

#include <stdbool.h>
#include <stddef.h>

#include "intent.h"
#include "persona.h"
#include "text.h"

/* What the scorer needs to know about the conversation so far. */
typedef struct rp_score_ctx {
    int turn;       /* the learner's turn number, 1-based */
    bool brush_off; /* the persona's last line was a brush-off */
    bool closing;   /* the conversation is in a closing stage */
    bool rapport;   /* rapport is built */
    /* Content stems of every persona line so far, space-separated and
     * unique, [0] the opening; the last one is what was "just said". */
    const char *const *persona_stems;
    size_t npersona;
    int first_turn;            /* the turn number of persona_stems[0] */
    size_t persona_last_words; /* words in the persona's last line */
} rp_score_ctx;

rp_score *rp_score_new(void);
void rp_score_free(rp_score *sc);
/* Deep copy (for the session's history). */
void rp_score_copy(rp_score *dst, const rp_score *src);

/* Score line (normalised and stemmed) with its hits in context ctx,
 * replacing sc's contents.  src is the learner's sanitised line. */
void rp_score_line(rp_score *sc, const rp_persona *p, const rp_text *line,
                   const rp_hits *hits, const rp_score_ctx *ctx,
                   pcre2_match_data *md, pcre2_match_context *mctx);

/* The unique content stems of t (stemmed already), without stopwords,
 * punctuation or words under three letters, space-separated, into out. */
void rp_score_content_stems(const rp_persona *p, const rp_text *t, rp_buf *out);

/* Would this reply count as engaging (a genuine question, a follow-up or
 * value offered)?  Used to decide when rapport is built. */
bool rp_score_engaged(const rp_score *sc);

/* Fill a JSON "dimensions" object for sc into b (the learner's line is
 * needed to quote evidence text). */
void rp_score_dimensions_json(const rp_score *sc, const char *line, rp_buf *b);

/* A turn of the session's history, for reports and JSON. */
typedef struct rp_turn_record {
    char *user;    /* sanitised learner line */
    char *persona; /* the reply */
    char *rule;    /* rule id or NULL */
    bool fallback;
    bool brush_off; /* the reply was a brush-off */
    bool closing;   /* the learner's line was in a closing context */
    size_t user_words, persona_words;
    rp_score *score;
} rp_turn_record;

/* Build the report card from a history (n turns). */
rp_report *rp_report_build(const rp_persona *p, const rp_turn_record *h,
                           size_t n, bool ended, const char *outcome);

/* The next move given the history and the persona's last line. */
char *rp_hint_build(const rp_persona *p, const rp_turn_record *h, size_t n,
                    const char *persona_last, bool ended);

/* One coaching line for a scored reply. */
char *rp_coaching_build(const rp_score *sc, const char *line);

#endif

/*
 * score.c - stage 4 of the pipeline: scoring the learner, and the report
 * card, hints and coaching built from the scores.
 *
 * Per reply, every rubric cue (persona.h: a trigger over the same intent
 * hits the dialogue policy uses, plus conditions on the conversation's
 * context) that fires adds its score to its dimension, with the span of
 * the learner's words as evidence.  Three things are computed rather
 * than matched, with their parameters in the rubric's settings:
 *
 *  - follow-ups: a genuine question sharing content stems with the
 *    persona's last line (fully) or an earlier one (partly);
 *  - preparation: keywords of the persona's brief that the persona has not
 *    said itself;
 *  - talk balance: monologues, and long turns without a question.
 *
 * Each dimension of a reply is clamped to [-2, +2].  The report turns the
 * history of replies into rates and events per dimension and maps them to
 * 0-100 through the rubric's piecewise-linear bands.
 */
#include "score.h"

#include "index.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const dim_ids[RP_DIM_COUNT] = {
    "curiosity",    "follow_up",    "value_offered",
    "authenticity", "confidence",   "rejection_grace",
    "preparation",  "relationship", "talk_balance"};

static const char *const dim_labels[RP_DIM_COUNT] = {
    "Curiosity",    "Follow-up questions", "Value offered",
    "Authenticity", "Confidence",          "Grace under rejection",
    "Preparation",  "Relationship",        "Talk balance"};

const char *rp_dim_id(rp_dim d)
{
    return d < RP_DIM_COUNT ? dim_ids[d] : "";
}

const char *rp_dim_label(rp_dim d)
{
    return d < RP_DIM_COUNT ? dim_labels[d] : "";
}

int rp_dim_find(const char *id)
{
    for (int d = 0; d < RP_DIM_COUNT; d++)
        if (strcmp(id, dim_ids[d]) == 0)
            return d;
    return -1;
}

/* ------------------------------------------------------------------ */
/* The score of one reply                                              */
/* ------------------------------------------------------------------ */

typedef struct ev_item {
    rp_evidence pub;
    char shared[160];
} ev_item;

struct rp_score {
    bool applies[RP_DIM_COUNT];
    double value[RP_DIM_COUNT];
    ev_item *ev[RP_DIM_COUNT];
    size_t nev[RP_DIM_COUNT], capev[RP_DIM_COUNT];
    bool question;
    size_t words;
    rp_buf stems; /* scratch: the line's content stems, reused per turn */
};

rp_score *rp_score_new(void)
{
    return xcalloc(1, sizeof(rp_score));
}

void rp_score_free(rp_score *sc)
{
    if (!sc)
        return;
    for (int d = 0; d < RP_DIM_COUNT; d++)
        free(sc->ev[d]);
    rp_buf_free(&sc->stems);
    free(sc);
}

static void score_reset(rp_score *sc)
{
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        sc->applies[d] = false;
        sc->value[d] = 0;
        sc->nev[d] = 0;
    }
    sc->question = false;
    sc->words = 0;
}

/* Evidence pointers into ev_item.shared must follow the items. */
static void fix_pointers(rp_score *sc)
{
    for (int d = 0; d < RP_DIM_COUNT; d++)
        for (size_t i = 0; i < sc->nev[d]; i++)
            sc->ev[d][i].pub.shared =
                sc->ev[d][i].shared[0] ? sc->ev[d][i].shared : NULL;
}

void rp_score_copy(rp_score *dst, const rp_score *src)
{
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        dst->applies[d] = src->applies[d];
        dst->value[d] = src->value[d];
        RP_GROW(dst->ev[d], dst->capev[d], src->nev[d] + 1);
        if (src->nev[d])
            memcpy(dst->ev[d], src->ev[d], src->nev[d] * sizeof(ev_item));
        dst->nev[d] = src->nev[d];
    }
    dst->question = src->question;
    dst->words = src->words;
    fix_pointers(dst);
}

static void add_ev(rp_score *sc, int d, const char *cue, const char *note,
                   double score, size_t start, size_t end, const char *shared,
                   int source_turn)
{
    RP_GROW(sc->ev[d], sc->capev[d], sc->nev[d] + 1);
    ev_item *e = &sc->ev[d][sc->nev[d]++];
    e->pub.cue = cue;
    e->pub.note = note ? note : "";
    e->pub.score = score;
    e->pub.start = start;
    e->pub.end = end;
    e->pub.source_turn = source_turn;
    snprintf(e->shared, sizeof e->shared, "%s", shared ? shared : "");
    sc->applies[d] = true;
    sc->value[d] += score;
}

bool rp_score_applies(const rp_score *sc, rp_dim d)
{
    return sc && d < RP_DIM_COUNT && sc->applies[d];
}

double rp_score_value(const rp_score *sc, rp_dim d)
{
    return sc && d < RP_DIM_COUNT ? sc->value[d] : 0;
}

size_t rp_score_evidence_count(const rp_score *sc, rp_dim d)
{
    return sc && d < RP_DIM_COUNT ? sc->nev[d] : 0;
}

const rp_evidence *rp_score_evidence(const rp_score *sc, rp_dim d, size_t i)
{
    if (!sc || d >= RP_DIM_COUNT || i >= sc->nev[d])
        return NULL;
    return &sc->ev[d][i].pub;
}

bool rp_score_engaged(const rp_score *sc)
{
    return sc->value[RP_DIM_CURIOSITY] > 0 || sc->value[RP_DIM_FOLLOW_UP] > 0 ||
           sc->value[RP_DIM_VALUE_OFFERED] > 0;
}

/* ------------------------------------------------------------------ */
/* Stems                                                               */
/* ------------------------------------------------------------------ */

static bool is_stopword(const rp_persona *p, const char *w, size_t n)
{
    if (p->index)
        return rp_index_stopword(p->index, w, n);
    const rp_rubric *rb = &p->rubric;
    for (size_t i = 0; i < rb->nstopwords; i++)
        if (rb->stopwords[i][0] == w[0] && strlen(rb->stopwords[i]) == n &&
            memcmp(rb->stopwords[i], w, n) == 0)
            return true;
    return false;
}

/* Is the word w (in a space-separated list) in list? */
static bool in_list(const char *list, const char *w, size_t n)
{
    char word[64];
    if (n > 0 && n < sizeof word && !memchr(w, ' ', n)) {
        /* libc's strstr, then the boundaries: the same answer as the
         * split below, without walking every entry. */
        memcpy(word, w, n);
        word[n] = '\0';
        for (const char *s = list; (s = strstr(s, word)) != NULL; s++)
            if ((s == list || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
                return true;
        return false;
    }
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && memcmp(s, w, n) == 0)
            return true;
        if (!e)
            break;
        s = e + 1;
    }
    return false;
}

void rp_score_content_stems(const rp_persona *p, const rp_text *t, rp_buf *out)
{
    rp_buf_clear(out);
    rp_buf_puts(out, "");
    for (size_t i = 0; i < t->ntokens; i++) {
        const rp_token *k = &t->tokens[i];
        if (k->kind != RP_TOK_WORD || k->len < 3 || k->stem_len == 0)
            continue;
        if (is_stopword(p, t->match.ptr + k->start, k->len))
            continue;
        const char *stem = t->stems.ptr + k->stem_start;
        if (in_list(out->ptr, stem, k->stem_len))
            continue;
        if (out->len)
            rp_buf_putc(out, ' ');
        rp_buf_put(out, stem, k->stem_len);
    }
}

/* ------------------------------------------------------------------ */
/* Cues                                                                */
/* ------------------------------------------------------------------ */

/* The index of the last "?" token, or SIZE_MAX. */
static size_t last_question_mark(const rp_text *t)
{
    size_t last_q = SIZE_MAX;
    for (size_t i = 0; i < t->ntokens; i++)
        if (t->tokens[i].kind == RP_TOK_PUNCT &&
            t->match.ptr[t->tokens[i].start] == '?')
            last_q = i;
    return last_q;
}

/* Words in the clause that ends at the last "?" (back to the previous
 * clause punctuation): "No way, I'm from Ohio too! Whereabouts?" -> 1.
 * SIZE_MAX when there is no question mark. */
static size_t question_words(const rp_text *t)
{
    size_t last_q = last_question_mark(t);
    if (last_q == SIZE_MAX)
        return SIZE_MAX;
    size_t n = 0;
    for (size_t i = last_q; i-- > 0 && t->tokens[i].kind == RP_TOK_WORD;)
        n++;
    return n;
}

/* A question of a few words followed by a long statement ("Who knows?
 * Anyway, I have been working on...") reads as rhetorical. */
static bool looks_rhetorical(const rp_text *t)
{
    size_t q = last_question_mark(t);
    return q != SIZE_MAX && question_words(t) <= 3 &&
           t->src.len - t->tokens[q].src_end > 40;
}

static bool cue_cond(const rp_cond *c, const rp_text *t,
                     const rp_score_ctx *ctx, bool rhetorical,
                     const rp_score *sc)
{
    switch (c->kind) {
    case RP_COND_TURN:
        return rp_cmp_num(&c->cmp, ctx->turn);
    case RP_COND_WORDS:
        return rp_cmp_num(&c->cmp, (double)t->nwords);
    case RP_COND_QUESTION:
        return t->question == c->flag;
    case RP_COND_RAPPORT:
        return ctx->rapport == c->flag;
    case RP_COND_BRUSH_OFF:
        return ctx->brush_off == c->flag;
    case RP_COND_CLOSING:
        return ctx->closing == c->flag;
    case RP_COND_RHETORICAL:
        return rhetorical == c->flag;
    case RP_COND_ASKING:
        return (sc->value[RP_DIM_CURIOSITY] > 0) == c->flag;
    case RP_COND_QWORDS: {
        size_t n = question_words(t);
        return n != SIZE_MAX && rp_cmp_num(&c->cmp, (double)n);
    }
    default:
        return false;
    }
}

/* Does cue fire?  The evidence span goes to *start and *end. */
static bool cue_fires(const rp_persona *p, const rp_cue *cue, const rp_text *t,
                      const rp_hits *hits, const rp_score_ctx *ctx,
                      bool rhetorical, const rp_score *sc, pcre2_match_data *md,
                      pcre2_match_context *mctx, size_t *start, size_t *end)
{
    bool trig = cue->nintents == 0 && cue->npatterns == 0;
    bool have_span = false;
    for (size_t i = 0; i < cue->nintents && !trig; i++) {
        const rp_hit *h = rp_hits_find(hits, p, cue->intents[i], true);
        if (h) {
            trig = have_span = true;
            *start = h->src_start;
            *end = h->src_end;
        }
    }
    for (size_t i = 0; i < cue->npatterns && !trig; i++) {
        rp_match m;
        if (rp_pattern_match(cue->patterns[i].pat, t->match.ptr, t->match.len,
                             0, md, mctx, &m) == RP_MATCH_OK) {
            trig = have_span = true;
            rp_intent_src_span(t, &m.whole, start, end);
        }
    }
    if (!trig)
        return false;
    for (size_t i = 0; i < cue->nall; i++) {
        const rp_hit *h = rp_hits_find(hits, p, cue->all[i], true);
        if (!h)
            return false;
        if (!have_span) {
            have_span = true;
            *start = h->src_start;
            *end = h->src_end;
        }
    }
    for (size_t i = 0; i < cue->nnone; i++)
        if (rp_hits_find(hits, p, cue->none[i], true))
            return false;
    for (size_t i = 0; i < cue->nconds; i++)
        if (!cue_cond(&cue->conds[i], t, ctx, rhetorical, sc))
            return false;
    if (!have_span) {
        *start = 0;
        *end = t->src.len;
    }
    return true;
}

/* Shared content stems of line with a persona line: into out; count. */
static size_t shared_stems(const char *line_stems, const char *persona,
                           char *out, size_t cap)
{
    size_t n = 0, len = 0;
    out[0] = '\0';
    for (const char *s = line_stems; *s;) {
        const char *e = strchr(s, ' ');
        size_t wl = e ? (size_t)(e - s) : strlen(s);
        if (wl && in_list(persona, s, wl)) {
            n++;
            if (len + wl + 2 < cap) {
                if (len)
                    out[len++] = ' ';
                memcpy(out + len, s, wl);
                len += wl;
                out[len] = '\0';
            }
        }
        if (!e)
            break;
        s = e + 1;
    }
    return n;
}

/* The span of the first token whose stem is stem. */
static bool stem_span(const rp_text *t, const char *stem, size_t n,
                      size_t *start, size_t *end)
{
    for (size_t i = 0; i < t->ntokens; i++) {
        const rp_token *k = &t->tokens[i];
        if (k->kind == RP_TOK_WORD && k->stem_len == n &&
            memcmp(t->stems.ptr + k->stem_start, stem, n) == 0) {
            *start = k->src_start;
            *end = k->src_end;
            return true;
        }
    }
    return false;
}

static void computed_follow_up(rp_score *sc, const rp_persona *p,
                               const rp_text *t, const rp_score_ctx *ctx,
                               const char *line_stems)
{
    const rp_rubric *rb = &p->rubric;
    /* A genuine question: a polite mirror ("and you?") earns less than
     * 1 and does not count. */
    if (sc->value[RP_DIM_CURIOSITY] < 1 || ctx->npersona == 0)
        return;
    char shared[160];
    for (size_t k = ctx->npersona; k-- > 0;) {
        size_t n = shared_stems(line_stems, ctx->persona_stems[k], shared,
                                sizeof shared);
        if ((int)n < rb->overlap_min)
            continue;
        bool last = k + 1 == ctx->npersona;
        size_t a = 0, b = t->src.len;
        size_t wl = strcspn(shared, " ");
        stem_span(t, shared, wl, &a, &b);
        add_ev(sc, RP_DIM_FOLLOW_UP,
               last ? "builds-on-last" : "builds-on-earlier",
               last ? "a question that builds on what they just said"
                    : "a question that goes back to something they said "
                      "earlier",
               last ? rb->follow_up_score : rb->partial_score, a, b, shared,
               ctx->first_turn + (int)k);
        return;
    }
}

static void computed_preparation(rp_score *sc, const rp_persona *p,
                                 const rp_text *t, const rp_score_ctx *ctx,
                                 const char *line_stems)
{
    const rp_rubric *rb = &p->rubric;
    for (size_t f = 0; f < p->nfacts; f++) {
        const rp_fact *fact = &p->facts[f];
        for (size_t k = 0; k < fact->nstems; k++) {
            const char *stem = fact->stems[k];
            size_t n = strlen(stem);
            if (!in_list(line_stems, stem, n))
                continue;
            /* A word the persona already said is a follow-up, not
             * evidence of research. */
            bool said = false;
            for (size_t j = 0; j < ctx->npersona && !said; j++)
                said = in_list(ctx->persona_stems[j], stem, n);
            if (said)
                continue;
            size_t a = 0, b = t->src.len;
            stem_span(t, stem, n, &a, &b);
            add_ev(sc, RP_DIM_PREPARATION, "brief-fact", fact->text,
                   rb->fact_score, a, b, NULL, -1);
            break;
        }
    }
}

static void computed_talk(rp_score *sc, const rp_persona *p, const rp_text *t,
                          const rp_score_ctx *ctx)
{
    const rp_rubric *rb = &p->rubric;
    double w = (double)t->nwords;
    bool mono = w > rb->monologue_words ||
                (ctx->persona_last_words > 0 &&
                 w > rb->monologue_ratio * (double)ctx->persona_last_words &&
                 w > rb->long_words);
    if (mono)
        add_ev(sc, RP_DIM_TALK_BALANCE, "monologue",
               "a monologue: far longer than their turn", -2, 0, t->src.len,
               NULL, -1);
    else if (w > rb->long_words && !t->question)
        add_ev(sc, RP_DIM_TALK_BALANCE, "long-no-question",
               "a long turn that hands them no question", -1, 0, t->src.len,
               NULL, -1);
}

void rp_score_line(rp_score *sc, const rp_persona *p, const rp_text *t,
                   const rp_hits *hits, const rp_score_ctx *ctx,
                   pcre2_match_data *md, pcre2_match_context *mctx)
{
    const rp_rubric *rb = &p->rubric;
    score_reset(sc);
    sc->question = t->question;
    sc->words = t->nwords;
    bool rhetorical = looks_rhetorical(t);
    for (size_t i = 0; i < rb->ncues; i++) {
        const rp_cue *cue = &rb->cues[i];
        size_t a = 0, b = 0;
        if (cue_fires(p, cue, t, hits, ctx, rhetorical, sc, md, mctx, &a, &b))
            add_ev(sc, cue->dim, cue->id, cue->note, cue->score, a, b, NULL,
                   -1);
    }
    rp_score_content_stems(p, t, &sc->stems);
    computed_follow_up(sc, p, t, ctx, sc->stems.ptr);
    computed_preparation(sc, p, t, ctx, sc->stems.ptr);
    computed_talk(sc, p, t, ctx);
    if (ctx->brush_off)
        sc->applies[RP_DIM_REJECTION_GRACE] = true;
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        if (sc->value[d] > 2)
            sc->value[d] = 2;
        if (sc->value[d] < -2)
            sc->value[d] = -2;
    }
    fix_pointers(sc);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static void put_num(rp_buf *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e9)
        rp_buf_printf(b, "%d", (int)v);
    else
        rp_buf_printf(b, "%.2f", v);
}

void rp_score_dimensions_json(const rp_score *sc, const char *line, rp_buf *b)
{
    size_t len = strlen(line);
    rp_buf_putc(b, '{');
    bool first = true;
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        if (!sc->applies[d])
            continue;
        if (!first)
            rp_buf_putc(b, ',');
        first = false;
        rp_buf_printf(b, "\"%s\":{\"score\":", dim_ids[d]);
        put_num(b, sc->value[d]);
        rp_buf_puts(b, ",\"evidence\":[");
        for (size_t i = 0; i < sc->nev[d]; i++) {
            const rp_evidence *e = &sc->ev[d][i].pub;
            size_t s = e->start <= len ? e->start : len;
            size_t en = e->end <= len && e->end >= s ? e->end : s;
            if (i)
                rp_buf_putc(b, ',');
            rp_buf_puts(b, "{\"cue\":");
            rp_buf_json_str(b, e->cue, strlen(e->cue));
            rp_buf_puts(b, ",\"text\":");
            rp_buf_json_str(b, line + s, en - s);
            rp_buf_printf(b, ",\"start\":%zu,\"end\":%zu,\"score\":", s, en);
            put_num(b, e->score);
            if (e->shared) {
                rp_buf_puts(b, ",\"shared\":[");
                const char *w = e->shared;
                bool f = true;
                while (*w) {
                    size_t n = strcspn(w, " ");
                    if (!f)
                        rp_buf_putc(b, ',');
                    f = false;
                    rp_buf_json_str(b, w, n);
                    w += n;
                    while (*w == ' ')
                        w++;
                }
                rp_buf_printf(b, "],\"source_turn\":%d", e->source_turn);
            }
            rp_buf_putc(b, '}');
        }
        rp_buf_puts(b, "]}");
    }
    rp_buf_putc(b, '}');
}

char *rp_score_json(const rp_score *sc, const char *reply)
{
    rp_buf b;
    rp_buf_init(&b);
    rp_buf_puts(&b, "{\"reply\":");
    rp_buf_json_str(&b, reply, strlen(reply));
    rp_buf_puts(&b, ",\"dimensions\":");
    rp_score_dimensions_json(sc, reply, &b);
    rp_buf_putc(&b, '}');
    return rp_buf_detach(&b);
}

/* ------------------------------------------------------------------ */
/* The report card                                                     */
/* ------------------------------------------------------------------ */

struct rp_report {
    int overall;
    int dims[RP_DIM_COUNT];
    rp_feedback strengths[2], fixes[2];
    size_t nstrengths, nfixes;
    rp_buf strings; /* quotes, notes and suggestions, NUL-separated */
    size_t offs[4][3];
};

void rp_report_free(rp_report *r)
{
    if (!r)
        return;
    rp_buf_free(&r->strings);
    free(r);
}

int rp_report_overall(const rp_report *r)
{
    return r->overall;
}

int rp_report_dimension(const rp_report *r, rp_dim d)
{
    return d < RP_DIM_COUNT ? r->dims[d] : -1;
}

size_t rp_report_strength_count(const rp_report *r)
{
    return r->nstrengths;
}

const rp_feedback *rp_report_strength(const rp_report *r, size_t i)
{
    return i < r->nstrengths ? &r->strengths[i] : NULL;
}

size_t rp_report_fix_count(const rp_report *r)
{
    return r->nfixes;
}

const rp_feedback *rp_report_fix(const rp_report *r, size_t i)
{
    return i < r->nfixes ? &r->fixes[i] : NULL;
}

static double band(const rp_dimcfg *c, double x)
{
    if (c->nband == 0)
        return 0;
    if (x <= c->bx[0])
        return c->by[0];
    for (size_t i = 1; i < c->nband; i++)
        if (x <= c->bx[i]) {
            double f = (x - c->bx[i - 1]) / (c->bx[i] - c->bx[i - 1]);
            return c->by[i - 1] + f * (c->by[i] - c->by[i - 1]);
        }
    return c->by[c->nband - 1];
}

/* Each dimension's measure over the history (see personas/README.md,
 * "Scoring"); NAN when the dimension did not apply. */
static void measures(const rp_persona *p, const rp_turn_record *h, size_t n,
                     double m[RP_DIM_COUNT], int *monologues)
{
    size_t questions = 0, follow = 0, curious = 0, value = 0, prep = 0;
    size_t brush = 0, user_words = 0, persona_words = 0;
    double auth = 0, conf = 0, grace = 0;
    int rel = 0;
    *monologues = 0;
    for (size_t i = 0; i < n; i++) {
        const rp_score *sc = h[i].score;
        if (sc->value[RP_DIM_CURIOSITY] > 0)
            curious++;
        if (sc->value[RP_DIM_CURIOSITY] > 0 || sc->value[RP_DIM_FOLLOW_UP] > 0)
            questions++;
        if (sc->value[RP_DIM_FOLLOW_UP] > 0)
            follow++;
        if (sc->value[RP_DIM_VALUE_OFFERED] > 0)
            value++;
        if (sc->value[RP_DIM_PREPARATION] > 0)
            prep++;
        if (sc->value[RP_DIM_AUTHENTICITY] < 0)
            auth += sc->value[RP_DIM_AUTHENTICITY];
        if (sc->value[RP_DIM_CONFIDENCE] < 0)
            conf += sc->value[RP_DIM_CONFIDENCE];
        if (sc->applies[RP_DIM_REJECTION_GRACE]) {
            brush++;
            grace += sc->value[RP_DIM_REJECTION_GRACE];
        }
        if (sc->value[RP_DIM_RELATIONSHIP] > 0) {
            bool closing =
                h[i].closing || i + (size_t)p->rubric.closing_turns >= n;
            if (closing)
                rel = 2;
            else if (rel < 1)
                rel = 1;
        }
        for (size_t k = 0; k < sc->nev[RP_DIM_TALK_BALANCE]; k++)
            if (!strcmp(sc->ev[RP_DIM_TALK_BALANCE][k].pub.cue, "monologue"))
                (*monologues)++;
        user_words += h[i].user_words;
        persona_words += h[i].persona_words;
    }
    double turns = n ? (double)n : 1;
    m[RP_DIM_CURIOSITY] = (double)curious / turns;
    double share = questions ? (double)follow / (double)questions : 0;
    m[RP_DIM_FOLLOW_UP] = share * (follow >= 2 ? 1 : follow == 1 ? 0.6 : 0);
    m[RP_DIM_VALUE_OFFERED] = (double)value;
    m[RP_DIM_AUTHENTICITY] = auth;
    m[RP_DIM_CONFIDENCE] = conf;
    m[RP_DIM_REJECTION_GRACE] = brush ? grace / (double)brush : NAN;
    m[RP_DIM_PREPARATION] = (double)prep;
    m[RP_DIM_RELATIONSHIP] = rel;
    size_t all = user_words + persona_words;
    m[RP_DIM_TALK_BALANCE] = all ? (double)user_words / (double)all : 0.5;
}

/* The learner's words for a quote: the whole line when it is short,
 * otherwise about 120 bytes around the evidence, cut at spaces. */
static void quote_of(rp_buf *b, const char *line, const rp_evidence *e)
{
    size_t len = strlen(line);
    if (len <= 140) {
        rp_buf_put(b, line, len);
        return;
    }
    size_t es = 0, ee = 0;
    if (e && e->end > e->start && e->end <= len) {
        es = e->start;
        ee = e->end;
    }
    size_t mid = (es + ee) / 2;
    size_t s = mid > 60 ? mid - 60 : 0;
    size_t en = s + 120 < len ? s + 120 : len;
    if (es < s)
        s = es;
    if (ee > en)
        en = ee;
    while (s > 0 && line[s - 1] != ' ')
        s--; /* start on a word */
    while (en < len && line[en] != ' ')
        en++; /* end on a word */
    if (s > 0)
        rp_buf_puts(b, "...");
    rp_buf_put(b, line + s, en - s);
    if (en < len)
        rp_buf_puts(b, "...");
}

/* The most salient word of a persona line: its longest content word. */
static void hook_of(const rp_persona *p, const char *line, rp_buf *out)
{
    rp_text t;
    rp_text_init(&t);
    rp_text_set(&t, line, strlen(line), RP_NORM_DEFAULT);
    size_t best = SIZE_MAX, bestlen = 0;
    for (size_t i = 0; i < t.ntokens; i++) {
        const rp_token *k = &t.tokens[i];
        if (k->kind != RP_TOK_WORD || k->len < 4 ||
            is_stopword(p, t.match.ptr + k->start, k->len))
            continue;
        if (k->len > bestlen) {
            best = i;
            bestlen = k->len;
        }
    }
    rp_buf_clear(out);
    if (best != SIZE_MAX)
        rp_buf_put(out, t.match.ptr + t.tokens[best].start, bestlen);
    rp_text_free(&t);
}

/* Fill "{hook}" in a model phrasing. */
static void fill_hook(rp_buf *b, const char *tmpl, const char *hook)
{
    const char *at = strstr(tmpl, "{hook}");
    if (!at || !hook[0]) {
        if (at) {
            /* No hook: leave the phrasing out rather than print a hole. */
            return;
        }
        rp_buf_puts(b, tmpl);
        return;
    }
    rp_buf_put(b, tmpl, (size_t)(at - tmpl));
    rp_buf_puts(b, hook);
    rp_buf_puts(b, at + 6);
}

/* Add a feedback entry; strings go into r->strings, fixed up later. */
static void add_feedback(rp_report *r, bool strength, rp_dim d, int turn,
                         const char *quote, const char *note,
                         const char *suggestion)
{
    size_t slot = strength ? r->nstrengths : 2 + r->nfixes;
    rp_feedback *f =
        strength ? &r->strengths[r->nstrengths++] : &r->fixes[r->nfixes++];
    f->dim = d;
    f->turn = turn;
    r->offs[slot][0] = r->strings.len;
    rp_buf_puts(&r->strings, quote);
    rp_buf_putc(&r->strings, '\0');
    r->offs[slot][1] = r->strings.len;
    rp_buf_puts(&r->strings, note);
    rp_buf_putc(&r->strings, '\0');
    r->offs[slot][2] = r->strings.len;
    rp_buf_puts(&r->strings, suggestion);
    rp_buf_putc(&r->strings, '\0');
}

/* The turn with the strongest evidence of sign sign (+1/-1) in d. */
static int extreme_turn(const rp_turn_record *h, size_t n, rp_dim d, int sign,
                        const rp_evidence **ev)
{
    int best = -1;
    double bv = 0;
    *ev = NULL;
    for (size_t i = 0; i < n; i++) {
        const rp_score *sc = h[i].score;
        double v = sc->value[d] * sign;
        if (v > bv) {
            bv = v;
            best = (int)i;
            *ev = NULL;
            for (size_t k = 0; k < sc->nev[d]; k++)
                if (sc->ev[d][k].pub.score * sign > 0) {
                    *ev = &sc->ev[d][k].pub;
                    break;
                }
        }
    }
    return best;
}

/* A turn showing what was missing: the longest turn without the
 * behaviour (for dimensions that are about doing something). */
static int missing_turn(const rp_turn_record *h, size_t n, rp_dim d)
{
    int best = -1;
    size_t bw = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i].score->value[d] <= 0 && h[i].user_words >= bw &&
            h[i].user_words > 0) {
            bw = h[i].user_words;
            best = (int)i;
        }
    if (d == RP_DIM_RELATIONSHIP && n > 0)
        best = (int)n - 1;
    return best;
}

rp_report *rp_report_build(const rp_persona *p, const rp_turn_record *h,
                           size_t n, bool ended, const char *outcome)
{
    (void)ended;
    (void)outcome;
    const rp_rubric *rb = &p->rubric;
    rp_report *r = xcalloc(1, sizeof(*r));
    rp_buf_init(&r->strings);
    double m[RP_DIM_COUNT];
    int monologues;
    measures(p, h, n, m, &monologues);
    double wsum = 0, total = 0;
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        if (isnan(m[d]) || n == 0) {
            r->dims[d] = -1;
            continue;
        }
        double s = band(&rb->dims[d], m[d]);
        if (d == RP_DIM_TALK_BALANCE)
            s -= rb->monologue_penalty * monologues;
        if (s < 0)
            s = 0;
        if (s > 100)
            s = 100;
        r->dims[d] = (int)lround(s);
        wsum += rb->dims[d].weight;
        total += rb->dims[d].weight * s;
    }
    r->overall = wsum > 0 ? (int)lround(total / wsum) : 0;

    /* Strengths: the best dimensions with positive evidence. */
    rp_buf q, hook, sug;
    rp_buf_init(&q);
    rp_buf_init(&hook);
    rp_buf_init(&sug);
    bool used[RP_DIM_COUNT] = {false};
    for (int k = 0; k < 2; k++) {
        int bd = -1;
        for (int d = 0; d < RP_DIM_COUNT; d++) {
            if (used[d] || r->dims[d] < 60)
                continue;
            const rp_evidence *e;
            if (extreme_turn(h, n, (rp_dim)d, 1, &e) < 0)
                continue;
            if (bd < 0 || r->dims[d] * rb->dims[d].weight >
                              r->dims[bd] * rb->dims[bd].weight)
                bd = d;
        }
        if (bd < 0)
            break;
        used[bd] = true;
        const rp_evidence *e;
        int t = extreme_turn(h, n, (rp_dim)bd, 1, &e);
        rp_buf_clear(&q);
        quote_of(&q, h[t].user, e);
        rp_buf_clear(&sug);
        rp_buf_puts(&sug, rb->dims[bd].praise);
        if (e && e->note[0]) {
            if (sug.len)
                rp_buf_puts(&sug, " ");
            rp_buf_printf(&sug, "(%s)", e->note);
        }
        add_feedback(r, true, (rp_dim)bd, t + 1, q.ptr ? q.ptr : "",
                     sug.ptr ? sug.ptr : "", "");
    }

    /* Fixes: the costliest shortfalls, weighted. */
    bool fixed[RP_DIM_COUNT] = {false};
    for (int k = 0; k < 2; k++) {
        int bd = -1;
        double bcost = 0;
        for (int d = 0; d < RP_DIM_COUNT; d++) {
            if (fixed[d] || r->dims[d] < 0 || r->dims[d] >= 70)
                continue;
            double cost = rb->dims[d].weight * (100 - r->dims[d]);
            if (cost > bcost) {
                bcost = cost;
                bd = d;
            }
        }
        if (bd < 0)
            break;
        fixed[bd] = true;
        const rp_evidence *e;
        int t = extreme_turn(h, n, (rp_dim)bd, -1, &e);
        rp_buf_clear(&q);
        rp_buf_clear(&sug);
        rp_buf note;
        rp_buf_init(&note);
        if (t >= 0) {
            quote_of(&q, h[t].user, e);
            rp_buf_puts(&note, e && e->note[0] ? e->note : rb->dims[bd].advice);
            const rp_cue *cue = NULL;
            for (size_t c = 0; e && c < rb->ncues && !cue; c++)
                if (!strcmp(rb->cues[c].id, e->cue))
                    cue = &rb->cues[c];
            rp_buf_puts(&sug,
                        cue && cue->tip[0] ? cue->tip : rb->dims[bd].advice);
        } else {
            t = missing_turn(h, n, (rp_dim)bd);
            if (t >= 0)
                quote_of(&q, h[t].user, NULL);
            rp_buf_puts(&note, rb->dims[bd].advice);
            rp_buf_clear(&hook);
            const char *before = t > 0 ? h[t - 1].persona : "";
            hook_of(p, before, &hook);
            rp_buf_puts(&sug, "");
            fill_hook(&sug, rb->dims[bd].example, hook.ptr ? hook.ptr : "");
            if (sug.len == 0)
                rp_buf_puts(&sug, rb->dims[bd].advice);
        }
        add_feedback(r, false, (rp_dim)bd, t >= 0 ? t + 1 : 0,
                     q.ptr ? q.ptr : "", note.ptr ? note.ptr : "",
                     sug.ptr ? sug.ptr : "");
        rp_buf_free(&note);
    }
    rp_buf_free(&q);
    rp_buf_free(&hook);
    rp_buf_free(&sug);
    /* Pointers into the strings, now that they no longer move. */
    for (size_t i = 0; i < r->nstrengths + r->nfixes; i++) {
        rp_feedback *f =
            i < r->nstrengths ? &r->strengths[i] : &r->fixes[i - r->nstrengths];
        size_t slot = i < r->nstrengths ? i : 2 + (i - r->nstrengths);
        f->quote = r->strings.ptr + r->offs[slot][0];
        f->note = r->strings.ptr + r->offs[slot][1];
        f->suggestion = r->strings.ptr + r->offs[slot][2];
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* Hints and coaching                                                  */
/* ------------------------------------------------------------------ */

char *rp_hint_build(const rp_persona *p, const rp_turn_record *h, size_t n,
                    const char *persona_last, bool ended)
{
    const rp_rubric *rb = &p->rubric;
    rp_buf b, hook;
    rp_buf_init(&b);
    rp_buf_init(&hook);
    hook_of(p, persona_last ? persona_last : "", &hook);
    const char *hk = hook.ptr ? hook.ptr : "";
    bool asked_recently = false, any_follow = false, any_value = false;
    bool any_next = false, any_prep = false;
    for (size_t i = 0; i < n; i++) {
        const rp_score *sc = h[i].score;
        if (i + 2 >= n && (sc->value[RP_DIM_CURIOSITY] > 0 ||
                           sc->value[RP_DIM_FOLLOW_UP] > 0))
            asked_recently = true;
        any_follow |= sc->value[RP_DIM_FOLLOW_UP] > 0;
        any_value |= sc->value[RP_DIM_VALUE_OFFERED] > 0;
        any_next |= sc->value[RP_DIM_RELATIONSHIP] > 0;
        any_prep |= sc->value[RP_DIM_PREPARATION] > 0;
    }
    rp_dim d;
    const char *pl = persona_last ? persona_last : "";
    size_t pll = strlen(pl);
    while (pll > 0 &&
           (pl[pll - 1] == ' ' || pl[pll - 1] == ')' || pl[pll - 1] == '"'))
        pll--;
    bool asked_you = pll > 0 && pl[pll - 1] == '?';
    if (ended) {
        rp_buf_puts(&b, "The conversation is over. /score shows how it went; "
                        "/restart tries again.");
        goto out;
    }
    if (n > 0 && h[n - 1].brush_off) {
        d = RP_DIM_REJECTION_GRACE;
    } else if (asked_you) {
        rp_buf_puts(&b, "They asked you something: answer in a sentence or "
                        "two, then hand the conversation back with a "
                        "question about them.");
        goto out;
    } else if (!asked_recently)
        d = hk[0] && n > 0 ? RP_DIM_FOLLOW_UP : RP_DIM_CURIOSITY;
    else if (!any_follow && hk[0])
        d = RP_DIM_FOLLOW_UP;
    else if (!any_prep && p->nfacts > 0 && n < 4)
        d = RP_DIM_PREPARATION;
    else if (!any_value && n >= 3)
        d = RP_DIM_VALUE_OFFERED;
    else if (!any_next && n >= 6)
        d = RP_DIM_RELATIONSHIP;
    else
        d = hk[0] ? RP_DIM_FOLLOW_UP : RP_DIM_CURIOSITY;
    const rp_dimcfg *c = &rb->dims[d];
    if (d == RP_DIM_FOLLOW_UP && hk[0])
        rp_buf_printf(&b, "Ask about \"%s\": build on what they just said. ",
                      hk);
    if (d == RP_DIM_PREPARATION) {
        /* Point at a fact of the brief; a hook from their line would
         * make a poor example here. */
        rp_buf_printf(&b, "%s From their brief: \"%s\"", c->advice,
                      p->facts[n % p->nfacts].text);
        goto out;
    }
    rp_buf_puts(&b, c->advice);
    if (c->example[0]) {
        rp_buf tmp;
        rp_buf_init(&tmp);
        fill_hook(&tmp, c->example, hk);
        if (tmp.len)
            rp_buf_printf(&b, " For example: \"%s\"", tmp.ptr);
        rp_buf_free(&tmp);
    }
out:
    rp_buf_free(&hook);
    return rp_buf_detach(&b);
}

char *rp_coaching_build(const rp_score *sc, const char *line)
{
    (void)line;
    rp_buf b;
    rp_buf_init(&b);
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        if (!sc->applies[d] || sc->value[d] == 0)
            continue;
        const char *why = sc->nev[d] ? sc->ev[d][0].pub.note : "";
        rp_buf_printf(&b, "%s%s %s%s%s%s", b.len ? "; " : "",
                      sc->value[d] > 0 ? "+" : "-", dim_labels[d],
                      why[0] ? " (" : "", why, why[0] ? ")" : "");
    }
    /* A greeting or a short answer need not ask anything. */
    if (!sc->question && sc->value[RP_DIM_CURIOSITY] <= 0 && sc->words > 8)
        rp_buf_printf(&b, "%smissed: no question for them", b.len ? "; " : "");
    if (b.len == 0)
        rp_buf_puts(&b, "neutral: nothing scored on this turn");
    return rp_buf_detach(&b);
}

/*
 * dialogue.c - stage 3 of the pipeline: the dialogue policy.
 *
 * An rp_session is one conversation with one persona.  Each learner line
 * goes through the stages before it (text.c normalises, intent.c finds
 * intents), then this module decides the reply:
 *
 *   1. meters drift (time passes);
 *   2. the current stage's candidate rules are tried in order (priority,
 *      stage before global, file order); the first whose trigger matches
 *      and whose conditions hold answers;
 *   3. with no such rule, the persona asks its own next question (if the
 *      learner gave it nothing to work with) or falls back, never
 *      repeating a fallback line within the persona's window; a persona
 *      with a keywords block answers through its script instead
 *      (keyword.c, Weizenbaum's ELIZA mechanism);
 *   4. the rule's actions apply (meters, variables, stage, end), then any
 *      meter thresholds crossed this turn fire.
 *
 * All randomness comes from the session's seeded PRNG, so the same
 * persona, seed and lines give the same transcript byte for byte.  The
 * session owns every buffer it uses and reuses them from turn to turn.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <math.h>

#include "index.h"
#include "intent.h"
#include "keyword.h"
#include "persona.h"
#include "plcache.h"
#include "score.h"
#include "text.h"
#include "util.h"

/* Reply-choice state of one list of variants. */
typedef struct pick {
    uint64_t used; /* shuffle: variants used in this round */
    int cursor;    /* cycle: next variant */
    int last;      /* the variant given last, -1 before any */
} pick;

typedef struct rule_state {
    int fires;
    pick pick;
} rule_state;

struct rp_turn {
    rp_buf reply;
    bool fallback;
    int rule;
    bool ended;
    int stage;
    int number;
    const char *marks;
    const char *keyword; /* the keyword script's trace, NULL: not used */
    rp_intent_hit *hits;
    size_t nhits, caphits;
    rp_rule_trace *trace;
    size_t ntrace, captrace;
    rp_buf details; /* trace detail strings, NUL-separated */
    size_t *detail_off;
    size_t capdetail;
    rp_meter_change *changes;
    size_t nchanges, capchanges;
    rp_score *score;
    const rp_session *s;
    int variant; /* reply variant of the rule, -1: none */
    size_t *ths; /* thresholds fired, numbered over the persona; owned */
    size_t nths, capths;
};

struct rp_session {
    const rp_persona *p;
    uint64_t seed;
    rp_rng rng;
    int stage;
    int turn;
    bool ended;
    int ending;
    int last_rule;
    bool trace;
    bool scoring;    /* score lines and keep the history */
    bool use_index;  /* try only the rules the index lets through */
    rp_present pres; /* key words of the current line */
    uint32_t *cand;  /* this turn's candidate positions */
    size_t capcand;
    int engaged; /* turns of the history that were engaging */
    double *meters;
    double *before; /* meter values at the start of the turn */
    rp_value *vars;
    char (*var_text)[32]; /* rendering of numeric/bool vars */
    rule_state *rules;
    bool *th_fired;  /* per threshold, flattened over meters */
    size_t *th_base; /* index of each meter's first threshold */
    pick *stage_fb;
    int *fb_last;    /* turn each fallback line was last used, 0: never */
    size_t *fb_base; /* per stage; persona's list at [nstages] */
    int *initiated;  /* per stage: initiate questions asked */
    pick opening_pick;
    rp_buf opening;
    rp_text text;
    rp_hits hits;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    rp_turn t;
    rp_buf scratch;
    rp_kwstate *kw; /* the persona's keyword script, NULL when none */
    /* scoring */
    struct sb_stemmer *stemmer;
    rp_stemcache *stemc; /* the stems of words the learner has used */
    rp_text ptext;       /* a persona line, for its stems */
    rp_plcache pcache;   /* stems of the persona's recent lines */
    char **pstems;       /* content stems of each persona line, [0] opening */
    size_t npstems, cappstems;
    size_t plast_words;   /* words in the persona's last line */
    rp_turn_record *hist; /* every turn so far */
    size_t nhist, caphist;
};

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

static void choose_opening(rp_session *s);
static void score_current(rp_session *s, int turn, bool closing);
static void record_turn(rp_session *s, bool closing);

static void clear_history(rp_session *s)
{
    for (size_t i = 0; i < s->npstems; i++)
        free(s->pstems[i]);
    s->npstems = 0;
    for (size_t i = 0; i < s->nhist; i++) {
        free(s->hist[i].user);
        free(s->hist[i].persona);
        free(s->hist[i].rule);
        rp_score_free(s->hist[i].score);
    }
    s->nhist = 0;
    s->plast_words = 0;
    s->engaged = 0;
}

/* Remember the content stems of a persona line, for follow-ups. */
static void add_persona_line(rp_session *s, const char *line)
{
    size_t words;
    const char *stems = rp_plcache_stems(&s->pcache, s->p, s->stemmer, s->stemc,
                                         &s->ptext, &s->scratch, line, &words);
    RP_GROW(s->pstems, s->cappstems, s->npstems + 1);
    s->pstems[s->npstems++] = xstrdup(stems);
    s->plast_words = words;
}

static void session_reset(rp_session *s)
{
    const rp_persona *p = s->p;
    rp_rng_seed(&s->rng, s->seed);
    s->stage = p->start >= 0 ? p->start : 0;
    s->turn = 0;
    s->ended = false;
    s->ending = -1;
    s->last_rule = -1;
    for (size_t i = 0; i < p->nmeters; i++)
        s->meters[i] = p->meters[i].start;
    for (size_t i = 0; i < p->nvars; i++)
        s->vars[i] = p->vars[i].init;
    for (size_t i = 0; i < p->nrules; i++) {
        s->rules[i].fires = 0;
        s->rules[i].pick = (pick){0, 0, -1};
    }
    size_t nth = s->th_base[p->nmeters];
    memset(s->th_fired, 0, nth * sizeof(bool));
    for (size_t i = 0; i < p->nstages; i++) {
        s->stage_fb[i] = (pick){0, 0, -1};
        s->initiated[i] = 0;
    }
    memset(s->fb_last, 0, s->fb_base[p->nstages + 1] * sizeof(int));
    s->opening_pick = (pick){0, 0, -1};
    choose_opening(s);
    clear_history(s);
    add_persona_line(s, rp_session_opening(s));
    if (s->kw)
        rp_kw_state_reset(s->kw);
}

rp_session *rp_session_new(const rp_persona *p, uint64_t seed)
{
    if (!p)
        return NULL;
    rp_session *s = xcalloc(1, sizeof(*s));
    s->p = p;
    s->seed = seed;
    s->trace = true;
    s->scoring = true;
    s->use_index = true;
    s->meters = xcalloc(p->nmeters + 1, sizeof(double));
    s->before = xcalloc(p->nmeters + 1, sizeof(double));
    s->vars = xcalloc(p->nvars + 1, sizeof(rp_value));
    s->var_text = xcalloc(p->nvars + 1, sizeof(*s->var_text));
    s->rules = xcalloc(p->nrules + 1, sizeof(rule_state));
    s->th_base = xcalloc(p->nmeters + 1, sizeof(size_t));
    size_t nth = 0;
    for (size_t i = 0; i < p->nmeters; i++) {
        s->th_base[i] = nth;
        nth += p->meters[i].nth;
    }
    s->th_base[p->nmeters] = nth;
    s->th_fired = xcalloc(nth + 1, sizeof(bool));
    s->stage_fb = xcalloc(p->nstages + 1, sizeof(pick));
    s->initiated = xcalloc(p->nstages + 1, sizeof(int));
    s->fb_base = xcalloc(p->nstages + 2, sizeof(size_t));
    size_t nfb = 0;
    for (size_t i = 0; i < p->nstages; i++) {
        s->fb_base[i] = nfb;
        nfb += p->stages[i].fallback.n;
    }
    s->fb_base[p->nstages] = nfb;
    nfb += p->fallback.n;
    s->fb_base[p->nstages + 1] = nfb;
    s->fb_last = xcalloc(nfb + 1, sizeof(int));
    s->md = rp_pattern_match_data();
    s->mctx = pcre2_match_context_create(NULL);
    const rp_limits *lim = rp_limits_get();
    pcre2_set_match_limit(s->mctx, lim->match_limit);
    pcre2_set_depth_limit(s->mctx, lim->depth_limit);
    pcre2_set_heap_limit(s->mctx, lim->heap_limit_kb);
    s->t.s = s;
    s->t.score = rp_score_new();
    s->stemmer = sb_stemmer_new("english", "UTF_8");
    s->stemc = rp_stemcache_new();
    s->kw = p->keywords ? rp_kw_state_new(p->keywords, seed) : NULL;
    session_reset(s);
    return s;
}

void rp_session_free(rp_session *s)
{
    if (!s)
        return;
    free(s->meters);
    free(s->before);
    free(s->vars);
    free(s->var_text);
    free(s->rules);
    free(s->th_base);
    free(s->th_fired);
    free(s->stage_fb);
    free(s->initiated);
    free(s->fb_base);
    free(s->fb_last);
    rp_buf_free(&s->opening);
    rp_text_free(&s->text);
    rp_hits_free(&s->hits);
    rp_present_free(&s->pres);
    free(s->cand);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    rp_buf_free(&s->t.reply);
    free(s->t.hits);
    free(s->t.trace);
    rp_buf_free(&s->t.details);
    free(s->t.detail_off);
    free(s->t.changes);
    free(s->t.ths);
    clear_history(s);
    free(s->pstems);
    free(s->hist);
    rp_score_free(s->t.score);
    rp_text_free(&s->ptext);
    rp_plcache_free(&s->pcache);
    rp_stemcache_free(s->stemc);
    if (s->stemmer)
        sb_stemmer_delete(s->stemmer);
    rp_buf_free(&s->scratch);
    rp_kw_state_free(s->kw);
    free(s);
}

void rp_session_restart(rp_session *s)
{
    session_reset(s);
}

void rp_session_set_trace(rp_session *s, bool on)
{
    s->trace = on;
}

void rp_session_set_scoring(rp_session *s, bool on)
{
    s->scoring = on;
}

void rp_session_set_index(rp_session *s, bool on)
{
    s->use_index = on;
}

/* ------------------------------------------------------------------ */
/* Choosing and filling replies                                        */
/* ------------------------------------------------------------------ */

/* Choose a variant index of a list of n (n > 0), updating its state. */
static int pick_variant(rp_session *s, pick *st, size_t n, rp_select sel)
{
    int i = 0;
    if (n == 1 || sel == RP_SELECT_FIRST) {
        i = 0;
    } else if (sel == RP_SELECT_CYCLE) {
        i = st->cursor % (int)n;
        st->cursor = (i + 1) % (int)n;
    } else {
        /* Shuffle without repeats: a random unused variant; a new round
         * starts when all were used, never with the one just given. */
        uint64_t full = n >= 64 ? UINT64_MAX : ((uint64_t)1 << n) - 1;
        if ((st->used & full) == full)
            st->used = st->last >= 0 ? (uint64_t)1 << st->last : 0;
        uint32_t free_count = 0;
        for (size_t k = 0; k < n; k++)
            if (!(st->used & ((uint64_t)1 << k)))
                free_count++;
        uint32_t r = rp_rng_below(&s->rng, free_count);
        for (size_t k = 0; k < n; k++)
            if (!(st->used & ((uint64_t)1 << k)) && r-- == 0) {
                i = (int)k;
                break;
            }
        st->used |= (uint64_t)1 << i;
        if (st->last >= 0 && (st->used & full) == full && n > 1)
            st->used |= (uint64_t)1 << st->last;
    }
    st->last = i;
    return i;
}

/* Append the words of a capture, reflecting pronouns ("my" -> "your"). */
static void put_reflected(rp_session *s, rp_buf *out, const char *w, size_t n)
{
    const rp_persona *p = s->p;
    size_t i = 0;
    bool first = true;
    while (i < n) {
        while (i < n && w[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && w[j] != ' ')
            j++;
        if (j == i)
            break;
        if (!first)
            rp_buf_putc(out, ' ');
        first = false;
        const char *rep = NULL;
        for (size_t k = 0; k < p->nreflections && !rep; k++)
            if (strlen(p->reflections[k].from) == j - i &&
                memcmp(p->reflections[k].from, w + i, j - i) == 0)
                rep = p->reflections[k].to;
        if (rep)
            rp_buf_puts(out, rep);
        else
            rp_buf_put(out, w + i, j - i);
        i = j;
    }
}

static const char *value_text(rp_session *s, size_t var)
{
    const rp_value *v = &s->vars[var];
    switch (v->kind) {
    case RP_VAL_BOOL:
        return v->b ? "true" : "false";
    case RP_VAL_NUM:
        snprintf(s->var_text[var], sizeof s->var_text[var], "%g", v->num);
        return s->var_text[var];
    default:
        return v->str;
    }
}

/* Fill template t into out, with captures from m (may be NULL). */
static void expand(rp_session *s, const rp_template *t, const rp_match *m,
                   rp_buf *out)
{
    const rp_text *x = &s->text;
    for (size_t i = 0; i < t->nsegs; i++) {
        const rp_seg *g = &t->segs[i];
        switch (g->kind) {
        case RP_SEG_TEXT:
            rp_buf_put(out, g->text, g->len);
            break;
        case RP_SEG_CAP:
        case RP_SEG_RAWCAP: {
            if (!m || (unsigned)g->index > m->ncaps)
                break;
            const rp_span *c = &m->caps[g->index - 1];
            if (c->end <= c->start)
                break;
            if (g->kind == RP_SEG_CAP) {
                put_reflected(s, out, x->match.ptr + c->start,
                              c->end - c->start);
            } else {
                size_t a = x->src_start[c->start];
                size_t b = x->src_end[c->end - 1];
                if (b > a)
                    rp_buf_put(out, x->src.ptr + a, b - a);
            }
            break;
        }
        case RP_SEG_VAR:
            rp_buf_puts(out, value_text(s, (size_t)g->index));
            break;
        }
    }
}

/* Append a piece of the reply, separated by a space from what is there. */
static void reply_add(rp_session *s, const rp_template *t, const rp_match *m)
{
    rp_buf *r = &s->t.reply;
    size_t before = r->len;
    if (r->len)
        rp_buf_putc(r, ' ');
    size_t mark = r->len;
    expand(s, t, m, r);
    if (r->len == mark)
        rp_buf_truncate(r, before); /* nothing was added */
}

static void choose_opening(rp_session *s)
{
    rp_buf_clear(&s->opening);
    const rp_replies *o = &s->p->opening;
    if (o->n == 0) {
        rp_buf_puts(&s->opening, "");
        return;
    }
    int i = pick_variant(s, &s->opening_pick, o->n, o->select);
    expand(s, &o->v[i], NULL, &s->opening);
    if (s->p->upper)
        for (size_t k = 0; k < s->opening.len; k++)
            s->opening.ptr[k] = (char)toupper((unsigned char)s->opening.ptr[k]);
}

const char *rp_session_opening(const rp_session *s)
{
    return s->opening.ptr ? s->opening.ptr : "";
}

/* ------------------------------------------------------------------ */
/* Conditions                                                          */
/* ------------------------------------------------------------------ */

static bool cmp_value(const rp_cmp *c, const rp_value *v)
{
    if (c->val.kind == RP_VAL_NUM && v->kind == RP_VAL_NUM)
        return rp_cmp_num(c, v->num);
    bool eq;
    if (c->val.kind != v->kind)
        eq = false;
    else if (v->kind == RP_VAL_BOOL)
        eq = c->val.b == v->b;
    else
        eq = strcmp(c->val.str, v->str) == 0;
    if (c->op == RP_CMP_EQ)
        return eq;
    if (c->op == RP_CMP_NE)
        return !eq;
    return false;
}

static bool in_ids(const int *ids, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == x)
            return true;
    return false;
}

static bool cond_holds(const rp_session *s, const rp_cond *c)
{
    switch (c->kind) {
    case RP_COND_TURN:
        return rp_cmp_num(&c->cmp, s->turn);
    case RP_COND_WORDS:
        return rp_cmp_num(&c->cmp, (double)s->text.nwords);
    case RP_COND_METER:
        return rp_cmp_num(&c->cmp, s->meters[c->index]);
    case RP_COND_VAR:
        return cmp_value(&c->cmp, &s->vars[c->index]);
    case RP_COND_AFTER:
        return s->last_rule >= 0 && in_ids(c->ids, c->nids, s->last_rule);
    case RP_COND_STAGE:
        return in_ids(c->ids, c->nids, s->stage);
    case RP_COND_QUESTION:
        return s->text.question == c->flag;
    default:
        return false; /* scoring conditions: not allowed in rules */
    }
}

static const char *cond_name(rp_cond_kind k)
{
    switch (k) {
    case RP_COND_TURN:
        return "turn";
    case RP_COND_WORDS:
        return "words";
    case RP_COND_METER:
        return "meters";
    case RP_COND_VAR:
        return "vars";
    case RP_COND_AFTER:
        return "after";
    case RP_COND_STAGE:
        return "stage";
    default:
        return "question";
    }
}

/* ------------------------------------------------------------------ */
/* Tracing                                                             */
/* ------------------------------------------------------------------ */

static void trace_rule(rp_session *s, const rp_rule *r, rp_rule_verdict v,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void trace_rule(rp_session *s, const rp_rule *r, rp_rule_verdict v,
                       const char *fmt, ...)
{
    rp_turn *t = &s->t;
    if (!s->trace)
        return;
    RP_GROW(t->trace, t->captrace, t->ntrace + 1);
    RP_GROW(t->detail_off, t->capdetail, t->ntrace + 1);
    rp_rule_trace *x = &t->trace[t->ntrace];
    x->rule = r->id;
    x->file = r->pos.file;
    x->line = r->pos.line;
    x->verdict = v;
    x->detail = NULL;
    t->detail_off[t->ntrace] = t->details.len;
    va_list ap;
    va_start(ap, fmt);
    rp_buf_vprintf(&t->details, fmt, ap);
    va_end(ap);
    rp_buf_putc(&t->details, '\0');
    t->ntrace++;
}

static void meter_change(rp_session *s, size_t m, double delta,
                         const char *cause)
{
    const rp_meter *mt = &s->p->meters[m];
    double before = s->meters[m];
    double v = before + delta;
    if (v < mt->min)
        v = mt->min;
    if (v > mt->max)
        v = mt->max;
    s->meters[m] = v;
    if (!s->trace || v == before)
        return;
    rp_turn *t = &s->t;
    RP_GROW(t->changes, t->capchanges, t->nchanges + 1);
    t->changes[t->nchanges++] = (rp_meter_change){mt->name, before, v, cause};
}

/* ------------------------------------------------------------------ */
/* The turn                                                            */
/* ------------------------------------------------------------------ */

/* Does rule r's trigger match this line?  *m receives the captures of
 * the matching pattern or intent hit. */
static int rule_triggered(rp_session *s, const rp_rule *r, rp_match *m,
                          bool *have_m)
{
    const rp_persona *p = s->p;
    bool trig = r->nintents == 0 && r->npatterns == 0;
    *have_m = false;
    for (size_t i = 0; i < r->nintents && !trig; i++) {
        const rp_hit *h = rp_hits_find(&s->hits, p, r->intents[i], true);
        if (h) {
            trig = true;
            *m = h->m;
            *have_m = true;
        }
    }
    bool limit = false;
    for (size_t i = 0; i < r->npatterns && !trig; i++) {
        if (!rp_present_may(&s->pres, &r->patterns[i]))
            continue; /* lacks a word the pattern requires */
        int rc = rp_pattern_match(r->patterns[i].pat, s->text.match.ptr,
                                  s->text.match.len, 0, s->md, s->mctx, m);
        if (rc == RP_MATCH_OK) {
            trig = true;
            *have_m = true;
        } else if (rc < 0) {
            limit = true;
        }
    }
    if (!trig)
        return limit ? -1 : 0;
    for (size_t i = 0; i < r->nall; i++)
        if (!rp_hits_find(&s->hits, p, r->all[i], true))
            return 0;
    for (size_t i = 0; i < r->nnone; i++)
        if (rp_hits_find(&s->hits, p, r->none[i], true))
            return 0;
    return 1;
}

static void apply_action(rp_session *s, const rp_action *a, const char *cause)
{
    for (size_t i = 0; i < a->nmeters; i++)
        meter_change(s, (size_t)a->meters[i].meter, a->meters[i].delta, cause);
    for (size_t i = 0; i < a->nsets; i++)
        s->vars[a->sets[i].var] = a->sets[i].val;
    if (a->goto_stage >= 0)
        s->stage = a->goto_stage;
    if (a->end >= 0 && !s->ended) {
        s->ended = true;
        s->ending = a->end;
    }
}

/* The next unasked initiate question of the current stage, or -1. */
static int next_initiate(rp_session *s)
{
    const rp_stage *st = &s->p->stages[s->stage];
    return s->initiated[s->stage] < (int)st->initiate.n ? s->initiated[s->stage]
                                                        : -1;
}

static void ask_initiate(rp_session *s)
{
    int q = next_initiate(s);
    if (q < 0)
        return;
    s->initiated[s->stage]++;
    reply_add(s, &s->p->stages[s->stage].initiate.v[q], NULL);
}

/* A fallback line: from the stage's list, or the persona's, never one
 * used within the window while another is available. */
static void fallback(rp_session *s)
{
    const rp_persona *p = s->p;
    const rp_replies *list = &p->stages[s->stage].fallback;
    size_t base = s->fb_base[s->stage];
    if (list->n == 0) {
        list = &p->fallback;
        base = s->fb_base[p->nstages];
    }
    if (list->n == 0)
        return;
    int *last = s->fb_last + base;
    int window = p->fallback_window;
    uint32_t ok = 0;
    for (size_t i = 0; i < list->n; i++)
        if (last[i] == 0 || s->turn - last[i] > window)
            ok++;
    size_t chosen = 0;
    if (ok == 0) {
        /* Every line is recent: the least recently used. */
        for (size_t i = 1; i < list->n; i++)
            if (last[i] < last[chosen])
                chosen = i;
    } else if (list->select == RP_SELECT_CYCLE ||
               list->select == RP_SELECT_FIRST) {
        /* In order, skipping recent lines. */
        size_t start = 0;
        for (size_t i = 0; i < list->n; i++)
            if (last[i] > last[start])
                start = i;
        for (size_t k = 1; k <= list->n; k++) {
            size_t i = (start + k) % list->n;
            if (last[i] == 0 || s->turn - last[i] > window) {
                chosen = i;
                break;
            }
        }
    } else {
        uint32_t r = rp_rng_below(&s->rng, ok);
        for (size_t i = 0; i < list->n; i++)
            if ((last[i] == 0 || s->turn - last[i] > window) && r-- == 0) {
                chosen = i;
                break;
            }
    }
    last[chosen] = s->turn;
    reply_add(s, &list->v[chosen], NULL);
}

static void check_thresholds(rp_session *s)
{
    const rp_persona *p = s->p;
    for (size_t m = 0; m < p->nmeters; m++) {
        const rp_meter *mt = &p->meters[m];
        double was = s->before[m], now = s->meters[m];
        for (size_t k = 0; k < mt->nth; k++) {
            const rp_threshold *th = &mt->th[k];
            bool *fired = &s->th_fired[s->th_base[m] + k];
            bool crossed = th->dir == RP_BELOW ? was >= th->at && now < th->at
                                               : was <= th->at && now > th->at;
            if (!crossed || (*fired && !th->repeat))
                continue;
            *fired = true;
            RP_GROW(s->t.ths, s->t.capths, s->t.nths + 1);
            s->t.ths[s->t.nths++] = s->th_base[m] + k;
            if (th->say.n) {
                pick tmp = {0, 0, -1};
                int i = pick_variant(s, &tmp, th->say.n, th->say.select);
                reply_add(s, &th->say.v[i], NULL);
            }
            apply_action(s, &th->act, th->id);
            if (th->act.ask)
                ask_initiate(s);
        }
    }
}

/* Fill the public view of the intent hits. */
static void publish_hits(rp_session *s)
{
    rp_turn *t = &s->t;
    t->nhits = 0;
    RP_GROW(t->hits, t->caphits, s->hits.n + 1);
    for (size_t i = 0; i < s->hits.n; i++) {
        const rp_hit *h = &s->hits.v[i];
        rp_intent_hit *x = &t->hits[t->nhits++];
        x->intent = s->p->intents[h->intent].id;
        x->start = h->src_start;
        x->end = h->src_end;
        x->negated = h->negated;
        x->pattern = rp_pattern_source(h->pat->pat);
        x->file = h->pat->pos.file;
        x->line = h->pat->pos.line;
    }
}

int rp_session_turn(rp_session *s, const char *line, size_t len,
                    const rp_turn **out)
{
    const rp_persona *p = s->p;
    rp_turn *t = &s->t;
    if (s->ended)
        return RP_EENDED;
    if (!line && len)
        return RP_EINVAL;
    s->turn++;
    rp_buf_clear(&t->reply);
    rp_buf_clear(&t->details);
    t->ntrace = 0;
    t->nchanges = 0;
    t->nths = 0;
    t->variant = -1;
    t->fallback = false;
    t->rule = -1;
    t->marks = "";
    t->keyword = NULL;

    /* Stages 1 and 2: normalise, recognise. */
    rp_text_set(&s->text, line ? line : "", len, p->norm_flags);
    rp_present_scan(&s->pres, s->use_index ? p->index : NULL, &s->text);
    rp_intent_recognise_ix(p, &s->text, &s->pres, s->md, s->mctx, &s->hits);
    if (s->trace)
        publish_hits(s);
    else
        t->nhits = 0;

    /* Stage 4 reads the line in the context before this turn's reply. */
    bool closing = p->stages[s->stage].closing;
    if (s->scoring)
        score_current(s, s->turn, closing);

    /* Time passes. */
    memcpy(s->before, s->meters, p->nmeters * sizeof(double));
    for (size_t m = 0; m < p->nmeters; m++)
        if (p->meters[m].drift != 0)
            meter_change(s, m, p->meters[m].drift, "drift");

    /* Rules. */
    const rp_stage *st = &p->stages[s->stage];
    int fired = -1;
    rp_match m;
    bool have_m = false;
    /* With the index (and no trace, which lists every rule), only the
     * rules the line may trigger, in the same order. */
    size_t ncand = st->ncands;
    bool indexed = s->pres.ix && !s->trace;
    if (indexed)
        ncand = rp_index_candidates(&s->pres, (size_t)s->stage, &s->hits,
                                    &s->cand, &s->capcand);
    for (size_t c = 0; c < ncand && fired < 0; c++) {
        int ri = st->cands[indexed ? s->cand[c] : c];
        const rp_rule *r = &p->rules[ri];
        int trig = rule_triggered(s, r, &m, &have_m);
        if (trig <= 0) {
            if (s->trace)
                trace_rule(s, r, trig < 0 ? RP_RULE_LIMIT : RP_RULE_NO_TRIGGER,
                           "%s", trig < 0 ? "a pattern hit a match limit" : "");
            continue;
        }
        if (r->max_fires && s->rules[ri].fires >= r->max_fires) {
            if (s->trace)
                trace_rule(s, r, RP_RULE_EXHAUSTED, "fired %d of %d times",
                           s->rules[ri].fires, r->max_fires);
            continue;
        }
        const rp_cond *bad = NULL;
        for (size_t k = 0; k < r->nconds && !bad; k++)
            if (!cond_holds(s, &r->conds[k]))
                bad = &r->conds[k];
        if (bad) {
            if (s->trace)
                trace_rule(s, r, RP_RULE_CONDITION, "if %s%s%s is false",
                           cond_name(bad->kind),
                           bad->kind == RP_COND_METER ? "."
                           : bad->kind == RP_COND_VAR ? "."
                                                      : "",
                           bad->kind == RP_COND_METER
                               ? p->meters[bad->index].name
                           : bad->kind == RP_COND_VAR ? p->vars[bad->index].name
                                                      : "");
            continue;
        }
        if (s->trace)
            trace_rule(s, r, RP_RULE_FIRED, "%s", "");
        fired = ri;
    }

    if (fired >= 0) {
        const rp_rule *r = &p->rules[fired];
        s->rules[fired].fires++;
        t->rule = fired;
        t->marks = r->marks;
        if (r->replies.n) {
            int i = pick_variant(s, &s->rules[fired].pick, r->replies.n,
                                 r->replies.select);
            reply_add(s, &r->replies.v[i], have_m ? &m : NULL);
            t->variant = i;
        }
        apply_action(s, &r->act, r->id);
        if (r->act.ask)
            ask_initiate(s);
    } else {
        t->fallback = true;
        if (s->kw) { /* a keyword script answers what no rule understood */
            t->fallback = !rp_kw_reply(s->kw, s->text.src.ptr, s->text.src.len,
                                       &t->reply);
            t->keyword = rp_kw_trace(s->kw);
        } else if (!s->text.question && next_initiate(s) >= 0)
            ask_initiate(s);
        else
            fallback(s);
    }
    s->last_rule = fired;

    check_thresholds(s);
    if (s->ended) {
        const rp_ending *e = &p->endings[s->ending];
        if (e->say.n) {
            pick tmp = {0, 0, -1};
            int i = pick_variant(s, &tmp, e->say.n, e->say.select);
            reply_add(s, &e->say.v[i], NULL);
        }
    }
    if (p->upper)
        for (size_t k = 0; k < t->reply.len; k++)
            t->reply.ptr[k] = (char)toupper((unsigned char)t->reply.ptr[k]);
    if (!t->reply.ptr)
        rp_buf_puts(&t->reply, "");

    if (s->scoring)
        record_turn(s, closing);

    /* Detail pointers are fixed now that the buffer no longer moves. */
    for (size_t i = 0; i < t->ntrace; i++)
        t->trace[i].detail = t->details.ptr + t->detail_off[i];
    t->ended = s->ended;
    t->stage = s->stage;
    t->number = s->turn;
    *out = t;
    return RP_OK;
}

/* ------------------------------------------------------------------ */
/* Rule examples                                                       */
/* ------------------------------------------------------------------ */

int rp_session_check_example(rp_session *s, size_t rule, const char *line,
                             size_t len, size_t *stolen_by)
{
    const rp_persona *p = s->p;
    if (rule >= p->nrules || (!line && len))
        return RP_EINVAL;
    rp_text_set(&s->text, line ? line : "", len, p->norm_flags);
    rp_present_scan(&s->pres, s->use_index ? p->index : NULL, &s->text);
    rp_intent_recognise_ix(p, &s->text, &s->pres, s->md, s->mctx, &s->hits);
    rp_match m;
    bool have_m;
    if (rule_triggered(s, &p->rules[rule], &m, &have_m) <= 0)
        return 1;
    /* A stage rule must answer in its stage.  A global rule may be
     * overridden by a stage's own rule (that is what stage rules are
     * for), so it only fails when no stage at all lets it answer. */
    const rp_rule *target = &p->rules[rule];
    bool answers_somewhere = false;
    size_t thief = SIZE_MAX;
    for (size_t st = 0; st < p->nstages; st++) {
        if (target->stage >= 0 && target->stage != (int)st)
            continue;
        const rp_stage *stage = &p->stages[st];
        size_t taken = SIZE_MAX;
        for (size_t c = 0; c < stage->ncands && taken == SIZE_MAX; c++) {
            size_t ri = (size_t)stage->cands[c];
            if (ri == rule)
                break;
            const rp_rule *r = &p->rules[ri];
            if (r->nconds || r->max_fires)
                continue; /* may or may not answer: state decides */
            if (rule_triggered(s, r, &m, &have_m) > 0)
                taken = ri;
        }
        if (taken == SIZE_MAX)
            answers_somewhere = true;
        else if (thief == SIZE_MAX)
            thief = taken;
    }
    if (answers_somewhere || thief == SIZE_MAX)
        return 0;
    *stolen_by = thief;
    return 2;
}

/* ------------------------------------------------------------------ */
/* Scoring and history                                                 */
/* ------------------------------------------------------------------ */

static bool rapport_built(const rp_session *s)
{
    return s->engaged >= s->p->rubric.rapport_turns;
}

/* Score s->text (already normalised and recognised) as learner turn
 * number turn, in the context of the history. */
static void score_current(rp_session *s, int turn, bool closing)
{
    rp_text_stem_cached(&s->text, s->stemmer, s->stemc);
    rp_score_ctx ctx;
    ctx.turn = turn;
    ctx.brush_off = s->nhist > 0 && s->hist[s->nhist - 1].brush_off;
    ctx.closing = closing;
    ctx.rapport = rapport_built(s);
    ctx.persona_stems = (const char *const *)s->pstems;
    ctx.npersona = s->npstems;
    ctx.first_turn = 0; /* the opening */
    ctx.persona_last_words = s->plast_words;
    rp_score_line(s->t.score, s->p, &s->text, &s->hits, &ctx, s->md, s->mctx);
}

static bool has_mark(const char *marks, const char *m)
{
    size_t n = strlen(m);
    for (const char *p = marks; (p = strstr(p, m)); p += n)
        if ((p == marks || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static void record_turn(rp_session *s, bool closing)
{
    rp_turn *t = &s->t;
    RP_GROW(s->hist, s->caphist, s->nhist + 1);
    rp_turn_record *r = &s->hist[s->nhist++];
    r->user = xstrdup(s->text.src.ptr ? s->text.src.ptr : "");
    r->persona = xstrdup(t->reply.ptr ? t->reply.ptr : "");
    r->rule = t->rule >= 0 ? xstrdup(s->p->rules[t->rule].id) : NULL;
    r->fallback = t->fallback;
    r->brush_off =
        has_mark(t->marks, "brush_off") || has_mark(t->marks, "refusal");
    r->closing = closing || s->ended;
    r->user_words = s->text.nwords;
    r->score = rp_score_new();
    rp_score_copy(r->score, t->score);
    s->engaged += rp_score_engaged(r->score);
    add_persona_line(s, r->persona);
    r->persona_words = s->plast_words;
}

const rp_score *rp_turn_score(const rp_turn *t)
{
    return t->score;
}

int rp_session_score_line(rp_session *s, const char *context, int turn,
                          bool after_brush_off, const char *line, size_t len,
                          const rp_score **out)
{
    const rp_persona *p = s->p;
    if ((!line && len) || turn < 1)
        return RP_EINVAL;
    /* A context of its own: the persona just said context. */
    rp_text_set(&s->ptext, context ? context : "",
                context ? strlen(context) : 0, p->norm_flags);
    rp_text_stem(&s->ptext, s->stemmer);
    rp_buf_clear(&s->scratch);
    rp_score_content_stems(p, &s->ptext, &s->scratch);
    const char *stems[1] = {s->scratch.ptr ? s->scratch.ptr : ""};
    rp_text_set(&s->text, line ? line : "", len, p->norm_flags);
    rp_present_scan(&s->pres, s->use_index ? p->index : NULL, &s->text);
    rp_intent_recognise_ix(p, &s->text, &s->pres, s->md, s->mctx, &s->hits);
    rp_text_stem(&s->text, s->stemmer);
    rp_score_ctx ctx;
    ctx.turn = turn;
    ctx.brush_off = after_brush_off;
    ctx.closing = false;
    /* Without a history, rapport counts as built once the learner is
     * past the turns it takes to build it. */
    ctx.rapport = turn > p->rubric.rapport_turns + 1;
    ctx.persona_stems = stems;
    ctx.npersona = context && context[0] ? 1 : 0;
    ctx.first_turn = turn - 1; /* the context came just before */
    ctx.persona_last_words = s->ptext.nwords;
    rp_score_line(s->t.score, p, &s->text, &s->hits, &ctx, s->md, s->mctx);
    *out = s->t.score;
    return RP_OK;
}

const char *rp_session_scored_input(const rp_session *s)
{
    return s->text.src.ptr ? s->text.src.ptr : "";
}

rp_report *rp_session_report(const rp_session *s)
{
    return rp_report_build(s->p, s->hist, s->nhist, s->ended,
                           rp_session_ending_outcome(s));
}

char *rp_session_hint(const rp_session *s)
{
    const char *last =
        s->nhist ? s->hist[s->nhist - 1].persona : rp_session_opening(s);
    return rp_hint_build(s->p, s->hist, s->nhist, last, s->ended);
}

char *rp_turn_coaching(const rp_turn *t)
{
    return rp_coaching_build(t->score, rp_turn_input(t));
}

char *rp_session_json(const rp_session *s)
{
    rp_buf b;
    rp_buf_init(&b);
    const rp_persona *p = s->p;
    rp_buf_puts(&b, "{\"persona\":");
    rp_buf_json_str(&b, rp_persona_id(p), strlen(rp_persona_id(p)));
    rp_buf_printf(&b,
                  ",\"seed\":%llu,\"opening\":", (unsigned long long)s->seed);
    const char *op = rp_session_opening(s);
    rp_buf_json_str(&b, op, strlen(op));
    rp_buf_puts(&b, ",\"turns\":[");
    for (size_t i = 0; i < s->nhist; i++) {
        const rp_turn_record *r = &s->hist[i];
        if (i)
            rp_buf_putc(&b, ',');
        rp_buf_printf(&b, "{\"turn\":%zu,\"user\":", i + 1);
        rp_buf_json_str(&b, r->user, strlen(r->user));
        rp_buf_puts(&b, ",\"persona\":");
        rp_buf_json_str(&b, r->persona, strlen(r->persona));
        rp_buf_printf(
            &b, ",\"fallback\":%s,\"rule\":", r->fallback ? "true" : "false");
        if (r->rule)
            rp_buf_json_str(&b, r->rule, strlen(r->rule));
        else
            rp_buf_puts(&b, "null");
        rp_buf_puts(&b, ",\"dimensions\":");
        rp_score_dimensions_json(r->score, r->user, &b);
        rp_buf_putc(&b, '}');
    }
    rp_buf_printf(&b,
                  "],\"ended\":%s,\"ending\":", s->ended ? "true" : "false");
    const char *e = rp_session_ending(s);
    if (e)
        rp_buf_json_str(&b, e, strlen(e));
    else
        rp_buf_puts(&b, "null");
    rp_buf_puts(&b, ",\"outcome\":");
    const char *o = rp_session_ending_outcome(s);
    if (o)
        rp_buf_json_str(&b, o, strlen(o));
    else
        rp_buf_puts(&b, "null");
    rp_report *rep = rp_session_report(s);
    rp_buf_printf(&b, ",\"report\":{\"overall\":%d,\"dimensions\":{",
                  rp_report_overall(rep));
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        int v = rp_report_dimension(rep, (rp_dim)d);
        rp_buf_printf(&b, "%s\"%s\":", d ? "," : "", rp_dim_id((rp_dim)d));
        if (v < 0)
            rp_buf_puts(&b, "null");
        else
            rp_buf_printf(&b, "%d", v);
    }
    rp_buf_puts(&b, "}");
    for (int k = 0; k < 2; k++) {
        size_t n = k ? rp_report_fix_count(rep) : rp_report_strength_count(rep);
        rp_buf_printf(&b, ",\"%s\":[", k ? "fixes" : "strengths");
        for (size_t i = 0; i < n; i++) {
            const rp_feedback *f =
                k ? rp_report_fix(rep, i) : rp_report_strength(rep, i);
            rp_buf_printf(&b,
                          "%s{\"dimension\":\"%s\",\"turn\":%d,"
                          "\"quote\":",
                          i ? "," : "", rp_dim_id(f->dim), f->turn);
            rp_buf_json_str(&b, f->quote, strlen(f->quote));
            rp_buf_puts(&b, ",\"note\":");
            rp_buf_json_str(&b, f->note, strlen(f->note));
            if (k) {
                rp_buf_puts(&b, ",\"suggestion\":");
                rp_buf_json_str(&b, f->suggestion, strlen(f->suggestion));
            }
            rp_buf_putc(&b, '}');
        }
        rp_buf_putc(&b, ']');
    }
    rp_buf_puts(&b, "}}");
    rp_report_free(rep);
    return rp_buf_detach(&b);
}

/* ------------------------------------------------------------------ */
/* Rebinding (hot reload)                                              */
/* ------------------------------------------------------------------ */

int rp_session_rebind(rp_session *s, const rp_persona *np)
{
    const rp_persona *op = s->p;
    rp_session *n = rp_session_new(np, s->seed);
    n->trace = s->trace;
    n->turn = s->turn;
    n->ended = s->ended;
    n->rng = s->rng;
    int rc = RP_OK;
    int st = rp_persona_find_stage(np, op->stages[s->stage].name);
    if (st >= 0)
        n->stage = st;
    else
        rc = RP_ENOTFOUND;
    for (size_t i = 0; i < op->nmeters; i++) {
        int j = rp_persona_find_meter(np, op->meters[i].name);
        if (j >= 0) {
            const rp_meter *m = &np->meters[j];
            double v = s->meters[i];
            n->meters[j] = v < m->min ? m->min : v > m->max ? m->max : v;
        }
    }
    for (size_t i = 0; i < op->nvars; i++) {
        int j = rp_persona_find_var(np, op->vars[i].name);
        if (j >= 0 && s->vars[i].kind != RP_VAL_STR)
            n->vars[j] = s->vars[i];
        /* Strings point into the old persona: keep the new default. */
    }
    for (size_t i = 0; i < op->nrules; i++) {
        if (!op->rules[i].id)
            continue;
        int j = rp_persona_find_rule(np, op->rules[i].id);
        if (j >= 0) {
            n->rules[j] = s->rules[i];
            if (n->rules[j].pick.last >= (int)np->rules[j].replies.n)
                n->rules[j].pick = (pick){0, 0, -1};
        }
    }
    if (s->ending >= 0) {
        n->ending = -1;
        for (size_t j = 0; j < np->nendings; j++)
            if (!strcmp(np->endings[j].id, op->endings[s->ending].id))
                n->ending = (int)j;
        if (n->ending < 0)
            n->ended = false;
    }
    if (s->last_rule >= 0 && op->rules[s->last_rule].id)
        n->last_rule = rp_persona_find_rule(np, op->rules[s->last_rule].id);
    rp_buf_clear(&n->opening);
    rp_buf_put(&n->opening, s->opening.ptr ? s->opening.ptr : "",
               s->opening.len);
    /* The history (transcript, scores, the persona's lines for
     * follow-ups) carries over whole, so the report card still covers
     * every turn.  Its evidence quotes the old persona's rubric, which is
     * why the old persona must outlive the session. */
    clear_history(n);
    free(n->hist);
    free(n->pstems);
    n->hist = s->hist;
    n->nhist = s->nhist;
    n->caphist = s->caphist;
    n->pstems = s->pstems;
    n->npstems = s->npstems;
    n->cappstems = s->cappstems;
    n->plast_words = s->plast_words;
    s->hist = NULL;
    s->nhist = s->caphist = 0;
    s->pstems = NULL;
    s->npstems = s->cappstems = 0;
    /* Swap the contents: the caller's handle stays valid. */
    rp_session tmp = *s;
    *s = *n;
    *n = tmp;
    s->t.s = s;
    n->t.s = n;
    rp_session_free(n);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

bool rp_session_ended(const rp_session *s)
{
    return s->ended;
}

const char *rp_session_ending(const rp_session *s)
{
    return s->ending >= 0 ? s->p->endings[s->ending].id : NULL;
}

const char *rp_session_ending_outcome(const rp_session *s)
{
    if (s->ending < 0)
        return NULL;
    switch (s->p->endings[s->ending].outcome) {
    case RP_OUTCOME_REWARDING:
        return "rewarding";
    case RP_OUTCOME_CUT_SHORT:
        return "cut-short";
    default:
        return "neutral";
    }
}

const char *rp_session_stage(const rp_session *s)
{
    return s->p->stages[s->stage].name;
}

int rp_session_turn_count(const rp_session *s)
{
    return s->turn;
}

uint64_t rp_session_seed(const rp_session *s)
{
    return s->seed;
}

const rp_persona *rp_session_persona(const rp_session *s)
{
    return s->p;
}

size_t rp_session_meter_count(const rp_session *s)
{
    return s->p->nmeters;
}

const char *rp_session_meter_name(const rp_session *s, size_t i)
{
    return i < s->p->nmeters ? s->p->meters[i].name : NULL;
}

double rp_session_meter_value(const rp_session *s, size_t i)
{
    return i < s->p->nmeters ? s->meters[i] : 0;
}

bool rp_session_meter(const rp_session *s, const char *name, double *value)
{
    int i = rp_persona_find_meter(s->p, name);
    if (i < 0)
        return false;
    *value = s->meters[i];
    return true;
}

bool rp_session_var(const rp_session *s, const char *name, const char **value)
{
    int i = rp_persona_find_var(s->p, name);
    if (i < 0)
        return false;
    *value = value_text((rp_session *)s, (size_t)i);
    return true;
}

const char *rp_turn_reply(const rp_turn *t)
{
    return t->reply.ptr ? t->reply.ptr : "";
}

bool rp_turn_fallback(const rp_turn *t)
{
    return t->fallback;
}

const char *rp_turn_rule(const rp_turn *t)
{
    return t->rule >= 0 ? t->s->p->rules[t->rule].id : NULL;
}

const char *rp_turn_rule_file(const rp_turn *t)
{
    return t->rule >= 0 ? t->s->p->rules[t->rule].pos.file : NULL;
}

int rp_turn_rule_line(const rp_turn *t)
{
    return t->rule >= 0 ? t->s->p->rules[t->rule].pos.line : 0;
}

const char *rp_turn_marks(const rp_turn *t)
{
    return t->marks ? t->marks : "";
}

bool rp_turn_ended(const rp_turn *t)
{
    return t->ended;
}

const char *rp_turn_stage(const rp_turn *t)
{
    return t->s->p->stages[t->stage].name;
}

int rp_turn_number(const rp_turn *t)
{
    return t->number;
}

const char *rp_turn_keyword(const rp_turn *t)
{
    return t->keyword;
}

const char *rp_turn_normalised(const rp_turn *t)
{
    return t->s->text.match.ptr ? t->s->text.match.ptr : "";
}

const char *rp_turn_input(const rp_turn *t)
{
    return t->s->text.src.ptr ? t->s->text.src.ptr : "";
}

size_t rp_turn_intent_count(const rp_turn *t)
{
    return t->nhits;
}

const rp_intent_hit *rp_turn_intent(const rp_turn *t, size_t i)
{
    return i < t->nhits ? &t->hits[i] : NULL;
}

size_t rp_turn_rule_trace_count(const rp_turn *t)
{
    return t->ntrace;
}

const rp_rule_trace *rp_turn_rule_trace(const rp_turn *t, size_t i)
{
    return i < t->ntrace ? &t->trace[i] : NULL;
}

size_t rp_turn_meter_change_count(const rp_turn *t)
{
    return t->nchanges;
}

const rp_meter_change *rp_turn_meter_change(const rp_turn *t, size_t i)
{
    return i < t->nchanges ? &t->changes[i] : NULL;
}

int rp_turn_reply_variant(const rp_turn *t)
{
    return t->variant;
}

size_t rp_turn_threshold_count(const rp_turn *t)
{
    return t->nths;
}

size_t rp_turn_threshold(const rp_turn *t, size_t i)
{
    return i < t->nths ? t->ths[i] : SIZE_MAX;
}

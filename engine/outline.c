/*
 * outline.c - the parts of a loaded persona, with where each is written.
 *
 * Read-only accessors over the model persona.c builds: stages, the reply
 * variants of each rule, meter thresholds and endings, each with its file
 * and line.  They exist for tools that report on a persona as a whole,
 * such as `rapport test --coverage`, which lists the parts no scripted
 * conversation reached.  Nothing here allocates; every string returned
 * is owned by the persona.  Thresholds are numbered over the whole
 * persona, meter by meter in file order, the numbering rp_turn_threshold
 * uses.
 */
#include "persona.h"

const char *rp_persona_stage_file(const rp_persona *p, size_t i)
{
    return i < p->nstages ? p->stages[i].pos.file : "";
}

int rp_persona_stage_line(const rp_persona *p, size_t i)
{
    return i < p->nstages ? p->stages[i].pos.line : 0;
}

size_t rp_persona_rule_reply_count(const rp_persona *p, size_t i)
{
    return i < p->nrules ? p->rules[i].replies.n : 0;
}

int rp_persona_rule_reply_line(const rp_persona *p, size_t i, size_t j)
{
    if (i >= p->nrules || j >= p->rules[i].replies.n)
        return 0;
    return p->rules[i].replies.v[j].pos.line;
}

/* The threshold numbered i over the whole persona, or NULL; *meter is
 * set to its meter. */
static const rp_threshold *outline_threshold(const rp_persona *p, size_t i,
                                             const rp_meter **meter)
{
    for (size_t m = 0; m < p->nmeters; m++) {
        if (i < p->meters[m].nth) {
            *meter = &p->meters[m];
            return &p->meters[m].th[i];
        }
        i -= p->meters[m].nth;
    }
    return NULL;
}

size_t rp_persona_threshold_count(const rp_persona *p)
{
    size_t n = 0;

    for (size_t m = 0; m < p->nmeters; m++)
        n += p->meters[m].nth;
    return n;
}

const char *rp_persona_threshold_id(const rp_persona *p, size_t i)
{
    const rp_meter *m;
    const rp_threshold *th = outline_threshold(p, i, &m);

    return th ? th->id : NULL;
}

const char *rp_persona_threshold_meter(const rp_persona *p, size_t i)
{
    const rp_meter *m;
    const rp_threshold *th = outline_threshold(p, i, &m);

    return th ? m->name : NULL;
}

const char *rp_persona_threshold_file(const rp_persona *p, size_t i)
{
    const rp_meter *m;
    const rp_threshold *th = outline_threshold(p, i, &m);

    return th ? th->pos.file : "";
}

int rp_persona_threshold_line(const rp_persona *p, size_t i)
{
    const rp_meter *m;
    const rp_threshold *th = outline_threshold(p, i, &m);

    return th ? th->pos.line : 0;
}

size_t rp_persona_ending_count(const rp_persona *p)
{
    return p->nendings;
}

const char *rp_persona_ending_id(const rp_persona *p, size_t i)
{
    return i < p->nendings ? p->endings[i].id : NULL;
}

const char *rp_persona_ending_file(const rp_persona *p, size_t i)
{
    return i < p->nendings ? p->endings[i].pos.file : "";
}

int rp_persona_ending_line(const rp_persona *p, size_t i)
{
    return i < p->nendings ? p->endings[i].pos.line : 0;
}

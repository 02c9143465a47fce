/*
 * plcache.c - the persona-line stem cache (see plcache.h).
 */
#include "plcache.h"

#include <stdlib.h>
#include <string.h>

#include "score.h"

static uint64_t hash_line(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

size_t rp_plcache_slot(const char *line)
{
    return (size_t)(hash_line(line) % RP_PLCACHE_SLOTS);
}

void rp_plcache_free(rp_plcache *c)
{
    for (size_t i = 0; i < RP_PLCACHE_SLOTS; i++) {
        free(c->slot[i].line);
        free(c->slot[i].stems);
    }
    memset(c, 0, sizeof *c);
}

const char *rp_plcache_stems(rp_plcache *c, const rp_persona *p,
                             struct sb_stemmer *stemmer, rp_stemcache *sc,
                             rp_text *t, rp_buf *tmp, const char *line,
                             size_t *words)
{
    uint64_t h = hash_line(line);
    rp_plcache_entry *e = &c->slot[h % RP_PLCACHE_SLOTS];
    if (e->line && e->hash == h && strcmp(e->line, line) == 0) {
        c->hits++;
        *words = e->words;
        return e->stems;
    }
    c->misses++;
    rp_text_set(t, line, strlen(line), p->norm_flags);
    rp_text_stem_cached(t, stemmer, sc);
    rp_buf_clear(tmp);
    rp_score_content_stems(p, t, tmp);
    free(e->line);
    free(e->stems);
    e->hash = h;
    e->line = xstrdup(line);
    e->stems = xstrdup(tmp->ptr ? tmp->ptr : "");
    e->words = t->nwords;
    *words = e->words;
    return e->stems;
}

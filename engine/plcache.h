/*
 * plcache.h - a cache of the content stems of persona lines.
 *
 * Scoring needs the content stems (score.h) of every line the persona
 * says, to tell a follow-up from a new topic.  A persona says the same
 * few fixed lines over and over, and normalising and stemming each one
 * again every turn was a fifth of a scored turn.  The cache maps the
 * exact text of a line to its stems and word count, so a line that
 * differs in any byte (a capture, a variable, upper case) is a different
 * key and is computed afresh: no entry can be stale.  Direct-mapped with
 * RP_PLCACHE_SLOTS slots (a bounded size; a colliding line evicts).
 * One per session; allocates only on a miss.  Internal.
 */
#ifndef RP_PLCACHE_H
#define RP_PLCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "persona.h"
#include "text.h"
#include "util.h"

struct sb_stemmer;

#define RP_PLCACHE_SLOTS 512

typedef struct rp_plcache_entry {
    uint64_t hash;
    char *line;  /* NULL: empty slot */
    char *stems; /* content stems, as rp_score_content_stems writes them */
    size_t words;
} rp_plcache_entry;

typedef struct rp_plcache {
    rp_plcache_entry slot[RP_PLCACHE_SLOTS];
    unsigned long hits, misses; /* for tests and benchmarks */
} rp_plcache;

/* A zeroed cache is valid and empty. */
void rp_plcache_free(rp_plcache *c);

/* The content stems of persona p's line (NUL-terminated) and its number
 * of words, from the cache or computed with the scratch text t, scratch
 * buffer tmp and stemmer (through word stem cache sc, may be NULL) and
 * then cached.  The returned string stays valid until the next call on
 * c. */
const char *rp_plcache_stems(rp_plcache *c, const rp_persona *p,
                             struct sb_stemmer *stemmer, rp_stemcache *sc,
                             rp_text *t, rp_buf *tmp, const char *line,
                             size_t *words);

/* The slot a line maps to (tests use it to make collisions). */
size_t rp_plcache_slot(const char *line);

#endif

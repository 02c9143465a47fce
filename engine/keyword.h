/*
 * keyword.h - keyword scripts: Weizenbaum's ELIZA mechanism as a part of
 * the persona format (the top-level `keywords:` block).  Internal.
 *
 * A persona with a keywords block answers the lines its ordinary rules
 * do not understand through it, the way ELIZA (CACM 9(1), 1966) did:
 *
 *   read the line into words (punctuation split off, characters
 *   replaced) -> one left-to-right scan that trims clauses at delimiters,
 *   stacks keywords by rank and substitutes words -> pop keywords and
 *   try their decomposition patterns -> reassemble a reply from the
 *   matched parts, or follow a redirect, NEWKEY or PRE -> fall back to
 *   the memory queue, the failure messages or NONE.
 *
 * keyword_load.c turns the YAML block into an immutable rp_kwscript
 * (patterns compiled once with PCRE2, tag sets expanded, redirects
 * resolved, part numbers checked); keyword.c runs it with the per-session
 * rp_kwstate (LIMIT counter, reply cursors, memory queue).  Nothing here
 * knows about any particular script: DOCTOR is personas/eliza.yaml.
 */
#ifndef RP_KEYWORD_H
#define RP_KEYWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapport.h"
#include "util.h"
#include "ydoc.h"

typedef struct rp_kwscript rp_kwscript;
typedef struct rp_kwstate rp_kwstate;

/* Limits on the work one line can cause (documented in
 * personas/README.md). */
#define RP_KW_MAX_STEPS    64   /* keywords popped / redirects per line */
#define RP_KW_MAX_MEMORIES 100  /* queued memories; the oldest are dropped */
#define RP_KW_MAX_WORDS    1000 /* words read from a line; the rest is ignored */

/* Load the `keywords:` block n of the persona file `file` (a name kept
 * by the caller for as long as diags lives).  Every problem is added to
 * diags (may be NULL) as a positioned diagnostic; returns the number of
 * errors.  *out is the script (free with rp_kw_free), or NULL when there
 * were errors.  nojit: do not JIT-compile the patterns. */
int rp_kw_load(const ynode *n, const char *file, bool nojit, rp_diags *diags,
               rp_kwscript **out);
void rp_kw_free(rp_kwscript *k);

/* Per-session state of a script: the script must outlive it.  seed
 * drives `select: random` (the same seed gives the same replies). */
rp_kwstate *rp_kw_state_new(const rp_kwscript *k, uint64_t seed);
void rp_kw_state_free(rp_kwstate *st);
/* A fresh session: LIMIT at its start, every cursor at its first reply,
 * the memory queue empty, the random stream at its seed. */
void rp_kw_state_reset(rp_kwstate *st);

/* Answer line[0..len) (UTF-8 without control characters is expected,
 * any bytes are safe): appends the reply to out.  Returns true when a
 * keyword's reassembly answered, false when the reply came from the
 * memory queue, a failure message or NONE (a fallback). */
bool rp_kw_reply(rp_kwstate *st, const char *line, size_t len, rp_buf *out);

/* How the last rp_kw_reply answered, for traces: the keywords tried in
 * order, with the pattern that matched (and its line) and the reply used,
 * or "NONE", "memory", "failure".  Owned by st, valid until its next
 * reply. */
const char *rp_kw_trace(const rp_kwstate *st);

/* The SLIP HASH of word w (n bytes) to nbits bits (1..15), as the 1966
 * ELIZA chose among its MEMORY transformations: the last group of up to
 * six characters in IBM 7094 BCD, squared, middle bits. */
unsigned rp_kw_slip_hash(const char *w, size_t n, int nbits);

/* ------------------------------------------------------------------ */
/* The loaded model, shared by keyword_load.c and keyword.c            */
/* ------------------------------------------------------------------ */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* One token of a reassembly template: a literal, or part number part. */
typedef struct rp_kwtok {
    const char *lit; /* NULL for a part */
    size_t len;
    int part; /* 1-based part of the decomposition; 0 for a literal */
} rp_kwtok;

typedef struct rp_kwtemplate {
    rp_kwtok *toks;
    size_t n;
} rp_kwtemplate;

typedef enum rp_kwr_kind {
    RP_KWR_TEMPLATE, /* reply with the filled-in template */
    RP_KWR_REDIRECT, /* =KEY: try keyword target with the same words */
    RP_KWR_NEWKEY,   /* go on with the next keyword on the stack */
    RP_KWR_PRE,      /* PRE: the words become the template, then =KEY */
} rp_kwr_kind;

typedef struct rp_kwreply {
    rp_kwr_kind kind;
    rp_kwtemplate t; /* TEMPLATE, PRE */
    int target;      /* REDIRECT, PRE: keyword index */
} rp_kwreply;

/* A decomposition rule: a pattern over the whole line and its ordered
 * reassemblies.  slot indexes the session's reply cursors. */
typedef struct rp_kwdecomp {
    pcre2_code *re;
    int nparts;         /* elements = capture groups */
    const char *source; /* the pattern as written, for traces */
    int line;           /* where it is written */
    rp_kwreply *r;
    size_t nr;
    size_t slot;
} rp_kwdecomp;

typedef struct rp_kwentry {
    const char *word; /* as written, upper-cased for lookup */
    int rank;
    const char *sub; /* substitute, or NULL */
    const char **tags;
    size_t ntags;
    rp_kwdecomp *d;
    size_t nd;
    int redirect; /* keyword tried when no decomposition matches, -1 */
    bool active;  /* has transformations: goes on the keystack */
} rp_kwentry;

typedef enum rp_kwmem_select {
    RP_KWMEM_HASH,  /* SLIP HASH of the last word */
    RP_KWMEM_CYCLE, /* the memory rules in turn */
} rp_kwmem_select;

typedef enum rp_kwselect {
    RP_KWSEL_CYCLE,  /* each decomposition's replies in turn (1966) */
    RP_KWSEL_RANDOM, /* a reply chosen with the session's seed */
} rp_kwselect;

typedef struct rp_kwrepl {
    const char *from, *to;
    size_t nfrom, nto;
} rp_kwrepl;

struct rp_kwscript {
    rp_kwentry *e; /* in file order */
    size_t ne;
    int *sorted; /* entry indices sorted by word, for lookup */
    const char **delims;
    size_t ndelims;
    const char *punct; /* characters split off as tokens */
    rp_kwrepl *repl;
    size_t nrepl;
    int limit; /* period of the LIMIT counter */
    rp_kwselect select;
    rp_kwtemplate *failure;
    size_t nfailure;
    rp_kwdecomp none; /* pattern (0) and the NONE replies */
    int mem_key;      /* keyword that stores memories, -1: none */
    rp_kwmem_select mem_select;
    int mem_bits;
    int recall;       /* LIMIT value on which a memory is recalled */
    rp_kwdecomp *mem; /* each with exactly one template */
    size_t nmem;
    size_t nslots; /* decompositions with cursors, NONE included */
    int max_groups;
    bool nojit;
    rp_arena arena; /* every string and array above */
    pcre2_code **codes;
    size_t ncodes, capcodes;
};

/* Index of the entry for word w (n bytes, any case), or -1. */
int rp_kw_find(const rp_kwscript *k, const char *w, size_t n);

#endif

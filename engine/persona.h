/*
 * persona.h - the loaded persona: the immutable model that persona.c
 * builds from YAML and that intent.c and dialogue.c read.  Internal.
 *
 * Everything here is resolved at load time: names become indices, patterns
 * are compiled, templates are parsed, and each stage has its candidate
 * rules in the order they are tried.  A loaded persona is never modified,
 * so any number of sessions may share it.
 */
#ifndef RP_PERSONA_H
#define RP_PERSONA_H

#include <stdbool.h>
#include <stddef.h>

#include "pattern.h"
#include "rapport.h"

#define RP_MAX_VARIANTS 64 /* reply variants per list (a bitmask) */

/* Where something is written. */
typedef struct rp_pos {
    const char *file; /* owned by the persona's file list */
    int line, col;
} rp_pos;

typedef struct rp_pat {
    rp_pattern *pat;
    rp_pos pos;
    /* Set by rp_index_build (index.h): the pattern can match a line only
     * if one of its key words, index req[key..key+nkey), is there (nkey
     * 0: any line), and all its required words req[req..req+nreq). */
    uint32_t key, nkey;
    uint32_t req, nreq;
    /* And one word of each of its ngrp any-of groups, at req[grp..]:
     * each group its size, then its word ids. */
    uint32_t grp, ngrp;
} rp_pat;

typedef enum rp_value_kind {
    RP_VAL_BOOL,
    RP_VAL_NUM,
    RP_VAL_STR,
} rp_value_kind;

typedef struct rp_value {
    rp_value_kind kind;
    bool b;
    double num;
    const char *str; /* owned by the persona */
} rp_value;

/* A comparison from an 'if': "> 3", "2..5", or equality with a value. */
typedef enum rp_cmp_op {
    RP_CMP_EQ,
    RP_CMP_NE,
    RP_CMP_LT,
    RP_CMP_LE,
    RP_CMP_GT,
    RP_CMP_GE,
    RP_CMP_RANGE,
} rp_cmp_op;

typedef struct rp_cmp {
    rp_cmp_op op;
    rp_value val;     /* RANGE: val.num is the low end */
    double hi;        /* RANGE: high end */
    const char *text; /* as written, for traces */
} rp_cmp;

typedef enum rp_cond_kind {
    RP_COND_TURN,
    RP_COND_METER,
    RP_COND_VAR,
    RP_COND_AFTER,
    RP_COND_STAGE,
    RP_COND_QUESTION,
    RP_COND_WORDS,
    /* scoring context, for rubric cues only */
    RP_COND_RAPPORT,    /* rapport is built */
    RP_COND_BRUSH_OFF,  /* the persona's last line was a brush-off */
    RP_COND_CLOSING,    /* the conversation is closing */
    RP_COND_RHETORICAL, /* the question looks rhetorical */
    RP_COND_ASKING,     /* the line already earned curiosity (cues run in
                           order, so put this on later cues) */
    RP_COND_QWORDS,     /* words in the clause of the last question */
} rp_cond_kind;

typedef struct rp_cond {
    rp_cond_kind kind;
    int index;  /* METER / VAR: which */
    rp_cmp cmp; /* TURN, METER, VAR, WORDS */
    int *ids;   /* AFTER: rule indices; STAGE: stage indices */
    size_t nids;
    bool flag; /* QUESTION */
    rp_pos pos;
} rp_cond;

typedef struct rp_meter_delta {
    int meter;
    double delta;
} rp_meter_delta;

typedef struct rp_var_set {
    int var;
    rp_value val;
} rp_var_set;

typedef struct rp_action {
    rp_meter_delta *meters;
    size_t nmeters;
    rp_var_set *sets;
    size_t nsets;
    int goto_stage; /* -1: none */
    int end;        /* ending index, -1: none */
    bool ask;
} rp_action;

/* A parsed reply template: literal pieces and insertions. */
typedef enum rp_seg_kind {
    RP_SEG_TEXT,
    RP_SEG_CAP,    /* {N}, reflected */
    RP_SEG_RAWCAP, /* {raw:N} */
    RP_SEG_VAR,    /* {$name} */
} rp_seg_kind;

typedef struct rp_seg {
    rp_seg_kind kind;
    const char *text; /* TEXT: the literal (owned) */
    size_t len;
    int index; /* CAP: 1..9; VAR: variable index */
} rp_seg;

typedef struct rp_template {
    rp_seg *segs;
    size_t nsegs;
    const char *source; /* as written (owned) */
    rp_pos pos;
    int max_cap; /* highest {N} used, 0 when none */
} rp_template;

typedef enum rp_select {
    RP_SELECT_SHUFFLE,
    RP_SELECT_CYCLE,
    RP_SELECT_FIRST,
} rp_select;

typedef struct rp_replies {
    rp_template *v;
    size_t n;
    rp_select select;
} rp_replies;

typedef struct rp_example {
    const char *text;
    rp_pos pos;
} rp_example;

typedef struct rp_intent {
    const char *id;
    const char *description;
    rp_pat *patterns;
    size_t npatterns;
    rp_pat *unless;
    size_t nunless;
    bool negatable;
    rp_example *examples;
    size_t nexamples;
    rp_example *counter;
    size_t ncounter;
    rp_pos pos;
} rp_intent;

typedef struct rp_rule {
    const char *id;
    rp_pos pos;
    int stage;    /* -1: global */
    int *intents; /* trigger: any of these */
    size_t nintents;
    rp_pat *patterns; /* trigger: or any of these */
    size_t npatterns;
    int *all; /* all of these intents too */
    size_t nall;
    int *none; /* none of these */
    size_t nnone;
    rp_cond *conds;
    size_t nconds;
    int priority;
    int max_fires; /* 0: unlimited */
    rp_replies replies;
    rp_action act;
    const char *marks; /* comma-separated, "" when none */
    rp_example *examples;
    size_t nexamples;
} rp_rule;

typedef enum rp_dir {
    RP_BELOW,
    RP_ABOVE,
} rp_dir;

typedef struct rp_threshold {
    const char *id; /* may be generated: "patience<3" */
    rp_dir dir;
    double at;
    bool repeat;
    rp_replies say;
    rp_action act;
    rp_pos pos;
} rp_threshold;

typedef struct rp_meter {
    const char *name;
    double start, min, max, drift;
    rp_threshold *th;
    size_t nth;
    rp_pos pos;
} rp_meter;

typedef struct rp_var {
    const char *name;
    rp_value init;
    rp_pos pos;
} rp_var;

typedef struct rp_stage {
    const char *name;
    const char *description;
    int *cands; /* rule indices in the order they are tried */
    size_t ncands;
    rp_replies fallback; /* n == 0: use the persona's */
    rp_replies initiate; /* asked once each, in order */
    bool closing;        /* a closing stage: next steps count most here */
    rp_pos pos;
} rp_stage;

typedef enum rp_outcome {
    RP_OUTCOME_REWARDING,
    RP_OUTCOME_NEUTRAL,
    RP_OUTCOME_CUT_SHORT,
} rp_outcome;

typedef struct rp_ending {
    const char *id;
    rp_outcome outcome;
    rp_replies say;
    rp_pos pos;
} rp_ending;

typedef struct rp_wordset {
    const char *name;
    const char **entries; /* normalised */
    size_t n;
    rp_pos pos;
} rp_wordset;

typedef struct rp_fact {
    const char *text;
    const char **keywords;
    size_t nkeywords;
    const char **stems; /* stems of the keywords (or of the text's content
                           words when it has none), for preparation */
    size_t nstems;
    rp_pos pos;
} rp_fact;

typedef struct rp_reflection {
    const char *from, *to;
} rp_reflection;

/* A scoring cue: like a rule's trigger, but it adds to a dimension. */
typedef struct rp_cue {
    const char *id;
    int dim; /* rp_dim */
    double score;
    int *intents;
    size_t nintents;
    rp_pat *patterns;
    size_t npatterns;
    int *all;
    size_t nall;
    int *none;
    size_t nnone;
    rp_cond *conds;
    size_t nconds;
    const char *note; /* what it recognises */
    const char *tip;  /* a better move, for negative cues */
    rp_example *examples;
    size_t nexamples;
    rp_pos pos;
} rp_cue;

#define RP_MAX_BAND 12

/* How a dimension's session score is made from its measure. */
typedef struct rp_dimcfg {
    double weight;
    double bx[RP_MAX_BAND], by[RP_MAX_BAND]; /* piecewise-linear band */
    size_t nband;
    const char *advice;  /* what to do, for fixes */
    const char *example; /* a model phrasing ("{hook}" is filled in) */
    const char *praise;  /* what a strength says */
} rp_dimcfg;

typedef struct rp_rubric {
    rp_dimcfg dims[RP_DIM_COUNT];
    rp_cue *cues;
    size_t ncues;
    int rapport_turns;        /* engaged turns before rapport counts */
    double monologue_words;   /* a turn longer than this is a monologue */
    double monologue_ratio;   /* ...or this many times the persona's */
    double long_words;        /* a long turn (with no question) */
    int overlap_min;          /* shared content stems for a follow-up */
    double follow_up_score;   /* a question building on the last line */
    double partial_score;     /* ...on an earlier persona line */
    double fact_score;        /* using a fact of the brief */
    double monologue_penalty; /* session points per monologue */
    int closing_turns;        /* the last N turns count as closing */
    const char **stopwords;
    size_t nstopwords;
} rp_rubric;

/* A hash index from names to array indices (persona.c), one per
 * namespace, so that declaring or looking up a name costs the same
 * however many a file declares (linear searches made loading quadratic:
 * seconds for 20,000 rules, stages or variables).  Open addressing;
 * the names belong to the persona's arena. */
typedef struct rp_nameidx {
    const char **names; /* NULL: an empty slot */
    int *idx;
    size_t n, cap; /* cap: 0 (empty) or a power of two above 2n */
} rp_nameidx;

struct rp_persona {
    const char *id, *name, *role, *organisation, *summary, *scene, *path;
    int difficulty;
    rp_fact *facts;
    size_t nfacts;
    /* settings */
    rp_select select;
    bool upper;
    int fallback_window;
    unsigned norm_flags;
    /* model */
    rp_var *vars;
    size_t nvars;
    rp_meter *meters;
    size_t nmeters;
    rp_intent *intents;
    size_t nintents;
    rp_wordset *sets;
    size_t nsets;
    rp_reflection *reflections;
    size_t nreflections;
    rp_rule *rules;
    size_t nrules;
    rp_stage *stages;
    size_t nstages;
    int start;
    rp_replies opening;
    rp_replies fallback;
    rp_ending *endings;
    size_t nendings;
    rp_rubric rubric;
    unsigned pattern_flags; /* RP_PAT_NOJIT when asked */
    /* the keywords block (keyword.h), or NULL; freed with the persona */
    struct rp_kwscript *keywords;
    struct rp_index *index; /* built after loading (index.h) */
    /* ownership: every string and array above is in this arena */
    rp_arena arena;
    rp_pattern **patterns; /* every compiled pattern, for freeing */
    size_t npatterns, cappatterns;
    const char **files; /* every file read, in order */
    size_t nfiles, capfiles;
    /* name -> index, for the find functions */
    rp_nameidx intent_idx, stage_idx, meter_idx, var_idx, rule_idx, set_idx;
};

/* Does v satisfy the numeric comparison c? */
bool rp_cmp_num(const rp_cmp *c, double v);

/* Lookups by name: index or -1. */
int rp_persona_find_intent(const rp_persona *p, const char *id);
int rp_persona_find_stage(const rp_persona *p, const char *name);
int rp_persona_find_meter(const rp_persona *p, const char *name);
int rp_persona_find_var(const rp_persona *p, const char *name);
int rp_persona_find_rule(const rp_persona *p, const char *id);
/* Can rule r answer in stage s?  A stage's rules only there; a global
 * rule everywhere, unless an 'if: stage' condition lists the stages.
 * (The linter and the graph ask; the dialogue checks the condition.) */
bool rp_rule_in_stage(const rp_rule *r, int s);

#endif

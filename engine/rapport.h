/*
 * rapport.h - the rapport engine's one public header.
 *
 * rapport rehearses professional conversations with scripted personas.
 * The engine is a pipeline, one module per stage:
 *
 *   learner's line -> normalise (text.c) -> recognise intents (intent.c,
 *   over patterns compiled by pattern.c) -> dialogue policy (dialogue.c)
 *   -> reply
 *
 * Personas are YAML files loaded by persona.c into an immutable
 * rp_persona; every conversation is an rp_session holding all of its
 * state.  The library does no terminal I/O, keeps no global state, never
 * prints, and reports every problem in a persona file as a positioned
 * diagnostic (rp_diag).
 *
 * CONVENTIONS.  Types are opaque unless their fields are listed here.
 * Every rp_X_new / rp_X_load has an rp_X_free, and rp_X_free(NULL) does
 * nothing.  Actions return 0 or a negative RP_E* code; constructors return
 * a pointer or NULL; predicates return bool.  Strings returned by accessor
 * functions are owned by the object they came from and live as long as
 * it does (or, for an rp_turn, until the session's next turn); callers
 * never free them.  A loaded persona is immutable and may be shared by any
 * number of sessions, also across threads; a session is used by one
 * thread at a time.
 */
#ifndef RAPPORT_H
#define RAPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RP_VERSION "0.1.0"

/* Return codes of actions. */
enum {
    RP_OK = 0,
    RP_EINVAL = -1, /* a bad argument */
    RP_EIO = -2,    /* a file could not be read or written */
    RP_EPARSE = -3, /* input had errors; see the diagnostics */
    RP_EENDED = -4, /* the conversation has already ended */
    RP_ELIMIT = -5, /* a documented limit was exceeded */
    RP_ENOTFOUND = -6,
};

/* A short English description of an RP_E* code. */
const char *rp_strerror(int code);

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

/* Severity ladder, mildest first (mandoc's): the exit status of a tool
 * that reports diagnostics is the worst level seen. */
typedef enum rp_level {
    RP_LEVEL_NOTE = 0,
    RP_LEVEL_WARNING = 1,
    RP_LEVEL_ERROR = 2,
} rp_level;

/* One problem, positioned.  line and col are 1-based (col counts bytes);
 * 0 means unknown (a whole-file problem).  code is a stable identifier
 * from the catalogue (rp_diag_catalogue), such as "unknown-key". */
typedef struct rp_diag {
    const char *file;
    int line, col;
    rp_level level;
    const char *code;
    const char *message;
} rp_diag;

/* A list of diagnostics, in the order found.  The list owns its strings. */
typedef struct rp_diags rp_diags;

rp_diags *rp_diags_new(void);
void rp_diags_free(rp_diags *d);
size_t rp_diags_count(const rp_diags *d);
/* The i-th diagnostic (i < count); owned by d. */
const rp_diag *rp_diags_get(const rp_diags *d, size_t i);
/* The worst level in the list, or -1 when it is empty. */
int rp_diags_worst(const rp_diags *d);
/* Count of diagnostics at exactly this level. */
size_t rp_diags_count_level(const rp_diags *d, rp_level level);
/* Sort by file, line, column (stable), as a linter prints them. */
void rp_diags_sort(rp_diags *d);
/* Add a diagnostic (used by tools that check beyond loading). */
void rp_diags_add(rp_diags *d, const char *file, int line, int col,
                  rp_level level, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* "error", "warning" or "note". */
const char *rp_level_name(rp_level level);

/* Render d as "file:line:col: level: message [code]", then, when
 * source_line is not NULL, the source line and a caret under the column.
 * Control characters in the source line are shown as '?'.  Returns a
 * string the caller frees with free(). */
char *rp_diag_render(const rp_diag *d, const char *source_line);

/* Did-you-mean: the candidate (of n; NULL entries are skipped) closest
 * to name by edit distance, counting a swap of two letters as one edit,
 * or NULL when none is close enough to be a typo of it. */
const char *rp_closest(const char *name, const char *const *cands, size_t n);

/* The catalogue of diagnostic codes: entry i (until code == NULL). */
typedef struct rp_diag_code {
    const char *code;
    rp_level level;
    const char *summary;
} rp_diag_code;
const rp_diag_code *rp_diag_catalogue(void);

/* ------------------------------------------------------------------ */
/* Personas                                                            */
/* ------------------------------------------------------------------ */

typedef struct rp_persona rp_persona;

enum {
    RP_LOAD_NOJIT = 1 << 0, /* do not JIT-compile patterns */
};

/* Options for loading; a zeroed struct gives the defaults. */
typedef struct rp_load_options {
    /* Includes may only name files inside this directory (after
     * resolving symlinks).  NULL: the directory of the persona file. */
    const char *root;
    unsigned flags; /* RP_LOAD_* */
} rp_load_options;

/* Load the persona file at path.  Every problem found is added to diags
 * (which may be NULL).  Returns NULL when there was any error; warnings
 * alone do not stop loading.  opts may be NULL.  Free with
 * rp_persona_free.  Loading reads at most RP_MAX_FILE_SIZE bytes per file
 * and bounds nesting, aliases, includes and rule counts (rp_limits). */
rp_persona *rp_persona_load(const char *path, const rp_load_options *opts,
                            rp_diags *diags);
/* The same from a string (name is used in diagnostics; includes resolve
 * against opts->root, or are refused when it is NULL). */
rp_persona *rp_persona_load_string(const char *name, const char *yaml,
                                   size_t len, const rp_load_options *opts,
                                   rp_diags *diags);
void rp_persona_free(rp_persona *p);

const char *rp_persona_id(const rp_persona *p);
const char *rp_persona_name(const rp_persona *p);    /* "Dana Whitfield" */
const char *rp_persona_summary(const rp_persona *p); /* one line */
int rp_persona_difficulty(const rp_persona *p);      /* 1 (easy) to 5 */
const char *rp_persona_path(const rp_persona *p);    /* file it came from */
/* The brief the learner sees before the first turn. */
const char *rp_persona_role(const rp_persona *p);
const char *rp_persona_organisation(const rp_persona *p);
const char *rp_persona_scene(const rp_persona *p);
size_t rp_persona_fact_count(const rp_persona *p);
const char *rp_persona_fact(const rp_persona *p, size_t i);
/* Counts, for listings and tests. */
size_t rp_persona_stage_count(const rp_persona *p);
const char *rp_persona_stage_name(const rp_persona *p, size_t i);
size_t rp_persona_rule_count(const rp_persona *p);
/* Rules, by index (i < rp_persona_rule_count): id and where written. */
const char *rp_persona_rule_id(const rp_persona *p, size_t i);
const char *rp_persona_rule_file(const rp_persona *p, size_t i);
int rp_persona_rule_line(const rp_persona *p, size_t i);
/* A rule's examples (learner lines that must trigger it), with lines. */
size_t rp_persona_rule_example_count(const rp_persona *p, size_t i);
const char *rp_persona_rule_example(const rp_persona *p, size_t i, size_t j,
                                    int *line);
/* The persona's parts with where they are written, for tools that
 * report on a whole persona (`rapport test --coverage`); outline.c.
 * Strings are owned by the persona.  Stages by index (i <
 * rp_persona_stage_count).  A rule's reply variants in file order (0
 * for a rule without replies).  Meter thresholds are numbered over the
 * whole persona, meter by meter in file order, as rp_turn_threshold
 * reports them; a threshold without an id has a generated one
 * ("patience<3").  Endings by index. */
const char *rp_persona_stage_file(const rp_persona *p, size_t i);
int rp_persona_stage_line(const rp_persona *p, size_t i);
size_t rp_persona_rule_reply_count(const rp_persona *p, size_t i);
int rp_persona_rule_reply_line(const rp_persona *p, size_t i, size_t j);
size_t rp_persona_threshold_count(const rp_persona *p);
const char *rp_persona_threshold_id(const rp_persona *p, size_t i);
const char *rp_persona_threshold_meter(const rp_persona *p, size_t i);
const char *rp_persona_threshold_file(const rp_persona *p, size_t i);
int rp_persona_threshold_line(const rp_persona *p, size_t i);
size_t rp_persona_ending_count(const rp_persona *p);
const char *rp_persona_ending_id(const rp_persona *p, size_t i);
const char *rp_persona_ending_file(const rp_persona *p, size_t i);
int rp_persona_ending_line(const rp_persona *p, size_t i);
/* The linter's checks beyond loading, on a persona that loaded: stages
 * nothing reaches or from which no ending can be reached, rules an
 * earlier rule always answers for (by their intents, and by their
 * examples), single shadowed or missing examples, replies inserting
 * captures their patterns lack, variables read but never set, meters
 * that change nothing, stages without a fallback, duplicate threshold ids
 * and unused intents.  Adds one positioned diagnostic per finding to
 * diags (codes in the catalogue, documented in doc/diagnostics.md).  Runs
 * the rule examples through a scratch session, so it costs about one turn
 * per example, within a work limit (a note says when it was reached).
 * Returns 0, or RP_EINVAL when p or diags is NULL. */
int rp_persona_lint(const rp_persona *p, rp_diags *diags);
/* Upper-case output (the 1966 DOCTOR style), from the persona's settings. */
bool rp_persona_upper_case(const rp_persona *p);

/* The start stage's name (NULL when unresolved), whether stage i is a
 * closing stage, and an ending's outcome ("rewarding", "neutral",
 * "cut-short") by index (i < rp_persona_ending_count, declared above). */
const char *rp_persona_start(const rp_persona *p);
bool rp_persona_stage_closing(const rp_persona *p, size_t i);
const char *rp_persona_ending_outcome(const rp_persona *p, size_t i);

/* The dialogue graph (`rapport graph`): every transition of a persona.
 * A rule that moves on from a stage (do: goto to another stage) or ends
 * the conversation is an edge from each stage where it may answer; a
 * threshold that does is an edge from any stage (from == -1).  Edges
 * come in the order stages try their rules, then thresholds. */
typedef struct rp_edge {
    int from;         /* stage index, or -1: any stage (a threshold) */
    int to;           /* stage index, or -1 when the edge ends */
    int ending;       /* ending index when it ends, else -1 */
    const char *via;  /* the rule's or threshold's id */
    const char *when; /* what fires it: "asks_x | \"pattern\"; if m > 3" */
    bool threshold;   /* a threshold rather than a rule */
} rp_edge;

typedef struct rp_graph rp_graph;

/* Build the graph of p (which must outlive it); free with rp_graph_free.
 * NULL when p is NULL. */
rp_graph *rp_graph_new(const rp_persona *p);
void rp_graph_free(rp_graph *g);
size_t rp_graph_edge_count(const rp_graph *g);
/* True when the persona had more transitions than the graph keeps
 * (10,000: a bound on the work a hostile persona can cause); the edges
 * are then the first ones. */
bool rp_graph_truncated(const rp_graph *g);
/* The i-th edge (i < count); owned by g. */
const rp_edge *rp_graph_edge(const rp_graph *g, size_t i);

/* Documented limits (issue: reliability).  See personas/README.md. */
typedef struct rp_limits {
    size_t max_file_size;   /* bytes per persona file */
    size_t max_depth;       /* YAML nesting depth */
    size_t max_aliases;     /* YAML aliases per file */
    size_t max_includes;    /* files per persona, all includes counted */
    size_t max_rules;       /* rules per persona */
    size_t max_input;       /* bytes of a learner's line that are read */
    uint32_t match_limit;   /* PCRE2 match limit per pattern */
    uint32_t depth_limit;   /* PCRE2 depth limit */
    uint32_t heap_limit_kb; /* PCRE2 heap limit, KiB */
} rp_limits;
const rp_limits *rp_limits_get(void);

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

typedef struct rp_session rp_session;
typedef struct rp_turn rp_turn;

/* Start a conversation.  The same persona, seed and inputs give the same
 * transcript byte for byte.  The persona must outlive the session. */
rp_session *rp_session_new(const rp_persona *p, uint64_t seed);
void rp_session_free(rp_session *s);

/* The persona's opening line (said before the learner's first turn);
 * may be "" when the persona waits for the learner. */
const char *rp_session_opening(const rp_session *s);

/* Take one learner line (any bytes; len may be 0) and produce the
 * persona's reply.  On success *out points to the turn, owned by the
 * session and valid until the next call of rp_session_turn,
 * rp_session_restart or rp_session_free.  Returns RP_EENDED after the
 * conversation ended. */
int rp_session_turn(rp_session *s, const char *line, size_t len,
                    const rp_turn **out);

/* Check one example of rule i: does line trigger the rule (its intents,
 * patterns, 'all' and 'not'; conditions depend on the conversation's
 * state and are not evaluated)?  And does an earlier rule with no
 * conditions, which so always answers first, trigger on it too: in the
 * rule's stage, or for a global rule in every stage?  Returns 0 when the
 * example is good, 1 when it does not trigger the rule, 2 when rule *stolen_by
 * takes it first.  Uses the session's buffers; the conversation itself is not
 * changed. */
int rp_session_check_example(rp_session *s, size_t rule, const char *line,
                             size_t len, size_t *stolen_by);

/* Forget everything and start again with the same persona and seed. */
void rp_session_restart(rp_session *s);

/* Move the session onto another (for example re-loaded) persona,
 * keeping the turn count, the current stage, meters and variables that
 * exist in the new persona, reply cursors of rules with the same id, and
 * the whole history (transcript and scores, for the report card).  The
 * history's evidence points into the old persona, so the old persona must
 * outlive the session too.  Returns 0, or RP_ENOTFOUND when the current
 * stage no longer exists (the session then continues in the new persona's
 * start stage). */
int rp_session_rebind(rp_session *s, const rp_persona *p);

/* Record a trace of each turn (rules considered, meter changes, intent
 * hits), on by default; benchmarks turn it off. */
void rp_session_set_trace(rp_session *s, bool on);
/* Score each learner line (on by default).  Off, turns carry no score
 * and the session keeps no history (reports and JSON list no turns): the
 * dialogue policy alone, for benchmarks of the engine. */
void rp_session_set_scoring(rp_session *s, bool on);
/* Use the rule index (on by default): a turn tries only the rules whose
 * required words or intents are in the line, plus those with none.  The
 * answer is the same either way; off, every rule is tried (for tests and
 * benchmarks that compare the two). */
void rp_session_set_index(rp_session *s, bool on);

bool rp_session_ended(const rp_session *s);
/* The ending's id as the persona names it, or NULL while going. */
const char *rp_session_ending(const rp_session *s);
/* Its outcome: "rewarding", "neutral" or "cut-short"; NULL while going. */
const char *rp_session_ending_outcome(const rp_session *s);
const char *rp_session_stage(const rp_session *s);
int rp_session_turn_count(const rp_session *s); /* learner turns so far */
uint64_t rp_session_seed(const rp_session *s);
const rp_persona *rp_session_persona(const rp_session *s);

/* Meters: name, current value and range, by index (i < count). */
size_t rp_session_meter_count(const rp_session *s);
const char *rp_session_meter_name(const rp_session *s, size_t i);
double rp_session_meter_value(const rp_session *s, size_t i);
/* Look a meter or variable up by name; false when there is none.
 * A variable's value is rendered as text ("true", "3", "career"). */
bool rp_session_meter(const rp_session *s, const char *name, double *value);
bool rp_session_var(const rp_session *s, const char *name, const char **value);

/* ------------------------------------------------------------------ */
/* Turns and traces                                                    */
/* ------------------------------------------------------------------ */

/* The persona's reply: several sentences possibly, UTF-8, no control
 * characters other than '\n' and '\t'. */
const char *rp_turn_reply(const rp_turn *t);
/* True when no rule understood the line and a fallback answered. */
bool rp_turn_fallback(const rp_turn *t);
/* The rule that answered (NULL for fallbacks and threshold-only turns),
 * and where it is written. */
const char *rp_turn_rule(const rp_turn *t);
const char *rp_turn_rule_file(const rp_turn *t);
int rp_turn_rule_line(const rp_turn *t);
/* Scoring markers the rule carries ("brush_off", ...), comma-separated;
 * "" when none. */
const char *rp_turn_marks(const rp_turn *t);
bool rp_turn_ended(const rp_turn *t);
const char *rp_turn_stage(const rp_turn *t); /* stage after the turn */
int rp_turn_number(const rp_turn *t);        /* 1-based */

/* Trace of the turn, for `rapport chat --trace`, /why and tests. */
const char *rp_turn_normalised(const rp_turn *t); /* the match text */
/* When the persona's keyword script answered: how, e.g. "MY: \"0 YOUR 0\"
 * (line 531) reply 1" (keywords tried, separated by " > "); else NULL. */
const char *rp_turn_keyword(const rp_turn *t);

typedef struct rp_intent_hit {
    const char *intent;  /* intent id */
    size_t start, end;   /* byte span in the learner's (sanitised) line */
    bool negated;        /* a negator governs it ("not here to ask") */
    const char *pattern; /* the pattern that matched */
    const char *file;    /* where the pattern is written */
    int line;
} rp_intent_hit;
size_t rp_turn_intent_count(const rp_turn *t);
const rp_intent_hit *rp_turn_intent(const rp_turn *t, size_t i);
/* The learner's line as the engine saw it (sanitised UTF-8): spans of
 * intent hits index into this. */
const char *rp_turn_input(const rp_turn *t);

typedef enum rp_rule_verdict {
    RP_RULE_FIRED,
    RP_RULE_NO_TRIGGER, /* neither its intents nor its patterns matched */
    RP_RULE_CONDITION,  /* triggered but a condition was false */
    RP_RULE_EXHAUSTED,  /* once/max reached */
    RP_RULE_LIMIT,      /* a PCRE2 limit was hit: treated as no match */
} rp_rule_verdict;

typedef struct rp_rule_trace {
    const char *rule;
    const char *file;
    int line;
    rp_rule_verdict verdict;
    const char *detail; /* e.g. "if: meters.patience >= 5 is false" */
} rp_rule_trace;
size_t rp_turn_rule_trace_count(const rp_turn *t);
const rp_rule_trace *rp_turn_rule_trace(const rp_turn *t, size_t i);

typedef struct rp_meter_change {
    const char *meter;
    double before, after;
    const char *cause; /* "drift", "rule ask-career", "threshold" */
} rp_meter_change;
size_t rp_turn_meter_change_count(const rp_turn *t);
const rp_meter_change *rp_turn_meter_change(const rp_turn *t, size_t i);

/* Which of the answering rule's reply variants was used: its 0-based
 * index in file order (rp_persona_rule_reply_line), or -1 when no rule
 * answered or the rule has no replies.  Kept with or without tracing. */
int rp_turn_reply_variant(const rp_turn *t);
/* The meter thresholds that fired this turn, in the order they fired,
 * each as its number over the persona (rp_persona_threshold_id).  Kept
 * with or without tracing; i < count. */
size_t rp_turn_threshold_count(const rp_turn *t);
size_t rp_turn_threshold(const rp_turn *t, size_t i);

/* ------------------------------------------------------------------ */
/* Scoring the learner                                                 */
/* ------------------------------------------------------------------ */

/* The dimensions a learner's reply is scored on.  rp_dim_id gives the
 * stable ids used in JSON and everywhere ("curiosity", "follow_up",
 * "value_offered", "authenticity", "confidence", "rejection_grace",
 * "preparation", "relationship", "talk_balance"). */
typedef enum rp_dim {
    RP_DIM_CURIOSITY,
    RP_DIM_FOLLOW_UP,
    RP_DIM_VALUE_OFFERED,
    RP_DIM_AUTHENTICITY,
    RP_DIM_CONFIDENCE,
    RP_DIM_REJECTION_GRACE,
    RP_DIM_PREPARATION,
    RP_DIM_RELATIONSHIP,
    RP_DIM_TALK_BALANCE,
    RP_DIM_COUNT
} rp_dim;

const char *rp_dim_id(rp_dim d);
/* A human label: "Curiosity", "Follow-up questions", ... */
const char *rp_dim_label(rp_dim d);
/* The dimension with this id, or -1. */
int rp_dim_find(const char *id);

/* One piece of evidence: which cue fired on which words. */
typedef struct rp_evidence {
    const char *cue;    /* cue id from the rubric ("open-question") */
    const char *note;   /* what the cue recognises, for people */
    double score;       /* the cue's contribution */
    size_t start, end;  /* byte span in the learner's (sanitised) line */
    const char *shared; /* follow-ups: the word stems shared with the
                           persona ("transit"), space-separated; NULL
                           otherwise */
    int source_turn;    /* follow-ups: the persona turn they came from
                           (0: the opening line); -1 otherwise */
} rp_evidence;

/* The scores of one learner reply.  Owned by the turn (or session). */
typedef struct rp_score rp_score;

/* The score of the turn's learner line, computed in the same pass. */
const rp_score *rp_turn_score(const rp_turn *t);
/* Does dimension d apply to this reply (some cue fired, or the context
 * makes it relevant, as rejection_grace after a brush-off)? */
bool rp_score_applies(const rp_score *sc, rp_dim d);
/* The score in [-2, +2]; 0 when it does not apply. */
double rp_score_value(const rp_score *sc, rp_dim d);
size_t rp_score_evidence_count(const rp_score *sc, rp_dim d);
const rp_evidence *rp_score_evidence(const rp_score *sc, rp_dim d, size_t i);
/* {"reply": ..., "dimensions": {"<id>": {"score": n, "evidence": [...]}}}
 * listing only dimensions that apply.  The caller frees the string. */
char *rp_score_json(const rp_score *sc, const char *reply);

/* Score a line as if the persona had just said context at turn number
 * turn, without running the dialogue policy (for `rapport score`).
 * after_brush_off says the persona's line was a brush-off.  The result
 * is owned by the session and valid until its next call. */
int rp_session_score_line(rp_session *s, const char *context, int turn,
                          bool after_brush_off, const char *line, size_t len,
                          const rp_score **out);
/* The learner's line as the last rp_session_score_line (or turn) saw it:
 * sanitised UTF-8, the text evidence offsets index into. */
const char *rp_session_scored_input(const rp_session *s);

/* A report card of the whole conversation so far. */
typedef struct rp_report rp_report;

typedef struct rp_feedback {
    rp_dim dim;
    int turn;               /* learner turn quoted, 0 when none */
    const char *quote;      /* the learner's words, may be "" */
    const char *note;       /* what went well or wrong */
    const char *suggestion; /* a better move, for fixes; "" for strengths */
} rp_feedback;

rp_report *rp_session_report(const rp_session *s);
void rp_report_free(rp_report *r);
/* Overall 0-100. */
int rp_report_overall(const rp_report *r);
/* Dimension 0-100, or -1 when it did not apply in this conversation
 * (rejection_grace with no brush-off). */
int rp_report_dimension(const rp_report *r, rp_dim d);
size_t rp_report_strength_count(const rp_report *r);
const rp_feedback *rp_report_strength(const rp_report *r, size_t i);
size_t rp_report_fix_count(const rp_report *r);
const rp_feedback *rp_report_fix(const rp_report *r, size_t i);

/* The next move for the learner now (/hint), quoting a hook from the
 * persona's last line where there is one.  Caller frees. */
char *rp_session_hint(const rp_session *s);
/* A one-line coaching note on the turn just taken (--coach): what it
 * earned and what it missed.  Caller frees. */
char *rp_turn_coaching(const rp_turn *t);

/* The whole session as one JSON object: {"persona", "seed", "turns":
 * [{"user", "persona", "fallback", "rule", "dimensions"}], "ended",
 * "ending", "report": {...}}.  Caller frees. */
char *rp_session_json(const rp_session *s);

#ifdef __cplusplus
}
#endif

#endif

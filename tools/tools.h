/*
 * tools.h - the internal header shared by the files of the `rapport`
 * program in tools/.
 *
 * The program is a thin front end over the engine's public header,
 * engine/rapport.h, which is the only engine header tools/ includes.  Each
 * subcommand lives in its own file (chat.c, list.c, lint.c, pick.c,
 * record.c, score.c, test.c, history.c, report_cmd.c, progress.c) and is
 * reached through the dispatch table in
 * main.c; the helpers they share are declared here, grouped by the file that
 * defines them, and every function's prefix names that file (tmux style).
 * Everything that reaches the terminal and came from a persona file or from the
 * user goes through the sanitiser in term.c first.
 *
 * Names avoid the engine's prefixes (rp_, x*) and readline's exported
 * symbols, so that the program links with both without clashes.
 */
#ifndef RAPPORT_TOOLS_H
#define RAPPORT_TOOLS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../engine/rapport.h"

/* The installed data directory; the Makefile defines it. */
#ifndef RAPPORT_DATADIR
#define RAPPORT_DATADIR "/usr/local/share/rapport"
#endif

/* An optional string from the engine, never NULL. */
#define OR_EMPTY(s) ((s) != NULL ? (s) : "")

/* Exit statuses, documented in `rapport --help` (mandoc's ladder). */
enum {
    STATUS_OK = 0,        /* success */
    STATUS_WARNINGS = 1,  /* lint: warnings but no errors; test: failures */
    STATUS_INPUT = 2,     /* bad input: a persona that does not load, ... */
    STATUS_USAGE = 64,    /* bad command line (sysexits EX_USAGE) */
    STATUS_INTERNAL = 70, /* internal error (sysexits EX_SOFTWARE) */
};

/* ------------------------------------------------------------------ */
/* Subcommands: each parses its own options (argv[0] is the command's */
/* name) and returns an exit status.                                  */
/* ------------------------------------------------------------------ */

int cmd_chat(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_progress(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_pick(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_test(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* mem.c: allocation that cannot fail                                 */
/* ------------------------------------------------------------------ */

/* Out of memory prints a message and exits with STATUS_INTERNAL (that
 * is what mem_fail does): no caller could do anything better.  The
 * results are freed with free(). */
_Noreturn void mem_fail(size_t n);
void *mem_alloc(size_t n);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *p, size_t n);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* buf.c: a growable byte buffer                                      */
/* ------------------------------------------------------------------ */

/* Always NUL-terminated once anything was added; a zeroed struct buf is
 * a valid empty buffer (ptr may then be NULL: use buf_str).  The buffer
 * owns ptr until buf_detach; buf_free releases it. */
struct buf {
    char *ptr;
    size_t len;
    size_t cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_put(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);
void buf_repeat(struct buf *b, int c, size_t n);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* The contents as a string ("" when empty); owned by b. */
const char *buf_str(const struct buf *b);
void buf_clear(struct buf *b); /* len = 0, keeps the allocation */
void buf_free(struct buf *b);
/* Hand the string to the caller (who frees it) and reset the buffer. */
char *buf_detach(struct buf *b);

/* ------------------------------------------------------------------ */
/* msg.c: messages to the user on stderr                              */
/* ------------------------------------------------------------------ */

/* "rapport CMD: message" (or "rapport: message" when cmd is NULL) on
 * stderr, sanitised, with a newline added. */
void msg_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, then "Try 'rapport --help'..." naming cmd's help; returns
 * STATUS_USAGE so that callers can `return msg_usage(...)`. */
int msg_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Report the option error getopt_long returned as c ('?' or ':'), which
 * was found in argv; returns STATUS_USAGE. */
int msg_getopt(const char *cmd, int c, char **argv);

/* ------------------------------------------------------------------ */
/* term.c: the terminal                                               */
/* ------------------------------------------------------------------ */

/* Set the locale's character type from the environment (for readline
 * and wcwidth), falling back to C.UTF-8: persona text is UTF-8. */
void term_init(void);
bool term_isatty(FILE *f);
/* Whether to colour output to f: a terminal, NO_COLOR unset or empty
 * (https://no-color.org), TERM not "dumb". */
bool term_colour(FILE *f);
/* Whether the user's locale (LC_ALL, LC_CTYPE, LANG) is a UTF-8 one that
 * the system knows, as nl_langinfo(CODESET) tells once it is set, so
 * that symbols such as the difficulty stars and the report card's bars
 * may be printed. */
bool term_unicode(void);
/* Columns available on f: $COLUMNS when set, else the terminal's width,
 * else 80; never less than 20. */
int term_width(FILE *f);

enum term_style {
    TERM_RESET,
    TERM_BOLD,
    TERM_DIM,
    TERM_PERSONA, /* the persona's name before a reply */
    TERM_LEARNER, /* the "you>" prompt */
    TERM_HEADING,
    TERM_ERROR,
    TERM_GOOD, /* a positive score */
    TERM_BAD,  /* a negative score */
};
/* The escape sequence for style s, or "" when f gets no colour. */
const char *term_sgr(FILE *f, enum term_style s);

/* The length (1-4) of the valid UTF-8 sequence at s (n > 0 bytes
 * available), with its code point in *cp; 0 when the bytes there are
 * not valid, shortest-form UTF-8. */
size_t term_utf8(const char *s, size_t n, uint32_t *cp);
/* Whether cp must never reach a terminal as it is: C0 controls, DEL, C1
 * controls, and bidirectional overrides and isolates. */
bool term_is_control(uint32_t cp);

/* Sanitiser flags. */
enum {
    TERM_KEEP_NEWLINES = 1 << 0, /* keep '\n' (else it becomes a space) */
};
/* Append s (n bytes, any bytes) to out in a form that is safe to write
 * to a terminal: valid UTF-8 passes, except that C0 controls other than
 * '\n' show as "^X" (tab as a space, NUL as "^@"), DEL as "^?", C1
 * controls (U+0080-U+009F), bidirectional overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069) and invalid bytes as U+FFFD. */
void term_sanitise(struct buf *out, const char *s, size_t n, unsigned flags);
/* The same, written straight to f (s is a string). */
void term_puts(FILE *f, const char *s, unsigned flags);
/* Replace, in place and byte for byte, everything term_sanitise would
 * change by '?': for source lines under a caret that counts bytes. */
void term_sanitise_bytes(char *s, size_t n);
/* Write the JSON text json to f with what is unsafe on a terminal but
 * valid in JSON strings (C1 controls, bidirectional overrides and
 * isolates, U+2028 and U+2029) escaped as \uXXXX, and invalid UTF-8 as
 * \ufffd: the same JSON value, whatever it quotes.  Raw C0 controls
 * cannot appear in valid JSON and become '?'. */
void term_json_puts(FILE *f, const char *json);
/* The functions below take raw text and sanitise it themselves (on one
 * line, but for term_wrap). */
/* Display width in columns of s, as term_pad would print it. */
size_t term_strwidth(const char *s);
/* Append s to out, padded with spaces to cols columns. */
void term_pad(struct buf *out, const char *s, size_t cols);
/* Append s to out, cut to at most cols columns with an ellipsis when it
 * is longer. */
void term_truncate(struct buf *out, const char *s, size_t cols);
/* Append text to out, word-wrapped to width columns.  The
 * first line starts at column col (a prefix that wide is already
 * written); continuation lines are indented by indent spaces (reduced
 * on narrow terminals).  '\n' in the text starts a new line.  Ends
 * without a newline. */
void term_wrap(struct buf *out, const char *text, int width, int col,
               int indent);

/* ------------------------------------------------------------------ */
/* diag.c: printing the engine's diagnostics                          */
/* ------------------------------------------------------------------ */

/* Print every diagnostic in d to f, each rendered by rp_diag_render with
 * the source line it points at (read from its file here), sanitised. */
void diag_print(FILE *f, const rp_diags *d);
/* The same, showing at most per_code diagnostics of each code (0: all)
 * and then one line saying how many more of that code there were. */
void diag_print_limited(FILE *f, const rp_diags *d, size_t per_code);

/* ------------------------------------------------------------------ */
/* personas.c: finding and loading personas                           */
/* ------------------------------------------------------------------ */

/* One persona file found on the search path. */
struct personas_entry {
    char *id;   /* the file's name without ".yaml" */
    char *path; /* DIR/ID.yaml */
    char *root; /* DIR: the directory includes may not leave */
};

struct personas_list {
    struct personas_entry *v;
    size_t n, cap;
};

/* The rp_load_options flags to load with: RP_LOAD_NOJIT when
 * $RAPPORT_NOJIT is set (for valgrind). */
unsigned personas_load_flags(void);
/* Put dir (from --personas; not copied) first on the search path. */
void personas_set_dir(const char *dir);
/* Check that the --personas directory, if any, can be read; prints a
 * message and returns STATUS_INPUT when it cannot. */
int personas_check_dir(void);
/* Append every *.yaml file directly in dir to list, sorted by id, ids
 * already in the list excepted (the first directory wins).  Returns 0,
 * or -1 with errno when dir cannot be read. */
int personas_scan_dir(struct personas_list *list, const char *dir);
/* The same over the whole search path; missing directories are
 * skipped. */
void personas_scan(struct personas_list *list);
void personas_list_free(struct personas_list *list);
/* Append the search path to out as "DIR, DIR and DIR", for messages. */
void personas_describe_path(struct buf *out);
/* Resolve a persona argument (an id on the search path, or a path when
 * it contains '/' or ends in ".yaml") to *path and *root, which the
 * caller frees.  Returns 0, or prints what went wrong (as cmd) and
 * returns STATUS_INPUT. */
int personas_resolve(const char *cmd, const char *arg, char **path,
                     char **root);
/* Resolve arg as personas_resolve does and load the persona; on
 * failure, print why (the diagnostics, for a file that does not load)
 * and return NULL: the exit status is then STATUS_INPUT. */
rp_persona *personas_open(const char *cmd, const char *arg);
/* Load the shared file common/NAME from the first directory on the
 * search path that has it, with includes confined to that directory;
 * on failure print why (as cmd) and return NULL. */
rp_persona *personas_open_common(const char *cmd, const char *name);

/* ------------------------------------------------------------------ */
/* list.c: the personas that load, easiest first (also for pick.c)    */
/* ------------------------------------------------------------------ */

struct list_item {
    char *id; /* the id that selects it on the search path */
    rp_persona *persona;
};

/* Load every persona on the search path into *items (*n of them),
 * sorted by difficulty, then id.  Personas that do not load are left
 * out with a message on stderr (as cmd); the return value is then
 * STATUS_INPUT, else 0.  Free with list_free. */
int list_load(const char *cmd, struct list_item **items, size_t *n);
void list_free(struct list_item *items, size_t n);
/* Print items as `rapport list` does; numbered: with "  1  " in front
 * of each, for the picker. */
void list_print(const struct list_item *items, size_t n, bool numbered);

/* ------------------------------------------------------------------ */
/* line.c: reading lines from a pipe                                  */
/* ------------------------------------------------------------------ */

/* Lines are kept up to this many bytes and the rest dropped: far more
 * than the engine reads (rp_limits.max_input), and a bound on memory
 * when the input has no newlines at all. */
#define LINE_READ_MAX (1u << 20)

/* Read one line from f (standard input, not a terminal) into line,
 * without its "\n" or "\r\n"; NUL bytes are kept.  Returns 1, or 0 at
 * the end of the input (after a message, as cmd, on a read error). */
int line_read(FILE *f, struct buf *line, const char *cmd);

/* ------------------------------------------------------------------ */
/* chat.c, report.c and trace.c: conversations                        */
/* ------------------------------------------------------------------ */

/* How to hold a conversation; a zeroed struct gives the defaults. */
struct chat_options {
    uint64_t seed;
    bool seed_given; /* false: a seed is derived from the clock */
    bool trace;      /* the trace after every reply */
    bool coach;      /* a coaching note after every reply */
    bool json;       /* the session as JSON on stdout, and nothing else */
    const char *transcript; /* --transcript FILE, or NULL */
    bool no_checkin;        /* no confidence check-in on a terminal */
};

/* Run a conversation with p (owned by the caller) and return the exit
 * status. */
int chat_run(const rp_persona *p, const struct chat_options *opts);

/* A report card as plain data (what report_print shows): the overall
 * score, each dimension (-1: n/a) and the feedback.  The strings belong
 * to whoever filled it. */
struct report_card {
    int overall;
    int dims[RP_DIM_COUNT];
    rp_feedback *strengths, *fixes;
    size_t nstrengths, nfixes;
};
/* Fill card from r (the strings stay r's); free card->strengths and
 * card->fixes with free(). */
void report_card_from(struct report_card *card, const rp_report *r);
/* Print card as report_print does. */
void report_card_print(FILE *f, const struct report_card *card, bool unicode,
                       bool wrap, int width);

/* Print the report card r to f, sanitised: the overall score, a bar per
 * dimension (Unicode blocks when unicode, else '#' and '.'), the
 * strengths and the fixes, with text wrapped to width columns
 * (wrap false: not wrapped at all). */
void report_print(FILE *f, const rp_report *r, bool unicode, bool wrap,
                  int width);

/* Print the trace of turn t (what the engine understood and why it
 * answered as it did) to f, sanitised; stage_before is the stage the
 * turn started in (may be NULL). */
void trace_print(FILE *f, const rp_turn *t, const char *stage_before);

/* ------------------------------------------------------------------ */
/* record.c: writing scripts for `rapport test` (also --update)       */
/* ------------------------------------------------------------------ */

/* Append s (n bytes) as a double-quoted YAML string that libyaml reads
 * back as the same bytes: '"', '\\', line breaks, controls and what
 * YAML does not allow raw are escaped; invalid UTF-8 becomes U+FFFD. */
void record_quote(struct buf *out, const char *s, size_t n);
/* Append v as rapport test's comparison parser reads it: digits and a
 * point, no exponent, exact to 1e-12 ("0.35", "-1", "0"). */
void record_number(struct buf *out, double v);
/* Append "persona: P\nseed: N\nturns:\n", the start of a script. */
void record_head(struct buf *out, const char *persona, uint64_t seed);
/* Append one item of turns: the learner's line say (len bytes, valid
 * UTF-8) and, as expectations, exactly what turn t did: the whole reply
 * (contains), the rule (~: none), stage, ended, fallback and the score
 * of every dimension that applied. */
void record_turn(struct buf *out, const char *say, size_t len,
                 const rp_turn *t);
/* Append the report: block of session s as it stands: the overall score,
 * the ending's outcome (none while going) and every dimension, n/a for
 * those that did not apply. */
void record_report(struct buf *out, const rp_session *s);
/* Replace the file at path by text atomically: a temporary file in the
 * same directory, fsync, rename (an existing file keeps its mode).
 * Returns 0, or -1 after a message as cmd. */
int record_write(const char *cmd, const char *path, const struct buf *text);

/* ------------------------------------------------------------------ */
/* store.c: the practice history (SQLite)                             */
/* ------------------------------------------------------------------ */

struct store;
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

/* --history FILE (not copied) and --no-history, for every command. */
void store_set_path(const char *path);
void store_disable(void);
bool store_disabled(void);
/* The data directory: $RAPPORT_HOME, else $XDG_DATA_HOME/rapport, else
 * ~/.local/share/rapport; NULL when there is none.  Caller frees. */
char *store_dir(void);
/* The history database: --history FILE, else DIR/history.db.  Caller
 * frees; NULL when there is no place for it. */
char *store_path(void);
/* Whether the history database exists yet. */
bool store_exists(void);
/* Create dir and its parents (mode 0700); 0 or -1 with errno. */
int store_mkdirs(const char *dir);
/* Open the history (creating it, and its directory, when create) and
 * bring its schema up to date.  NULL after a message as cmd.  Close with
 * store_close. */
struct store *store_open(const char *cmd, bool create);
void store_close(struct store *st);
sqlite3 *store_db(struct store *st);
const char *store_file(const struct store *st);
/* Prepare one statement; NULL after a message as cmd. */
sqlite3_stmt *store_prepare(struct store *st, const char *cmd, const char *sql);
/* A new, unfinished session of s (persona_id is rp_persona_id); its id,
 * or -1 after a message. */
int64_t store_begin(struct store *st, const char *cmd, const rp_session *s,
                    const char *persona_id);
/* Save the session as json (rp_session_json) in one transaction: its
 * turns with their scores, the report so far.  0 or -1 after a message. */
int store_save(struct store *st, const char *cmd, int64_t id, const char *json);
/* Mark the session finished, saying how it ended ("quit", "eof",
 * "ending", "SIGTERM", ...). */
int store_finish(struct store *st, const char *cmd, int64_t id,
                 const char *ended_by);
/* The confidence check-in, before (after false) or after the session. */
int store_confidence(struct store *st, const char *cmd, int64_t id, bool after,
                     int value);
/* A session id on the command line: a whole number from 1. */
bool store_parse_id(const char *s, int64_t *id);

/* ------------------------------------------------------------------ */
/* save.c: keeping a conversation as it goes (chat.c)                 */
/* ------------------------------------------------------------------ */

/* Where a conversation is kept; a zeroed struct keeps nothing. */
struct save {
    struct store *store; /* the history, or NULL */
    int64_t id;          /* the session's id there, 0 before turn 1 */
    char *transcript;    /* the transcript file, or NULL for none yet */
    bool default_file;   /* transcript is named from id when it starts */
    int confidence[2];   /* check-in before and after, 0 when skipped */
    bool failed;         /* a save failed: said once, then quiet */
};

/* Prepare to keep a conversation: open the history unless
 * --no-history; transcript is --transcript FILE or NULL for the default
 * (DIR/transcripts/session-ID.json beside the history). */
void save_open(struct save *sv, const char *transcript);
/* Save the session as it stands (after every turn and /restart): the
 * history's row and the transcript file, replaced atomically. */
void save_turn(struct save *sv, const rp_session *s);
/* Record a confidence check-in (1-5). */
void save_confidence(struct save *sv, bool after, int value);
/* The conversation ended (ended_by says how): save it a last time and
 * mark it finished.  Nothing is kept of a session without turns. */
void save_end(struct save *sv, const rp_session *s, const char *ended_by);
void save_close(struct save *sv);

#endif

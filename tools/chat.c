/*
 * chat.c - `rapport chat`: a conversation with a persona.
 *
 * The learner reads the brief (who the persona is, the scene, what could
 * have been researched), hears the persona's opening line, and then
 * types; every line goes to rp_session_turn and the reply is printed,
 * until the persona ends the conversation or the learner leaves.  Lines
 * starting with '/' are commands to the program (/why, /restart, ...),
 * not words to the persona.
 *
 * Two faces.  On a terminal (standard input and output both), lines are
 * read with GNU readline: editing, a history kept across sessions, Tab
 * completion of commands, Ctrl-C to clear the line and Ctrl-D to leave;
 * replies are wrapped to the terminal's width under the persona's name
 * in colour.  Otherwise no prompts, no colour and no readline: lines are
 * read as bytes (NULs and invalid UTF-8 included; the engine copes with
 * content) and a plain transcript is printed, "You: ..." then
 * "Name: ...", so that a script or a test can hold a conversation
 * through a pipe.  Everything from the persona or the learner is printed
 * through the terminal sanitiser.
 *
 * Every learner line is also scored (rapport.h, "Scoring the learner"):
 * /score shows the report card so far, /hint suggests a next move,
 * --coach adds a one-line note after every reply, and the report card is
 * printed when the conversation ends, however it ends.  With --json the
 * whole session goes to standard output as one JSON object at the end,
 * and nothing else does: the conversation is shown on standard error
 * when standard input is a terminal, and not at all otherwise.
 *
 * Nothing is lost: the session is saved after every turn (save.c: the
 * history database and the transcript file), and every way of leaving
 * ends the conversation in order: /quit, Ctrl-D or the end of the
 * input, Ctrl-C twice on a terminal (once in a pipe), SIGTERM and SIGHUP.
 * The signal handlers only set a flag (chat_stop); the loop sees it when
 * the read it was blocked in fails with EINTR, and saves and finishes the
 * conversation from ordinary code.  On a terminal, readline's own handlers
 * restore the terminal first and pass the signal on to ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "tools.h"

/* Entries kept in the history file, and the longest line worth keeping
 * there. */
#define CHAT_HISTORY_MAX      1000
#define CHAT_HISTORY_MAX_LINE 4096

/* Width passed to term_wrap when lines must not be wrapped. */
#define CHAT_NO_WRAP 1000000

static const char chat_usage[] =
    "Usage: rapport chat [--seed N] [--trace] [--coach] [--json]\n"
    "                    [--transcript FILE] [--history FILE] [--no-history]\n"
    "                    [--no-checkin] PERSONA\n"
    "\n"
    "Talk to a persona.  PERSONA is an id from 'rapport list' or the path\n"
    "of a persona file.  Read the brief, then type what you would say and\n"
    "press Enter; the persona answers until the conversation ends or you\n"
    "leave.  When the conversation ends, a report card shows how it went:\n"
    "a score out of 100 for each skill, what went well and what to work\n"
    "on.\n"
    "\n"
    "Options:\n"
    "  --seed N    pick replies with seed N (default: one from the clock);\n"
    "              the same seed and lines give the same conversation\n"
    "  --trace     after every reply, show how the line was understood\n"
    "  --coach     after every reply, a one-line note on your line: what it\n"
    "              earned and what it missed\n"
    "  --json      at the end, print the whole session (turns, scores,\n"
    "              report card) as one JSON object on standard output, and\n"
    "              nothing else there; the conversation is shown on\n"
    "              standard error when standard input is a terminal\n"
    "  --transcript FILE\n"
    "              keep the session (as JSON) in FILE, replaced after every\n"
    "              turn; default: transcripts/session-ID.json beside the\n"
    "              history\n"
    "  --history FILE  keep the session in the history database FILE\n"
    "  --no-history    keep nothing (but a --transcript FILE)\n"
    "  --no-checkin    on a terminal, do not ask how confident you feel\n"
    "              before and after the conversation\n"
    "  -h, --help  show this help and exit\n"
    "\n"
    "During the conversation:\n"
    "  /brief      show the brief again\n"
    "  /why        explain the persona's last reply\n"
    "  /score      show the report card so far\n"
    "  /hint       suggest what to say next\n"
    "  /restart    start the conversation again\n"
    "  /reload     re-read the persona file and carry on (for authors)\n"
    "  /help       list these commands\n"
    "  /quit       leave (so does Ctrl-D, and Ctrl-C twice)\n"
    "\n"
    "Every conversation is saved after each turn in the history\n"
    "($RAPPORT_HOME/history.db, else $XDG_DATA_HOME/rapport/history.db or\n"
    "~/.local/share/rapport/history.db): see 'rapport history', 'rapport\n"
    "report' and 'rapport progress'.  Leaving in any way, also SIGTERM and\n"
    "SIGHUP, saves it and shows the report card.\n"
    "\n"
    "On a terminal, lines can be edited and are remembered in\n"
    "$XDG_STATE_HOME/rapport/history (~/.local/state/rapport/history);\n"
    "Tab completes commands and Ctrl-C clears the line.  When standard\n"
    "input is not a terminal, lines are read from it and a plain\n"
    "transcript is printed: \"You: ...\", then the persona's reply.\n";

/* One conversation. */
struct chat {
    const rp_persona *persona;
    rp_persona **reloaded; /* every persona /reload loaded: the session's
                              history quotes them, so they live as long */
    size_t nreloaded;
    rp_session *session;
    const rp_turn *last;  /* the last turn, for /why; owned by session */
    char *stage_before;   /* the stage the last turn started in */
    FILE *out;            /* where the conversation is shown, or NULL */
    bool tty;             /* readline, prompts, colour, wrapping */
    bool trace;           /* print the trace after every turn */
    bool coach;           /* print a coaching note after every turn */
    bool json;            /* print the session as JSON at the end */
    bool checkin;         /* ask for confidence before and after */
    char *history;        /* the history file, or NULL */
    struct save save;     /* where the conversation is kept */
    const char *ended_by; /* how it ended, for the history */
};

/* Set by the signal handlers, read by the loop (see the top).
 * chat_stop is the signal that ends the conversation, 0 while it goes
 * on; chat_interrupts counts Ctrl-C presses since the last key. */
static volatile sig_atomic_t chat_stop;
static volatile sig_atomic_t chat_interrupts;

/* What a slash command asks the loop to do next. */
enum chat_next { CHAT_CONTINUE, CHAT_QUIT };

struct chat_command {
    const char *name;
    enum chat_next (*run)(struct chat *c);
    const char *help;
};

static enum chat_next chat_cmd_brief(struct chat *c);
static enum chat_next chat_cmd_help(struct chat *c);
static enum chat_next chat_cmd_hint(struct chat *c);
static enum chat_next chat_cmd_quit(struct chat *c);
static enum chat_next chat_cmd_reload(struct chat *c);
static enum chat_next chat_cmd_restart(struct chat *c);
static enum chat_next chat_cmd_score(struct chat *c);
static enum chat_next chat_cmd_why(struct chat *c);

/* The commands, in the order /help lists them. */
static const struct chat_command chat_commands[] = {
    {"/brief", chat_cmd_brief, "show the brief again"},
    {"/help", chat_cmd_help, "list these commands"},
    {"/hint", chat_cmd_hint, "suggest what to say next"},
    {"/quit", chat_cmd_quit,
     "leave the conversation (so do Ctrl-D and Ctrl-C twice)"},
    {"/reload", chat_cmd_reload,
     "re-read the persona file from disk and carry on"},
    {"/restart", chat_cmd_restart, "start the conversation again"},
    {"/score", chat_cmd_score, "show the report card so far"},
    {"/why", chat_cmd_why, "explain the persona's last reply"},
    {NULL, NULL, NULL},
};

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* Write b to the stream the conversation is shown on, if there is one
 * (with --json and a piped standard input there is none), and flush it
 * so that the learner sees it before the next prompt. */
static void chat_emit(const struct chat *c, const struct buf *b)
{
    if (c->out == NULL)
        return;
    fwrite(buf_str(b), 1, b->len, c->out);
    fflush(c->out);
}

/* The same for a constant string. */
static void chat_emit_str(const struct chat *c, const char *s)
{
    if (c->out == NULL)
        return;
    fputs(s, c->out);
    fflush(c->out);
}

/* The escape sequence for style s: only on a terminal that takes
 * colour. */
static const char *chat_sgr(const struct chat *c, enum term_style s)
{
    return c->tty ? term_sgr(c->out, s) : "";
}

/* The width to wrap to: the terminal's, or none in a transcript. */
static int chat_width(const struct chat *c)
{
    return c->tty ? term_width(c->out) : CHAT_NO_WRAP;
}

/* Print a note from the program (not the persona) on its own line, in
 * brackets when it is a transcript line, dimmed on a terminal. */
static void chat_note(const struct chat *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void chat_note(const struct chat *c, const char *fmt, ...)
{
    struct buf text = {0}, out = {0};
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    buf_puts(&out, chat_sgr(c, TERM_DIM));
    term_sanitise(&out, buf_str(&text), text.len, TERM_KEEP_NEWLINES);
    buf_puts(&out, chat_sgr(c, TERM_RESET));
    buf_putc(&out, '\n');
    chat_emit(c, &out);
    buf_free(&text);
    buf_free(&out);
}

/* Print a line the persona says.  On a terminal: the name in colour and
 * the text wrapped under it, then a blank line to separate the turns;
 * in a transcript: "Name: text" as it is. */
static void chat_say(const struct chat *c, const char *text)
{
    const char *name = OR_EMPTY(rp_persona_name(c->persona));
    struct buf out = {0};

    if (text == NULL || text[0] == '\0')
        text = "(silence)";
    if (c->tty) {
        size_t cols = term_strwidth(name) + 2;

        buf_puts(&out, chat_sgr(c, TERM_PERSONA));
        term_sanitise(&out, name, strlen(name), 0);
        buf_puts(&out, chat_sgr(c, TERM_RESET));
        buf_puts(&out, ": ");
        term_wrap(&out, text, chat_width(c), (int)cols, (int)cols);
        buf_puts(&out, "\n\n");
    } else {
        term_sanitise(&out, name, strlen(name), 0);
        buf_puts(&out, ": ");
        term_sanitise(&out, text, strlen(text), TERM_KEEP_NEWLINES);
        buf_putc(&out, '\n');
    }
    chat_emit(c, &out);
    buf_free(&out);
}

/* Append a paragraph of the brief: wrapped on a terminal, on one line
 * (but for its own newlines) in a transcript. */
static void chat_paragraph(const struct chat *c, struct buf *out,
                           const char *text, int col, int indent)
{
    term_wrap(out, text, chat_width(c), col, indent);
    buf_putc(out, '\n');
}

/* The brief: who the persona is, the scene, and the facts a prepared
 * learner would know. */
static void chat_brief(const struct chat *c)
{
    const rp_persona *p = c->persona;
    const char *role = OR_EMPTY(rp_persona_role(p));
    const char *org = OR_EMPTY(rp_persona_organisation(p));
    const char *scene = OR_EMPTY(rp_persona_scene(p));
    size_t nfacts = rp_persona_fact_count(p), i;
    struct buf who = {0}, out = {0};

    buf_puts(&who, OR_EMPTY(rp_persona_name(p)));
    if (role[0] != '\0' && org[0] != '\0')
        buf_printf(&who, ", %s at %s", role, org);
    else if (role[0] != '\0' || org[0] != '\0')
        buf_printf(&who, ", %s", role[0] != '\0' ? role : org);
    buf_puts(&out, chat_sgr(c, TERM_HEADING));
    chat_paragraph(c, &out, buf_str(&who), 0, 2);
    buf_puts(&out, chat_sgr(c, TERM_RESET));
    if (scene[0] != '\0') {
        buf_putc(&out, '\n');
        chat_paragraph(c, &out, scene, 0, 0);
    }
    if (nfacts > 0) {
        buf_puts(&out, "\nThings you could have researched:\n");
        for (i = 0; i < nfacts; i++) {
            buf_puts(&out, "  - ");
            chat_paragraph(c, &out, OR_EMPTY(rp_persona_fact(p, i)), 4, 4);
        }
    }
    buf_putc(&out, '\n');
    if (c->tty) {
        struct buf hint = {0};

        buf_printf(&hint,
                   "Type what you would say and press Enter. /help lists "
                   "the commands; Ctrl-D leaves. (Seed %llu.)",
                   (unsigned long long)rp_session_seed(c->session));
        buf_puts(&out, chat_sgr(c, TERM_DIM));
        chat_paragraph(c, &out, buf_str(&hint), 0, 0);
        buf_puts(&out, chat_sgr(c, TERM_RESET));
        buf_putc(&out, '\n');
        buf_free(&hint);
    }
    chat_emit(c, &out);
    buf_free(&who);
    buf_free(&out);
}

static void chat_opening(const struct chat *c)
{
    const char *opening = rp_session_opening(c->session);

    if (opening != NULL && opening[0] != '\0')
        chat_say(c, opening);
}

static void chat_trace(const struct chat *c)
{
    if (c->out == NULL)
        return;
    fputs(chat_sgr(c, TERM_DIM), c->out);
    trace_print(c->out, c->last, c->stage_before);
    fputs(chat_sgr(c, TERM_RESET), c->out);
    if (c->tty)
        fputc('\n', c->out);
    fflush(c->out);
}

/* A note from the coach, the hint or the coaching of a turn: "LABEL:
 * text", dimmed and wrapped under itself on a terminal, on one line in a
 * transcript.  text comes from the engine (and may quote the persona or
 * the learner); NULL is shown as "none". */
static void chat_advice(const struct chat *c, const char *label,
                        const char *text)
{
    struct buf out = {0};
    size_t cols = strlen(label) + 2;

    buf_puts(&out, chat_sgr(c, TERM_DIM));
    buf_puts(&out, label);
    buf_puts(&out, ": ");
    term_wrap(&out, text != NULL && text[0] != '\0' ? text : "none",
              chat_width(c), (int)cols, (int)cols);
    buf_puts(&out, chat_sgr(c, TERM_RESET));
    buf_puts(&out, c->tty ? "\n\n" : "\n");
    chat_emit(c, &out);
    buf_free(&out);
}

/* The coaching note on the turn just taken (--coach). */
static void chat_coaching(const struct chat *c, const rp_turn *t)
{
    char *note = rp_turn_coaching(t);

    chat_advice(c, "coach", note);
    free(note);
}

/* The report card of the conversation so far, after a blank line; a
 * line saying there is nothing to score before the first turn. */
static int chat_report(const struct chat *c)
{
    rp_report *r;

    if (c->out == NULL)
        return STATUS_OK;
    if (rp_session_turn_count(c->session) == 0) {
        chat_emit_str(c, "\n");
        chat_note(c, "[no report card: nothing was said to score]");
        if (c->tty)
            chat_emit_str(c, "\n");
        return STATUS_OK;
    }
    r = rp_session_report(c->session);
    if (r == NULL) {
        msg_error("chat", "the engine could not make a report card");
        return STATUS_INTERNAL;
    }
    fputc('\n', c->out);
    report_print(c->out, r, c->tty && term_unicode(), c->tty, chat_width(c));
    if (c->tty)
        fputc('\n', c->out);
    fflush(c->out);
    rp_report_free(r);
    return STATUS_OK;
}

/* The session as one JSON object on the last line of standard output
 * (--json). */
static int chat_json(const struct chat *c)
{
    char *json = rp_session_json(c->session);

    if (json == NULL) {
        msg_error("chat", "the engine could not write the session as JSON");
        return STATUS_INTERNAL;
    }
    term_json_puts(stdout, json);
    fputc('\n', stdout);
    fflush(stdout);
    free(json);
    return STATUS_OK;
}

/* ------------------------------------------------------------------ */
/* Slash commands                                                      */
/* ------------------------------------------------------------------ */

static enum chat_next chat_cmd_help(struct chat *c)
{
    struct buf out = {0};
    size_t i;

    buf_puts(&out, "Commands (Tab completes them; a unique start is "
                   "enough):\n");
    for (i = 0; chat_commands[i].name != NULL; i++)
        buf_printf(&out, "  %-10s %s\n", chat_commands[i].name,
                   chat_commands[i].help);
    buf_puts(&out, "Anything else you type is said to the persona.\n");
    if (c->tty)
        buf_putc(&out, '\n');
    chat_emit(c, &out);
    buf_free(&out);
    return CHAT_CONTINUE;
}

static enum chat_next chat_cmd_score(struct chat *c)
{
    chat_report(c);
    return CHAT_CONTINUE;
}

static enum chat_next chat_cmd_hint(struct chat *c)
{
    char *hint = rp_session_hint(c->session);

    chat_advice(c, "hint", hint);
    free(hint);
    return CHAT_CONTINUE;
}

static enum chat_next chat_cmd_brief(struct chat *c)
{
    chat_brief(c);
    return CHAT_CONTINUE;
}

static enum chat_next chat_cmd_why(struct chat *c)
{
    if (c->last == NULL)
        chat_note(c, "[nothing to explain yet: /why explains the persona's "
                     "last reply]");
    else
        chat_trace(c);
    return CHAT_CONTINUE;
}

static enum chat_next chat_cmd_restart(struct chat *c)
{
    rp_session_restart(c->session);
    save_turn(&c->save, c->session);
    c->last = NULL; /* the turn died with the restart */
    free(c->stage_before);
    c->stage_before = NULL;
    chat_note(c, "[conversation restarted]");
    if (c->tty)
        chat_emit_str(c, "\n");
    chat_opening(c);
    return CHAT_CONTINUE;
}

/* Re-read the persona file (an author editing it while talking) and
 * move the conversation onto the new version with rp_session_rebind:
 * stage, turn count, meters, variables and reply cursors carry over
 * where they still exist, and the transcript and scores whole.  A file that no
 * longer loads changes nothing: its diagnostics are shown and the conversation
 * goes on as it was. */
static enum chat_next chat_cmd_reload(struct chat *c)
{
    const char *path = rp_persona_path(c->persona);
    rp_load_options opts = {0};
    rp_diags *diags = rp_diags_new();
    FILE *where = c->out != NULL ? c->out : stderr;
    rp_persona *np;
    char *stage;
    int rc;

    opts.flags = personas_load_flags();
    np = rp_persona_load(path, &opts, diags);
    rp_diags_sort(diags);
    fflush(where);
    diag_print(where, diags);
    if (np == NULL) {
        chat_note(c,
                  "[reload failed: %zu error%s in %s; the conversation "
                  "goes on with the persona as it was]",
                  rp_diags_count_level(diags, RP_LEVEL_ERROR),
                  rp_diags_count_level(diags, RP_LEVEL_ERROR) == 1 ? "" : "s",
                  path);
        rp_diags_free(diags);
        return CHAT_CONTINUE;
    }
    rp_diags_free(diags);
    stage = mem_strdup(OR_EMPTY(rp_session_stage(c->session)));
    rc = rp_session_rebind(c->session, np);
    /* The turn /why would explain is gone with the old session state; the
     * old persona stays alive, since the history's evidence quotes it. */
    c->last = NULL;
    c->persona = np;
    c->reloaded =
        mem_realloc(c->reloaded, (c->nreloaded + 1) * sizeof *c->reloaded);
    c->reloaded[c->nreloaded++] = np;
    if (rc == RP_ENOTFOUND)
        chat_note(c,
                  "[reloaded %s; stage '%s' is gone, so the conversation "
                  "goes on in stage '%s' at turn %d]",
                  path, stage, OR_EMPTY(rp_session_stage(c->session)),
                  rp_session_turn_count(c->session));
    else
        chat_note(c,
                  "[reloaded %s; the conversation goes on in stage '%s' at "
                  "turn %d]",
                  path, OR_EMPTY(rp_session_stage(c->session)),
                  rp_session_turn_count(c->session));
    free(stage);
    return CHAT_CONTINUE;
}

static enum chat_next chat_cmd_quit(struct chat *c)
{
    (void)c;
    return CHAT_QUIT;
}

/* Run the command in line (which starts with '/'): its name or a
 * unique start of it; anything after the name is ignored. */
static enum chat_next chat_command(struct chat *c, const char *line, size_t len)
{
    const struct chat_command *found = NULL;
    size_t n = 0, i, matches = 0;

    while (n < len && line[n] != ' ' && line[n] != '\t')
        n++;
    for (i = 0; chat_commands[i].name != NULL; i++) {
        const char *name = chat_commands[i].name;

        if (strlen(name) == n && memcmp(name, line, n) == 0) {
            found = &chat_commands[i];
            matches = 1;
            break;
        }
        if (n > 1 && strlen(name) > n && memcmp(name, line, n) == 0) {
            found = &chat_commands[i];
            matches++;
        }
    }
    if (matches == 1)
        return found->run(c);
    /* line may hold anything: the note sanitises it. */
    chat_note(c, "[%s command '%.*s'; /help lists the commands]",
              matches > 1 ? "ambiguous" : "unknown", (int)(n > 60 ? 60 : n),
              line);
    if (c->tty)
        chat_emit_str(c, "\n");
    return CHAT_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Reading lines                                                       */
/* ------------------------------------------------------------------ */

/* The prompt: "you> ", in colour when the terminal takes it.  The
 * escape sequences sit between RL_PROMPT_START_IGNORE and
 * RL_PROMPT_END_IGNORE so that readline knows they take no room. */
static void chat_prompt(const struct chat *c, struct buf *out)
{
    const char *on = chat_sgr(c, TERM_LEARNER);

    if (on[0] != '\0')
        buf_printf(out, "%c%s%c", RL_PROMPT_START_IGNORE, on,
                   RL_PROMPT_END_IGNORE);
    buf_puts(out, "you>");
    if (on[0] != '\0')
        buf_printf(out, "%c%s%c", RL_PROMPT_START_IGNORE,
                   chat_sgr(c, TERM_RESET), RL_PROMPT_END_IGNORE);
    buf_putc(out, ' ');
}

/* Read one line with readline into line.  Returns 1, or 0 when the
 * learner pressed Ctrl-D on an empty line. */
static int chat_read_tty(struct chat *c, struct buf *line)
{
    struct buf prompt = {0};
    char *text;

    chat_prompt(c, &prompt);
    text = readline(buf_str(&prompt));
    buf_free(&prompt);
    buf_clear(line);
    if (text == NULL || chat_stop != 0) {
        free(text); /* a line cut short by a signal is not said */
        return 0;
    }
    buf_puts(line, text);
    if (text[0] != '\0' && strlen(text) <= CHAT_HISTORY_MAX_LINE) {
        HIST_ENTRY *prev = history_get(history_base + history_length - 1);

        if (prev == NULL || strcmp(prev->line, text) != 0) {
            add_history(text);
            if (c->history != NULL)
                append_history(1, c->history);
        }
    }
    free(text);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Readline setup                                                      */
/* ------------------------------------------------------------------ */

/* Generator for rl_completion_matches: the commands starting with
 * text.  Readline's interface keeps the position between calls in
 * statics (state is 0 on the first call). */
static char *chat_complete_command(const char *text, int state)
{
    static size_t next, len;

    if (state == 0) {
        next = 0;
        len = strlen(text);
    }
    while (chat_commands[next].name != NULL) {
        const char *name = chat_commands[next++].name;

        if (strncmp(name, text, len) == 0)
            return mem_strdup(name); /* readline frees it */
    }
    return NULL;
}

/* Tab completes a command at the start of the line, and nothing else
 * (readline would otherwise offer file names). */
static char **chat_complete(const char *text, int start, int end)
{
    int i;

    (void)end;
    rl_attempted_completion_over = 1;
    for (i = 0; i < start; i++)
        if (rl_line_buffer[i] != ' ')
            return NULL;
    if (text[0] != '/')
        return NULL;
    return rl_completion_matches(text, chat_complete_command);
}

/* Ctrl-C clears the line being typed; a second Ctrl-C before any other
 * key leaves the conversation.  Readline catches SIGINT itself
 * (rl_catch_signals is left at its default): it frees the line's state,
 * restores the terminal and re-raises the signal, which reaches this
 * handler from ordinary code (chat_getc's rl_check_signals) with
 * RL_STATE_SIGHANDLER set; only then is it safe to call readline here.
 * Delivered at any other moment (while the engine answers), the signal
 * is ignored. */
static void chat_on_sigint(int sig)
{
    if (!RL_ISSTATE(RL_STATE_SIGHANDLER))
        return;
    if (chat_interrupts > 0) {
        chat_stop = sig; /* chat_getc ends the line */
        return;
    }
    chat_interrupts = 1;
    rl_replace_line("", 0);
    rl_crlf();
    fputs("[Ctrl-C again leaves the conversation]", rl_outstream);
    rl_crlf();
    rl_on_new_line();
    rl_redisplay();
}

/* /dev/null, open while a conversation reads a pipe (see chat_on_stop). */
static int chat_null_fd = -1;

/* SIGTERM and SIGHUP, and SIGINT when there is no terminal: end the
 * conversation.  Only async-signal-safe work here: set the flag and,
 * on a pipe, put /dev/null in the place of standard input, so that a
 * read that had not started yet when the signal came (the loop looked
 * at the flag just before) finds the end of the input instead of
 * waiting for a line that may never come; a read under way returns
 * EINTR.  The loop does the rest. */
static void chat_on_stop(int sig)
{
    int saved = errno;

    chat_stop = sig;
    if (chat_null_fd >= 0)
        dup2(chat_null_fd, STDIN_FILENO);
    errno = saved;
}

/* Readline's input function.  It is readline's rl_getc, but for what
 * happens when a signal interrupts the read: readline's own loop would
 * go back to reading after a Ctrl-C, where this one returns EOF once
 * chat_stop is set, so that readline returns and the conversation can
 * end (readline returns NULL on an empty line, else the line, which
 * chat_read_tty drops). */
static const int chat_stop_signals[] = {SIGTERM, SIGHUP, SIGINT};

static int chat_getc(FILE *in)
{
    int fd = fileno(in);
    sigset_t block, old;
    unsigned char ch;
    size_t i;

    sigemptyset(&block);
    for (i = 0; i < 3; i++)
        sigaddset(&block, chat_stop_signals[i]);
    for (;;) {
        fd_set fds;
        ssize_t n;
        int ready = -1;

        /* With the signals blocked, none can come between looking at
         * the flags and waiting: pselect unblocks them atomically, and
         * one that came before is delivered there (EINTR). */
        sigprocmask(SIG_BLOCK, &block, &old);
        if (chat_stop != 0) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            return EOF;
        }
        errno = EINTR;
        if (rl_pending_signal() == 0) {
            FD_ZERO(&fds);
            FD_SET(fd, &fds);
            ready = pselect(fd + 1, &fds, NULL, NULL, NULL, &old);
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (ready >= 0) {
            n = read(fd, &ch, 1);
            if (n == 1) {
                chat_interrupts = 0;
                return ch;
            }
            if (n == 0)
                return EOF;
        }
        if (errno != EINTR)
            return EOF;
        rl_check_signals(); /* runs the handlers of what was caught */
    }
}

/* Catch the signals that end a conversation: SIGTERM, SIGHUP and, when
 * readline does not handle it (no terminal), SIGINT.  No SA_RESTART: a
 * blocked read must return.  old[] receives the previous actions. */
static void chat_signals_init(const struct chat *c, struct sigaction old[3])
{
    struct sigaction sa;
    size_t i;

    chat_stop = 0;
    chat_interrupts = 0;
    if (!c->tty)
        chat_null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < 3; i++) {
        sa.sa_handler = chat_stop_signals[i] == SIGINT && c->tty
                            ? chat_on_sigint
                            : chat_on_stop;
        sigaction(chat_stop_signals[i], &sa, &old[i]);
    }
}

static void chat_signals_done(const struct sigaction old[3])
{
    size_t i;

    for (i = 0; i < 3; i++)
        sigaction(chat_stop_signals[i], &old[i], NULL);
    if (chat_null_fd >= 0)
        close(chat_null_fd);
    chat_null_fd = -1;
}

/* Create path and its parents as directories (mode 0700). */
static int chat_mkdirs(char *path)
{
    char *p;

    for (p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The history file, $XDG_STATE_HOME/rapport/history or
 * ~/.local/state/rapport/history (the XDG base directory spec ignores
 * relative paths), with its directory created; NULL when there is no
 * place for it.  History is a convenience: failures are silent. */
static char *chat_history_path(void)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    struct buf path = {0};

    if (state != NULL && state[0] == '/') {
        buf_puts(&path, state);
    } else if (home != NULL && home[0] == '/') {
        buf_puts(&path, home);
        buf_puts(&path, "/.local/state");
    } else {
        return NULL;
    }
    buf_puts(&path, "/rapport");
    if (chat_mkdirs(path.ptr) != 0) {
        buf_free(&path);
        return NULL;
    }
    buf_puts(&path, "/history");
    return buf_detach(&path);
}

static void chat_readline_init(struct chat *c)
{
    rl_readline_name = "rapport"; /* for $if rapport in ~/.inputrc */
    rl_change_environment = 0;    /* leave $COLUMNS and $LINES alone */
    rl_outstream = c->out;        /* standard error with --json */
    rl_attempted_completion_function = chat_complete;
    rl_getc_function = chat_getc;
    using_history();
    stifle_history(CHAT_HISTORY_MAX);
    c->history = chat_history_path();
    if (c->history != NULL && read_history(c->history) != 0 &&
        write_history(c->history) != 0) {
        free(c->history); /* cannot be read or created: do without */
        c->history = NULL;
    }
}

static void chat_readline_done(struct chat *c)
{
    if (c->history != NULL)
        history_truncate_file(c->history, CHAT_HISTORY_MAX);
    clear_history();
    free(c->history);
    c->history = NULL;
}

/* ------------------------------------------------------------------ */
/* The conversation                                                    */
/* ------------------------------------------------------------------ */

static bool chat_blank(const struct buf *line)
{
    size_t i;

    for (i = 0; i < line->len; i++)
        if (line->ptr[i] != ' ' && line->ptr[i] != '\t')
            return false;
    return true;
}

/* Say line to the persona and print the reply.  Returns 0 to go on, 1
 * when the conversation ended, or an exit status (> 1) on failure. */
static int chat_turn(struct chat *c, const char *line, size_t len)
{
    const rp_turn *t;
    int rc;

    if (!c->tty && c->out != NULL) {
        struct buf echo = {0};

        buf_puts(&echo, "You: ");
        term_sanitise(&echo, line, len, 0);
        buf_putc(&echo, '\n');
        chat_emit(c, &echo);
        buf_free(&echo);
    }
    free(c->stage_before);
    c->stage_before = mem_strdup(OR_EMPTY(rp_session_stage(c->session)));
    rc = rp_session_turn(c->session, line, len, &t);
    if (rc == RP_EENDED)
        return 1;
    if (rc < 0) {
        msg_error("chat", "the engine could not answer: %s", rp_strerror(rc));
        return STATUS_INTERNAL;
    }
    c->last = t;
    save_turn(&c->save, c->session);
    chat_say(c, rp_turn_reply(t));
    if (c->coach)
        chat_coaching(c, t);
    if (c->trace)
        chat_trace(c);
    return rp_turn_ended(t) || rp_session_ended(c->session) ? 1 : 0;
}

/* How a conversation ended, for the history: "eof" when the input
 * ended (Ctrl-D), else the signal that ended it. */
static const char *chat_stop_name(int sig)
{
    switch (sig) {
    case 0:
        return "eof";
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "signal";
    }
}

/* Read and answer lines until the conversation ends. */
static int chat_loop(struct chat *c)
{
    struct buf line = {0};
    int status = STATUS_OK;

    for (;;) {
        size_t skip = 0;
        int rc;

        /* (A signal taken while the engine answered has no read left to
         * interrupt: look before reading, and after.) */
        if (chat_stop != 0 ||
            !(c->tty ? chat_read_tty(c, &line)
                     : line_read(stdin, &line, "chat")) ||
            chat_stop != 0) {
            /* (readline has ended the prompt's line itself) */
            if (chat_stop != 0 && c->tty)
                chat_emit_str(c, "\n");
            chat_note(c, "[conversation ended by the learner]");
            c->ended_by = chat_stop_name(chat_stop);
            /* Ctrl-C twice is an ordinary way out: the check-in may
             * still read a line. */
            if (chat_stop == SIGINT && c->tty)
                chat_stop = 0;
            break;
        }
        if (chat_blank(&line))
            continue;
        while (line.ptr[skip] == ' ' || line.ptr[skip] == '\t')
            skip++;
        if (line.ptr[skip] == '/') {
            if (chat_command(c, line.ptr + skip, line.len - skip) ==
                CHAT_QUIT) {
                chat_note(c, "[conversation ended by the learner]");
                c->ended_by = "quit";
                break;
            }
            continue;
        }
        rc = chat_turn(c, line.ptr, line.len);
        if (rc == 1) {
            chat_note(c, "[conversation ended: %s]",
                      OR_EMPTY(rp_session_ending(c->session)));
            c->ended_by = "ending";
            break;
        }
        if (rc > 1) {
            status = rc;
            break;
        }
    }
    buf_free(&line);
    return status;
}

/* A seed for when none was given: different every run. */
static uint64_t chat_clock_seed(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
           ((uint64_t)getpid() << 32);
}

/* The confidence check-in (on a terminal, unless --no-checkin): a
 * number from 1 to 5, or Enter to skip; stored with the session. */
static void chat_checkin(struct chat *c, bool after)
{
    int tries;

    if (!c->tty || !c->checkin || chat_stop != 0)
        return;
    if (after && rp_session_turn_count(c->session) == 0)
        return;
    chat_note(c, after ? "How confident do you feel now, from 1 (not at all) "
                         "to 5 (very)? Enter skips."
                       : "Before you start: how confident do you feel about "
                         "this conversation, from 1 (not at all) to 5 "
                         "(very)? Enter skips.");
    for (tries = 0; tries < 3 && chat_stop == 0; tries++) {
        char *text = readline("confidence> ");
        const char *p = text != NULL ? text + strspn(text, " \t") : "";
        bool blank = *p == '\0';
        int v = 0;

        /* One digit, perhaps between blanks. */
        if (*p >= '1' && *p <= '5' && p[1 + strspn(p + 1, " \t")] == '\0')
            v = *p - '0';
        free(text);
        if (blank || chat_stop != 0)
            break;
        if (v >= 1 && v <= 5) {
            save_confidence(&c->save, after, v);
            break;
        }
        chat_note(c, "[a number from 1 to 5, or Enter to skip]");
    }
    chat_emit_str(c, "\n");
}

/* After the conversation, however it ended: the check-in, the last save,
 * the report card, then with --json the session. */
static int chat_finish(struct chat *c)
{
    int status;

    chat_checkin(c, true);
    save_end(&c->save, c->session, c->ended_by != NULL ? c->ended_by : "eof");
    status = chat_report(c);

    if (status == STATUS_OK && c->json)
        status = chat_json(c);
    return status;
}

int chat_run(const rp_persona *p, const struct chat_options *opts)
{
    static const struct chat_options defaults = {0};
    struct chat c = {0};
    struct sigaction old_sig[3];
    int status;

    if (opts == NULL)
        opts = &defaults;
    c.persona = p;
    c.trace = opts->trace;
    c.coach = opts->coach;
    c.json = opts->json;
    c.checkin = !opts->no_checkin;
    /* With --json, standard output is the JSON's alone: a learner at a
     * terminal holds the conversation on standard error; a script sees
     * nothing of it. */
    if (!c.json)
        c.out = stdout;
    else if (term_isatty(stdin))
        c.out = stderr;
    c.tty = c.out != NULL && term_isatty(stdin) && term_isatty(c.out);
    c.session =
        rp_session_new(p, opts->seed_given ? opts->seed : chat_clock_seed());
    if (c.session == NULL) {
        msg_error("chat", "the engine could not start a conversation");
        return STATUS_INTERNAL;
    }
    if (c.trace)
        chat_note(&c, "[trace] seed %llu",
                  (unsigned long long)rp_session_seed(c.session));
    save_open(&c.save, opts->transcript);
    chat_signals_init(&c, old_sig);
    chat_brief(&c);
    if (c.tty) {
        chat_readline_init(&c);
        chat_checkin(&c, false);
        chat_opening(&c);
        status = chat_loop(&c);
        if (status == STATUS_OK)
            status = chat_finish(&c);
        chat_readline_done(&c);
    } else {
        chat_opening(&c);
        status = chat_loop(&c);
        if (status == STATUS_OK)
            status = chat_finish(&c);
    }
    chat_signals_done(old_sig);
    save_close(&c.save);
    free(c.stage_before);
    rp_session_free(c.session);
    /* Ended by a signal: the shell's convention, 128 + its number. */
    if (status == STATUS_OK && chat_stop != 0)
        status = 128 + chat_stop;
    while (c.nreloaded > 0)
        rp_persona_free(c.reloaded[--c.nreloaded]);
    free(c.reloaded);
    return status;
}

/* Parse a seed: decimal digits only, no sign, within 64 bits. */
static bool chat_parse_seed(const char *s, uint64_t *seed)
{
    unsigned long long v;
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *seed = v;
    return true;
}

int cmd_chat(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},
        {"trace", no_argument, NULL, 't'},
        {"coach", no_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"transcript", required_argument, NULL, 'T'},
        {"history", required_argument, NULL, 'H'},
        {"no-history", no_argument, NULL, 'N'},
        {"no-checkin", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct chat_options opts = {0};
    rp_persona *p;
    int c, status;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!chat_parse_seed(optarg, &opts.seed))
                return msg_usage("chat",
                                 "--seed takes a whole number from 0 to "
                                 "18446744073709551615, not '%s'",
                                 optarg);
            opts.seed_given = true;
            break;
        case 't':
            opts.trace = true;
            break;
        case 'c':
            opts.coach = true;
            break;
        case 'j':
            opts.json = true;
            break;
        case 'T':
            opts.transcript = optarg;
            break;
        case 'H':
            store_set_path(optarg);
            break;
        case 'N':
            store_disable();
            break;
        case 'C':
            opts.no_checkin = true;
            break;
        case 'h':
            fputs(chat_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("chat", c, argv);
        }
    }
    if (optind == argc)
        return msg_usage("chat", "which persona? Name one from 'rapport "
                                 "list', or the path of a persona file");
    if (argc - optind > 1)
        return msg_usage("chat", "one persona at a time (unexpected '%s')",
                         argv[optind + 1]);

    p = personas_open("chat", argv[optind]);
    if (p == NULL)
        return STATUS_INPUT;
    status = chat_run(p, &opts);
    rp_persona_free(p);
    return status;
}

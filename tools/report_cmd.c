/*
 * report_cmd.c - `rapport report [ID]`: the report card of a past
 * conversation.
 *
 * The card is rebuilt from the report JSON kept in the history (the
 * engine's own, from rp_session_json: store.c), taken apart with
 * SQLite's JSON functions, and printed by report.c exactly as it was
 * shown when the conversation ended; --markdown writes it as Markdown for
 * notes or a portfolio, --json prints the whole session as kept.  The
 * printer lives in report.c, which the chat uses too; this file is the
 * command.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tools.h"

static const char report_cmd_usage[] =
    "Usage: rapport report [--json | --markdown] [--history FILE] [ID]\n"
    "\n"
    "Show the report card of conversation ID from 'rapport history' (by\n"
    "default the last one): the overall score, a score out of 100 per\n"
    "skill, what went well and what to work on, quoting your own words.\n"
    "\n"
    "Options:\n"
    "  --json          the whole session as kept (turns, scores with their\n"
    "                  evidence, report card, check-ins) as one JSON object\n"
    "  --markdown      the report card as Markdown\n"
    "  --history FILE  the history database to read\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Exit status: 0, 2 when there is no such conversation, 64 for a bad\n"
    "command line.\n";

/* What is printed about the session above its card. */
struct report_cmd_session {
    int64_t id;
    char *persona, *name, *date, *ended_by;
    int turns;
    bool finished, scored;
    int confidence[2]; /* 0: none */
};

/* A column as a new string ("" for NULL). */
static char *report_cmd_text(sqlite3_stmt *q, int col)
{
    return mem_strdup(OR_EMPTY((const char *)sqlite3_column_text(q, col)));
}

/* Read the feedback items at path ('$.strengths' or '$.fixes') of
 * session id's report into *v, *n. */
static int report_cmd_feedback(struct store *st, int64_t id, const char *path,
                               rp_feedback **v, size_t *n)
{
    sqlite3_stmt *q = store_prepare(
        st, "report",
        "SELECT json_extract(f.value, '$.dimension'),"
        "  json_extract(f.value, '$.turn'), json_extract(f.value, '$.quote'),"
        "  json_extract(f.value, '$.note'),"
        "  json_extract(f.value, '$.suggestion')"
        " FROM sessions AS s, json_each(s.report, ?2) AS f"
        " WHERE s.id = ?1 AND json_valid(s.report) ORDER BY f.key");
    size_t cap = 0;
    int rc;

    *v = NULL;
    *n = 0;
    if (q == NULL)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, path, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *dim = (const char *)sqlite3_column_text(q, 0);
        int d = dim != NULL ? rp_dim_find(dim) : -1;
        rp_feedback *fb;

        if (d < 0)
            continue; /* a dimension this rapport does not know */
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *v = mem_realloc(*v, cap * sizeof **v);
        }
        fb = &(*v)[(*n)++];
        fb->dim = (rp_dim)d;
        fb->turn = sqlite3_column_int(q, 1);
        fb->quote = report_cmd_text(q, 2);
        fb->note = report_cmd_text(q, 3);
        fb->suggestion = report_cmd_text(q, 4);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void report_cmd_free_feedback(rp_feedback *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free((char *)v[i].quote);
        free((char *)v[i].note);
        free((char *)v[i].suggestion);
    }
    free(v);
}

/* Fill card from session id's report in the history. */
static int report_cmd_card(struct store *st, int64_t id,
                           struct report_card *card)
{
    sqlite3_stmt *q;
    int d, rc;

    memset(card, 0, sizeof *card);
    for (d = 0; d < RP_DIM_COUNT; d++)
        card->dims[d] = -1;
    q = store_prepare(st, "report",
                      "SELECT json_extract(report, '$.overall'), d.key,"
                      "  d.value, d.type"
                      " FROM sessions AS s, json_each(s.report,"
                      "  '$.dimensions') AS d"
                      " WHERE s.id = ?1 AND json_valid(s.report)");
    if (q == NULL)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *dim = (const char *)sqlite3_column_text(q, 1);
        const char *type = (const char *)sqlite3_column_text(q, 3);

        card->overall = sqlite3_column_int(q, 0);
        d = dim != NULL ? rp_dim_find(dim) : -1;
        if (d >= 0 && type != NULL && strcmp(type, "integer") == 0)
            card->dims[d] = sqlite3_column_int(q, 2);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return -1;
    if (report_cmd_feedback(st, id, "$.strengths", &card->strengths,
                            &card->nstrengths) != 0 ||
        report_cmd_feedback(st, id, "$.fixes", &card->fixes, &card->nfixes) !=
            0)
        return -1;
    return 0;
}

/* Read what is shown about session id (0: the last one).  Returns 0,
 * 1 when there is no such session, -1 on a database error. */
static int report_cmd_session(struct store *st, int64_t id,
                              struct report_cmd_session *s)
{
    sqlite3_stmt *q = store_prepare(
        st, "report",
        "SELECT id, persona, name, strftime('%Y-%m-%d %H:%M', started,"
        "  'localtime'), turns, finished, ended_by, report IS NOT NULL,"
        "  confidence_before, confidence_after"
        " FROM sessions WHERE ?1 = 0 OR id = ?1"
        " ORDER BY started DESC, id DESC LIMIT 1");
    int rc;

    memset(s, 0, sizeof *s);
    if (q == NULL)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        s->id = sqlite3_column_int64(q, 0);
        s->persona = report_cmd_text(q, 1);
        s->name = report_cmd_text(q, 2);
        s->date = report_cmd_text(q, 3);
        s->turns = sqlite3_column_int(q, 4);
        s->finished = sqlite3_column_int(q, 5) != 0;
        s->ended_by = report_cmd_text(q, 6);
        s->scored = sqlite3_column_int(q, 7) != 0;
        s->confidence[0] = sqlite3_column_int(q, 8);
        s->confidence[1] = sqlite3_column_int(q, 9);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static void report_cmd_session_free(struct report_cmd_session *s)
{
    free(s->persona);
    free(s->name);
    free(s->date);
    free(s->ended_by);
}

/* The line above the card: "Conversation 12 with Dana Whitfield
 * (rushed-alumnus), 2026-11-26 01:40: 3 turns, finished.". */
static void report_cmd_head(struct buf *out, const struct report_cmd_session *s)
{
    buf_printf(out, "Conversation %lld with %s (%s), %s: %d turn%s, %s.",
               (long long)s->id, s->name[0] != '\0' ? s->name : s->persona,
               s->persona, s->date, s->turns, s->turns == 1 ? "" : "s",
               s->finished ? "finished" : "unfinished");
    if (s->confidence[0] > 0 || s->confidence[1] > 0) {
        buf_puts(out, " Confidence ");
        if (s->confidence[0] > 0)
            buf_printf(out, "before %d/5", s->confidence[0]);
        if (s->confidence[0] > 0 && s->confidence[1] > 0)
            buf_puts(out, ", ");
        if (s->confidence[1] > 0)
            buf_printf(out, "after %d/5", s->confidence[1]);
        buf_putc(out, '.');
    }
}

/* Append s as Markdown text: sanitised for a terminal, with the
 * characters Markdown would read as markup escaped. */
static void report_cmd_md_text(struct buf *out, const char *s)
{
    struct buf clean = {0};
    size_t i;

    term_sanitise(&clean, s, strlen(s), 0);
    for (i = 0; i < clean.len; i++) {
        char ch = clean.ptr[i];

        if (strchr("\\`*_[]<>|", ch) != NULL && ch != '\0')
            buf_putc(out, '\\');
        buf_putc(out, ch);
    }
    buf_free(&clean);
}

static void report_cmd_md_feedback(struct buf *out, const rp_feedback *v,
                                   size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        buf_printf(out, "- **%s**", rp_dim_label(v[i].dim));
        if (v[i].turn > 0)
            buf_printf(out, ", turn %d", v[i].turn);
        if (OR_EMPTY(v[i].quote)[0] != '\0') {
            buf_puts(out, ": \"");
            report_cmd_md_text(out, v[i].quote);
            buf_putc(out, '"');
        }
        if (OR_EMPTY(v[i].note)[0] != '\0') {
            buf_puts(out, "  \n  ");
            report_cmd_md_text(out, v[i].note);
        }
        if (OR_EMPTY(v[i].suggestion)[0] != '\0' &&
            strcmp(v[i].suggestion, OR_EMPTY(v[i].note)) != 0) {
            buf_puts(out, "  \n  *Try:* ");
            report_cmd_md_text(out, v[i].suggestion);
        }
        buf_putc(out, '\n');
    }
}

static void report_cmd_markdown(const struct report_cmd_session *s,
                                const struct report_card *card)
{
    struct buf out = {0}, head = {0};
    int d;

    buf_printf(&out, "# Report card: %d/100\n\n", card->overall);
    report_cmd_head(&head, s);
    report_cmd_md_text(&out, buf_str(&head));
    buf_puts(&out, "\n\n| Skill | Score |\n|---|---:|\n");
    for (d = 0; d < RP_DIM_COUNT; d++) {
        buf_printf(&out, "| %s | ", rp_dim_label((rp_dim)d));
        if (card->dims[d] < 0)
            buf_puts(&out, "n/a |\n");
        else
            buf_printf(&out, "%d |\n", card->dims[d]);
    }
    if (card->nstrengths > 0) {
        buf_puts(&out, "\n## What went well\n\n");
        report_cmd_md_feedback(&out, card->strengths, card->nstrengths);
    }
    if (card->nfixes > 0) {
        buf_puts(&out, "\n## What to work on\n\n");
        report_cmd_md_feedback(&out, card->fixes, card->nfixes);
    }
    fwrite(buf_str(&out), 1, out.len, stdout);
    buf_free(&out);
    buf_free(&head);
}

/* --json: the session as kept, built by SQLite from its columns. */
static int report_cmd_json(struct store *st, int64_t id)
{
    sqlite3_stmt *q = store_prepare(
        st, "report",
        "SELECT json_object('id', id, 'persona', persona, 'name', name,"
        "  'started', started, 'seed', seed, 'finished',"
        "  json(CASE finished WHEN 0 THEN 'false' ELSE 'true' END),"
        "  'ended_by', ended_by, 'turns', turns, 'overall', overall,"
        "  'confidence_before', confidence_before,"
        "  'confidence_after', confidence_after,"
        "  'report', json(report), 'session', json(transcript))"
        " FROM sessions WHERE id = ?1");
    int rc;

    if (q == NULL)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        term_json_puts(stdout, (const char *)sqlite3_column_text(q, 0));
        fputc('\n', stdout);
    } else {
        msg_error("report", "%s: %s", store_file(st),
                  sqlite3_errmsg(store_db(st)));
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : -1;
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"markdown", no_argument, NULL, 'm'},
        {"history", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct report_cmd_session s;
    struct report_card card;
    struct store *st;
    int64_t id = 0;
    bool json = false, markdown = false;
    int c, rc, status = STATUS_OK;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'm':
            markdown = true;
            break;
        case 'H':
            store_set_path(optarg);
            break;
        case 'h':
            fputs(report_cmd_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("report", c, argv);
        }
    }
    if (json && markdown)
        return msg_usage("report", "--json or --markdown, not both");
    if (argc - optind > 1)
        return msg_usage("report",
                         "one conversation at a time "
                         "(unexpected '%s')",
                         argv[optind + 1]);
    if (optind < argc && !store_parse_id(argv[optind], &id))
        return msg_usage("report",
                         "ID is a number from 'rapport history', not '%s'",
                         argv[optind]);
    if (!store_exists()) {
        msg_error("report", "no conversations yet: 'rapport chat PERSONA' "
                            "starts one");
        return STATUS_INPUT;
    }
    st = store_open("report", false);
    if (st == NULL)
        return STATUS_INPUT;
    rc = report_cmd_session(st, id, &s);
    if (rc != 0) {
        if (rc > 0 && id > 0)
            msg_error("report",
                      "no conversation %lld in the history "
                      "('rapport history' lists them)",
                      (long long)id);
        else if (rc > 0)
            msg_error("report", "no conversations yet");
        else
            msg_error("report", "%s: %s", store_file(st),
                      sqlite3_errmsg(store_db(st)));
        store_close(st);
        return STATUS_INPUT;
    }
    if (json) {
        if (report_cmd_json(st, s.id) != 0)
            status = STATUS_INPUT;
    } else if (!s.scored) {
        struct buf head = {0};

        report_cmd_head(&head, &s);
        term_puts(stdout, buf_str(&head), 0);
        puts("\nNothing was said to score.");
        buf_free(&head);
    } else if (report_cmd_card(st, s.id, &card) != 0) {
        msg_error("report", "%s: %s", store_file(st),
                  sqlite3_errmsg(store_db(st)));
        status = STATUS_INPUT;
        report_cmd_free_feedback(card.strengths, card.nstrengths);
        report_cmd_free_feedback(card.fixes, card.nfixes);
    } else {
        if (markdown) {
            report_cmd_markdown(&s, &card);
        } else {
            struct buf head = {0};

            report_cmd_head(&head, &s);
            term_puts(stdout, buf_str(&head), 0);
            fputs("\n\n", stdout);
            report_card_print(stdout, &card,
                              term_isatty(stdout) && term_unicode(),
                              term_isatty(stdout), term_width(stdout));
            buf_free(&head);
        }
        report_cmd_free_feedback(card.strengths, card.nstrengths);
        report_cmd_free_feedback(card.fixes, card.nfixes);
    }
    report_cmd_session_free(&s);
    store_close(st);
    return status;
}

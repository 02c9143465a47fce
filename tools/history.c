/*
 * history.c - `rapport history`: the sessions kept, newest first.
 *
 * One line per session: its id (for `rapport report ID`), when it
 * started (local time), the persona, how many turns the learner took, the
 * overall score and whether it finished (an unfinished one was killed
 * before it could end: its turns were saved as they happened).  The
 * sessions come from the history database (store.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tools.h"

static const char history_usage[] =
    "Usage: rapport history [--persona ID] [-n N] [--json] [--history FILE]\n"
    "\n"
    "List the conversations kept in the history, newest first: the id\n"
    "(for 'rapport report ID'), the date, the persona, the turns you took,\n"
    "the overall score out of 100, and whether the conversation finished\n"
    "('unfinished': rapport was killed before it could end it; the turns\n"
    "up to then were kept).\n"
    "\n"
    "Options:\n"
    "  --persona ID    only conversations with this persona\n"
    "  -n, --limit N   at most N conversations (default: all)\n"
    "  --json          one JSON array of objects instead of a table\n"
    "  --history FILE  the history database to read\n"
    "  -h, --help      show this help and exit\n";

/* Append s, a string from the database, as a JSON string. */
static void history_json_string(struct buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            buf_printf(out, "\\%c", ch);
        else if (ch < 0x20)
            buf_printf(out, "\\u%04x", ch);
        else
            buf_putc(out, ch);
    }
    buf_putc(out, '"');
}

int cmd_history(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"persona", required_argument, NULL, 'p'},
        {"limit", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"history", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *persona = NULL;
    long limit = -1;
    bool json = false, any = false;
    struct store *st;
    sqlite3_stmt *q;
    struct buf out = {0};
    int c, rc;
    char *end;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hn:", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            persona = optarg;
            break;
        case 'n':
            limit = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || limit < 1)
                return msg_usage("history",
                                 "--limit takes a whole number from 1, not "
                                 "'%s'",
                                 optarg);
            break;
        case 'j':
            json = true;
            break;
        case 'H':
            store_set_path(optarg);
            break;
        case 'h':
            fputs(history_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("history", c, argv);
        }
    }
    if (optind < argc)
        return msg_usage("history", "unexpected argument '%s'", argv[optind]);
    if (!store_exists()) {
        if (json)
            puts("[]");
        else
            puts("No conversations yet: 'rapport chat PERSONA' starts one.");
        return STATUS_OK;
    }
    st = store_open("history", false);
    if (st == NULL)
        return STATUS_INPUT;
    q = store_prepare(st, "history",
                      "SELECT id, strftime('%Y-%m-%d %H:%M',"
                      "  started, 'localtime'), persona, turns, overall,"
                      "  finished, ended_by, started"
                      " FROM sessions WHERE ?1 IS NULL OR persona = ?1"
                      " ORDER BY started DESC, id DESC LIMIT ?2");
    if (q == NULL) {
        store_close(st);
        return STATUS_INPUT;
    }
    if (persona != NULL)
        sqlite3_bind_text(q, 1, persona, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, limit);
    if (json)
        buf_putc(&out, '[');
    else
        buf_puts(&out, "   ID  DATE              PERSONA               TURNS  "
                       "OVERALL  STATUS\n");
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *date = (const char *)sqlite3_column_text(q, 1);
        const char *who = (const char *)sqlite3_column_text(q, 2);
        const char *how = (const char *)sqlite3_column_text(q, 6);
        bool done = sqlite3_column_int(q, 5) != 0;
        bool scored = sqlite3_column_type(q, 4) != SQLITE_NULL;

        if (json) {
            buf_puts(&out, any ? ",\n {" : "\n {");
            buf_printf(&out, "\"id\": %lld, \"started\": ",
                       (long long)sqlite3_column_int64(q, 0));
            history_json_string(
                &out, OR_EMPTY((const char *)sqlite3_column_text(q, 7)));
            buf_puts(&out, ", \"persona\": ");
            history_json_string(&out, OR_EMPTY(who));
            buf_printf(&out, ", \"turns\": %d, \"overall\": ",
                       sqlite3_column_int(q, 3));
            if (scored)
                buf_printf(&out, "%d", sqlite3_column_int(q, 4));
            else
                buf_puts(&out, "null");
            buf_printf(&out, ", \"finished\": %s, \"ended_by\": ",
                       done ? "true" : "false");
            if (how != NULL)
                history_json_string(&out, how);
            else
                buf_puts(&out, "null");
            buf_putc(&out, '}');
        } else {
            buf_printf(&out, "%5lld  ", (long long)sqlite3_column_int64(q, 0));
            term_pad(&out, OR_EMPTY(date), 18);
            term_pad(&out, OR_EMPTY(who), 22);
            buf_printf(&out, "%5d  ", sqlite3_column_int(q, 3));
            if (scored)
                buf_printf(&out, "%7d  ", sqlite3_column_int(q, 4));
            else
                buf_puts(&out, "      -  ");
            buf_puts(&out, done ? "finished" : "unfinished");
            buf_putc(&out, '\n');
        }
        any = true;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        msg_error("history", "%s: %s", store_file(st),
                  sqlite3_errmsg(store_db(st)));
        buf_free(&out);
        store_close(st);
        return STATUS_INPUT;
    }
    if (json)
        buf_puts(&out, any ? "\n]\n" : "]\n");
    else if (!any && persona != NULL) {
        buf_puts(&out, "(no conversations with ");
        term_sanitise(&out, persona, strlen(persona), 0);
        buf_puts(&out, ")\n");
    } else if (!any)
        buf_puts(&out, "(no conversations)\n");
    fwrite(buf_str(&out), 1, out.len, stdout);
    buf_free(&out);
    store_close(st);
    return STATUS_OK;
}

/*
 * progress.c - `rapport progress`: how the learner is doing across
 * conversations.
 *
 * "Networking skills improve with practice": this command shows it.
 * For the overall score and each of the nine dimensions, one row: a
 * small chart with one cell per conversation (oldest on the left), the
 * latest value and the change over the last five conversations; then the
 * confidence check-ins (before and after each conversation) charted the
 * same way, because the point is confidence as much as skill; then the
 * dimension to practise next (the weakest over the last five), with the
 * better move the latest report card suggested for it.  The data is the
 * history's dimensions table (store.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tools.h"

/* Conversations charted by default, and at most. */
#define PROGRESS_DEFAULT 20
#define PROGRESS_MAX     200

/* The window "the change over the last five" looks at. */
#define PROGRESS_RECENT 5

/* Rows: overall, the dimensions, confidence before and after. */
#define PROGRESS_ROWS (RP_DIM_COUNT + 3)

static const char progress_usage[] =
    "Usage: rapport progress [--persona ID] [-n N] [--history FILE]\n"
    "\n"
    "Show how you are doing across your conversations: for the overall\n"
    "score and each skill, a chart with one cell per conversation (oldest\n"
    "on the left; a blank where the skill did not apply), the latest\n"
    "score and the change over the last five conversations; your\n"
    "confidence before and after each conversation (when you answered the\n"
    "check-in, 1 to 5), charted the same way; and what to practise next.\n"
    "\n"
    "Options:\n"
    "  --persona ID    only conversations with this persona\n"
    "  -n, --last N    chart the last N conversations (default 20)\n"
    "  --history FILE  the history database to read\n"
    "  -h, --help      show this help and exit\n";

/* The conversations charted, oldest first. */
struct progress {
    int64_t *ids;
    int (*values)[PROGRESS_ROWS]; /* -1: n/a; confidence rows 1-5 */
    size_t n;
};

/* The row's label and its scale's top. */
static const char *progress_label(int row)
{
    if (row == 0)
        return "Overall";
    if (row <= RP_DIM_COUNT)
        return rp_dim_label((rp_dim)(row - 1));
    return row == RP_DIM_COUNT + 1 ? "Confidence before" : "Confidence after";
}

static int progress_top(int row)
{
    return row > RP_DIM_COUNT ? 5 : 100;
}

/* Load the last `last` conversations with a report (of persona, when
 * not NULL), oldest first. */
static int progress_load(struct store *st, const char *persona, long last,
                         struct progress *pg)
{
    sqlite3_stmt *q;
    size_t i;
    int rc, r;

    q = store_prepare(st, "progress",
                      "SELECT id, overall, confidence_before,"
                      "  confidence_after FROM (SELECT * FROM sessions"
                      "  WHERE report IS NOT NULL AND turns > 0"
                      "  AND (?1 IS NULL OR persona = ?1)"
                      "  ORDER BY started DESC, id DESC LIMIT ?2)"
                      " ORDER BY started, id");
    if (q == NULL)
        return -1;
    if (persona != NULL)
        sqlite3_bind_text(q, 1, persona, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, last);
    pg->ids = mem_calloc((size_t)last, sizeof *pg->ids);
    pg->values = mem_calloc((size_t)last, sizeof *pg->values);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && pg->n < (size_t)last) {
        int *v = pg->values[pg->n];

        pg->ids[pg->n] = sqlite3_column_int64(q, 0);
        for (r = 0; r < PROGRESS_ROWS; r++)
            v[r] = -1;
        if (sqlite3_column_type(q, 1) != SQLITE_NULL)
            v[0] = sqlite3_column_int(q, 1);
        for (r = 0; r < 2; r++)
            if (sqlite3_column_type(q, 2 + r) != SQLITE_NULL)
                v[RP_DIM_COUNT + 1 + r] = sqlite3_column_int(q, 2 + r);
        pg->n++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return -1;
    q = store_prepare(st, "progress",
                      "SELECT dim, value FROM dimensions WHERE session = ?1");
    if (q == NULL)
        return -1;
    for (i = 0; i < pg->n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, pg->ids[i]);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            const char *dim = (const char *)sqlite3_column_text(q, 0);
            int d = dim != NULL ? rp_dim_find(dim) : -1;

            if (d >= 0)
                pg->values[i][d + 1] = sqlite3_column_int(q, 1);
        }
        if (rc != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE || pg->n == 0 ? 0 : -1;
}

/* Append one cell of the chart for v (0..top; -1 a blank): eight
 * heights of Unicode blocks, or eight ASCII characters. */
static void progress_cell(struct buf *out, int v, int top, bool unicode)
{
    static const char ascii[] = "_.,-=+*#";
    int level;

    if (v < 0) {
        buf_putc(out, ' ');
        return;
    }
    level = top > 0 ? (v * 7 + top / 2) / top : 0;
    if (level > 7)
        level = 7;
    if (level < 0)
        level = 0;
    if (unicode) /* U+2581 LOWER ONE EIGHTH BLOCK and up */
        buf_printf(out, "\xe2\x96%c", (char)(0x81 + level));
    else
        buf_putc(out, ascii[level]);
}

/* The latest value of row (-1: never applied) and the change over the
 * last five conversations: the latest minus the earliest value among
 * them, when at least two of them have one (*has_change). */
static int progress_latest(const struct progress *pg, int row, int *change,
                           bool *has_change)
{
    size_t from = pg->n > PROGRESS_RECENT ? pg->n - PROGRESS_RECENT : 0, i;
    int latest = -1, first = -1, count = 0;

    for (i = from; i < pg->n; i++) {
        int v = pg->values[i][row];

        if (v < 0)
            continue;
        if (first < 0)
            first = v;
        latest = v;
        count++;
    }
    *has_change = count >= 2;
    *change = *has_change ? latest - first : 0;
    /* The latest value may be older than the window. */
    for (i = pg->n; latest < 0 && i > 0; i--)
        latest = pg->values[i - 1][row];
    return latest;
}

/* The dimension to practise next: the lowest mean over the last five
 * conversations where it applied; -1 when none applied. */
static int progress_weakest(const struct progress *pg, double *mean)
{
    size_t from = pg->n > PROGRESS_RECENT ? pg->n - PROGRESS_RECENT : 0, i;
    int d, best = -1;

    for (d = 0; d < RP_DIM_COUNT; d++) {
        double sum = 0;
        int count = 0;

        for (i = from; i < pg->n; i++)
            if (pg->values[i][d + 1] >= 0) {
                sum += pg->values[i][d + 1];
                count++;
            }
        if (count > 0 && (best < 0 || sum / count < *mean)) {
            best = d;
            *mean = sum / count;
        }
    }
    return best;
}

/* The better move the latest report card suggested for dimension d
 * (one of the charted conversations), or NULL; caller frees. */
static char *progress_suggestion(struct store *st, const struct progress *pg,
                                 int d)
{
    sqlite3_stmt *q = store_prepare(
        st, "progress",
        "SELECT coalesce(nullif(json_extract(f.value, '$.suggestion'), ''),"
        "  json_extract(f.value, '$.note'))"
        " FROM sessions AS s, json_each(s.report, '$.fixes') AS f"
        " WHERE s.id = ?1 AND json_valid(s.report)"
        "  AND json_extract(f.value, '$.dimension') = ?2");
    char *found = NULL;
    size_t i;

    if (q == NULL)
        return NULL;
    for (i = pg->n; i > 0 && found == NULL; i--) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, pg->ids[i - 1]);
        sqlite3_bind_text(q, 2, rp_dim_id((rp_dim)d), -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) != NULL)
            found = mem_strdup((const char *)sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
    return found;
}

static void progress_print(struct store *st, const struct progress *pg,
                           const char *persona)
{
    bool unicode = term_isatty(stdout) && term_unicode();
    size_t cols = 0, i, chart = pg->n < 5 ? 5 : pg->n;
    struct buf out = {0};
    double mean = 0;
    int r, weakest;

    for (r = 0; r < PROGRESS_ROWS; r++)
        if (term_strwidth(progress_label(r)) > cols)
            cols = term_strwidth(progress_label(r));
    buf_printf(&out, "Progress over %zu conversation%s", pg->n,
               pg->n == 1 ? "" : "s");
    if (persona != NULL) {
        buf_puts(&out, " with ");
        term_sanitise(&out, persona, strlen(persona), 0);
    }
    buf_puts(&out, ", oldest on the left\n\n  ");
    term_pad(&out, "", cols + 2);
    term_pad(&out, "trend", chart + 2);
    buf_puts(&out, "latest  last 5\n");
    for (r = 0; r < PROGRESS_ROWS; r++) {
        int change, latest, top = progress_top(r);
        bool has_change;

        if (r == RP_DIM_COUNT + 1)
            buf_putc(&out, '\n');
        buf_puts(&out, "  ");
        term_pad(&out, progress_label(r), cols + 2);
        for (i = 0; i < pg->n; i++)
            progress_cell(&out, pg->values[i][r], top, unicode);
        buf_repeat(&out, ' ', chart - pg->n + 2);
        latest = progress_latest(pg, r, &change, &has_change);
        if (latest < 0)
            buf_puts(&out, "   n/a");
        else if (top == 5)
            buf_printf(&out, "   %d/5", latest);
        else
            buf_printf(&out, "%6d", latest);
        if (has_change)
            buf_printf(&out, "  %+6d", change);
        buf_putc(&out, '\n');
    }
    weakest = progress_weakest(pg, &mean);
    if (weakest >= 0) {
        char *try = progress_suggestion(st, pg, weakest);

        buf_printf(&out,
                   "\nPractise next: %s (%.0f on average over the last "
                   "%d conversations).\n",
                   rp_dim_label((rp_dim)weakest), mean,
                   pg->n < PROGRESS_RECENT ? (int)pg->n : PROGRESS_RECENT);
        if (try != NULL) {
            buf_puts(&out, "  Try: ");
            term_wrap(&out, try,
                      term_isatty(stdout) ? term_width(stdout) : 1000000, 7, 7);
            buf_putc(&out, '\n');
        }
        free(try);
    }
    fwrite(buf_str(&out), 1, out.len, stdout);
    buf_free(&out);
}

int cmd_progress(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"persona", required_argument, NULL, 'p'},
        {"last", required_argument, NULL, 'n'},
        {"history", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct progress pg = {0};
    const char *persona = NULL;
    long last = PROGRESS_DEFAULT;
    struct store *st;
    int c, status = STATUS_OK;
    char *end;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hn:", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            persona = optarg;
            break;
        case 'n':
            last = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || last < 1 ||
                last > PROGRESS_MAX)
                return msg_usage("progress",
                                 "--last takes a whole number from 1 to %d, "
                                 "not '%s'",
                                 PROGRESS_MAX, optarg);
            break;
        case 'H':
            store_set_path(optarg);
            break;
        case 'h':
            fputs(progress_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("progress", c, argv);
        }
    }
    if (optind < argc)
        return msg_usage("progress", "unexpected argument '%s'", argv[optind]);
    st = store_exists() ? store_open("progress", false) : NULL;
    if (st == NULL && store_exists())
        return STATUS_INPUT;
    if (st != NULL && progress_load(st, persona, last, &pg) != 0) {
        msg_error("progress", "%s: %s", store_file(st),
                  sqlite3_errmsg(store_db(st)));
        status = STATUS_INPUT;
    } else if (pg.n == 0) {
        puts("No conversations with a report card yet: 'rapport chat "
             "PERSONA' starts one.");
    } else {
        progress_print(st, &pg, persona);
    }
    free(pg.ids);
    free(pg.values);
    store_close(st);
    return status;
}

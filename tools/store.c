/*
 * store.c - the practice history: an SQLite database of past sessions.
 *
 * Every conversation held with `rapport chat` is kept here so that
 * `rapport history`, `rapport report` and `rapport progress` can show the
 * learner how they are doing across sessions.  The database lives at
 * $RAPPORT_HOME/history.db, else $XDG_DATA_HOME/rapport/history.db, else
 * ~/.local/share/rapport/history.db; `--history FILE` names another and
 * `--no-history` keeps nothing.
 *
 * Why here and not in engine/: the engine is a pure pipeline over
 * memory (it never writes a file, and it is fuzzed and embedded on its
 * own); where a learner's history lives, which environment variables
 * say so and when to write are the program's policy.  What is stored is
 * the engine's own account of the session (rp_session_json), and
 * SQLite's JSON functions take it apart into rows, so the schema follows
 * the engine's JSON rather than a second serialiser.
 *
 * Durability: the session is saved after every turn, in one transaction
 * (the transcript, the turns with their scores and evidence, the report
 * card so far), so a conversation killed at any moment leaves its turns
 * as an unfinished session; finishing it only marks it finished.  WAL
 * mode and a busy timeout let two terminals practise at once.  The schema
 * is versioned with PRAGMA user_version and upgraded by the migrations
 * below, each run once, in order, in one transaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tools.h"

/* How long a writer waits for another one, in milliseconds. */
#define STORE_BUSY_MS 10000

/* The migrations: step i brings a database of version i to version
 * i + 1.  Never edit a step that has shipped; add one. */
static const char *const store_migrations[] = {
    /* 0 -> 1: sessions and their turns. */
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  persona TEXT NOT NULL," /* the persona's id */
    "  started TEXT NOT NULL," /* UTC, 'YYYY-MM-DD HH:MM:SS' */
    "  seed TEXT NOT NULL,"    /* decimal: a uint64 */
    "  finished INTEGER NOT NULL DEFAULT 0,"
    "  turns INTEGER NOT NULL DEFAULT 0,"
    "  overall INTEGER," /* 0-100, NULL before the first turn */
    "  report TEXT"      /* the report card as JSON */
    ");"
    "CREATE TABLE turns ("
    "  session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  n INTEGER NOT NULL," /* learner turn, 1-based */
    "  learner TEXT NOT NULL,"
    "  reply TEXT NOT NULL,"
    "  scores TEXT NOT NULL," /* dimensions with evidence, JSON */
    "  PRIMARY KEY (session, n)"
    ");",
    /* 1 -> 2: the whole transcript, how it ended, the confidence
     * check-in, and one row per dimension for `rapport progress`
     * (filled in for the sessions already kept). */
    "ALTER TABLE sessions ADD COLUMN name TEXT;"
    "ALTER TABLE sessions ADD COLUMN ended_by TEXT;"
    "ALTER TABLE sessions ADD COLUMN transcript TEXT;"
    "ALTER TABLE sessions ADD COLUMN confidence_before INTEGER;"
    "ALTER TABLE sessions ADD COLUMN confidence_after INTEGER;"
    "CREATE TABLE dimensions ("
    "  session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  dim TEXT NOT NULL,"
    "  value INTEGER NOT NULL," /* 0-100; absent when n/a */
    "  PRIMARY KEY (session, dim)"
    ");"
    "INSERT INTO dimensions (session, dim, value)"
    "  SELECT s.id, d.key, d.value"
    "  FROM sessions AS s, json_each(s.report, '$.dimensions') AS d"
    "  WHERE json_valid(s.report) AND d.type = 'integer';"
    "CREATE INDEX sessions_started ON sessions (started);",
};

#define STORE_VERSION                                                          \
    ((int)(sizeof store_migrations / sizeof store_migrations[0]))

struct store {
    sqlite3 *db;
    char *path;
};

/* --history FILE and --no-history (not copied: they come from argv). */
static const char *store_path_opt;
static bool store_off;

void store_set_path(const char *path)
{
    store_path_opt = path;
}

void store_disable(void)
{
    store_off = true;
}

bool store_disabled(void)
{
    return store_off;
}

int store_mkdirs(const char *dir)
{
    char *path = mem_strdup(dir), *p;
    int rc = 0;

    for (p = path + 1; *p != '\0' && rc == 0; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (rc == 0 && mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = -1;
    free(path);
    return rc;
}

char *store_dir(void)
{
    const char *home = getenv("RAPPORT_HOME");
    const char *data = getenv("XDG_DATA_HOME");
    struct buf dir = {0};

    if (home != NULL && home[0] != '\0')
        return mem_strdup(home);
    /* The XDG base directory spec ignores relative paths. */
    if (data != NULL && data[0] == '/') {
        buf_puts(&dir, data);
    } else {
        home = getenv("HOME");
        if (home == NULL || home[0] != '/')
            return NULL;
        buf_puts(&dir, home);
        buf_puts(&dir, "/.local/share");
    }
    buf_puts(&dir, "/rapport");
    return buf_detach(&dir);
}

char *store_path(void)
{
    char *dir;
    struct buf path = {0};

    if (store_path_opt != NULL)
        return mem_strdup(store_path_opt);
    dir = store_dir();
    if (dir == NULL)
        return NULL;
    buf_puts(&path, dir);
    buf_puts(&path, "/history.db");
    free(dir);
    return buf_detach(&path);
}

bool store_exists(void)
{
    char *path = store_path();
    bool yes = path != NULL && access(path, F_OK) == 0;

    free(path);
    return yes;
}

/* Run sql (several statements) and report a failure as cmd. */
static int store_exec(struct store *st, const char *cmd, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(st->db, sql, NULL, NULL, &err) == SQLITE_OK)
        return 0;
    msg_error(cmd, "%s: %s", st->path, err != NULL ? err : "unknown error");
    sqlite3_free(err);
    return -1;
}

/* The schema version of the open database, or -1. */
static int store_version(struct store *st)
{
    sqlite3_stmt *q;
    int v = -1;

    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* Bring the schema up to STORE_VERSION.  BEGIN IMMEDIATE takes the
 * write lock first, so two programs opening a new database at once
 * migrate it once; the version is read again under the lock. */
static int store_migrate(struct store *st, const char *cmd)
{
    struct buf sql = {0};
    int v = store_version(st), i;

    if (v == STORE_VERSION)
        return 0;
    if (store_exec(st, cmd, "BEGIN IMMEDIATE") != 0)
        return -1;
    v = store_version(st);
    if (v < 0 || v > STORE_VERSION) {
        msg_error(cmd,
                  "%s: schema version %d is newer than this rapport "
                  "knows (%d); use a newer rapport",
                  st->path, v, STORE_VERSION);
        goto out_rollback;
    }
    for (i = v; i < STORE_VERSION; i++)
        if (store_exec(st, cmd, store_migrations[i]) != 0)
            goto out_rollback;
    buf_printf(&sql, "PRAGMA user_version = %d; COMMIT", STORE_VERSION);
    if (store_exec(st, cmd, buf_str(&sql)) != 0)
        goto out_rollback;
    buf_free(&sql);
    return 0;

out_rollback:
    buf_free(&sql);
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

struct store *store_open(const char *cmd, bool create)
{
    struct store *st;
    char *path = store_path(), *slash;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

    if (path == NULL) {
        msg_error(cmd, "no place for the history: set RAPPORT_HOME or HOME, "
                       "or name a file with --history FILE");
        return NULL;
    }
    if (create) {
        flags |= SQLITE_OPEN_CREATE;
        slash = strrchr(path, '/');
        if (slash != NULL && slash != path) {
            *slash = '\0';
            if (store_mkdirs(path) != 0) {
                msg_error(cmd, "cannot create %s: %s", path, strerror(errno));
                free(path);
                return NULL;
            }
            *slash = '/';
        }
    }
    st = mem_calloc(1, sizeof *st);
    st->path = path;
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        msg_error(cmd, "cannot open %s: %s", path,
                  st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
        goto out_close;
    }
    sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
    if (store_exec(st, cmd,
                   "PRAGMA journal_mode = WAL;"
                   "PRAGMA foreign_keys = ON") != 0 ||
        store_migrate(st, cmd) != 0)
        goto out_close;
    return st;

out_close:
    store_close(st);
    return NULL;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    sqlite3_close(st->db); /* every statement is finalised by now */
    free(st->path);
    free(st);
}

sqlite3 *store_db(struct store *st)
{
    return st->db;
}

const char *store_file(const struct store *st)
{
    return st->path;
}

/* Prepare sql, reporting a failure as cmd. */
sqlite3_stmt *store_prepare(struct store *st, const char *cmd, const char *sql)
{
    sqlite3_stmt *q = NULL;

    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        msg_error(cmd, "%s: %s", st->path, sqlite3_errmsg(st->db));
        return NULL;
    }
    return q;
}

/* Step q, which must not return rows, and finalise it. */
static int store_run(struct store *st, const char *cmd, sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);

    sqlite3_finalize(q);
    if (rc == SQLITE_DONE)
        return 0;
    msg_error(cmd, "%s: %s", st->path, sqlite3_errmsg(st->db));
    return -1;
}

int64_t store_begin(struct store *st, const char *cmd, const rp_session *s,
                    const char *persona_id)
{
    const rp_persona *p = rp_session_persona(s);
    sqlite3_stmt *q;
    char seed[24];

    q = store_prepare(st, cmd,
                      "INSERT INTO sessions (persona, name, started, seed)"
                      " VALUES (?1, ?2, datetime('now'), ?3)");
    if (q == NULL)
        return -1;
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)rp_session_seed(s));
    sqlite3_bind_text(q, 1, persona_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, OR_EMPTY(rp_persona_name(p)), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, seed, -1, SQLITE_TRANSIENT);
    if (store_run(st, cmd, q) != 0)
        return -1;
    return sqlite3_last_insert_rowid(st->db);
}

/* The statements of one save, in order: ?1 is the session's id, ?2 its
 * JSON (rp_session_json).  Turns are rewritten whole, so that a
 * /restart, which starts the numbering again, leaves no stale turn. */
static const char *const store_save_sql[] = {
    "UPDATE sessions SET"
    "  turns = json_array_length(?2, '$.turns'),"
    "  overall = json_extract(?2, '$.report.overall'),"
    "  report = json_extract(?2, '$.report'),"
    "  transcript = ?2"
    " WHERE id = ?1",
    "DELETE FROM turns WHERE session = ?1",
    "INSERT INTO turns (session, n, learner, reply, scores)"
    "  SELECT ?1, json_extract(t.value, '$.turn'),"
    "    json_extract(t.value, '$.user'), json_extract(t.value, '$.persona'),"
    "    json_extract(t.value, '$.dimensions')"
    "  FROM json_each(?2, '$.turns') AS t",
    "DELETE FROM dimensions WHERE session = ?1",
    "INSERT INTO dimensions (session, dim, value)"
    "  SELECT ?1, d.key, d.value"
    "  FROM json_each(?2, '$.report.dimensions') AS d"
    "  WHERE d.type = 'integer'",
};

int store_save(struct store *st, const char *cmd, int64_t id, const char *json)
{
    size_t i;

    if (store_exec(st, cmd, "BEGIN IMMEDIATE") != 0)
        return -1;
    for (i = 0; i < sizeof store_save_sql / sizeof store_save_sql[0]; i++) {
        sqlite3_stmt *q = store_prepare(st, cmd, store_save_sql[i]);

        if (q == NULL)
            goto out_rollback;
        sqlite3_bind_int64(q, 1, id);
        if (sqlite3_bind_parameter_count(q) >= 2)
            sqlite3_bind_text(q, 2, json, -1, SQLITE_STATIC);
        if (store_run(st, cmd, q) != 0)
            goto out_rollback;
    }
    return store_exec(st, cmd, "COMMIT");

out_rollback:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int store_finish(struct store *st, const char *cmd, int64_t id,
                 const char *ended_by)
{
    sqlite3_stmt *q = store_prepare(
        st, cmd,
        "UPDATE sessions SET finished = 1, ended_by = ?2 WHERE id = ?1");

    if (q == NULL)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, ended_by, -1, SQLITE_TRANSIENT);
    return store_run(st, cmd, q);
}

int store_confidence(struct store *st, const char *cmd, int64_t id, bool after,
                     int value)
{
    sqlite3_stmt *q = store_prepare(
        st, cmd,
        after ? "UPDATE sessions SET confidence_after = ?2 WHERE id = ?1"
              : "UPDATE sessions SET confidence_before = ?2 WHERE id = ?1");

    if (q == NULL)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int(q, 2, value);
    return store_run(st, cmd, q);
}

/* Parse a session id: decimal digits, at least 1. */
bool store_parse_id(const char *s, int64_t *id)
{
    long long v;
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1)
        return false;
    *id = v;
    return true;
}

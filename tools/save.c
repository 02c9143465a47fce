/*
 * save.c - keeping a conversation while it happens.
 *
 * A session a learner spent twenty minutes on must never be lost, so
 * `rapport chat` saves it after every turn, not only at the end: the
 * history database (store.c) gets the turns, scores and report card so
 * far in one transaction, and the transcript file (the session as JSON,
 * rp_session_json) is replaced atomically by record_write: a temporary
 * file in the same directory, fsync, rename, so that a crash in the
 * middle of a write leaves the previous version whole.  When the
 * conversation ends, however it ends (/quit, Ctrl-D, the persona's
 * ending, Ctrl-C twice, SIGTERM or SIGHUP, which chat.c turns into an
 * orderly end), it is saved a last time and marked finished; a session
 * killed outright (SIGKILL, a power cut) keeps every turn it had saved,
 * as an unfinished session.
 *
 * The transcript goes to --transcript FILE, or by default to
 * transcripts/session-ID.json beside the history database.  Saving is
 * never a reason to stop a conversation: a failure is reported once on
 * standard error and the conversation goes on.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

void save_open(struct save *sv, const char *transcript)
{
    memset(sv, 0, sizeof *sv);
    if (transcript != NULL)
        sv->transcript = mem_strdup(transcript);
    if (store_disabled())
        return;
    sv->store = store_open("chat", true);
    if (sv->store == NULL)
        msg_error("chat", "this conversation will not be kept in the history");
    sv->default_file = transcript == NULL && sv->store != NULL;
}

/* Name the default transcript file, DIR/transcripts/session-ID.json
 * where DIR holds the history, and create its directory. */
static void save_name_transcript(struct save *sv)
{
    char *copy = mem_strdup(store_file(sv->store));
    struct buf path = {0};

    buf_puts(&path, dirname(copy));
    buf_puts(&path, "/transcripts");
    free(copy);
    if (store_mkdirs(buf_str(&path)) != 0) {
        msg_error("chat", "cannot create %s: no transcript file",
                  buf_str(&path));
        buf_free(&path);
        return;
    }
    buf_printf(&path, "/session-%lld.json", (long long)sv->id);
    sv->transcript = buf_detach(&path);
}

/* A save failed: say so the first time only. */
static void save_failed(struct save *sv)
{
    if (!sv->failed)
        msg_error("chat", "the conversation could not be saved; it goes on, "
                          "and saving is tried again after each turn");
    sv->failed = true;
}

void save_turn(struct save *sv, const rp_session *s)
{
    const char *id = rp_persona_id(rp_session_persona(s));
    char *json;
    int i;

    if (sv->store == NULL && sv->transcript == NULL)
        return;
    if (rp_session_turn_count(s) == 0 && sv->id == 0)
        return; /* nothing said yet: nothing worth a session */
    json = rp_session_json(s);
    if (json == NULL) {
        save_failed(sv);
        return;
    }
    if (sv->store != NULL && sv->id == 0) {
        int64_t new_id = store_begin(sv->store, "chat", s, OR_EMPTY(id));

        if (new_id > 0) {
            sv->id = new_id;
            for (i = 0; i < 2; i++)
                if (sv->confidence[i] > 0)
                    store_confidence(sv->store, "chat", sv->id, i == 1,
                                     sv->confidence[i]);
            if (sv->default_file)
                save_name_transcript(sv);
        }
    }
    if (sv->store != NULL &&
        (sv->id <= 0 || store_save(sv->store, "chat", sv->id, json) != 0))
        save_failed(sv);
    if (sv->transcript != NULL) {
        struct buf text = {0};

        buf_puts(&text, json);
        buf_putc(&text, '\n');
        /* (record_write said why; once is enough.) */
        if (record_write("chat", sv->transcript, &text) != 0) {
            msg_error("chat", "no more attempts to write the transcript");
            free(sv->transcript);
            sv->transcript = NULL;
        }
        buf_free(&text);
    }
    free(json);
}

void save_confidence(struct save *sv, bool after, int value)
{
    sv->confidence[after ? 1 : 0] = value;
    if (sv->store != NULL && sv->id > 0 &&
        store_confidence(sv->store, "chat", sv->id, after, value) != 0)
        save_failed(sv);
}

void save_end(struct save *sv, const rp_session *s, const char *ended_by)
{
    save_turn(sv, s);
    if (sv->store != NULL && sv->id > 0 &&
        store_finish(sv->store, "chat", sv->id, ended_by) != 0)
        save_failed(sv);
}

void save_close(struct save *sv)
{
    store_close(sv->store);
    free(sv->transcript);
    memset(sv, 0, sizeof *sv);
}

/*
 * fuzz_turn.c - libFuzzer harness: arbitrary learner input, several turns.
 *
 * A fixed shipped persona (personas/curious-mentor.yaml, loaded once) and
 * a session seeded from the first input byte; the rest of the input is
 * split at '\n' into learner lines, at most FUZZ_TURNS of them, each one
 * a turn (NUL bytes, invalid UTF-8 and escapes included: the engine
 * takes any bytes).  After the turns: the report card, /hint, the JSON
 * of the session.  Checks: no crash, replies and hints free of control
 * characters, evidence spans inside the line the engine saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/rapport.h"
#include "fuzz.h"

#define FUZZ_TURNS 24

static rp_persona *persona;

static void fuzz_turn_free(void)
{
    rp_persona_free(persona);
}

static const rp_persona *fuzz_turn_persona(void)
{
    char path[4096];
    rp_diags *diags;

    if (persona != NULL)
        return persona;
    snprintf(path, sizeof path, "%s/personas/curious-mentor.yaml",
             fuzz_srcdir());
    diags = rp_diags_new();
    persona = rp_persona_load(path, NULL, diags);
    rp_diags_free(diags);
    if (persona == NULL) {
        fprintf(stderr, "fuzz_turn: cannot load %s (RAPPORT_SRCDIR?)\n", path);
        abort();
    }
    atexit(fuzz_turn_free);
    return persona;
}

/* Every evidence span of sc lies inside the scored line of n bytes. */
static void fuzz_turn_check_score(const rp_score *sc, size_t n)
{
    int d;
    size_t i;

    for (d = 0; d < RP_DIM_COUNT; d++) {
        double v = rp_score_value(sc, (rp_dim)d);

        FUZZ_CHECK(v >= -2.0 && v <= 2.0);
        for (i = 0; i < rp_score_evidence_count(sc, (rp_dim)d); i++) {
            const rp_evidence *e = rp_score_evidence(sc, (rp_dim)d, i);
            FUZZ_CHECK(e->start <= e->end && e->end <= n);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const rp_persona *p = fuzz_turn_persona();
    rp_session *s;
    rp_report *r;
    size_t pos = 1, turns = 0;
    char *str;

    if (size == 0)
        return 0;
    s = rp_session_new(p, data[0]);
    FUZZ_CHECK(s != NULL);
    while (pos <= size && turns < FUZZ_TURNS) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        const rp_turn *t;
        size_t i;

        if (rp_session_turn(s, (const char *)data + pos, len, &t) != 0)
            break;
        turns++;
        FUZZ_CHECK(fuzz_clean_text(rp_turn_reply(t)));
        for (i = 0; i < rp_turn_intent_count(t); i++) {
            const rp_intent_hit *h = rp_turn_intent(t, i);
            FUZZ_CHECK(h->start <= h->end &&
                       h->end <= strlen(rp_turn_input(t)));
        }
        fuzz_turn_check_score(rp_turn_score(t), strlen(rp_turn_input(t)));
        free(rp_turn_coaching(t));
        if (nl == NULL)
            break;
        pos += len + 1;
    }
    r = rp_session_report(s);
    if (r != NULL) {
        int o = rp_report_overall(r);
        FUZZ_CHECK(o >= 0 && o <= 100);
    }
    rp_report_free(r);
    str = rp_session_hint(s);
    if (str != NULL)
        FUZZ_CHECK(fuzz_clean_text(str));
    free(str);
    free(rp_session_json(s));
    rp_session_free(s);
    return 0;
}

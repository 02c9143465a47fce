/*
 * fuzz_score.c - libFuzzer harness: the scorer, as `rapport score` runs it.
 *
 * The session comes from personas/common/score-only.yaml (the persona
 * `rapport score` uses by default), loaded once.  The input's first byte
 * holds the options: bit 0 after_brush_off, bits 1-7 the turn number;
 * then the persona's context line up to the first NUL (none: no
 * context), then the learner's reply, any bytes.  Checks: no crash,
 * scores in [-2, 2], evidence spans inside the scored line, JSON made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/rapport.h"
#include "fuzz.h"

static rp_persona *persona;
static rp_session *session;

static void fuzz_score_free(void)
{
    rp_session_free(session);
    rp_persona_free(persona);
}

static rp_session *fuzz_score_session(void)
{
    char path[4096];
    rp_diags *diags;

    if (session != NULL)
        return session;
    snprintf(path, sizeof path, "%s/personas/common/score-only.yaml",
             fuzz_srcdir());
    diags = rp_diags_new();
    persona = rp_persona_load(path, NULL, diags);
    rp_diags_free(diags);
    if (persona == NULL) {
        fprintf(stderr, "fuzz_score: cannot load %s (RAPPORT_SRCDIR?)\n", path);
        abort();
    }
    session = rp_session_new(persona, 0);
    FUZZ_CHECK(session != NULL);
    atexit(fuzz_score_free);
    return session;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rp_session *s = fuzz_score_session();
    const rp_score *sc;
    char *context = NULL, *json;
    const char *line;
    const uint8_t *nul;
    size_t len, n;
    int d, rc;

    if (size == 0)
        return 0;
    nul = memchr(data + 1, '\0', size - 1);
    if (nul != NULL) {
        context = malloc((size_t)(nul - data));
        if (context == NULL)
            abort();
        memcpy(context, data + 1, (size_t)(nul - data) - 1);
        context[nul - data - 1] = '\0';
        line = (const char *)nul + 1;
        len = size - (size_t)(nul - data) - 1;
    } else {
        line = (const char *)data + 1;
        len = size - 1;
    }
    rc = rp_session_score_line(s, context, 1 + (data[0] >> 1), data[0] & 1,
                               line, len, &sc);
    if (rc == 0) {
        n = strlen(rp_session_scored_input(s));
        for (d = 0; d < RP_DIM_COUNT; d++) {
            size_t i;
            double v = rp_score_value(sc, (rp_dim)d);

            FUZZ_CHECK(v >= -2.0 && v <= 2.0);
            for (i = 0; i < rp_score_evidence_count(sc, (rp_dim)d); i++) {
                const rp_evidence *e = rp_score_evidence(sc, (rp_dim)d, i);
                FUZZ_CHECK(e->start <= e->end && e->end <= n);
            }
        }
        json = rp_score_json(sc, rp_session_scored_input(s));
        FUZZ_CHECK(json != NULL);
        free(json);
    }
    free(context);
    return 0;
}

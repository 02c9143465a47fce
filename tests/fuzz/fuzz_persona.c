/*
 * fuzz_persona.c - libFuzzer harness: bytes as a persona file.
 *
 * The input is loaded with rp_persona_load_string, its includes confined
 * to the shipped personas/ directory (so that "common/intents.yaml"
 * resolves and "../../etc/passwd" must be refused).  Every diagnostic is
 * rendered with the input's first line as its source line; a persona
 * that loads is talked to for a few turns, so the dialogue policy meets
 * whatever rules, meters and conditions the fuzzer builds.  Checks: no
 * crash, no sanitizer report, positions never negative, replies free of
 * control characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/rapport.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const lines[] = {
        "hi, what do you work on?",
        "what got you into that? tell me more",
        "can you get me a job",
        "thanks, bye",
    };
    char root[4096];
    rp_load_options opts = {0};
    rp_diags *diags = rp_diags_new();
    rp_persona *p;
    size_t i;

    snprintf(root, sizeof root, "%s/personas", fuzz_srcdir());
    opts.root = root;
    opts.flags = RP_LOAD_NOJIT; /* the JIT's compile time dominates */
    p = rp_persona_load_string("fuzz.yaml", (const char *)data, size, &opts,
                               diags);
    for (i = 0; i < rp_diags_count(diags); i++) {
        const rp_diag *d = rp_diags_get(diags, i);
        char *r;

        FUZZ_CHECK(d->line >= 0 && d->col >= 0);
        FUZZ_CHECK(d->code != NULL && d->message != NULL);
        r = rp_diag_render(d, "a source line\twith a tab");
        FUZZ_CHECK(r != NULL);
        free(r);
    }
    if (p != NULL) {
        rp_session *s = rp_session_new(p, size);

        FUZZ_CHECK(s != NULL);
        FUZZ_CHECK(fuzz_clean_text(rp_session_opening(s)));
        for (i = 0; i < sizeof lines / sizeof *lines; i++) {
            const rp_turn *t;

            if (rp_session_turn(s, lines[i], strlen(lines[i]), &t) != 0)
                break;
            FUZZ_CHECK(fuzz_clean_text(rp_turn_reply(t)));
        }
        free(rp_session_json(s));
        rp_session_free(s);
    }
    rp_persona_free(p);
    rp_diags_free(diags);
    return 0;
}

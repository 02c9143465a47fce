/*
 * fuzz.h - what the fuzz harnesses in tests/fuzz/ share.
 *
 * Each harness (fuzz_persona.c, fuzz_script.c, fuzz_turn.c,
 * fuzz_score.c) defines LLVMFuzzerTestOneInput.  Linked with clang's
 * -fsanitize=fuzzer it is a libFuzzer binary (`make fuzz`); linked with
 * replay.c, which has a main() that feeds it files, it replays the
 * committed corpus in `make check` with any compiler and no libFuzzer.
 *
 * The harnesses find the shipped personas under RAPPORT_SRCDIR (default:
 * the current directory, the top of the source tree).
 */
#ifndef RAPPORT_FUZZ_H
#define RAPPORT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trap a broken promise of the public header as a crash, so that the
 * fuzzer (or replay) reports it; assert would vanish under NDEBUG. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The top of the source tree, for the shipped personas. */
static inline const char *fuzz_srcdir(void)
{
    const char *d = getenv("RAPPORT_SRCDIR");
    return d != NULL && *d != '\0' ? d : ".";
}

/* Is s free of control characters other than '\n' and '\t' (the
 * promise of rp_turn_reply; the loader lets tabs through)?  ESC, NUL-free by
 * construction, DEL and C1 (U+0080 to U+009F, UTF-8 C2 80..C2 9F) all count as
 * control characters. */
static inline int fuzz_clean_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p != '\0'; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            return 0;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            return 0;
    }
    return 1;
}

#endif

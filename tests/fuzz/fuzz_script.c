/*
 * fuzz_script.c - libFuzzer harness: bytes as a `rapport test` script.
 *
 * The script loader lives in tools/test.c, as static functions of the
 * subcommand (its structures hold PCRE2 programs and are the tool's
 * own business, not the engine's).  Rather than export them or move
 * them into the engine for the fuzzer's sake, this harness compiles
 * tools/test.c into itself (an #include of the .c file, as sqlite's
 * test harnesses do) and links the other tools objects except main.o
 * and test.o.  The input is written to a temporary file, because
 * test_load reads a path, then loaded and freed; the scripts are not
 * run (that is the turn harness's job).  Checks: no crash, no leak,
 * no sanitizer report.
 */
#include "../../tools/test.c"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    struct test_script s;
    FILE *f;

    if (path[0] == '\0')
        snprintf(path, sizeof path, "/tmp/rapport-fuzz-script-%ld.yaml",
                 (long)getpid());
    f = fopen(path, "wb");
    if (f == NULL)
        abort();
    if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    test_load(path, &s);
    FUZZ_CHECK(s.errors != NULL || s.persona != NULL);
    test_script_free(&s);
    unlink(path);
    return 0;
}

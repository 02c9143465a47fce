/*
 * mem.c - allocation for the rapport program.
 *
 * Running out of memory is the one failure the program does not try to
 * recover from: these wrappers print a message and exit with
 * STATUS_INTERNAL, so that every other function can treat an allocation
 * as successful.  They mirror the engine's x* helpers, which tools/ may
 * not use (they live in an internal header).
 */
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* Report that n bytes could not be had, and leave. */
_Noreturn void mem_fail(size_t n)
{
    fprintf(stderr, "rapport: out of memory (allocating %zu bytes)\n", n);
    exit(STATUS_INTERNAL);
}

/* malloc that never returns NULL (a request of 0 bytes gets 1). */
void *mem_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        mem_fail(n);
    return p;
}

/* calloc that never returns NULL, and checks count * size for
 * overflow. */
void *mem_calloc(size_t count, size_t size)
{
    void *p;

    if (count == 0 || size == 0)
        return mem_alloc(1);
    if (count > SIZE_MAX / size)
        mem_fail(SIZE_MAX);
    p = calloc(count, size);
    if (p == NULL)
        mem_fail(count * size);
    return p;
}

/* realloc that never returns NULL. */
void *mem_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        mem_fail(n);
    return q;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

/* A copy of the first n bytes of s (which need not be NUL-terminated
 * within them), NUL-terminated. */
char *mem_strndup(const char *s, size_t n)
{
    char *p;

    if (n == SIZE_MAX)
        mem_fail(n);
    p = mem_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

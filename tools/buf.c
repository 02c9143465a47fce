/*
 * buf.c - a growable byte buffer that mutates in place.
 *
 * The rapport program builds most of its output in a struct buf before
 * writing it: sanitised text, wrapped paragraphs, aligned columns.  The
 * buffer is modelled on cmark's cmark_strbuf: it owns its bytes, stays
 * NUL-terminated, and grows geometrically; nothing is ever "reassigned
 * from the return value".
 */
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* Make room for extra more bytes plus the terminating NUL.  A buffer
 * that has memory is a string, even before anything is added: a first
 * allocation is terminated at once, so that buf_str never returns
 * uninitialised bytes. */
void buf_reserve(struct buf *b, size_t extra)
{
    size_t need, cap;

    if (extra > SIZE_MAX - b->len - 1)
        mem_fail(SIZE_MAX);
    need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->ptr = mem_realloc(b->ptr, cap);
    b->cap = cap;
    b->ptr[b->len] = '\0';
}

void buf_put(struct buf *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    if (n > 0)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_putc(struct buf *b, int c)
{
    char ch = (char)c;

    buf_put(b, &ch, 1);
}

/* Append n copies of the byte c (for padding and indents). */
void buf_repeat(struct buf *b, int c, size_t n)
{
    buf_reserve(b, n);
    memset(b->ptr + b->len, c, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return; /* an encoding error: nothing sensible to add */
    buf_reserve(b, (size_t)n);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *buf_str(const struct buf *b)
{
    return b->ptr ? b->ptr : "";
}

void buf_clear(struct buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

char *buf_detach(struct buf *b)
{
    char *s = b->ptr ? b->ptr : mem_strdup("");

    b->ptr = NULL;
    b->len = b->cap = 0;
    return s;
}

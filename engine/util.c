/*
 * util.c - memory helpers, the growable buffer, hashing, the PRNG and
 * UTF-8 primitives.  See util.h for the contracts.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "rapport: out of memory (%zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void rp_grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            oom(SIZE_MAX);
        ncap *= 2;
    }
    *array = xrealloc(*array, ncap * elem);
    *cap = ncap;
}

void rp_buf_init(rp_buf *b)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

void rp_buf_free(rp_buf *b)
{
    free(b->ptr);
    rp_buf_init(b);
}

void rp_buf_clear(rp_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void rp_buf_reserve(rp_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->len + extra + 1)
            ncap *= 2;
        b->ptr = xrealloc(b->ptr, ncap);
        b->cap = ncap;
    }
}

void rp_buf_put(rp_buf *b, const void *data, size_t n)
{
    rp_buf_reserve(b, n);
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void rp_buf_puts(rp_buf *b, const char *s)
{
    rp_buf_put(b, s, strlen(s));
}

void rp_buf_putc(rp_buf *b, int c)
{
    char ch = (char)c;
    rp_buf_put(b, &ch, 1);
}

void rp_buf_vprintf(rp_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    rp_buf_reserve(b, (size_t)n);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void rp_buf_printf(rp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rp_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void rp_buf_truncate(rp_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->ptr[len] = '\0';
    }
}

char *rp_buf_detach(rp_buf *b)
{
    char *p = b->ptr ? b->ptr : xstrdup("");
    rp_buf_init(b);
    return p;
}

void rp_buf_json_str(rp_buf *b, const char *s, size_t n)
{
    rp_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            rp_buf_puts(b, "\\\"");
            break;
        case '\\':
            rp_buf_puts(b, "\\\\");
            break;
        case '\n':
            rp_buf_puts(b, "\\n");
            break;
        case '\r':
            rp_buf_puts(b, "\\r");
            break;
        case '\t':
            rp_buf_puts(b, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                rp_buf_printf(b, "\\u%04x", c);
            else
                rp_buf_putc(b, c);
        }
    }
    rp_buf_putc(b, '"');
}

uint32_t rp_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

void rp_rng_seed(rp_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t rp_rng_next(rp_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t rp_rng_below(rp_rng *r, uint32_t n)
{
    /* Rejection sampling keeps the distribution exact. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rp_rng_next(r);
    while (x >= limit);
    return (uint32_t)(x % n);
}

size_t rp_utf8_valid_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        if (n >= 2 && (s[1] & 0xc0) == 0x80)
            return 2;
        return 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && s[1] >= 0xa0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
            (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xf4 && s[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

uint32_t rp_utf8_decode(const unsigned char *s, size_t len)
{
    switch (len) {
    case 1:
        return s[0];
    case 2:
        return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    case 3:
        return ((uint32_t)(s[0] & 0x0f) << 12) |
               ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    default:
        return ((uint32_t)(s[0] & 0x07) << 18) |
               ((uint32_t)(s[1] & 0x3f) << 12) |
               ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
    }
}

size_t rp_utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

void *rp_arena_alloc(rp_arena *a, size_t size)
{
    void *m = xcalloc(1, size ? size : 1);
    RP_GROW(a->blocks, a->cap, a->n + 1);
    a->blocks[a->n++] = m;
    return m;
}

char *rp_arena_strndup(rp_arena *a, const char *s, size_t n)
{
    char *m = rp_arena_alloc(a, n + 1);
    memcpy(m, s, n);
    m[n] = '\0';
    return m;
}

void rp_arena_free(rp_arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    a->blocks = NULL;
    a->n = a->cap = 0;
}

/*
 * util.h - memory helpers and a growable byte buffer, shared by every
 * engine module.  Internal: tools/ never includes this header.
 *
 * Out-of-memory is the one condition the library does not report as an
 * error code: xmalloc() and friends print a message and abort, the way
 * cmark and git do, because no caller can do anything useful about it.
 * Everything else (bad input, limits, bad personas) is reported as data.
 */
#ifndef RP_UTIL_H
#define RP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *array (of element size elem) so that it holds at least need
 * elements; *cap is updated.  Growth is geometric. */
void rp_grow(void **array, size_t *cap, size_t need, size_t elem);
#define RP_GROW(arr, cap, need)                                                \
    rp_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* A growable, always NUL-terminated byte buffer that mutates in place
 * (cmark's cmark_strbuf).  The buffer owns ptr; rp_buf_free releases it.
 * A zeroed rp_buf is a valid empty buffer. */
typedef struct rp_buf {
    char *ptr;
    size_t len;
    size_t cap;
} rp_buf;

void rp_buf_init(rp_buf *b);
void rp_buf_free(rp_buf *b);
void rp_buf_clear(rp_buf *b); /* len = 0, keeps the allocation */
void rp_buf_reserve(rp_buf *b, size_t extra);
void rp_buf_put(rp_buf *b, const void *data, size_t n);
void rp_buf_puts(rp_buf *b, const char *s);
void rp_buf_putc(rp_buf *b, int c);
void rp_buf_printf(rp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rp_buf_vprintf(rp_buf *b, const char *fmt, va_list ap);
void rp_buf_truncate(rp_buf *b, size_t len);
/* Hand the bytes to the caller (who frees them) and reset the buffer. */
char *rp_buf_detach(rp_buf *b);

/* Append s as a JSON string literal (with quotes), escaping control
 * characters; invalid UTF-8 must have been replaced before. */
void rp_buf_json_str(rp_buf *b, const char *s, size_t n);

/* FNV-1a, for the engine's small hash tables. */
uint32_t rp_hash(const char *s, size_t n);

/* Deterministic PRNG (splitmix64): the same seed gives the same stream on
 * every platform, which is what makes transcripts reproducible. */
typedef struct rp_rng {
    uint64_t state;
} rp_rng;
void rp_rng_seed(rp_rng *r, uint64_t seed);
uint64_t rp_rng_next(rp_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t rp_rng_below(rp_rng *r, uint32_t n);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes at s
 * (n available) are not a valid, shortest-form sequence. */
size_t rp_utf8_valid_len(const unsigned char *s, size_t n);
/* Decode the valid sequence at s (as checked above). */
uint32_t rp_utf8_decode(const unsigned char *s, size_t len);
/* Encode cp as UTF-8 into out (4 bytes room); returns the length. */
size_t rp_utf8_encode(uint32_t cp, char *out);

/* An arena: every block allocated from it is freed together by
 * rp_arena_free (the arena itself is not freed: it lives in its owner).
 * Blocks are zeroed; a failed allocation aborts, like xmalloc. */
typedef struct rp_arena {
    void **blocks;
    size_t n, cap;
} rp_arena;
void *rp_arena_alloc(rp_arena *a, size_t size);
/* A NUL-terminated copy of s[0..n), owned by the arena. */
char *rp_arena_strndup(rp_arena *a, const char *s, size_t n);
void rp_arena_free(rp_arena *a);

#endif

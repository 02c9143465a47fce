/*
 * term.c - what the rapport program knows about terminals.
 *
 * Three jobs.  Deciding how to write: whether a stream is a terminal,
 * whether it gets colour (only on a terminal, and never when NO_COLOR is
 * set, https://no-color.org), how wide it is.  Making text safe: persona
 * files and learners' lines are untrusted, and an escape sequence copied
 * to a terminal can retitle the window, rewrite the screen or, with
 * bidirectional overrides, make text read differently from what it is;
 * term_sanitise is the one gate all such text passes before output.
 * Laying text out: display widths of UTF-8, padding, truncation and word
 * wrapping with a hanging indent.
 *
 * Nothing here keeps state: every answer comes from the environment and
 * the file descriptor at the time of the call, so a resized terminal or a
 * changed $COLUMNS is seen at once.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "tools.h"

#define TERM_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD, shown for bad bytes */

/* Use the user's locale for character types (readline needs it to edit
 * multibyte text, wcwidth to measure it); when it is not a multibyte
 * locale, use C.UTF-8, since everything rapport handles is UTF-8. */
void term_init(void)
{
    if (setlocale(LC_CTYPE, "") == NULL || MB_CUR_MAX == 1)
        setlocale(LC_CTYPE, "C.UTF-8");
}

bool term_isatty(FILE *f)
{
    return isatty(fileno(f)) == 1;
}

bool term_colour(FILE *f)
{
    const char *no_colour = getenv("NO_COLOR");
    const char *term = getenv("TERM");

    if (no_colour != NULL && no_colour[0] != '\0')
        return false;
    if (term != NULL && strcmp(term, "dumb") == 0)
        return false;
    return term_isatty(f);
}

/* Whether s names a UTF-8 codeset ("en_GB.UTF-8", "C.utf8"). */
static bool term_names_utf8(const char *s)
{
    for (; *s != '\0'; s++)
        if (strncasecmp(s, "utf-8", 5) == 0 || strncasecmp(s, "utf8", 4) == 0)
            return true;
    return false;
}

/* The locale the user asked for is what setlocale(LC_CTYPE, "") picks
 * from LC_ALL, LC_CTYPE and LANG; term_init may have switched the
 * program to C.UTF-8 since (rapport's text is UTF-8 whatever the
 * terminal shows), so that locale is set again just long enough to ask
 * nl_langinfo for its codeset, then the current one restored.  A UTF-8
 * locale the system does not have counts as no UTF-8. */
bool term_unicode(void)
{
    const char *current = setlocale(LC_CTYPE, NULL);
    char *saved = mem_strdup(current != NULL ? current : "C");
    bool utf8 = false;

    if (setlocale(LC_CTYPE, "") != NULL)
        utf8 = term_names_utf8(nl_langinfo(CODESET));
    setlocale(LC_CTYPE, saved);
    free(saved);
    return utf8;
}

int term_width(FILE *f)
{
    const char *columns = getenv("COLUMNS");
    struct winsize ws;
    long width = 0;

    if (columns != NULL && columns[0] != '\0') {
        char *end;

        width = strtol(columns, &end, 10);
        if (*end != '\0' || width <= 0)
            width = 0;
    }
    if (width == 0 && term_isatty(f) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0)
        width = ws.ws_col;
    if (width == 0)
        width = 80;
    if (width < 20)
        width = 20;
    if (width > 1000)
        width = 1000;
    return (int)width;
}

const char *term_sgr(FILE *f, enum term_style s)
{
    if (!term_colour(f))
        return "";
    switch (s) {
    case TERM_RESET:
        return "\033[0m";
    case TERM_BOLD:
    case TERM_HEADING:
        return "\033[1m";
    case TERM_DIM:
        return "\033[2m";
    case TERM_PERSONA:
        return "\033[1;36m";
    case TERM_LEARNER:
        return "\033[1;32m";
    case TERM_ERROR:
        return "\033[1;31m";
    case TERM_GOOD:
        return "\033[32m";
    case TERM_BAD:
        return "\033[31m";
    }
    return "";
}

/* UTF-8 is checked strictly: stray continuation bytes, overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences are all
 * invalid. */
size_t term_utf8(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    size_t len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        len = 2;
        *cp = c & 0x1f;
    } else if (c < 0xf0) {
        len = 3;
        *cp = c & 0x0f;
    } else if (c < 0xf5) {
        len = 4;
        *cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && *cp < 0x800) || (len == 4 && *cp < 0x10000) ||
        (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff)
        return 0;
    return len;
}

/* Besides the C0 controls and DEL, C1 controls (U+009B is a CSI on many
 * terminals) and the bidirectional embeddings, overrides and isolates
 * that reorder text (the "Trojan Source" characters) are unsafe. */
bool term_is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void term_sanitise(struct buf *out, const char *s, size_t n, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    buf_reserve(out, n);
    while (i < n) {
        size_t run = i, len;
        uint32_t cp;

        /* Printable ASCII, the common case, is copied in runs. */
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f)
            run++;
        if (run > i) {
            buf_put(out, s + i, run - i);
            i = run;
            continue;
        }
        len = term_utf8((const char *)p + i, n - i, &cp);
        if (len == 0) {
            buf_puts(out, TERM_REPLACEMENT);
            i++;
            continue;
        }
        if (cp == '\n')
            buf_putc(out, (flags & TERM_KEEP_NEWLINES) ? '\n' : ' ');
        else if (cp == '\t')
            buf_putc(out, ' ');
        else if (cp < 0x20) {
            buf_putc(out, '^');
            buf_putc(out, (int)cp + '@');
        } else if (cp == 0x7f)
            buf_puts(out, "^?");
        else if (term_is_control(cp))
            buf_puts(out, TERM_REPLACEMENT);
        else
            buf_put(out, s + i, len);
        i += len;
    }
}

void term_puts(FILE *f, const char *s, unsigned flags)
{
    struct buf clean = {0};

    term_sanitise(&clean, s, strlen(s), flags);
    fwrite(buf_str(&clean), 1, clean.len, f);
    buf_free(&clean);
}

void term_sanitise_bytes(char *s, size_t n)
{
    unsigned char *p = (unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        size_t len = term_utf8((const char *)p + i, n - i, &cp);

        if (len == 0) {
            p[i++] = '?';
        } else if (term_is_control(cp)) {
            memset(p + i, '?', len);
            i += len;
        } else {
            i += len;
        }
    }
}

/* Columns taken by the code point cp on a terminal: 0 for combining
 * marks, 2 for wide characters, 1 when the C library does not know. */
static size_t term_cpwidth(uint32_t cp)
{
    int w = wcwidth((wchar_t)cp);

    return w < 0 ? 1 : (size_t)w;
}

/* Width of n bytes of sanitised text. */
static size_t term_width_of(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, cols = 0;

    while (i < n) {
        uint32_t cp;
        size_t len = term_utf8((const char *)p + i, n - i, &cp);

        if (len == 0) {
            len = 1;
            cp = '?';
        }
        cols += term_cpwidth(cp);
        i += len;
    }
    return cols;
}

size_t term_strwidth(const char *s)
{
    struct buf clean = {0};
    size_t cols;

    term_sanitise(&clean, s, strlen(s), 0);
    cols = term_width_of(buf_str(&clean), clean.len);
    buf_free(&clean);
    return cols;
}

void term_pad(struct buf *out, const char *s, size_t cols)
{
    size_t start = out->len, w;

    term_sanitise(out, s, strlen(s), 0);
    w = term_width_of(buf_str(out) + start, out->len - start);
    if (w < cols)
        buf_repeat(out, ' ', cols - w);
}

void term_truncate(struct buf *out, const char *s, size_t cols)
{
    struct buf clean = {0};
    const char *ellipsis = term_unicode() ? "\xe2\x80\xa6" : "...";
    size_t ell_cols = term_unicode() ? 1 : 3;
    const unsigned char *p;
    size_t i = 0, used = 0;

    term_sanitise(&clean, s, strlen(s), 0);
    if (term_width_of(buf_str(&clean), clean.len) <= cols) {
        buf_put(out, buf_str(&clean), clean.len);
        goto out_free_clean;
    }
    if (cols < ell_cols)
        goto out_free_clean;
    p = (const unsigned char *)buf_str(&clean);
    while (i < clean.len) {
        uint32_t cp;
        size_t len = term_utf8((const char *)p + i, clean.len - i, &cp), w;

        if (len == 0) {
            len = 1;
            cp = '?';
        }
        w = term_cpwidth(cp);
        if (used + w > cols - ell_cols)
            break;
        buf_put(out, (const char *)p + i, len);
        used += w;
        i += len;
    }
    buf_puts(out, ellipsis);
out_free_clean:
    buf_free(&clean);
}

/* State of one term_wrap call. */
struct term_wrapper {
    struct buf *out;
    size_t width;  /* columns per line */
    size_t indent; /* of continuation lines */
    size_t col;    /* where the next character goes */
    bool fresh;    /* a new line whose indent is not written yet */
    bool words;    /* a word is on the current line */
};

static void term_wrap_newline(struct term_wrapper *w)
{
    buf_putc(w->out, '\n');
    w->col = 0;
    w->fresh = true;
    w->words = false;
}

/* Write the indent of a new line just before its first word, so that
 * blank lines carry no trailing spaces. */
static void term_wrap_start(struct term_wrapper *w)
{
    if (w->fresh) {
        buf_repeat(w->out, ' ', w->indent);
        w->col = w->indent;
        w->fresh = false;
    }
}

/* Place one word (n bytes of sanitised text, no spaces or newlines). */
static void term_wrap_word(struct term_wrapper *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cols = term_width_of(s, n), i = 0;

    /* A word that does not fit goes to the next line, unless it is the
     * first after the caller's prefix and would not fit there either. */
    if (w->col + (w->words ? 1 : 0) + cols > w->width &&
        (w->words || (w->col > w->indent && cols <= w->width - w->indent)))
        term_wrap_newline(w);
    term_wrap_start(w);
    if (w->words) {
        buf_putc(w->out, ' ');
        w->col++;
    }
    w->words = true;
    if (w->col + cols <= w->width) {
        buf_put(w->out, s, n);
        w->col += cols;
        return;
    }
    /* Longer than a line (a URL, a run of letters): break it anywhere.
     * Every character fits on a fresh line, since width - indent >= 10
     * and no character is wider than 2 columns. */
    while (i < n) {
        uint32_t cp;
        size_t len = term_utf8((const char *)p + i, n - i, &cp), cw;

        if (len == 0) {
            len = 1;
            cp = '?';
        }
        cw = term_cpwidth(cp);
        if (w->col + cw > w->width && w->col > w->indent) {
            term_wrap_newline(w);
            term_wrap_start(w);
        }
        buf_put(w->out, s + i, len);
        w->col += cw;
        i += len;
    }
}

void term_wrap(struct buf *out, const char *text, int width, int col,
               int indent)
{
    struct term_wrapper w;
    struct buf clean = {0};
    const char *s;
    size_t n, i = 0;

    term_sanitise(&clean, text, strlen(text), TERM_KEEP_NEWLINES);
    s = buf_str(&clean);
    n = clean.len;
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        n--;

    w.out = out;
    w.width = width < 20 ? 20 : (size_t)width;
    w.indent = indent < 0 ? 0 : (size_t)indent;
    if (w.indent > w.width / 3)
        w.indent = w.width / 3;
    w.col = col < 0 ? 0 : (size_t)col;
    w.fresh = false;
    w.words = false;

    while (i < n) {
        size_t start = i;

        if (s[i] == '\n') {
            term_wrap_newline(&w);
            i++;
            continue;
        }
        if (s[i] == ' ') {
            i++;
            continue;
        }
        while (i < n && s[i] != ' ' && s[i] != '\n')
            i++;
        term_wrap_word(&w, s + start, i - start);
    }
    buf_free(&clean);
}

void term_json_puts(FILE *f, const char *json)
{
    struct buf out = {0};
    size_t n = strlen(json), i = 0;

    buf_reserve(&out, n);
    while (i < n) {
        uint32_t cp;
        size_t len = term_utf8(json + i, n - i, &cp);

        if (len == 0) {
            buf_puts(&out, "\\ufffd");
            i++;
            continue;
        }
        if (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r')
            buf_putc(&out, '?');
        else if (cp == 0x7f || (cp >= 0x80 && term_is_control(cp)) ||
                 cp == 0x2028 || cp == 0x2029)
            buf_printf(&out, "\\u%04x", (unsigned)cp);
        else
            buf_put(&out, json + i, len);
        i += len;
    }
    fwrite(buf_str(&out), 1, out.len, f);
    buf_free(&out);
}

/*
 * diag.c - printing the engine's diagnostics with their source lines.
 *
 * The engine collects every problem in a persona as an rp_diag and
 * renders one as "file:line:col: level: message [code]" with a caret
 * under the column, given the source line (jq's locfile, mandoc's
 * messages).  The engine does no I/O for tools, so the source line is
 * read here: each file a diagnostic names is read once, its line starts
 * indexed, and the line handed to rp_diag_render with anything unsafe
 * for a terminal replaced byte for byte by '?', which keeps the caret
 * (it counts bytes) where it belongs.
 */
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* Files larger than this are read only this far: a persona file cannot
 * be larger than the engine's limit anyway, so the rest has no lines a
 * diagnostic could point at. */
#define DIAG_MAX_READ (16u << 20)

/* Source lines longer than this are not shown (the message still is):
 * a caret under column 90,000 helps nobody. */
#define DIAG_MAX_LINE 1024

/* One file read for its source lines. */
struct diag_source {
    char *path;
    char *text; /* NULL when the file could not be read */
    size_t len;
    size_t *starts; /* byte offset of each line */
    size_t nlines;
};

struct diag_cache {
    struct diag_source *v;
    size_t n;
};

/* Read path (at most DIAG_MAX_READ bytes) into src and index its lines.
 * A file that cannot be read leaves src->text NULL. */
static void diag_source_read(struct diag_source *src, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct buf text = {0};
    char chunk[8192];
    size_t got, i, cap = 0;

    src->path = mem_strdup(path);
    src->text = NULL;
    src->len = 0;
    src->starts = NULL;
    src->nlines = 0;
    if (f == NULL)
        return;
    while (text.len < DIAG_MAX_READ &&
           (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_put(&text, chunk, got);
    fclose(f);
    src->len = text.len;
    src->text = buf_detach(&text);
    for (i = 0; i <= src->len; i++) {
        if (i == 0 || src->text[i - 1] == '\n') {
            if (i == src->len && i > 0)
                break; /* no line after the final newline */
            if (src->nlines == cap) {
                cap = cap ? cap * 2 : 256;
                src->starts =
                    mem_realloc(src->starts, cap * sizeof src->starts[0]);
            }
            src->starts[src->nlines++] = i;
        }
    }
}

/* The source file named path, read on first use. */
static struct diag_source *diag_cache_get(struct diag_cache *c,
                                          const char *path)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (strcmp(c->v[i].path, path) == 0)
            return &c->v[i];
    c->v = mem_realloc(c->v, (c->n + 1) * sizeof c->v[0]);
    diag_source_read(&c->v[c->n], path);
    return &c->v[c->n++];
}

static void diag_cache_free(struct diag_cache *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->v[i].path);
        free(c->v[i].text);
        free(c->v[i].starts);
    }
    free(c->v);
}

/* A copy of line number line (1-based) of src, without its line end and
 * made safe byte for byte; NULL when there is no such line or it is too
 * long to be worth showing. */
static char *diag_source_line(const struct diag_source *src, int line)
{
    size_t start, end;
    char *copy;

    if (src->text == NULL || line < 1 || (size_t)line > src->nlines)
        return NULL;
    start = src->starts[line - 1];
    end = start;
    while (end < src->len && src->text[end] != '\n')
        end++;
    if (end > start && src->text[end - 1] == '\r')
        end--;
    if (end - start > DIAG_MAX_LINE)
        return NULL;
    copy = mem_strndup(src->text + start, end - start);
    term_sanitise_bytes(copy, end - start);
    return copy;
}

/* How many diagnostics of one code have been printed, for the limit. */
struct diag_tally {
    const char *code;
    size_t shown, hidden;
};

void diag_print(FILE *f, const rp_diags *d)
{
    diag_print_limited(f, d, 0);
}

void diag_print_limited(FILE *f, const rp_diags *d, size_t per_code)
{
    struct diag_cache cache = {0};
    struct diag_tally *tally = NULL;
    size_t i, t, ntally = 0, n = rp_diags_count(d);

    for (i = 0; i < n; i++) {
        const rp_diag *dg = rp_diags_get(d, i);
        char *line = NULL, *text;
        size_t len;

        if (per_code > 0) {
            const char *code = dg->code ? dg->code : "";
            for (t = 0; t < ntally && strcmp(tally[t].code, code) != 0; t++)
                ;
            if (t == ntally) {
                tally = mem_realloc(tally, (ntally + 1) * sizeof *tally);
                tally[ntally++] = (struct diag_tally){code, 0, 0};
            }
            if (tally[t].shown >= per_code) {
                tally[t].hidden++;
                continue;
            }
            tally[t].shown++;
        }

        if (dg->file != NULL && dg->line > 0)
            line = diag_source_line(diag_cache_get(&cache, dg->file), dg->line);
        text = rp_diag_render(dg, line);
        if (text != NULL) {
            term_puts(f, text, TERM_KEEP_NEWLINES);
            len = strlen(text);
            if (len == 0 || text[len - 1] != '\n')
                fputc('\n', f);
        }
        free(text);
        free(line);
    }
    for (t = 0; t < ntally; t++)
        if (tally[t].hidden > 0)
            fprintf(f, "note: %zu more [%s] not shown (--all shows them)\n",
                    tally[t].hidden, tally[t].code);
    free(tally);
    diag_cache_free(&cache);
}

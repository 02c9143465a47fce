/*
 * persona.c - loading a persona: YAML files to an immutable rp_persona.
 *
 * The loader is the gate every persona file passes, and persona files are
 * untrusted (they get shared and downloaded), so it checks everything and
 * reports every problem it finds as a positioned diagnostic, collecting
 * them all rather than stopping at the first.  It works in passes:
 *
 *   1. read the persona file and its includes (ydoc.c bounds each file),
 *      refusing includes that leave the root directory or form a cycle;
 *   2. declare names: sets, variables, meters, endings, stages, intents
 *      and rule ids, so that later references can be checked in any order;
 *   3. build: compile patterns (pattern.c), parse templates, conditions and
 *      actions, recording references to rules, stages and endings;
 *   4. resolve those references and order each stage's candidate rules.
 *
 * Everything the persona owns is allocated from its arena, so
 * rp_persona_free is a walk over one list.
 */
#include "persona.h"

#include <errno.h>
#include <fcntl.h>
#include <libstemmer.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyword.h"
#include "index.h"
#include "text.h"
#include "util.h"
#include "ydoc.h"

static const rp_limits limits = {
    .max_file_size = 4u << 20,
    .max_depth = 64,
    .max_aliases = 64,
    .max_includes = 32,
    .max_rules = 20000,
    .max_input = RP_TEXT_MAX_INPUT,
    .match_limit = 100000,
    .depth_limit = 5000,
    .heap_limit_kb = 20 * 1024,
};

const rp_limits *rp_limits_get(void)
{
    return &limits;
}

/* ------------------------------------------------------------------ */
/* Loader state                                                        */
/* ------------------------------------------------------------------ */

typedef struct lfile {
    const char *name; /* as shown in diagnostics (persona-owned) */
    char *real;       /* realpath, for cycle and escape checks */
    ydoc *doc;
    bool main;
} lfile;

typedef enum ref_kind {
    REF_STAGE,
    REF_ENDING,
    REF_RULE,
} ref_kind;

/* A name to resolve once every declaration is known. */
typedef struct pending {
    ref_kind kind;
    const char *name;
    rp_pos pos;
    int *slot;
} pending;

typedef struct loader {
    rp_persona *p;
    rp_diags *diags;
    char *root_real; /* NULL: includes refused */
    lfile *files;
    size_t nfiles, capfiles;
    char **stack; /* include chain, for cycles */
    size_t nstack, capstack;
    size_t nincludes;
    pending *pend;
    size_t npend, cappend;
    int errors;
    const char *cur_file; /* file of the node being walked */
    rp_buf tmp;
} loader;

/* ------------------------------------------------------------------ */
/* Arena                                                               */
/* ------------------------------------------------------------------ */

static void *palloc(rp_persona *p, size_t size)
{
    return rp_arena_alloc(&p->arena, size);
}

static const char *pstrndup(rp_persona *p, const char *s, size_t n)
{
    return rp_arena_strndup(&p->arena, s, n);
}

static const char *pstrdup(rp_persona *p, const char *s)
{
    return pstrndup(p, s, strlen(s));
}

#define PARRAY(p, type, n) ((type *)palloc((p), sizeof(type) * (n)))

/* ------------------------------------------------------------------ */
/* Name indices                                                        */
/* ------------------------------------------------------------------ */

static void nameidx_free(rp_nameidx *t)
{
    free(t->names);
    free(t->idx);
}

/* The slot holding name[0..len), or the empty slot where it belongs
 * (t->cap > 0). */
static size_t nameidx_slot(const rp_nameidx *t, const char *name, size_t len)
{
    size_t mask = t->cap - 1;
    size_t i = rp_hash(name, len) & mask;
    while (t->names[i] != NULL &&
           !(strncmp(t->names[i], name, len) == 0 && t->names[i][len] == '\0'))
        i = (i + 1) & mask;
    return i;
}

/* The index stored for name[0..len), or -1. */
static int nameidx_find(const rp_nameidx *t, const char *name, size_t len)
{
    if (t->cap == 0)
        return -1;
    size_t i = nameidx_slot(t, name, len);
    return t->names[i] != NULL ? t->idx[i] : -1;
}

/* Store name -> idx; name (not there yet) must outlive t. */
static void nameidx_add(rp_nameidx *t, const char *name, int idx)
{
    if (2 * (t->n + 1) >= t->cap) {
        rp_nameidx old = *t;
        t->cap = old.cap ? old.cap * 2 : 16;
        t->names = xcalloc(t->cap, sizeof *t->names);
        t->idx = xcalloc(t->cap, sizeof *t->idx);
        for (size_t i = 0; i < old.cap; i++)
            if (old.names[i] != NULL) {
                size_t j = nameidx_slot(t, old.names[i], strlen(old.names[i]));
                t->names[j] = old.names[i];
                t->idx[j] = old.idx[i];
            }
        nameidx_free(&old);
    }
    size_t i = nameidx_slot(t, name, strlen(name));
    t->names[i] = name;
    t->idx[i] = idx;
    t->n++;
}

void rp_persona_free(rp_persona *p)
{
    if (!p)
        return;
    rp_index_free(p->index);
    for (size_t i = 0; i < p->npatterns; i++)
        rp_pattern_free(p->patterns[i]);
    free(p->patterns);
    rp_kw_free(p->keywords);
    rp_arena_free(&p->arena);
    free(p->files);
    nameidx_free(&p->intent_idx);
    nameidx_free(&p->stage_idx);
    nameidx_free(&p->meter_idx);
    nameidx_free(&p->var_idx);
    nameidx_free(&p->rule_idx);
    nameidx_free(&p->set_idx);
    free(p);
}

/* ------------------------------------------------------------------ */
/* Diagnostics helpers                                                 */
/* ------------------------------------------------------------------ */

static rp_pos pos_of(loader *L, const ynode *n)
{
    rp_pos pos = {L->cur_file, n ? n->line : 0, n ? n->col : 0};
    return pos;
}

static void diag_at(loader *L, const char *file, int line, int col,
                    rp_level level, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void diag_at(loader *L, const char *file, int line, int col,
                    rp_level level, const char *code, const char *fmt, ...)
{
    rp_buf_clear(&L->tmp);
    va_list ap;
    va_start(ap, fmt);
    rp_buf_vprintf(&L->tmp, fmt, ap);
    va_end(ap);
    if (L->diags)
        rp_diags_add(L->diags, file, line, col, level, code, "%s", L->tmp.ptr);
    if (level == RP_LEVEL_ERROR)
        L->errors++;
}

#define ERR(L, node, code, ...)                                                \
    diag_at((L), (L)->cur_file, (node) ? (node)->line : 0,                     \
            (node) ? (node)->col : 0, RP_LEVEL_ERROR, (code), __VA_ARGS__)
#define WARN(L, node, code, ...)                                               \
    diag_at((L), (L)->cur_file, (node) ? (node)->line : 0,                     \
            (node) ? (node)->col : 0, RP_LEVEL_WARNING, (code), __VA_ARGS__)

/* " (did you mean 'x'?)" or "", in a buffer the caller provides. */
static const char *suggest(char *buf, size_t size, const char *name,
                           const char *const *cands, size_t n)
{
    const char *c = rp_closest(name, cands, n);
    if (c)
        snprintf(buf, size, "; did you mean '%s'?", c);
    else
        buf[0] = '\0';
    return buf;
}

/* ------------------------------------------------------------------ */
/* Typed access to nodes                                               */
/* ------------------------------------------------------------------ */

static const char *type_name(const ynode *n)
{
    switch (n->type) {
    case YNODE_MAP:
        return "a mapping";
    case YNODE_SEQ:
        return "a list";
    default:
        return "text";
    }
}

static bool want(loader *L, const ynode *n, ynode_type t, const char *what)
{
    if (n && n->type == t)
        return true;
    static const char *names[] = {"text", "a list", "a mapping"};
    ERR(L, n, "wrong-type", "%s must be %s, not %s", what, names[t],
        n ? type_name(n) : "nothing");
    return false;
}

static int key_cmp(const void *a, const void *b)
{
    const ynode *x = *(const ynode *const *)a, *y = *(const ynode *const *)b;
    int c = strcmp(x->str, y->str);
    if (c == 0)
        c = x->line != y->line ? (x->line < y->line ? -1 : 1)
                               : (x->col < y->col ? -1 : x->col > y->col);
    return c;
}

/* Report keys written twice in a mapping whose keys are names (intents,
 * stages, meters, ...): YAML forbids it, and without this the later
 * definition would silently win or merge.  Sorts a copy of the keys, so
 * a mapping of n names costs n log n, not n^2. */
static void check_unique(loader *L, const ynode *map, const char *what)
{
    size_t n = 0;
    const ynode **keys = xmalloc((map->n / 2 + 1) * sizeof *keys);
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (map->items[i]->type == YNODE_SCALAR)
            keys[n++] = map->items[i];
    qsort(keys, n, sizeof *keys, key_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i]->str, keys[i - 1]->str) == 0)
            ERR(L, keys[i], "duplicate-key",
                "'%s' appears twice in %s (first at line %d)", keys[i]->str,
                what, keys[i - 1]->line);
    free(keys);
}

/* Check that map has only allowed keys (and no key twice). */
static void check_keys(loader *L, const ynode *map, const char *what,
                       const char *const *allowed, size_t nallowed)
{
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const ynode *k = map->items[i];
        if (k->type != YNODE_SCALAR) {
            ERR(L, k, "wrong-type", "keys of %s must be text", what);
            continue;
        }
        for (size_t j = 0; j < i; j += 2)
            if (map->items[j]->type == YNODE_SCALAR &&
                strcmp(map->items[j]->str, k->str) == 0) {
                ERR(L, k, "duplicate-key",
                    "key '%s' appears twice in %s (first at line %d)", k->str,
                    what, map->items[j]->line);
                break;
            }
        bool ok = false;
        for (size_t j = 0; j < nallowed && !ok; j++)
            ok = strcmp(k->str, allowed[j]) == 0;
        if (!ok) {
            char hint[96];
            ERR(L, k, "unknown-key", "unknown key '%s' in %s%s", k->str, what,
                suggest(hint, sizeof hint, k->str, allowed, nallowed));
        }
    }
}
#define CHECK_KEYS(L, map, what, arr)                                          \
    check_keys((L), (map), (what), (arr), sizeof(arr) / sizeof(*(arr)))

/* Text shown to the learner may not carry control characters (ANSI
 * escapes could take over the terminal).  Newlines and tabs are fine. */
static bool check_text(loader *L, const ynode *n)
{
    for (size_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->str[i];
        bool bad = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
        if (!bad && c == 0xc2 && i + 1 < n->len) {
            unsigned char d = (unsigned char)n->str[i + 1];
            bad = d >= 0x80 && d <= 0x9f; /* C1 controls */
        }
        if (bad) {
            ERR(L, n, "control-char",
                "control character 0x%02x in text shown to the learner "
                "(at byte %zu of the value)",
                c == 0xc2 ? (unsigned char)n->str[i + 1] : c, i);
            return false;
        }
    }
    return true;
}

/* A scalar as persona-owned text; NULL (with a diagnostic) otherwise. */
static const char *get_text(loader *L, const ynode *n, const char *what,
                            bool shown)
{
    if (!want(L, n, YNODE_SCALAR, what))
        return NULL;
    if (shown && !check_text(L, n))
        return NULL;
    /* A folded or literal block ends in a newline; text does not. */
    size_t len = n->len;
    while (len > 0 && (n->str[len - 1] == '\n' || n->str[len - 1] == ' '))
        len--;
    return pstrndup(L->p, n->str, len);
}

static bool parse_number(const char *s, double *out)
{
    while (*s == ' ')
        s++;
    if (!*s)
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (*end || errno || !isfinite(d))
        return false;
    *out = d;
    return true;
}

static bool get_number(loader *L, const ynode *n, const char *what, double *out)
{
    if (!want(L, n, YNODE_SCALAR, what))
        return false;
    if (!n->plain || !parse_number(n->str, out)) {
        ERR(L, n, "wrong-type", "%s must be a number, not '%s'", what, n->str);
        return false;
    }
    return true;
}

static bool get_int(loader *L, const ynode *n, const char *what, int lo, int hi,
                    int *out)
{
    double d;
    if (!get_number(L, n, what, &d))
        return false;
    if (d != floor(d) || d < lo || d > hi) {
        ERR(L, n, "bad-value", "%s must be a whole number from %d to %d", what,
            lo, hi);
        return false;
    }
    *out = (int)d;
    return true;
}

static bool scalar_bool(const ynode *n, bool *out)
{
    if (n->type != YNODE_SCALAR || !n->plain)
        return false;
    if (!strcmp(n->str, "true") || !strcmp(n->str, "True") ||
        !strcmp(n->str, "TRUE")) {
        *out = true;
        return true;
    }
    if (!strcmp(n->str, "false") || !strcmp(n->str, "False") ||
        !strcmp(n->str, "FALSE")) {
        *out = false;
        return true;
    }
    return false;
}

static bool get_bool(loader *L, const ynode *n, const char *what, bool *out)
{
    if (!want(L, n, YNODE_SCALAR, what))
        return false;
    if (!scalar_bool(n, out)) {
        ERR(L, n, "wrong-type", "%s must be true or false, not '%s'", what,
            n->str);
        return false;
    }
    return true;
}

/* A value from YAML: a plain true/false is a bool, a plain number a
 * number, anything else text. */
static rp_value node_value(loader *L, const ynode *n)
{
    rp_value v = {RP_VAL_STR, false, 0, ""};
    double d;
    if (scalar_bool(n, &v.b)) {
        v.kind = RP_VAL_BOOL;
    } else if (n->plain && parse_number(n->str, &d)) {
        v.kind = RP_VAL_NUM;
        v.num = d;
    } else {
        v.str = pstrndup(L->p, n->str, n->len);
    }
    return v;
}

/* Items of a "text or list of text" node: the count, and in *out the item
 * nodes (for a single scalar, one[0], which the caller provides). */
static size_t list_items(loader *L, const ynode *n, const char *what,
                         const ynode ***out, const ynode **one)
{
    if (!n || ynode_is_null(n)) {
        *out = NULL;
        return 0;
    }
    if (n->type == YNODE_SCALAR) {
        one[0] = n;
        *out = (const ynode **)one;
        return 1;
    }
    if (!want(L, n, YNODE_SEQ, what)) {
        *out = NULL;
        return 0;
    }
    *out = (const ynode **)n->items;
    return n->n;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static bool valid_id(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static bool check_id(loader *L, const ynode *n, const char *what)
{
    if (n->type == YNODE_SCALAR && valid_id(n->str))
        return true;
    if (n->type == YNODE_SCALAR)
        ERR(L, n, "bad-id",
            "%s '%s' may only use letters, digits, '-', '_' and '.'", what,
            n->str);
    else
        ERR(L, n, "wrong-type", "%s must be text", what);
    return false;
}

int rp_persona_find_intent(const rp_persona *p, const char *id)
{
    return nameidx_find(&p->intent_idx, id, strlen(id));
}

int rp_persona_find_stage(const rp_persona *p, const char *name)
{
    return nameidx_find(&p->stage_idx, name, strlen(name));
}

int rp_persona_find_meter(const rp_persona *p, const char *name)
{
    return nameidx_find(&p->meter_idx, name, strlen(name));
}

int rp_persona_find_var(const rp_persona *p, const char *name)
{
    return nameidx_find(&p->var_idx, name, strlen(name));
}

bool rp_rule_in_stage(const rp_rule *r, int s)
{
    if (r->stage >= 0)
        return r->stage == s;
    for (size_t i = 0; i < r->nconds; i++)
        if (r->conds[i].kind == RP_COND_STAGE) {
            for (size_t j = 0; j < r->conds[i].nids; j++)
                if (r->conds[i].ids[j] == s)
                    return true;
            return false;
        }
    return true;
}

int rp_persona_find_rule(const rp_persona *p, const char *id)
{
    return nameidx_find(&p->rule_idx, id, strlen(id));
}

static int find_set(const rp_persona *p, const char *name, size_t len)
{
    return nameidx_find(&p->set_idx, name, len);
}

/* Report an undefined name with a suggestion drawn from names[]. */
static void undefined(loader *L, const char *file, int line, int col,
                      const char *code, const char *what, const char *name,
                      const char *const *names, size_t n)
{
    char hint[96];
    diag_at(L, file, line, col, RP_LEVEL_ERROR, code, "undefined %s '%s'%s",
            what, name, suggest(hint, sizeof hint, name, names, n));
}

/* The name field of each of n structs (stride bytes apart, the name at
 * offset off), for suggestions.  The caller frees the array. */
static const char **names_of(const void *arr, size_t n, size_t stride,
                             size_t off)
{
    const char **names = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        memcpy(&names[i], (const char *)arr + i * stride + off, sizeof(char *));
    return names;
}
#define NAMES(arr, n, field)                                                   \
    names_of((arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), field))

/* ------------------------------------------------------------------ */
/* Reading files                                                       */
/* ------------------------------------------------------------------ */

/* Check bytes before YAML sees them: NUL and invalid UTF-8 are reported
 * with a position (libyaml's own message would only give a byte offset). */
static bool check_bytes(loader *L, const char *file, const char *data,
                        size_t len)
{
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)data[i];
        if (c == 0) {
            diag_at(L, file, line, col, RP_LEVEL_ERROR, "nul-byte",
                    "NUL byte in a persona file");
            return false;
        }
        size_t n = rp_utf8_valid_len((const unsigned char *)data + i, len - i);
        if (n == 0) {
            diag_at(L, file, line, col, RP_LEVEL_ERROR, "bad-utf8",
                    "invalid UTF-8 byte 0x%02x", c);
            return false;
        }
        if (c == '\n') {
            line++;
            col = 1;
        } else {
            col += (int)n;
        }
        i += n;
    }
    return true;
}

static char *read_file(loader *L, const char *name, const char *path,
                       size_t *len, const ynode *from)
{
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer
     * (forever); it is refused below as not a regular file. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    const char *ffile = from ? L->cur_file : name;
    int fline = from ? from->line : 0, fcol = from ? from->col : 0;
    if (!f) {
        if (fd >= 0)
            close(fd);
        diag_at(L, ffile, fline, fcol, RP_LEVEL_ERROR,
                from ? "include-missing" : "io-error", "cannot open %s: %s",
                path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        fclose(f);
        /* name: the path as the author wrote it, not the resolved one,
         * so the message reads the same in any checkout. */
        diag_at(L, ffile, fline, fcol, RP_LEVEL_ERROR, "io-error",
                "%s is not a regular file", name);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap > limits.max_file_size)
                break;
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        diag_at(L, ffile, fline, fcol, RP_LEVEL_ERROR, "io-error",
                "cannot read %s", path);
        return NULL;
    }
    if (n > limits.max_file_size) {
        free(buf);
        diag_at(L, name, 0, 0, RP_LEVEL_ERROR, "file-too-large",
                "file is larger than %zu bytes", limits.max_file_size);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static lfile *add_file(loader *L, const char *name, const char *real,
                       const char *data, size_t len, bool main)
{
    if (!check_bytes(L, name, data, len))
        return NULL;
    ydoc *doc = ydoc_parse(name, data, len, L->diags);
    if (!doc) {
        L->errors++;
        return NULL;
    }
    RP_GROW(L->files, L->capfiles, L->nfiles + 1);
    lfile *f = &L->files[L->nfiles++];
    f->name = pstrdup(L->p, name);
    f->real = real ? xstrdup(real) : NULL;
    f->doc = doc;
    f->main = main;
    return f;
}

static void load_includes(loader *L, lfile *f);

/* Directory part of a path ("." when none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* Handle one include entry of file f (whose display name is f->name). */
static void include_one(loader *L, lfile *f, const ynode *n)
{
    if (!want(L, n, YNODE_SCALAR, "an include"))
        return;
    const char *rel = n->str;
    if (!L->root_real) {
        ERR(L, n, "include-escape",
            "includes are not allowed here (no persona directory)");
        return;
    }
    if (rel[0] == '/' || strstr(rel, "..") == rel || strstr(rel, "/../") ||
        (strlen(rel) >= 3 && strcmp(rel + strlen(rel) - 3, "/..") == 0) ||
        strcmp(rel, "..") == 0) {
        ERR(L, n, "include-escape",
            "include '%s' leaves the persona directory (absolute paths and "
            "'..' are not allowed)",
            rel);
        return;
    }
    if (++L->nincludes > limits.max_includes) {
        ERR(L, n, "include-limit", "more than %zu included files",
            limits.max_includes);
        return;
    }
    /* Relative to the including file; a persona loaded from a string
     * has no file, so its includes are relative to the root. */
    char *dir = f->real ? dir_of(f->real) : xstrdup(L->root_real);
    rp_buf path;
    rp_buf_init(&path);
    rp_buf_printf(&path, "%s/%s", dir, rel);
    free(dir);
    char *real = realpath(path.ptr, NULL);
    if (!real) {
        ERR(L, n, "include-missing", "cannot include '%s': %s", rel,
            strerror(errno));
        rp_buf_free(&path);
        return;
    }
    size_t rl = strlen(L->root_real);
    if (strncmp(real, L->root_real, rl) != 0 ||
        (real[rl] != '/' && real[rl] != '\0')) {
        ERR(L, n, "include-escape",
            "include '%s' resolves outside the persona directory %s", rel,
            L->root_real);
        free(real);
        rp_buf_free(&path);
        return;
    }
    for (size_t i = 0; i < L->nstack; i++)
        if (strcmp(L->stack[i], real) == 0) {
            ERR(L, n, "include-cycle", "include '%s' forms a cycle", rel);
            free(real);
            rp_buf_free(&path);
            return;
        }
    for (size_t i = 0; i < L->nfiles; i++)
        if (L->files[i].real && strcmp(L->files[i].real, real) == 0) {
            /* Already loaded through another include: once is enough. */
            free(real);
            rp_buf_free(&path);
            return;
        }
    /* Show the include as a path relative to where the persona was named
     * from: dir-of-including-file/rel. */
    char *shown_dir = dir_of(f->name);
    rp_buf shown;
    rp_buf_init(&shown);
    if (strcmp(shown_dir, ".") == 0)
        rp_buf_puts(&shown, rel);
    else
        rp_buf_printf(&shown, "%s/%s", shown_dir, rel);
    free(shown_dir);
    size_t len = 0;
    char *data = read_file(L, shown.ptr, real, &len, n);
    if (data) {
        lfile *inc = add_file(L, shown.ptr, real, data, len, false);
        free(data);
        if (inc) {
            RP_GROW(L->stack, L->capstack, L->nstack + 1);
            L->stack[L->nstack++] = real;
            load_includes(L, &L->files[L->nfiles - 1]);
            L->nstack--;
        }
    }
    free(real);
    rp_buf_free(&shown);
    rp_buf_free(&path);
}

static void load_includes(loader *L, lfile *f)
{
    ynode *root = ydoc_root(f->doc);
    if (!root || root->type != YNODE_MAP)
        return;
    ynode *inc = ynode_get(root, "include");
    if (!inc)
        return;
    const char *saved = L->cur_file;
    L->cur_file = f->name;
    /* Index of f may move as files are added: keep its name, not f. */
    lfile copy = *f;
    const ynode **items, *one[1];
    size_t n = list_items(L, inc, "include", &items, one);
    /* Copy the item pointers: list_items may return a static array. */
    const ynode **own = xcalloc(n + 1, sizeof(*own));
    for (size_t i = 0; i < n; i++)
        own[i] = items[i];
    for (size_t i = 0; i < n; i++) {
        L->cur_file = copy.name;
        include_one(L, &copy, own[i]);
    }
    free(own);
    L->cur_file = saved;
}

/* ------------------------------------------------------------------ */
/* Patterns and templates                                              */
/* ------------------------------------------------------------------ */

static bool set_lookup(void *ctx, const char *name, size_t len,
                       const char *const **entries, size_t *count)
{
    const rp_persona *p = ctx;
    int i = find_set(p, name, len);
    if (i < 0)
        return false;
    *entries = p->sets[i].entries;
    *count = p->sets[i].n;
    return true;
}

/* Column of byte offset off inside a scalar node's value: exact for
 * plain and single-line quoted scalars, which is where patterns live. */
static int value_col(const ynode *n, size_t off)
{
    if (n->block)
        return n->col;
    return n->col + (n->plain ? 0 : 1) + (int)off;
}

/* Compile a pattern node (a string, or a {regex: ...} mapping). */
static bool compile_pat(loader *L, const ynode *n, bool raw, rp_pat *out)
{
    static const char *const keys[] = {"regex"};
    if (n->type == YNODE_MAP) {
        CHECK_KEYS(L, n, "a pattern", keys);
        ynode *r = ynode_get(n, "regex");
        if (!r) {
            ERR(L, n, "missing-key", "a pattern mapping needs 'regex'");
            return false;
        }
        n = r;
        raw = true;
    }
    if (!want(L, n, YNODE_SCALAR, "a pattern"))
        return false;
    rp_pattern_error err;
    /* JIT later, where it pays (rp_index_build). */
    unsigned flags = RP_PAT_NOJIT | (raw ? RP_PAT_RAW : 0);
    if (!(L->p->norm_flags & RP_NORM_CONTRACTIONS))
        flags |= RP_PAT_NOCONTRACTIONS;
    if (!(L->p->norm_flags & RP_NORM_CHAT))
        flags |= RP_PAT_NOCHAT;
    rp_pattern *pat =
        rp_pattern_compile(n->str, n->len, flags, set_lookup, L->p, &err);
    if (!pat) {
        diag_at(L, L->cur_file, n->line, value_col(n, err.offset),
                RP_LEVEL_ERROR, raw ? "bad-regex" : "bad-pattern", "%s%s",
                raw ? "regex: " : "pattern: ", err.message);
        return false;
    }
    RP_GROW(L->p->patterns, L->p->cappatterns, L->p->npatterns + 1);
    L->p->patterns[L->p->npatterns++] = pat;
    out->pat = pat;
    out->pos = pos_of(L, n);
    return true;
}

/* Compile a list of patterns (text or list) into a persona-owned array. */
static size_t compile_pats(loader *L, const ynode *n, bool raw,
                           const char *what, rp_pat **out, size_t extra)
{
    const ynode **items, *one[1];
    size_t cnt = 0;
    if (n && n->type == YNODE_MAP) {
        one[0] = n;
        items = (const ynode **)one;
        cnt = 1;
    } else {
        cnt = list_items(L, n, what, &items, one);
    }
    rp_pat *arr = PARRAY(L->p, rp_pat, cnt + extra);
    size_t k = 0;
    for (size_t i = 0; i < cnt; i++)
        if (compile_pat(L, items[i], raw, &arr[k]))
            k++;
    *out = arr;
    return k;
}

/* Parse a reply template into segments. */
static bool parse_template(loader *L, const ynode *n, rp_template *t)
{
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_SCALAR, "a reply") || !check_text(L, n))
        return false;
    const char *s = n->str;
    size_t len = n->len;
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
        len--; /* the newline a block scalar ends with */
    rp_seg segs[256];
    size_t nseg = 0;
    rp_buf lit;
    rp_buf_init(&lit);
    bool ok = true;
    t->max_cap = 0;
    for (size_t i = 0; i < len && ok;) {
        if (s[i] == '\\' && i + 1 < len &&
            (s[i + 1] == '{' || s[i + 1] == '}')) {
            rp_buf_putc(&lit, s[i + 1]);
            i += 2;
            continue;
        }
        if (s[i] != '{') {
            rp_buf_putc(&lit, s[i++]);
            continue;
        }
        const char *close = memchr(s + i, '}', len - i);
        if (!close) {
            diag_at(L, L->cur_file, n->line, value_col(n, i), RP_LEVEL_ERROR,
                    "bad-template",
                    "'{' without a closing '}' (write \\{ for "
                    "a brace)");
            ok = false;
            break;
        }
        if (nseg + 2 >= sizeof segs / sizeof *segs) {
            ERR(L, n, "bad-template", "too many insertions in one reply");
            ok = false;
            break;
        }
        if (lit.len) {
            segs[nseg].kind = RP_SEG_TEXT;
            segs[nseg].text = pstrndup(p, lit.ptr, lit.len);
            segs[nseg].len = lit.len;
            nseg++;
            rp_buf_clear(&lit);
        }
        const char *in = s + i + 1;
        size_t inlen = (size_t)(close - in);
        rp_seg seg = {RP_SEG_TEXT, NULL, 0, 0};
        if (inlen == 1 && in[0] >= '1' && in[0] <= '9') {
            seg.kind = RP_SEG_CAP;
            seg.index = in[0] - '0';
        } else if (inlen == 5 && strncmp(in, "raw:", 4) == 0 && in[4] >= '1' &&
                   in[4] <= '9') {
            seg.kind = RP_SEG_RAWCAP;
            seg.index = in[4] - '0';
        } else if (inlen > 1 && in[0] == '$') {
            char name[128];
            size_t nl =
                inlen - 1 < sizeof name - 1 ? inlen - 1 : sizeof name - 1;
            memcpy(name, in + 1, nl);
            name[nl] = '\0';
            seg.kind = RP_SEG_VAR;
            seg.index = rp_persona_find_var(p, name);
            if (seg.index < 0) {
                const char **names = NAMES(p->vars, p->nvars, name);
                undefined(L, L->cur_file, n->line, value_col(n, i + 1),
                          "undefined-var", "variable", name, names, p->nvars);
                free(names);
                ok = false;
            }
        } else {
            diag_at(L, L->cur_file, n->line, value_col(n, i), RP_LEVEL_ERROR,
                    "bad-template",
                    "unknown insertion '{%.*s}': use {1}..{9}, {raw:1} or "
                    "{$variable} (write \\{ for a brace)",
                    (int)(inlen > 40 ? 40 : inlen), in);
            ok = false;
        }
        if (seg.kind == RP_SEG_CAP || seg.kind == RP_SEG_RAWCAP)
            if (seg.index > t->max_cap)
                t->max_cap = seg.index;
        segs[nseg++] = seg;
        i = (size_t)(close - s) + 1;
    }
    if (ok && lit.len) {
        segs[nseg].kind = RP_SEG_TEXT;
        segs[nseg].text = pstrndup(p, lit.ptr, lit.len);
        segs[nseg].len = lit.len;
        nseg++;
    }
    rp_buf_free(&lit);
    if (!ok)
        return false;
    t->segs = PARRAY(p, rp_seg, nseg);
    memcpy(t->segs, segs, nseg * sizeof(rp_seg));
    t->nsegs = nseg;
    t->source = pstrndup(p, n->str, n->len);
    t->pos = pos_of(L, n);
    return true;
}

static rp_select parse_select(loader *L, const ynode *n, rp_select dflt)
{
    if (!n)
        return dflt;
    if (!want(L, n, YNODE_SCALAR, "select"))
        return dflt;
    if (!strcmp(n->str, "shuffle"))
        return RP_SELECT_SHUFFLE;
    if (!strcmp(n->str, "cycle"))
        return RP_SELECT_CYCLE;
    if (!strcmp(n->str, "first"))
        return RP_SELECT_FIRST;
    static const char *const opts[] = {"shuffle", "cycle", "first"};
    char hint[96];
    ERR(L, n, "bad-value", "select must be shuffle, cycle or first, not '%s'%s",
        n->str, suggest(hint, sizeof hint, n->str, opts, 3));
    return dflt;
}

/* A list of reply templates (text or list). */
static void parse_replies(loader *L, const ynode *n, const char *what,
                          rp_replies *r)
{
    const ynode **items, *one[1];
    size_t cnt = list_items(L, n, what, &items, one);
    if (cnt > RP_MAX_VARIANTS) {
        ERR(L, n, "variant-limit", "%s has %zu variants; the limit is %d", what,
            cnt, RP_MAX_VARIANTS);
        cnt = RP_MAX_VARIANTS;
    }
    r->v = PARRAY(L->p, rp_template, cnt);
    r->n = 0;
    for (size_t i = 0; i < cnt; i++)
        if (parse_template(L, items[i], &r->v[r->n]))
            r->n++;
}

/* ------------------------------------------------------------------ */
/* Conditions and actions                                              */
/* ------------------------------------------------------------------ */

static void add_pending(loader *L, ref_kind kind, const ynode *n, int *slot)
{
    RP_GROW(L->pend, L->cappend, L->npend + 1);
    pending *x = &L->pend[L->npend++];
    x->kind = kind;
    x->name = pstrndup(L->p, n->str, n->len);
    x->pos = pos_of(L, n);
    x->slot = slot;
    *slot = -1;
}

/* Parse a comparison ("> 3", "2..5", "== x" or a plain value). */
static bool parse_cmp(loader *L, const ynode *n, bool numeric, rp_cmp *c)
{
    if (!want(L, n, YNODE_SCALAR, "a comparison"))
        return false;
    c->text = pstrndup(L->p, n->str, n->len);
    const char *s = n->str;
    while (*s == ' ')
        s++;
    static const struct {
        const char *op;
        rp_cmp_op code;
    } ops[] = {{">=", RP_CMP_GE}, {"<=", RP_CMP_LE}, {"==", RP_CMP_EQ},
               {"!=", RP_CMP_NE}, {">", RP_CMP_GT},  {"<", RP_CMP_LT}};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        size_t ol = strlen(ops[i].op);
        if (strncmp(s, ops[i].op, ol) == 0) {
            c->op = ops[i].code;
            const char *rest = s + ol;
            double d;
            if (parse_number(rest, &d)) {
                c->val.kind = RP_VAL_NUM;
                c->val.num = d;
                return true;
            }
            if (numeric || (c->op != RP_CMP_EQ && c->op != RP_CMP_NE)) {
                ERR(L, n, "bad-condition", "'%s' needs a number after %s",
                    n->str, ops[i].op);
                return false;
            }
            while (*rest == ' ')
                rest++;
            if (!strcmp(rest, "true") || !strcmp(rest, "false")) {
                c->val.kind = RP_VAL_BOOL;
                c->val.b = rest[0] == 't';
            } else {
                c->val.kind = RP_VAL_STR;
                c->val.str = pstrdup(L->p, rest);
            }
            return true;
        }
    }
    const char *dots = strstr(s, "..");
    if (dots) {
        char lo[64];
        size_t ll = (size_t)(dots - s);
        double a, b;
        if (ll < sizeof lo) {
            memcpy(lo, s, ll);
            lo[ll] = '\0';
            if (parse_number(lo, &a) && parse_number(dots + 2, &b)) {
                if (a > b) {
                    ERR(L, n, "bad-condition", "range '%s' is empty", n->str);
                    return false;
                }
                c->op = RP_CMP_RANGE;
                c->val.kind = RP_VAL_NUM;
                c->val.num = a;
                c->hi = b;
                return true;
            }
        }
        ERR(L, n, "bad-condition", "range '%s' must be written LOW..HIGH",
            n->str);
        return false;
    }
    c->op = RP_CMP_EQ;
    c->val = node_value(L, n);
    if (numeric && c->val.kind != RP_VAL_NUM) {
        ERR(L, n, "bad-condition",
            "'%s' is not a comparison: write '> 3', '<= 2', '2..5' or a "
            "number",
            n->str);
        return false;
    }
    return true;
}

/* Names of intents, as a list node, to indices. */
static size_t parse_intent_refs(loader *L, const ynode *n, const char *what,
                                int **out)
{
    const ynode **items, *one[1];
    size_t cnt = list_items(L, n, what, &items, one);
    int *arr = PARRAY(L->p, int, cnt ? cnt : 1);
    size_t k = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (!want(L, items[i], YNODE_SCALAR, what))
            continue;
        int idx = rp_persona_find_intent(L->p, items[i]->str);
        if (idx < 0) {
            const char **names = NAMES(L->p->intents, L->p->nintents, id);
            undefined(L, L->cur_file, items[i]->line, items[i]->col,
                      "undefined-intent", "intent", items[i]->str, names,
                      L->p->nintents);
            free(names);
            continue;
        }
        arr[k++] = idx;
    }
    *out = arr;
    return k;
}

static size_t count_pairs(const ynode *n)
{
    return n && n->type == YNODE_MAP ? n->n / 2 : 0;
}

/* Parse an 'if' mapping.  Rules may test turn, words, question, meters,
 * vars, after and stage; rubric cues (cue = true) test turn, words,
 * question and the scoring context: rapport, brush_off, closing,
 * rhetorical, asking and question_words. */
static void parse_conds(loader *L, const ynode *n, bool cue, rp_cond **out,
                        size_t *nout)
{
    static const char *const keys[] = {"turn",  "meters",   "vars", "after",
                                       "stage", "question", "words"};
    static const char *const cue_keys[] = {
        "turn",    "words",      "question", "rapport",       "brush_off",
        "closing", "rhetorical", "asking",   "question_words"};
    *out = NULL;
    *nout = 0;
    if (!want(L, n, YNODE_MAP, "if"))
        return;
    if (cue)
        CHECK_KEYS(L, n, "a cue's if", cue_keys);
    else
        CHECK_KEYS(L, n, "if", keys);
    /* One condition per key, plus one per entry of a mapping value
     * (meters, vars), counted over every pair: a cue may use all nine of
     * its keys, and a repeated key (reported above) is still walked. */
    size_t cap = 1;
    for (size_t i = 0; i + 1 < n->n; i += 2)
        cap += 1 + count_pairs(n->items[i + 1]);
    rp_cond *conds = PARRAY(L->p, rp_cond, cap);
    size_t k = 0;
    rp_persona *p = L->p;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *key = n->items[i], *val = n->items[i + 1];
        if (key->type != YNODE_SCALAR)
            continue;
        rp_cond *c = &conds[k];
        memset(c, 0, sizeof *c);
        c->pos = pos_of(L, key);
        if (!strcmp(key->str, "turn") || !strcmp(key->str, "words") ||
            (cue && !strcmp(key->str, "question_words"))) {
            c->kind = key->str[0] == 't'   ? RP_COND_TURN
                      : key->str[0] == 'w' ? RP_COND_WORDS
                                           : RP_COND_QWORDS;
            if (parse_cmp(L, val, true, &c->cmp))
                k++;
        } else if (!strcmp(key->str, "question") ||
                   !strcmp(key->str, "rapport") ||
                   !strcmp(key->str, "brush_off") ||
                   !strcmp(key->str, "closing") ||
                   !strcmp(key->str, "rhetorical") ||
                   !strcmp(key->str, "asking")) {
            const char *kname = key->str;
            c->kind = kname[0] == 'q'   ? RP_COND_QUESTION
                      : kname[0] == 'b' ? RP_COND_BRUSH_OFF
                      : kname[0] == 'c' ? RP_COND_CLOSING
                      : kname[0] == 'a' ? RP_COND_ASKING
                      : kname[1] == 'a' ? RP_COND_RAPPORT
                                        : RP_COND_RHETORICAL;
            if (cue || c->kind == RP_COND_QUESTION)
                if (get_bool(L, val, kname, &c->flag))
                    k++;
        } else if (cue) {
            continue; /* reported by CHECK_KEYS */
        } else if (!strcmp(key->str, "meters") || !strcmp(key->str, "vars")) {
            bool meters = key->str[0] == 'm';
            if (!want(L, val, YNODE_MAP, key->str))
                continue;
            for (size_t j = 0; j + 1 < val->n; j += 2) {
                const ynode *mk = val->items[j];
                if (mk->type != YNODE_SCALAR)
                    continue;
                rp_cond *mc = &conds[k];
                memset(mc, 0, sizeof *mc);
                mc->pos = pos_of(L, mk);
                mc->kind = meters ? RP_COND_METER : RP_COND_VAR;
                mc->index = meters ? rp_persona_find_meter(p, mk->str)
                                   : rp_persona_find_var(p, mk->str);
                if (mc->index < 0) {
                    const char **names =
                        meters ? NAMES(p->meters, p->nmeters, name)
                               : NAMES(p->vars, p->nvars, name);
                    undefined(L, L->cur_file, mk->line, mk->col,
                              meters ? "undefined-meter" : "undefined-var",
                              meters ? "meter" : "variable", mk->str, names,
                              meters ? p->nmeters : p->nvars);
                    free(names);
                    continue;
                }
                if (parse_cmp(L, val->items[j + 1], meters, &mc->cmp))
                    k++;
            }
        } else if (!strcmp(key->str, "after") || !strcmp(key->str, "stage")) {
            bool after = key->str[0] == 'a';
            c->kind = after ? RP_COND_AFTER : RP_COND_STAGE;
            const ynode **items, *one[1];
            size_t cnt = list_items(L, val, key->str, &items, one);
            c->ids = PARRAY(p, int, cnt ? cnt : 1);
            c->nids = 0;
            for (size_t j = 0; j < cnt; j++) {
                if (!want(L, items[j], YNODE_SCALAR, key->str))
                    continue;
                add_pending(L, after ? REF_RULE : REF_STAGE, items[j],
                            &c->ids[c->nids++]);
            }
            k++;
        }
    }
    *out = conds;
    *nout = k;
}

static void parse_action(loader *L, const ynode *n, rp_action *a)
{
    static const char *const keys[] = {"meters", "set", "goto", "end", "ask"};
    rp_persona *p = L->p;
    a->goto_stage = -1;
    a->end = -1;
    if (!n)
        return;
    if (!want(L, n, YNODE_MAP, "do"))
        return;
    CHECK_KEYS(L, n, "do", keys);
    const ynode *m = ynode_get(n, "meters");
    if (m && want(L, m, YNODE_MAP, "do: meters")) {
        a->meters = PARRAY(p, rp_meter_delta, m->n / 2 + 1);
        for (size_t j = 0; j + 1 < m->n; j += 2) {
            const ynode *mk = m->items[j];
            int idx = mk->type == YNODE_SCALAR
                          ? rp_persona_find_meter(p, mk->str)
                          : -1;
            if (idx < 0) {
                const char **names = NAMES(p->meters, p->nmeters, name);
                undefined(L, L->cur_file, mk->line, mk->col, "undefined-meter",
                          "meter", mk->type == YNODE_SCALAR ? mk->str : "?",
                          names, p->nmeters);
                free(names);
                continue;
            }
            double d;
            if (get_number(L, m->items[j + 1], "a meter change", &d)) {
                a->meters[a->nmeters].meter = idx;
                a->meters[a->nmeters].delta = d;
                a->nmeters++;
            }
        }
    }
    const ynode *s = ynode_get(n, "set");
    if (s && want(L, s, YNODE_MAP, "do: set")) {
        a->sets = PARRAY(p, rp_var_set, s->n / 2 + 1);
        for (size_t j = 0; j + 1 < s->n; j += 2) {
            const ynode *vk = s->items[j];
            int idx =
                vk->type == YNODE_SCALAR ? rp_persona_find_var(p, vk->str) : -1;
            if (idx < 0) {
                const char **names = NAMES(p->vars, p->nvars, name);
                undefined(L, L->cur_file, vk->line, vk->col, "undefined-var",
                          "variable", vk->type == YNODE_SCALAR ? vk->str : "?",
                          names, p->nvars);
                free(names);
                continue;
            }
            if (!want(L, s->items[j + 1], YNODE_SCALAR, "a variable value"))
                continue;
            a->sets[a->nsets].var = idx;
            a->sets[a->nsets].val = node_value(L, s->items[j + 1]);
            a->nsets++;
        }
    }
    const ynode *g = ynode_get(n, "goto");
    if (g && want(L, g, YNODE_SCALAR, "goto"))
        add_pending(L, REF_STAGE, g, &a->goto_stage);
    const ynode *e = ynode_get(n, "end");
    if (e && want(L, e, YNODE_SCALAR, "end"))
        add_pending(L, REF_ENDING, e, &a->end);
    const ynode *ask = ynode_get(n, "ask");
    if (ask)
        get_bool(L, ask, "ask", &a->ask);
}

static void parse_examples(loader *L, const ynode *n, const char *what,
                           rp_example **out, size_t *nout)
{
    const ynode **items, *one[1];
    size_t cnt = list_items(L, n, what, &items, one);
    rp_example *arr = PARRAY(L->p, rp_example, cnt ? cnt : 1);
    size_t k = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (!want(L, items[i], YNODE_SCALAR, what))
            continue;
        arr[k].text = pstrndup(L->p, items[i]->str, items[i]->len);
        arr[k].pos = pos_of(L, items[i]);
        k++;
    }
    *out = arr;
    *nout = k;
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */
/* ------------------------------------------------------------------ */

static void parse_sets(loader *L, const ynode *n)
{
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_MAP, "sets"))
        return;
    check_unique(L, n, "sets");
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i];
        if (!check_id(L, k, "a set name"))
            continue;
        if (find_set(p, k->str, k->len) >= 0) {
            ERR(L, k, "duplicate-id", "word set '%s' is defined twice", k->str);
            continue;
        }
        const ynode **items, *one[1];
        size_t cnt = list_items(L, n->items[i + 1], "a word set", &items, one);
        if (cnt == 0) {
            ERR(L, k, "empty-list", "word set '%s' is empty", k->str);
            continue;
        }
        rp_wordset *s = &p->sets[p->nsets++];
        s->name = pstrndup(p, k->str, k->len);
        nameidx_add(&p->set_idx, s->name, (int)(p->nsets - 1));
        s->pos = pos_of(L, k);
        s->entries = PARRAY(p, const char *, cnt);
        for (size_t j = 0; j < cnt; j++) {
            if (!want(L, items[j], YNODE_SCALAR, "a set entry"))
                continue;
            rp_buf_clear(&L->tmp);
            rp_text_norm_phrase(items[j]->str, items[j]->len, p->norm_flags,
                                &L->tmp);
            if (L->tmp.len == 0)
                continue;
            s->entries[s->n++] = pstrndup(p, L->tmp.ptr, L->tmp.len);
        }
    }
}

static void parse_reflections(loader *L, const ynode *n)
{
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_MAP, "reflections"))
        return;
    check_unique(L, n, "reflections");
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (!want(L, k, YNODE_SCALAR, "a reflection") ||
            !want(L, v, YNODE_SCALAR, "a reflection"))
            continue;
        /* A later file overrides an earlier one. */
        size_t j;
        for (j = 0; j < p->nreflections; j++)
            if (strcmp(p->reflections[j].from, k->str) == 0)
                break;
        if (j == p->nreflections)
            p->nreflections++;
        p->reflections[j].from = pstrndup(p, k->str, k->len);
        p->reflections[j].to = pstrndup(p, v->str, v->len);
    }
}

static void parse_settings(loader *L, const ynode *n)
{
    static const char *const keys[] = {"select", "case", "fallback_window",
                                       "contractions", "chat"};
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_MAP, "settings"))
        return;
    CHECK_KEYS(L, n, "settings", keys);
    p->select = parse_select(L, ynode_get(n, "select"), p->select);
    const ynode *c = ynode_get(n, "case");
    if (c && want(L, c, YNODE_SCALAR, "case")) {
        if (!strcmp(c->str, "upper"))
            p->upper = true;
        else if (strcmp(c->str, "as-written"))
            ERR(L, c, "bad-value", "case must be as-written or upper");
    }
    const ynode *w = ynode_get(n, "fallback_window");
    if (w)
        get_int(L, w, "fallback_window", 0, 100, &p->fallback_window);
    bool b;
    const ynode *ct = ynode_get(n, "contractions");
    if (ct && get_bool(L, ct, "contractions", &b))
        p->norm_flags = b ? p->norm_flags | RP_NORM_CONTRACTIONS
                          : p->norm_flags & ~(unsigned)RP_NORM_CONTRACTIONS;
    const ynode *ch = ynode_get(n, "chat");
    if (ch && get_bool(L, ch, "chat", &b))
        p->norm_flags = b ? p->norm_flags | RP_NORM_CHAT
                          : p->norm_flags & ~(unsigned)RP_NORM_CHAT;
}

static void parse_vars(loader *L, const ynode *n)
{
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_MAP, "vars"))
        return;
    check_unique(L, n, "vars");
    p->vars = PARRAY(p, rp_var, n->n / 2 + 1);
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (!check_id(L, k, "a variable name"))
            continue;
        if (rp_persona_find_var(p, k->str) >= 0) {
            ERR(L, k, "duplicate-id", "variable '%s' is defined twice", k->str);
            continue;
        }
        if (!want(L, v, YNODE_SCALAR, "a variable's value"))
            continue;
        rp_var *var = &p->vars[p->nvars++];
        var->name = pstrndup(p, k->str, k->len);
        nameidx_add(&p->var_idx, var->name, (int)(p->nvars - 1));
        var->init = node_value(L, v);
        var->pos = pos_of(L, k);
    }
}

/* Meters are declared (names, numbers) before rules; thresholds need
 * stages and endings, which are pending references, so that is fine. */
static void parse_meters(loader *L, const ynode *n)
{
    static const char *const keys[] = {"start", "min", "max", "drift",
                                       "thresholds"};
    static const char *const tkeys[] = {"id",     "below", "above",
                                        "repeat", "say",   "do"};
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_MAP, "meters"))
        return;
    check_unique(L, n, "meters");
    p->meters = PARRAY(p, rp_meter, n->n / 2 + 1);
    /* Declare all names first so thresholds may name any meter. */
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i];
        if (!check_id(L, k, "a meter name"))
            continue;
        if (rp_persona_find_meter(p, k->str) >= 0) {
            ERR(L, k, "duplicate-id", "meter '%s' is defined twice", k->str);
            continue;
        }
        rp_meter *m = &p->meters[p->nmeters++];
        m->name = pstrndup(p, k->str, k->len);
        nameidx_add(&p->meter_idx, m->name, (int)(p->nmeters - 1));
        m->pos = pos_of(L, k);
        m->min = 0;
        m->max = 10;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YNODE_SCALAR)
            continue;
        int idx = rp_persona_find_meter(p, k->str);
        if (idx < 0 || !want(L, v, YNODE_MAP, "a meter"))
            continue;
        rp_meter *m = &p->meters[idx];
        if (m->pos.line != k->line)
            continue; /* the duplicate */
        CHECK_KEYS(L, v, "a meter", keys);
        const ynode *x;
        if ((x = ynode_get(v, "min")))
            get_number(L, x, "min", &m->min);
        if ((x = ynode_get(v, "max")))
            get_number(L, x, "max", &m->max);
        if (m->min > m->max)
            ERR(L, v, "bad-value", "meter '%s' has min above max", m->name);
        m->start = m->min;
        if ((x = ynode_get(v, "start"))) {
            get_number(L, x, "start", &m->start);
            if (m->start < m->min || m->start > m->max)
                ERR(L, x, "bad-value",
                    "meter '%s' starts outside its range %g..%g", m->name,
                    m->min, m->max);
        }
        if ((x = ynode_get(v, "drift")))
            get_number(L, x, "drift", &m->drift);
        const ynode *ths = ynode_get(v, "thresholds");
        if (!ths || !want(L, ths, YNODE_SEQ, "thresholds"))
            continue;
        m->th = PARRAY(p, rp_threshold, ths->n);
        for (size_t j = 0; j < ths->n; j++) {
            const ynode *t = ths->items[j];
            if (!want(L, t, YNODE_MAP, "a threshold"))
                continue;
            CHECK_KEYS(L, t, "a threshold", tkeys);
            rp_threshold *th = &m->th[m->nth];
            th->pos = pos_of(L, t);
            const ynode *below = ynode_get(t, "below");
            const ynode *above = ynode_get(t, "above");
            if (!!below == !!above) {
                ERR(L, t, below ? "bad-value" : "missing-key",
                    "a threshold needs exactly one of 'below' and 'above'");
                continue;
            }
            th->dir = below ? RP_BELOW : RP_ABOVE;
            if (!get_number(L, below ? below : above, "a threshold value",
                            &th->at))
                continue;
            const ynode *id = ynode_get(t, "id");
            if (id && check_id(L, id, "a threshold id")) {
                th->id = pstrndup(p, id->str, id->len);
            } else {
                rp_buf_clear(&L->tmp);
                rp_buf_printf(&L->tmp, "%s%s%g", m->name, below ? "<" : ">",
                              th->at);
                th->id = pstrdup(p, L->tmp.ptr);
            }
            if ((x = ynode_get(t, "repeat")))
                get_bool(L, x, "repeat", &th->repeat);
            th->say.select = p->select;
            if ((x = ynode_get(t, "say")))
                parse_replies(L, x, "say", &th->say);
            parse_action(L, ynode_get(t, "do"), &th->act);
            m->nth++;
        }
    }
}

static void parse_endings(loader *L, const ynode *n)
{
    static const char *const keys[] = {"outcome", "say"};
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_MAP, "endings"))
        return;
    check_unique(L, n, "endings");
    p->endings = PARRAY(p, rp_ending, n->n / 2 + 1);
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (!check_id(L, k, "an ending id"))
            continue;
        bool dup = false;
        for (size_t j = 0; j < p->nendings; j++)
            dup = dup || strcmp(p->endings[j].id, k->str) == 0;
        if (dup) {
            ERR(L, k, "duplicate-id", "ending '%s' is defined twice", k->str);
            continue;
        }
        rp_ending *e = &p->endings[p->nendings++];
        e->id = pstrndup(p, k->str, k->len);
        e->pos = pos_of(L, k);
        e->outcome = RP_OUTCOME_NEUTRAL;
        e->say.select = p->select;
        if (ynode_is_null(v))
            continue;
        if (!want(L, v, YNODE_MAP, "an ending"))
            continue;
        CHECK_KEYS(L, v, "an ending", keys);
        const ynode *o = ynode_get(v, "outcome");
        if (o && want(L, o, YNODE_SCALAR, "outcome")) {
            if (!strcmp(o->str, "rewarding"))
                e->outcome = RP_OUTCOME_REWARDING;
            else if (!strcmp(o->str, "cut-short"))
                e->outcome = RP_OUTCOME_CUT_SHORT;
            else if (strcmp(o->str, "neutral"))
                ERR(L, o, "bad-value",
                    "outcome must be rewarding, neutral or cut-short");
        }
        const ynode *s = ynode_get(v, "say");
        if (s)
            parse_replies(L, s, "say", &e->say);
    }
}

/* Intents: declared across every file (library first), then compiled. */
static void declare_intents(loader *L, const ynode *n)
{
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_MAP, "intents"))
        return;
    check_unique(L, n, "intents");
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (!check_id(L, k, "an intent id"))
            continue;
        bool extend = false;
        const ynode *e = v->type == YNODE_MAP ? ynode_get(v, "extend") : NULL;
        if (e)
            get_bool(L, e, "extend", &extend);
        int existing = rp_persona_find_intent(p, k->str);
        if (extend) {
            if (existing < 0) {
                const char **names = NAMES(p->intents, p->nintents, id);
                undefined(L, L->cur_file, k->line, k->col, "undefined-intent",
                          "intent (to extend)", k->str, names, p->nintents);
                free(names);
            }
            continue;
        }
        if (existing >= 0) {
            ERR(L, k, "duplicate-id",
                "intent '%s' is already defined at %s:%d (write 'extend: "
                "true' to add patterns to it)",
                k->str, p->intents[existing].pos.file,
                p->intents[existing].pos.line);
            continue;
        }
        rp_intent *in = &p->intents[p->nintents++];
        in->id = pstrndup(p, k->str, k->len);
        nameidx_add(&p->intent_idx, in->id, (int)(p->nintents - 1));
        in->pos = pos_of(L, k);
        in->negatable = true;
    }
}

static void build_intents(loader *L, const ynode *n)
{
    static const char *const keys[] = {
        "description", "patterns",         "regex", "unless", "negatable",
        "examples",    "counter_examples", "extend"};
    rp_persona *p = L->p;
    if (!n || n->type != YNODE_MAP)
        return;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YNODE_SCALAR)
            continue;
        int idx = rp_persona_find_intent(p, k->str);
        if (idx < 0)
            continue;
        rp_intent *in = &p->intents[idx];
        bool extend = false;
        if (v->type == YNODE_MAP && ynode_get(v, "extend"))
            scalar_bool(ynode_get(v, "extend"), &extend);
        if (!extend &&
            (strcmp(in->pos.file, L->cur_file) || in->pos.line != k->line))
            continue; /* a duplicate, already reported */
        if (!want(L, v, YNODE_MAP, "an intent"))
            continue;
        CHECK_KEYS(L, v, "an intent", keys);
        const ynode *x;
        if ((x = ynode_get(v, "description")))
            in->description = get_text(L, x, "description", false);
        if ((x = ynode_get(v, "negatable")))
            get_bool(L, x, "negatable", &in->negatable);
        /* Patterns: wildcard and raw, appended (extend adds to them). */
        rp_pat *wild = NULL, *raw = NULL;
        size_t nw = compile_pats(L, ynode_get(v, "patterns"), false, "patterns",
                                 &wild, 0);
        size_t nr =
            compile_pats(L, ynode_get(v, "regex"), true, "regex", &raw, 0);
        if (nw + nr) {
            rp_pat *all = PARRAY(p, rp_pat, in->npatterns + nw + nr);
            if (in->npatterns)
                memcpy(all, in->patterns, in->npatterns * sizeof(rp_pat));
            if (nw)
                memcpy(all + in->npatterns, wild, nw * sizeof(rp_pat));
            if (nr)
                memcpy(all + in->npatterns + nw, raw, nr * sizeof(rp_pat));
            in->patterns = all;
            in->npatterns += nw + nr;
        }
        if ((x = ynode_get(v, "unless"))) {
            rp_pat *un = NULL;
            size_t nu = compile_pats(L, x, false, "unless", &un, 0);
            rp_pat *all = PARRAY(p, rp_pat, in->nunless + nu + 1);
            if (in->nunless)
                memcpy(all, in->unless, in->nunless * sizeof(rp_pat));
            if (nu)
                memcpy(all + in->nunless, un, nu * sizeof(rp_pat));
            in->unless = all;
            in->nunless += nu;
        }
        if ((x = ynode_get(v, "examples")))
            parse_examples(L, x, "examples", &in->examples, &in->nexamples);
        if ((x = ynode_get(v, "counter_examples")))
            parse_examples(L, x, "counter_examples", &in->counter,
                           &in->ncounter);
    }
}

static const char *const rule_keys[] = {
    "id",  "when",  "all",     "not",    "if", "priority", "once",
    "max", "reply", "replies", "select", "do", "marks",    "examples"};

static void build_rule(loader *L, const ynode *n, int stage, rp_rule *r)
{
    static const char *const wkeys[] = {"intents", "intent", "patterns",
                                        "pattern", "regex"};
    static const char *const known_marks[] = {"brush_off", "refusal",
                                              "question", "offer"};
    rp_persona *p = L->p;
    r->stage = stage;
    r->pos = pos_of(L, n);
    r->marks = "";
    CHECK_KEYS(L, n, "a rule", rule_keys);
    const ynode *x;
    const ynode *when = ynode_get(n, "when");
    if (when && want(L, when, YNODE_MAP, "when")) {
        CHECK_KEYS(L, when, "when", wkeys);
        const ynode *in = ynode_get(when, "intents");
        const ynode *in1 = ynode_get(when, "intent");
        if (in && in1)
            ERR(L, in1, "duplicate-key",
                "write 'intents' or 'intent', not both");
        if (in || in1)
            r->nintents =
                parse_intent_refs(L, in ? in : in1, "intents", &r->intents);
        const ynode *pt = ynode_get(when, "patterns");
        const ynode *pt1 = ynode_get(when, "pattern");
        if (pt && pt1)
            ERR(L, pt1, "duplicate-key",
                "write 'patterns' or 'pattern', not both");
        rp_pat *wild = NULL, *raw = NULL;
        size_t nw = (pt || pt1) ? compile_pats(L, pt ? pt : pt1, false,
                                               "patterns", &wild, 0)
                                : 0;
        size_t nr =
            compile_pats(L, ynode_get(when, "regex"), true, "regex", &raw, 0);
        r->patterns = PARRAY(p, rp_pat, nw + nr + 1);
        if (nw)
            memcpy(r->patterns, wild, nw * sizeof(rp_pat));
        if (nr)
            memcpy(r->patterns + nw, raw, nr * sizeof(rp_pat));
        r->npatterns = nw + nr;
    }
    if ((x = ynode_get(n, "all")))
        r->nall = parse_intent_refs(L, x, "all", &r->all);
    if ((x = ynode_get(n, "not")))
        r->nnone = parse_intent_refs(L, x, "not", &r->none);
    if ((x = ynode_get(n, "if")))
        parse_conds(L, x, false, &r->conds, &r->nconds);
    if ((x = ynode_get(n, "priority")))
        get_int(L, x, "priority", -1000000, 1000000, &r->priority);
    bool once = false;
    if ((x = ynode_get(n, "once")) && get_bool(L, x, "once", &once) && once)
        r->max_fires = 1;
    if ((x = ynode_get(n, "max"))) {
        if (once)
            ERR(L, x, "duplicate-key", "write 'once' or 'max', not both");
        else
            get_int(L, x, "max", 1, 1000000, &r->max_fires);
    }
    const ynode *rep = ynode_get(n, "reply"), *reps = ynode_get(n, "replies");
    if (rep && reps)
        ERR(L, reps, "duplicate-key", "write 'reply' or 'replies', not both");
    r->replies.select = parse_select(L, ynode_get(n, "select"), p->select);
    if (rep || reps)
        parse_replies(L, rep ? rep : reps, "replies", &r->replies);
    parse_action(L, ynode_get(n, "do"), &r->act);
    if (!rep && !reps && r->act.end < 0 && r->act.goto_stage < 0 && !r->act.ask)
        ERR(L, n, "missing-key",
            "rule '%s' has no reply (write 'reply' or 'replies')",
            r->id ? r->id : "?");
    if ((x = ynode_get(n, "marks"))) {
        const ynode **items, *one[1];
        size_t cnt = list_items(L, x, "marks", &items, one);
        rp_buf_clear(&L->tmp);
        for (size_t i = 0; i < cnt; i++) {
            if (!want(L, items[i], YNODE_SCALAR, "a mark"))
                continue;
            bool known = false;
            for (size_t j = 0; j < 4; j++)
                known = known || !strcmp(items[i]->str, known_marks[j]);
            if (!known) {
                char hint[96];
                ERR(L, items[i], "bad-value",
                    "unknown mark '%s' (brush_off, refusal, question, "
                    "offer)%s",
                    items[i]->str,
                    suggest(hint, sizeof hint, items[i]->str, known_marks, 4));
                continue;
            }
            if (L->tmp.len)
                rp_buf_putc(&L->tmp, ',');
            rp_buf_puts(&L->tmp, items[i]->str);
        }
        r->marks = pstrndup(p, L->tmp.len ? L->tmp.ptr : "", L->tmp.len);
    }
    if ((x = ynode_get(n, "examples")))
        parse_examples(L, x, "examples", &r->examples, &r->nexamples);
    if (!when && r->nall == 0 && r->nnone == 0 && r->nconds == 0)
        WARN(L, n, "catch-all",
             "rule '%s' has no 'when' and no conditions: it answers every "
             "line, and the rules after it in this stage never fire",
             r->id ? r->id : "?");
}

/* Declare one list of rules (ids), reserving slots; build later. */
static void declare_rules(loader *L, const ynode *list, int stage,
                          const char *file)
{
    rp_persona *p = L->p;
    for (size_t i = 0; i < list->n; i++) {
        const ynode *n = list->items[i];
        if (!want(L, n, YNODE_MAP, "a rule"))
            continue;
        if (p->nrules >= limits.max_rules) {
            ERR(L, n, "rule-limit", "more than %zu rules", limits.max_rules);
            return;
        }
        rp_rule *r = &p->rules[p->nrules++];
        r->stage = stage;
        r->pos.file = file;
        r->pos.line = n->line;
        r->pos.col = n->col;
        const ynode *id = ynode_get(n, "id");
        if (!id) {
            ERR(L, n, "missing-key", "a rule needs an 'id'");
            continue;
        }
        if (!check_id(L, id, "a rule id"))
            continue;
        int prev = nameidx_find(&p->rule_idx, id->str, id->len);
        if (prev >= 0) {
            ERR(L, id, "duplicate-id",
                "rule id '%s' is already used at line %d", id->str,
                p->rules[prev].pos.line);
            continue;
        }
        r->id = pstrndup(p, id->str, id->len);
        nameidx_add(&p->rule_idx, r->id, (int)(p->nrules - 1));
    }
}

static size_t count_rules(const ynode *root)
{
    size_t n = 0;
    const ynode *g = ynode_get(root, "rules");
    if (g && g->type == YNODE_SEQ)
        n += g->n;
    const ynode *st = ynode_get(root, "stages");
    if (st && st->type == YNODE_MAP)
        for (size_t i = 1; i < st->n; i += 2) {
            const ynode *r = ynode_get(st->items[i], "rules");
            if (r && r->type == YNODE_SEQ)
                n += r->n;
        }
    return n;
}

/* Is rule x tried before rule y?  Priority (higher first), then the
 * stage's own rules before global ones, then file order. */
static bool tried_before(const rp_rule *rules, int x, int y)
{
    const rp_rule *rx = &rules[x], *ry = &rules[y];
    if (rx->priority != ry->priority)
        return rx->priority > ry->priority;
    bool gx = rx->stage < 0, gy = ry->stage < 0;
    if (gx != gy)
        return gy;
    return x < y;
}

static void order_candidates(rp_persona *p)
{
    for (size_t s = 0; s < p->nstages; s++) {
        rp_stage *st = &p->stages[s];
        st->cands = PARRAY(p, int, p->nrules + 1);
        st->ncands = 0;
        for (size_t i = 0; i < p->nrules; i++)
            if (p->rules[i].id &&
                (p->rules[i].stage < 0 || p->rules[i].stage == (int)s))
                st->cands[st->ncands++] = (int)i;
        /* Insertion sort: stable, and qsort would need global context.
         * Candidates are mostly in order already (file order). */
        for (size_t i = 1; i < st->ncands; i++) {
            int v = st->cands[i];
            size_t j = i;
            while (j > 0 && tried_before(p->rules, v, st->cands[j - 1])) {
                st->cands[j] = st->cands[j - 1];
                j--;
            }
            st->cands[j] = v;
        }
    }
}

/* ------------------------------------------------------------------ */
/* The scoring rubric                                                  */
/* ------------------------------------------------------------------ */

static int dim_of(loader *L, const ynode *n)
{
    if (!want(L, n, YNODE_SCALAR, "a dimension"))
        return -1;
    int d = rp_dim_find(n->str);
    if (d < 0) {
        const char *ids[RP_DIM_COUNT];
        for (int i = 0; i < RP_DIM_COUNT; i++)
            ids[i] = rp_dim_id((rp_dim)i);
        char hint[96];
        ERR(L, n, "bad-value", "unknown dimension '%s'%s", n->str,
            suggest(hint, sizeof hint, n->str, ids, RP_DIM_COUNT));
    }
    return d;
}

static void parse_band(loader *L, const ynode *n, rp_dimcfg *c)
{
    if (!want(L, n, YNODE_SEQ, "band"))
        return;
    if (n->n < 2 || n->n > RP_MAX_BAND) {
        ERR(L, n, "bad-value", "a band has 2 to %d points", RP_MAX_BAND);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n->n; i++) {
        const ynode *pt = n->items[i];
        if (!want(L, pt, YNODE_SEQ, "a band point") || pt->n != 2) {
            if (pt->type == YNODE_SEQ)
                ERR(L, pt, "bad-value", "a band point is [measure, score]");
            return;
        }
        double x, y;
        if (!get_number(L, pt->items[0], "a band measure", &x) ||
            !get_number(L, pt->items[1], "a band score", &y))
            return;
        if (k > 0 && x <= c->bx[k - 1]) {
            ERR(L, pt, "bad-value", "band measures must increase");
            return;
        }
        if (y < 0 || y > 100) {
            ERR(L, pt->items[1], "bad-value", "band scores are 0 to 100");
            return;
        }
        c->bx[k] = x;
        c->by[k] = y;
        k++;
    }
    c->nband = k;
}

static void parse_rubric_dims(loader *L, const ynode *n)
{
    static const char *const keys[] = {"weight", "band", "advice", "example",
                                       "praise"};
    rp_rubric *rb = &L->p->rubric;
    if (!want(L, n, YNODE_MAP, "dimensions"))
        return;
    check_unique(L, n, "dimensions");
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        int d = dim_of(L, n->items[i]);
        const ynode *v = n->items[i + 1];
        if (d < 0 || !want(L, v, YNODE_MAP, "a dimension"))
            continue;
        CHECK_KEYS(L, v, "a dimension", keys);
        rp_dimcfg *c = &rb->dims[d];
        const ynode *x;
        if ((x = ynode_get(v, "weight")))
            get_number(L, x, "weight", &c->weight);
        if ((x = ynode_get(v, "band")))
            parse_band(L, x, c);
        if ((x = ynode_get(v, "advice")))
            c->advice = get_text(L, x, "advice", true);
        if ((x = ynode_get(v, "example")))
            c->example = get_text(L, x, "example", true);
        if ((x = ynode_get(v, "praise")))
            c->praise = get_text(L, x, "praise", true);
    }
}

static void parse_rubric_settings(loader *L, const ynode *n)
{
    static const char *const keys[] = {
        "rapport_turns",     "monologue_words", "monologue_ratio", "long_words",
        "overlap_min",       "follow_up_score", "partial_score",   "fact_score",
        "monologue_penalty", "closing_turns",   "stopwords"};
    rp_rubric *rb = &L->p->rubric;
    if (!want(L, n, YNODE_MAP, "settings"))
        return;
    CHECK_KEYS(L, n, "rubric settings", keys);
    const ynode *x;
    if ((x = ynode_get(n, "rapport_turns")))
        get_int(L, x, "rapport_turns", 0, 100, &rb->rapport_turns);
    if ((x = ynode_get(n, "overlap_min")))
        get_int(L, x, "overlap_min", 1, 20, &rb->overlap_min);
    if ((x = ynode_get(n, "closing_turns")))
        get_int(L, x, "closing_turns", 1, 20, &rb->closing_turns);
    static const struct {
        const char *key;
        size_t off;
    } nums[] = {
        {"monologue_words", offsetof(rp_rubric, monologue_words)},
        {"monologue_ratio", offsetof(rp_rubric, monologue_ratio)},
        {"long_words", offsetof(rp_rubric, long_words)},
        {"follow_up_score", offsetof(rp_rubric, follow_up_score)},
        {"partial_score", offsetof(rp_rubric, partial_score)},
        {"fact_score", offsetof(rp_rubric, fact_score)},
        {"monologue_penalty", offsetof(rp_rubric, monologue_penalty)},
    };
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if ((x = ynode_get(n, nums[i].key)))
            get_number(L, x, nums[i].key, (double *)((char *)rb + nums[i].off));
    if ((x = ynode_get(n, "stopwords"))) {
        const ynode **items, *one[1];
        size_t cnt = list_items(L, x, "stopwords", &items, one);
        rb->stopwords = PARRAY(L->p, const char *, cnt + 1);
        rb->nstopwords = 0;
        for (size_t i = 0; i < cnt; i++)
            if (want(L, items[i], YNODE_SCALAR, "a stopword"))
                rb->stopwords[rb->nstopwords++] =
                    pstrndup(L->p, items[i]->str, items[i]->len);
    }
}

static void parse_rubric_cues(loader *L, const ynode *n)
{
    static const char *const keys[] = {"dimension", "score", "when",
                                       "all",       "not",   "if",
                                       "note",      "tip",   "examples"};
    static const char *const override_keys[] = {"score", "note", "tip"};
    static const char *const wkeys[] = {"intents", "intent", "patterns",
                                        "pattern", "regex"};
    rp_persona *p = L->p;
    rp_rubric *rb = &p->rubric;
    if (!want(L, n, YNODE_MAP, "cues"))
        return;
    check_unique(L, n, "cues");
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (!check_id(L, k, "a cue id") || !want(L, v, YNODE_MAP, "a cue"))
            continue;
        rp_cue *cue = NULL;
        for (size_t j = 0; j < rb->ncues && !cue; j++)
            if (!strcmp(rb->cues[j].id, k->str))
                cue = &rb->cues[j];
        const ynode *x;
        if (cue) {
            /* A later file (the persona) may retune an existing cue. */
            CHECK_KEYS(L, v, "a cue override (score, note, tip)",
                       override_keys);
            if ((x = ynode_get(v, "score")))
                get_number(L, x, "score", &cue->score);
            if ((x = ynode_get(v, "note")))
                cue->note = get_text(L, x, "note", true);
            if ((x = ynode_get(v, "tip")))
                cue->tip = get_text(L, x, "tip", true);
            continue;
        }
        CHECK_KEYS(L, v, "a cue", keys);
        cue = &rb->cues[rb->ncues];
        memset(cue, 0, sizeof *cue);
        cue->id = pstrndup(p, k->str, k->len);
        cue->pos = pos_of(L, k);
        cue->note = "";
        cue->tip = "";
        x = ynode_get(v, "dimension");
        if (!x) {
            ERR(L, v, "missing-key", "cue '%s' needs a 'dimension'", k->str);
            continue;
        }
        cue->dim = dim_of(L, x);
        if (cue->dim < 0)
            continue;
        if (!(x = ynode_get(v, "score"))) {
            ERR(L, v, "missing-key", "cue '%s' needs a 'score'", k->str);
            continue;
        }
        if (!get_number(L, x, "score", &cue->score))
            continue;
        const ynode *when = ynode_get(v, "when");
        if (when && want(L, when, YNODE_MAP, "when")) {
            CHECK_KEYS(L, when, "when", wkeys);
            const ynode *in = ynode_get(when, "intents");
            if (!in)
                in = ynode_get(when, "intent");
            if (in)
                cue->nintents =
                    parse_intent_refs(L, in, "intents", &cue->intents);
            const ynode *pt = ynode_get(when, "patterns");
            if (!pt)
                pt = ynode_get(when, "pattern");
            rp_pat *wild = NULL, *raw = NULL;
            size_t nw =
                pt ? compile_pats(L, pt, false, "patterns", &wild, 0) : 0;
            size_t nr = compile_pats(L, ynode_get(when, "regex"), true, "regex",
                                     &raw, 0);
            cue->patterns = PARRAY(p, rp_pat, nw + nr + 1);
            if (nw)
                memcpy(cue->patterns, wild, nw * sizeof(rp_pat));
            if (nr)
                memcpy(cue->patterns + nw, raw, nr * sizeof(rp_pat));
            cue->npatterns = nw + nr;
        }
        if ((x = ynode_get(v, "all")))
            cue->nall = parse_intent_refs(L, x, "all", &cue->all);
        if ((x = ynode_get(v, "not")))
            cue->nnone = parse_intent_refs(L, x, "not", &cue->none);
        if ((x = ynode_get(v, "if")))
            parse_conds(L, x, true, &cue->conds, &cue->nconds);
        if ((x = ynode_get(v, "note")))
            cue->note = get_text(L, x, "note", true);
        if ((x = ynode_get(v, "tip")))
            cue->tip = get_text(L, x, "tip", true);
        if ((x = ynode_get(v, "examples")))
            parse_examples(L, x, "examples", &cue->examples, &cue->nexamples);
        if (!when && !cue->nall) {
            ERR(L, v, "missing-key",
                "cue '%s' needs 'when' (or 'all'): a cue that fires on "
                "every line scores nothing useful",
                k->str);
            continue;
        }
        rb->ncues++;
    }
}

static void parse_rubric(loader *L, const ynode *n)
{
    static const char *const keys[] = {"dimensions", "cues", "settings"};
    if (!want(L, n, YNODE_MAP, "rubric"))
        return;
    CHECK_KEYS(L, n, "rubric", keys);
    const ynode *x;
    if ((x = ynode_get(n, "dimensions")))
        parse_rubric_dims(L, x);
    if ((x = ynode_get(n, "settings")))
        parse_rubric_settings(L, x);
    if ((x = ynode_get(n, "cues")))
        parse_rubric_cues(L, x);
}

/* Cues across every file, for the allocation. */
static size_t count_cues(loader *L)
{
    size_t n = 0;
    for (size_t i = 0; i < L->nfiles; i++) {
        ynode *root = ydoc_root(L->files[i].doc);
        const ynode *r = root ? ynode_get(root, "rubric") : NULL;
        n += count_pairs(r ? ynode_get(r, "cues") : NULL);
    }
    return n;
}

/* Defaults, so a persona without a rubric file still scores sensibly
 * on what is computed (talk balance, follow-up overlap). */
static void rubric_defaults(rp_rubric *rb)
{
    static const double w[RP_DIM_COUNT] = {.10, .20, .10, .15, .05,
                                           .10, .10, .10, .10};
    for (int d = 0; d < RP_DIM_COUNT; d++) {
        rb->dims[d].weight = w[d];
        rb->dims[d].bx[0] = 0;
        rb->dims[d].by[0] = 0;
        rb->dims[d].bx[1] = 1;
        rb->dims[d].by[1] = 100;
        rb->dims[d].nband = 2;
        rb->dims[d].advice = "";
        rb->dims[d].example = "";
        rb->dims[d].praise = "";
    }
    rb->rapport_turns = 2;
    rb->monologue_words = 100;
    rb->monologue_ratio = 2.5;
    rb->long_words = 60;
    rb->overlap_min = 1;
    rb->follow_up_score = 2;
    rb->partial_score = 1;
    rb->fact_score = 2;
    rb->monologue_penalty = 15;
    rb->closing_turns = 3;
}

/* ------------------------------------------------------------------ */
/* The top level                                                       */
/* ------------------------------------------------------------------ */

static const char *const persona_keys[] = {
    "id",      "name",   "role",    "organisation", "difficulty",
    "summary", "scene",  "facts",   "include",      "settings",
    "vars",    "meters", "intents", "sets",         "reflections",
    "opening", "start",  "stages",  "rules",        "fallback",
    "endings", "rubric", "keywords"};
static const char *const include_keys[] = {"intents", "sets", "reflections",
                                           "include", "rubric"};

static void parse_facts(loader *L, const ynode *n)
{
    static const char *const keys[] = {"text", "keywords"};
    rp_persona *p = L->p;
    if (!want(L, n, YNODE_SEQ, "facts"))
        return;
    p->facts = PARRAY(p, rp_fact, n->n);
    for (size_t i = 0; i < n->n; i++) {
        const ynode *f = n->items[i];
        rp_fact *fact = &p->facts[p->nfacts];
        fact->pos = pos_of(L, f);
        const ynode *text = f, *kw = NULL;
        if (f->type == YNODE_MAP) {
            CHECK_KEYS(L, f, "a fact", keys);
            text = ynode_get(f, "text");
            kw = ynode_get(f, "keywords");
            if (!text) {
                ERR(L, f, "missing-key", "a fact needs 'text'");
                continue;
            }
        }
        fact->text = get_text(L, text, "a fact", true);
        if (!fact->text)
            continue;
        const ynode **items, *one[1];
        size_t cnt = list_items(L, kw, "keywords", &items, one);
        fact->keywords = PARRAY(p, const char *, cnt + 1);
        for (size_t j = 0; j < cnt; j++)
            if (want(L, items[j], YNODE_SCALAR, "a keyword"))
                fact->keywords[fact->nkeywords++] =
                    pstrndup(p, items[j]->str, items[j]->len);
        p->nfacts++;
    }
}

static bool stopword(const rp_rubric *rb, const char *w, size_t n)
{
    for (size_t i = 0; i < rb->nstopwords; i++)
        if (strlen(rb->stopwords[i]) == n &&
            memcmp(rb->stopwords[i], w, n) == 0)
            return true;
    return false;
}

/* Is w a word of the persona's name or organisation?  Those are in the
 * brief's heading, so naming them is no sign of research. */
static bool in_header(const rp_persona *p, const char *w, size_t n)
{
    const char *fields[] = {p->name, p->organisation};
    for (size_t f = 0; f < 2; f++) {
        const char *s = fields[f] ? fields[f] : "";
        for (const char *q = s; *q;) {
            size_t len = 0;
            while (q[len] && q[len] != ' ' && q[len] != '-')
                len++;
            if (len == n && strncasecmp(q, w, n) == 0)
                return true;
            q += len;
            while (*q == ' ' || *q == '-')
                q++;
        }
    }
    return false;
}

/* Stem each fact's keywords (or, without keywords, the content words of
 * its text) once, so scoring preparation is a lookup. */
static void stem_facts(loader *L)
{
    rp_persona *p = L->p;
    struct sb_stemmer *st = sb_stemmer_new("english", "UTF_8");
    rp_text t;
    rp_text_init(&t);
    for (size_t f = 0; f < p->nfacts; f++) {
        rp_fact *fact = &p->facts[f];
        rp_buf_clear(&L->tmp);
        if (fact->nkeywords)
            for (size_t k = 0; k < fact->nkeywords; k++) {
                rp_buf_puts(&L->tmp, fact->keywords[k]);
                rp_buf_putc(&L->tmp, ' ');
            }
        else
            rp_buf_puts(&L->tmp, fact->text);
        rp_text_set(&t, L->tmp.ptr, L->tmp.len, p->norm_flags);
        rp_text_stem(&t, st);
        fact->stems = PARRAY(p, const char *, t.ntokens + 1);
        for (size_t i = 0; i < t.ntokens; i++) {
            const rp_token *k = &t.tokens[i];
            /* Very short or common words ("is", "work") and the
             * persona's own name say nothing about research. */
            if (k->kind != RP_TOK_WORD || k->stem_len == 0 || k->len < 3 ||
                stopword(&p->rubric, t.match.ptr + k->start, k->len) ||
                in_header(p, t.match.ptr + k->start, k->len))
                continue;
            const char *stem =
                pstrndup(p, t.stems.ptr + k->stem_start, k->stem_len);
            bool dup = false;
            for (size_t j = 0; j < fact->nstems && !dup; j++)
                dup = !strcmp(fact->stems[j], stem);
            if (!dup)
                fact->stems[fact->nstems++] = stem;
        }
    }
    rp_text_free(&t);
    if (st)
        sb_stemmer_delete(st);
}

bool rp_cmp_num(const rp_cmp *c, double v)
{
    double x = c->val.num;
    switch (c->op) {
    case RP_CMP_EQ:
        return v == x;
    case RP_CMP_NE:
        return v != x;
    case RP_CMP_LT:
        return v < x;
    case RP_CMP_LE:
        return v <= x;
    case RP_CMP_GT:
        return v > x;
    case RP_CMP_GE:
        return v >= x;
    case RP_CMP_RANGE:
        return v >= x && v <= c->hi;
    }
    return false;
}

/* Stages: declare every name, then build each stage's rules. */
static void declare_stages(loader *L, const ynode *n)
{
    rp_persona *p = L->p;
    p->stages = PARRAY(p, rp_stage, n->n / 2 + 1);
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i];
        if (!check_id(L, k, "a stage name"))
            continue;
        if (rp_persona_find_stage(p, k->str) >= 0) {
            ERR(L, k, "duplicate-id", "stage '%s' is defined twice", k->str);
            continue;
        }
        rp_stage *st = &p->stages[p->nstages++];
        st->name = pstrndup(p, k->str, k->len);
        nameidx_add(&p->stage_idx, st->name, (int)(p->nstages - 1));
        st->pos = pos_of(L, k);
    }
}

static void build_stages(loader *L, const ynode *n)
{
    static const char *const keys[] = {"description", "rules", "fallback",
                                       "initiate", "closing"};
    rp_persona *p = L->p;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YNODE_SCALAR)
            continue;
        int s = rp_persona_find_stage(p, k->str);
        if (s < 0 || p->stages[s].pos.line != k->line)
            continue;
        rp_stage *st = &p->stages[s];
        st->fallback.select = p->select;
        st->initiate.select = RP_SELECT_FIRST;
        if (ynode_is_null(v))
            continue;
        if (!want(L, v, YNODE_MAP, "a stage"))
            continue;
        CHECK_KEYS(L, v, "a stage", keys);
        const ynode *x;
        if ((x = ynode_get(v, "description")))
            st->description = get_text(L, x, "description", false);
        if ((x = ynode_get(v, "fallback")))
            parse_replies(L, x, "fallback", &st->fallback);
        if ((x = ynode_get(v, "initiate")))
            parse_replies(L, x, "initiate", &st->initiate);
        if ((x = ynode_get(v, "closing")))
            get_bool(L, x, "closing", &st->closing);
        if ((x = ynode_get(v, "rules")) && want(L, x, YNODE_SEQ, "rules"))
            declare_rules(L, x, s, L->cur_file);
    }
}

/* Build every declared rule from its node, in declaration order. */
static void build_rules(loader *L, const ynode *root, size_t first)
{
    rp_persona *p = L->p;
    size_t r = first;
    const ynode *g = ynode_get(root, "rules");
    /* Declaration order is: global rules, then each stage's in order. */
    const ynode *lists[1 + 4096];
    int stages[1 + 4096];
    size_t nl = 0;
    if (g && g->type == YNODE_SEQ) {
        lists[nl] = g;
        stages[nl++] = -1;
    }
    const ynode *st = ynode_get(root, "stages");
    if (st && st->type == YNODE_MAP)
        for (size_t i = 0; i + 1 < st->n && nl < 4096; i += 2) {
            const ynode *k = st->items[i], *v = st->items[i + 1];
            if (k->type != YNODE_SCALAR)
                continue;
            int s = rp_persona_find_stage(p, k->str);
            if (s < 0 || p->stages[s].pos.line != k->line)
                continue;
            const ynode *rl = ynode_get(v, "rules");
            if (rl && rl->type == YNODE_SEQ) {
                lists[nl] = rl;
                stages[nl++] = s;
            }
        }
    for (size_t l = 0; l < nl; l++)
        for (size_t i = 0; i < lists[l]->n && r < p->nrules; i++) {
            const ynode *n = lists[l]->items[i];
            if (n->type != YNODE_MAP)
                continue;
            rp_rule *rule = &p->rules[r++];
            if (!rule->id)
                continue; /* missing or duplicate id: reported */
            build_rule(L, n, stages[l], rule);
        }
}

static void resolve_pending(loader *L)
{
    rp_persona *p = L->p;
    for (size_t i = 0; i < L->npend; i++) {
        pending *x = &L->pend[i];
        int idx = -1;
        const char **names = NULL;
        size_t nn = 0;
        const char *code = "", *what = "";
        switch (x->kind) {
        case REF_STAGE:
            idx = rp_persona_find_stage(p, x->name);
            if (idx < 0) /* suggestions cost O(n): only for errors */
                names = NAMES(p->stages, p->nstages, name);
            nn = p->nstages;
            code = "undefined-stage";
            what = "stage";
            break;
        case REF_ENDING:
            for (size_t j = 0; j < p->nendings && idx < 0; j++)
                if (!strcmp(p->endings[j].id, x->name))
                    idx = (int)j;
            if (idx < 0)
                names = NAMES(p->endings, p->nendings, id);
            nn = p->nendings;
            code = "undefined-ending";
            what = "ending";
            break;
        case REF_RULE:
            idx = rp_persona_find_rule(p, x->name);
            if (idx < 0)
                names = NAMES(p->rules, p->nrules, id);
            nn = p->nrules;
            code = "undefined-rule";
            what = "rule";
            break;
        }
        if (idx < 0)
            undefined(L, x->pos.file, x->pos.line, x->pos.col, code, what,
                      x->name, names, nn);
        *x->slot = idx;
        free(names);
    }
}

/* Apply fn to the node under key in every file that may hold it. */
static void each_file(loader *L, const char *key, bool includes_too,
                      void (*fn)(loader *, const ynode *))
{
    for (size_t i = 0; i < L->nfiles; i++) {
        if (!includes_too && !L->files[i].main)
            continue;
        ynode *root = ydoc_root(L->files[i].doc);
        const ynode *n = root ? ynode_get(root, key) : NULL;
        if (!n)
            continue;
        L->cur_file = L->files[i].name;
        fn(L, n);
    }
}

static size_t count_in_files(loader *L, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < L->nfiles; i++) {
        ynode *root = ydoc_root(L->files[i].doc);
        const ynode *x = root ? ynode_get(root, key) : NULL;
        if (x && x->type == YNODE_MAP)
            n += x->n / 2;
    }
    return n;
}

static const char *req_text(loader *L, const ynode *root, const char *key,
                            bool required)
{
    const ynode *n = ynode_get(root, key);
    if (!n) {
        if (required)
            ERR(L, root, "missing-key", "a persona needs '%s'", key);
        return "";
    }
    const char *s = get_text(L, n, key, true);
    return s ? s : "";
}

static void build_persona(loader *L, const ynode *root)
{
    rp_persona *p = L->p;
    L->cur_file = L->files[L->nfiles - 1].name;
    CHECK_KEYS(L, root, "a persona", persona_keys);
    /* Included files may only hold library keys. */
    for (size_t i = 0; i + 1 < L->nfiles; i++) {
        ynode *r = ydoc_root(L->files[i].doc);
        L->cur_file = L->files[i].name;
        if (!r)
            continue;
        if (r->type != YNODE_MAP) {
            ERR(L, r, "wrong-type", "an included file must be a mapping");
            continue;
        }
        for (size_t j = 0; j + 1 < r->n; j += 2) {
            const ynode *k = r->items[j];
            if (k->type != YNODE_SCALAR)
                continue;
            bool lib = false, persona = false;
            for (size_t m = 0; m < sizeof include_keys / sizeof *include_keys;
                 m++)
                lib = lib || !strcmp(k->str, include_keys[m]);
            for (size_t m = 0; m < sizeof persona_keys / sizeof *persona_keys;
                 m++)
                persona = persona || !strcmp(k->str, persona_keys[m]);
            if (!lib && persona)
                ERR(L, k, "include-key",
                    "'%s' belongs in a persona, not in an included file",
                    k->str);
            else if (!lib)
                CHECK_KEYS(L, r, "an included file", include_keys);
        }
    }
    L->cur_file = L->files[L->nfiles - 1].name;

    /* Identity and brief. */
    const ynode *id = ynode_get(root, "id");
    if (!id)
        ERR(L, root, "missing-key", "a persona needs 'id'");
    else if (check_id(L, id, "the persona id"))
        p->id = pstrndup(p, id->str, id->len);
    p->name = req_text(L, root, "name", true);
    p->role = req_text(L, root, "role", false);
    p->organisation = req_text(L, root, "organisation", false);
    p->summary = req_text(L, root, "summary", false);
    p->scene = req_text(L, root, "scene", false);
    const ynode *x;
    p->difficulty = 1;
    if ((x = ynode_get(root, "difficulty")))
        get_int(L, x, "difficulty", 1, 5, &p->difficulty);
    if ((x = ynode_get(root, "facts")))
        parse_facts(L, x);
    if ((x = ynode_get(root, "settings")))
        parse_settings(L, x);

    /* Declarations, library files first. */
    p->sets = PARRAY(p, rp_wordset, count_in_files(L, "sets") + 1);
    each_file(L, "sets", true, parse_sets);
    p->reflections =
        PARRAY(p, rp_reflection, count_in_files(L, "reflections") + 1);
    each_file(L, "reflections", true, parse_reflections);
    L->cur_file = L->files[L->nfiles - 1].name;
    if ((x = ynode_get(root, "vars")))
        parse_vars(L, x);
    if ((x = ynode_get(root, "endings")))
        parse_endings(L, x);
    const ynode *stages = ynode_get(root, "stages");
    if (!stages)
        ERR(L, root, "missing-key", "a persona needs 'stages'");
    else if (want(L, stages, YNODE_MAP, "stages")) {
        check_unique(L, stages, "stages");
        declare_stages(L, stages);
    }
    if ((x = ynode_get(root, "meters")))
        parse_meters(L, x);
    p->intents = PARRAY(p, rp_intent, count_in_files(L, "intents") + 1);
    each_file(L, "intents", true, declare_intents);
    each_file(L, "intents", true, build_intents);
    rubric_defaults(&p->rubric);
    p->rubric.cues = PARRAY(p, rp_cue, count_cues(L) + 1);
    each_file(L, "rubric", true, parse_rubric);
    L->cur_file = L->files[L->nfiles - 1].name;
    stem_facts(L);

    /* Rules: declare ids (global, then per stage), then build. */
    size_t nr = count_rules(root);
    if (nr > limits.max_rules) {
        ERR(L, root, "rule-limit", "%zu rules; the limit is %zu", nr,
            limits.max_rules);
        nr = limits.max_rules;
    }
    p->rules = PARRAY(p, rp_rule, nr + 1);
    const ynode *g = ynode_get(root, "rules");
    if (g && want(L, g, YNODE_SEQ, "rules"))
        declare_rules(L, g, -1, L->cur_file);
    if (stages && stages->type == YNODE_MAP)
        build_stages(L, stages);
    build_rules(L, root, 0);

    /* Lines. */
    p->opening.select = p->select;
    if ((x = ynode_get(root, "opening")))
        parse_replies(L, x, "opening", &p->opening);
    p->fallback.select = p->select;
    if ((x = ynode_get(root, "fallback")))
        parse_replies(L, x, "fallback", &p->fallback);
    p->start = -1;
    const ynode *start = ynode_get(root, "start");
    if (!start)
        ERR(L, root, "missing-key", "a persona needs 'start' (a stage)");
    else if (want(L, start, YNODE_SCALAR, "start"))
        add_pending(L, REF_STAGE, start, &p->start);
    resolve_pending(L);
    order_candidates(p);
    if ((x = ynode_get(root, "keywords")))
        L->errors += rp_kw_load(x, L->cur_file, p->pattern_flags & RP_PAT_NOJIT,
                                L->diags, &p->keywords);
}

static rp_persona *load_common(const char *name, const char *real,
                               const char *data, size_t len,
                               const rp_load_options *opts, rp_diags *diags,
                               const char *default_root)
{
    loader L;
    memset(&L, 0, sizeof L);
    rp_buf_init(&L.tmp);
    L.diags = diags;
    rp_persona *p = xcalloc(1, sizeof(*p));
    L.p = p;
    p->select = RP_SELECT_SHUFFLE;
    p->fallback_window = 5;
    p->norm_flags = RP_NORM_DEFAULT;
    p->pattern_flags = opts && (opts->flags & RP_LOAD_NOJIT) ? RP_PAT_NOJIT : 0;
    p->path = pstrdup(p, name);
    const char *root = opts && opts->root ? opts->root : default_root;
    if (root) {
        L.root_real = realpath(root, NULL);
        if (!L.root_real)
            diag_at(&L, name, 0, 0, RP_LEVEL_ERROR, "io-error",
                    "persona directory %s: %s", root, strerror(errno));
    }
    lfile *main = NULL;
    if (!L.errors && real && L.root_real) {
        size_t rl = strlen(L.root_real);
        if (strncmp(real, L.root_real, rl) != 0 ||
            (real[rl] != '/' && real[rl] != '\0'))
            diag_at(&L, name, 0, 0, RP_LEVEL_ERROR, "include-escape",
                    "the persona file is outside the persona directory %s",
                    L.root_real);
    }
    if (!L.errors) {
        main = add_file(&L, name, real, data, len, true);
        if (main) {
            if (real) {
                RP_GROW(L.stack, L.capstack, L.nstack + 1);
                L.stack[L.nstack++] = (char *)real;
            }
            /* The persona file is loaded last: library files first. */
            lfile mcopy = *main;
            L.nfiles--;
            L.cur_file = mcopy.name;
            ynode *r = ydoc_root(mcopy.doc);
            if (!r || r->type != YNODE_MAP) {
                ERR(&L, r, "wrong-type",
                    "a persona file must be a mapping of keys to values");
                RP_GROW(L.files, L.capfiles, L.nfiles + 1);
                L.files[L.nfiles++] = mcopy;
            } else {
                load_includes(&L, &mcopy);
                RP_GROW(L.files, L.capfiles, L.nfiles + 1);
                L.files[L.nfiles++] = mcopy;
                build_persona(&L, r);
            }
        }
    }
    for (size_t i = 0; i < L.nfiles; i++) {
        RP_GROW(p->files, p->capfiles, p->nfiles + 1);
        p->files[p->nfiles++] = L.files[i].name;
        ydoc_free(L.files[i].doc);
        free(L.files[i].real);
    }
    free(L.files);
    free(L.stack);
    free(L.pend);
    free(L.root_real);
    rp_buf_free(&L.tmp);
    if (L.errors) {
        rp_persona_free(p);
        return NULL;
    }
    p->index = rp_index_build(p);
    return p;
}

rp_persona *rp_persona_load(const char *path, const rp_load_options *opts,
                            rp_diags *diags)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.diags = diags;
    rp_buf_init(&L.tmp);
    size_t len = 0;
    char *data = read_file(&L, path, path, &len, NULL);
    rp_buf_free(&L.tmp);
    if (!data)
        return NULL;
    char *real = realpath(path, NULL);
    char *dir = dir_of(real ? real : path);
    rp_persona *p = load_common(path, real, data, len, opts, diags, dir);
    free(dir);
    free(real);
    free(data);
    return p;
}

rp_persona *rp_persona_load_string(const char *name, const char *yaml,
                                   size_t len, const rp_load_options *opts,
                                   rp_diags *diags)
{
    if (len > limits.max_file_size) {
        rp_diags_add(diags, name, 0, 0, RP_LEVEL_ERROR, "file-too-large",
                     "file is larger than %zu bytes", limits.max_file_size);
        return NULL;
    }
    return load_common(name, NULL, yaml, len, opts, diags, NULL);
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

const char *rp_persona_id(const rp_persona *p)
{
    return p->id ? p->id : "";
}
const char *rp_persona_name(const rp_persona *p)
{
    return p->name;
}
const char *rp_persona_summary(const rp_persona *p)
{
    return p->summary;
}
int rp_persona_difficulty(const rp_persona *p)
{
    return p->difficulty;
}
const char *rp_persona_path(const rp_persona *p)
{
    return p->path;
}
const char *rp_persona_role(const rp_persona *p)
{
    return p->role;
}
const char *rp_persona_organisation(const rp_persona *p)
{
    return p->organisation;
}
const char *rp_persona_scene(const rp_persona *p)
{
    return p->scene;
}
size_t rp_persona_fact_count(const rp_persona *p)
{
    return p->nfacts;
}
const char *rp_persona_fact(const rp_persona *p, size_t i)
{
    return i < p->nfacts ? p->facts[i].text : NULL;
}
size_t rp_persona_stage_count(const rp_persona *p)
{
    return p->nstages;
}
const char *rp_persona_stage_name(const rp_persona *p, size_t i)
{
    return i < p->nstages ? p->stages[i].name : NULL;
}
size_t rp_persona_rule_count(const rp_persona *p)
{
    return p->nrules;
}
bool rp_persona_upper_case(const rp_persona *p)
{
    return p->upper;
}

const char *rp_persona_rule_id(const rp_persona *p, size_t i)
{
    return i < p->nrules && p->rules[i].id ? p->rules[i].id : "";
}

const char *rp_persona_rule_file(const rp_persona *p, size_t i)
{
    return i < p->nrules ? p->rules[i].pos.file : "";
}

int rp_persona_rule_line(const rp_persona *p, size_t i)
{
    return i < p->nrules ? p->rules[i].pos.line : 0;
}

size_t rp_persona_rule_example_count(const rp_persona *p, size_t i)
{
    return i < p->nrules ? p->rules[i].nexamples : 0;
}

const char *rp_persona_rule_example(const rp_persona *p, size_t i, size_t j,
                                    int *line)
{
    if (i >= p->nrules || j >= p->rules[i].nexamples)
        return NULL;
    if (line)
        *line = p->rules[i].examples[j].pos.line;
    return p->rules[i].examples[j].text;
}

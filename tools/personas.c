/*
 * personas.c - finding persona files and loading them.
 *
 * A persona argument is either a path (it contains '/' or ends in
 * ".yaml") or an id, looked up as ID.yaml on the search path:
 *
 *   1. the directory given with --personas DIR,
 *   2. the directories in $RAPPORT_PERSONAS (colon-separated),
 *   3. ./personas,
 *   4. RAPPORT_DATADIR/personas (the installed personas).
 *
 * The first directory holding an id wins, so a learner's own copy
 * shadows the installed one.  Listings take every *.yaml file directly in
 * each directory (never common/, which holds shared includes).  A persona
 * is loaded with includes confined to the directory it was found in; a
 * shared file such as common/score-only.yaml is looked for in the common/
 * directory of each directory on the path, in the same order.  When
 * loading fails the engine's diagnostics are printed, so the user sees
 * exactly what is wrong and where.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools.h"

#define PERSONAS_EXT ".yaml"

/* The directory given with --personas (points into argv), or NULL. */
static const char *personas_dir;

void personas_set_dir(const char *dir)
{
    personas_dir = dir;
}

int personas_check_dir(void)
{
    struct stat st;

    if (personas_dir == NULL)
        return 0;
    if (stat(personas_dir, &st) != 0) {
        msg_error(NULL, "cannot use personas directory '%s': %s", personas_dir,
                  strerror(errno));
        return STATUS_INPUT;
    }
    if (!S_ISDIR(st.st_mode)) {
        msg_error(NULL, "'%s' (given with --personas) is not a directory",
                  personas_dir);
        return STATUS_INPUT;
    }
    return 0;
}

/* A list of strings (directory names). */
struct personas_dirs {
    char **v;
    size_t n;
};

/* Add n bytes of s to dirs, unless empty or already there. */
static void personas_dirs_add(struct personas_dirs *dirs, const char *s,
                              size_t n)
{
    size_t i;

    if (n == 0)
        return;
    for (i = 0; i < dirs->n; i++)
        if (strlen(dirs->v[i]) == n && memcmp(dirs->v[i], s, n) == 0)
            return;
    dirs->v = mem_realloc(dirs->v, (dirs->n + 1) * sizeof dirs->v[0]);
    dirs->v[dirs->n++] = mem_strndup(s, n);
}

/* The search path, in order, without duplicates. */
static void personas_dirs_get(struct personas_dirs *dirs)
{
    const char *env = getenv("RAPPORT_PERSONAS");
    static const char installed[] = RAPPORT_DATADIR "/personas";

    dirs->v = NULL;
    dirs->n = 0;
    if (personas_dir != NULL)
        personas_dirs_add(dirs, personas_dir, strlen(personas_dir));
    while (env != NULL && *env != '\0') {
        const char *colon = strchr(env, ':');
        size_t n = colon ? (size_t)(colon - env) : strlen(env);

        personas_dirs_add(dirs, env, n);
        env = colon ? colon + 1 : NULL;
    }
    personas_dirs_add(dirs, "./personas", strlen("./personas"));
    personas_dirs_add(dirs, installed, strlen(installed));
}

static void personas_dirs_free(struct personas_dirs *dirs)
{
    size_t i;

    for (i = 0; i < dirs->n; i++)
        free(dirs->v[i]);
    free(dirs->v);
}

void personas_describe_path(struct buf *out)
{
    struct personas_dirs dirs;
    size_t i;

    personas_dirs_get(&dirs);
    for (i = 0; i < dirs.n; i++) {
        if (i > 0)
            buf_puts(out, i + 1 == dirs.n ? " and " : ", ");
        buf_puts(out, dirs.v[i]);
    }
    personas_dirs_free(&dirs);
}

/* "DIR/NAME", allocated. */
static char *personas_join(const char *dir, const char *name)
{
    struct buf path = {0};
    size_t n = strlen(dir);

    buf_puts(&path, dir);
    if (n > 0 && dir[n - 1] != '/')
        buf_putc(&path, '/');
    buf_puts(&path, name);
    return buf_detach(&path);
}

static bool personas_is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool personas_has_id(const struct personas_list *list, const char *id)
{
    size_t i;

    for (i = 0; i < list->n; i++)
        if (strcmp(list->v[i].id, id) == 0)
            return true;
    return false;
}

static int personas_entry_cmp(const void *a, const void *b)
{
    const struct personas_entry *x = a, *y = b;

    return strcmp(x->id, y->id);
}

int personas_scan_dir(struct personas_list *list, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t first = list->n;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name), ext = strlen(PERSONAS_EXT);
        struct personas_entry e;
        char *id, *path;

        /* Hidden files (editor backups, ".yaml") are not personas. */
        if (de->d_name[0] == '.' || n <= ext ||
            strcmp(de->d_name + n - ext, PERSONAS_EXT) != 0)
            continue;
        id = mem_strndup(de->d_name, n - ext);
        path = personas_join(dir, de->d_name);
        if (personas_has_id(list, id) || !personas_is_file(path)) {
            free(id);
            free(path);
            continue;
        }
        e.id = id;
        e.path = path;
        e.root = mem_strdup(dir);
        if (list->n == list->cap) {
            list->cap = list->cap ? list->cap * 2 : 16;
            list->v = mem_realloc(list->v, list->cap * sizeof list->v[0]);
        }
        list->v[list->n++] = e;
    }
    closedir(d);
    /* readdir's order is the file system's: sort for stable output. */
    if (list->n > first)
        qsort(list->v + first, list->n - first, sizeof list->v[0],
              personas_entry_cmp);
    return 0;
}

void personas_scan(struct personas_list *list)
{
    struct personas_dirs dirs;
    size_t i;

    personas_dirs_get(&dirs);
    for (i = 0; i < dirs.n; i++)
        personas_scan_dir(list, dirs.v[i]); /* a missing one is fine */
    personas_dirs_free(&dirs);
}

void personas_list_free(struct personas_list *list)
{
    size_t i;

    for (i = 0; i < list->n; i++) {
        free(list->v[i].id);
        free(list->v[i].path);
        free(list->v[i].root);
    }
    free(list->v);
    list->v = NULL;
    list->n = list->cap = 0;
}

/* Whether a persona argument names a file rather than an id. */
static bool personas_is_path(const char *arg)
{
    size_t n = strlen(arg), ext = strlen(PERSONAS_EXT);

    return strchr(arg, '/') != NULL ||
           (n >= ext && strcmp(arg + n - ext, PERSONAS_EXT) == 0);
}

/* Explain that no persona is called id, suggesting a close one. */
static void personas_not_found(const char *cmd, const char *id)
{
    struct personas_list list = {0};
    struct buf where = {0};
    const char **ids;
    const char *best;
    size_t i;

    personas_scan(&list);
    ids = mem_calloc(list.n + 1, sizeof *ids);
    for (i = 0; i < list.n; i++)
        ids[i] = list.v[i].id;
    best = rp_closest(id, ids, list.n);
    if (best != NULL)
        msg_error(cmd, "no persona called '%s'; did you mean '%s'?", id, best);
    else
        msg_error(cmd, "no persona called '%s'", id);
    free(ids);
    personas_describe_path(&where);
    fputs("Looked in ", stderr);
    term_puts(stderr, buf_str(&where), 0);
    fputs(list.n > 0 ? "; 'rapport list' shows the personas there.\n"
                     : "; there are no personas there.\n",
          stderr);
    buf_free(&where);
    personas_list_free(&list);
}

int personas_resolve(const char *cmd, const char *arg, char **path, char **root)
{
    struct personas_dirs dirs;
    struct stat st;
    size_t i;

    *path = *root = NULL;
    if (arg[0] == '\0') {
        msg_error(cmd, "the persona name is empty");
        return STATUS_INPUT;
    }
    if (personas_is_path(arg)) {
        char *copy;

        if (stat(arg, &st) != 0) {
            msg_error(cmd, "cannot read '%s': %s", arg, strerror(errno));
            return STATUS_INPUT;
        }
        if (S_ISDIR(st.st_mode)) {
            msg_error(cmd, "'%s' is a directory, not a persona file", arg);
            return STATUS_INPUT;
        }
        /* Includes stay inside the directory the file is in. */
        copy = mem_strdup(arg);
        *root = mem_strdup(dirname(copy));
        free(copy);
        *path = mem_strdup(arg);
        return 0;
    }
    personas_dirs_get(&dirs);
    for (i = 0; i < dirs.n && *path == NULL; i++) {
        struct buf name = {0};
        char *candidate;

        buf_puts(&name, arg);
        buf_puts(&name, PERSONAS_EXT);
        candidate = personas_join(dirs.v[i], buf_str(&name));
        buf_free(&name);
        if (personas_is_file(candidate)) {
            *path = candidate;
            *root = mem_strdup(dirs.v[i]);
        } else {
            free(candidate);
        }
    }
    personas_dirs_free(&dirs);
    if (*path == NULL) {
        personas_not_found(cmd, arg);
        return STATUS_INPUT;
    }
    return 0;
}

/* RAPPORT_NOJIT (set and not empty) loads personas without JIT-compiling
 * their patterns: slower, but what valgrind can follow (it cannot tell
 * that code PCRE2 generates at run time reads initialised memory). */
unsigned personas_load_flags(void)
{
    const char *nojit = getenv("RAPPORT_NOJIT");

    return nojit != NULL && nojit[0] != '\0' ? RP_LOAD_NOJIT : 0;
}

/* Load the persona file at path with includes confined to root.  On
 * failure, print the diagnostics to stderr and return NULL. */
static rp_persona *personas_load(const char *path, const char *root)
{
    rp_load_options opts = {0};
    rp_diags *diags = rp_diags_new();
    rp_persona *p;

    opts.root = root;

    opts.flags = personas_load_flags();
    p = rp_persona_load(path, &opts, diags);
    if (p == NULL) {
        size_t errors = rp_diags_count_level(diags, RP_LEVEL_ERROR);

        rp_diags_sort(diags);
        fflush(stdout);
        diag_print(stderr, diags);
        if (errors == 0)
            msg_error(NULL, "cannot load '%s'", path);
        else
            msg_error(NULL, "'%s' does not load (%zu error%s)", path, errors,
                      errors == 1 ? "" : "s");
    }
    rp_diags_free(diags);
    return p;
}

rp_persona *personas_open(const char *cmd, const char *arg)
{
    char *path, *root;
    rp_persona *p = NULL;

    if (personas_resolve(cmd, arg, &path, &root) == 0)
        p = personas_load(path, root);
    free(path);
    free(root);
    return p;
}

rp_persona *personas_open_common(const char *cmd, const char *name)
{
    struct personas_dirs dirs;
    struct buf where = {0};
    char *file = personas_join("common", name);
    rp_persona *p = NULL;
    size_t i;

    personas_dirs_get(&dirs);
    for (i = 0; i < dirs.n; i++) {
        char *path = personas_join(dirs.v[i], file);

        if (personas_is_file(path)) {
            /* common/ files include their neighbours: the root is the
             * personas directory, which holds common/. */
            p = personas_load(path, dirs.v[i]);
            free(path);
            goto out_free_dirs;
        }
        free(path);
    }
    personas_describe_path(&where);
    msg_error(cmd, "cannot find %s in any of %s", file, buf_str(&where));
    buf_free(&where);
out_free_dirs:
    personas_dirs_free(&dirs);
    free(file);
    return p;
}

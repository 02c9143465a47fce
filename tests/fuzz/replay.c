/*
 * replay.c - run a fuzz harness over files, without libFuzzer.
 *
 * `make check` links each harness with this main() and feeds it every
 * file of tests/fuzz/corpus/<harness>/ (the seeds and every input that
 * ever crashed), so the corpora are replayed on every run with the
 * ordinary compiler, the way sqlite's fuzzcheck replays its databases.
 * Arguments are files or directories (their regular files, in name
 * order, not recursing).  A crash is a crash; otherwise prints how many
 * inputs ran and exits 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Read the whole file at path; *len gets its size.  NULL on error. */
static uint8_t *replay_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            uint8_t *bigger;
            cap = cap ? cap * 2 : 65536;
            bigger = realloc(data, cap);
            if (bigger == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = bigger;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = n;
    return data;
}

static int replay_file(const char *path)
{
    size_t len = 0;
    uint8_t *data = replay_read(path, &len);

    if (data == NULL) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int replay_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every regular file directly in dir; adds to *count. */
static int replay_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (d == NULL) {
        fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        struct stat st;
        char *path;

        if (e->d_name[0] == '.')
            continue;
        path = malloc(len);
        if (path == NULL)
            abort();
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (names == NULL)
                abort();
        }
        names[n++] = path;
    }
    closedir(d);
    qsort(names, n, sizeof *names, replay_cmp);
    for (i = 0; i < n; i++) {
        if (replay_file(names[i]) != 0)
            rc = -1;
        else
            (*count)++;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int i, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 64;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (replay_dir(argv[i], &count) != 0)
                rc = 1;
        } else if (replay_file(argv[i]) != 0) {
            rc = 1;
        } else {
            count++;
        }
    }
    printf("%s: %zu inputs replayed\n", argv[0], count);
    return rc;
}

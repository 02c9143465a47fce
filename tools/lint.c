/*
 * lint.c - `rapport lint`: check persona files and report every problem.
 *
 * Each persona is loaded with a diagnostics list; the engine reports
 * every problem it finds (it never stops at the first), then a persona
 * that loaded gets the engine's deeper checks (rp_persona_lint: unreachable
 * stages, shadowed rules, ...; see doc/diagnostics.md), and they are
 * printed sorted by file, line and column, each with its source line and
 * a caret, on stdout.  A summary goes to stderr.  As with mandoc, the
 * exit status is the worst level seen: 2 for errors (including a file
 * that cannot be read), 1 for warnings, 0 otherwise (notes do not
 * count).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools.h"

static const char lint_usage[] =
    "Usage: rapport lint [-v] [--all] [FILE|DIR|ID...]\n"
    "\n"
    "Check persona files and report every problem found, as\n"
    "  file:line:col: level: message [code]\n"
    "followed by the source line and a caret.  With no arguments, check\n"
    "every persona on the search path; a directory stands for the *.yaml\n"
    "files directly in it.  Besides what loading checks, a persona that\n"
    "loads is checked for unreachable and dead-end stages, rules that can\n"
    "never fire, missing captures, unused meters and intents, and more;\n"
    "doc/diagnostics.md explains every code.  Problems go to stdout, a\n"
    "summary to stderr.  At most 20 problems of one code are shown per\n"
    "file, then a note says how many more there were.\n"
    "\n"
    "Options:\n"
    "  -v, --verbose  also name the clean files, and sum up when all is well\n"
    "  -a, --all      show every problem, not 20 of each code per file\n"
    "  -h, --help     show this help and exit\n"
    "\n"
    "Exit status: 2 if there were errors (or a file could not be read),\n"
    "else 1 if there were warnings, else 0.\n";

/* What the files checked so far came to. */
struct lint_totals {
    size_t errors, warnings, notes;
    size_t files, unclean;
    bool verbose;
    size_t per_code; /* problems of one code shown per file; 0: all */
};

/* Check one persona file; its includes may not leave root. */
static void lint_file(struct lint_totals *tot, const char *path,
                      const char *root)
{
    rp_load_options opts = {0};
    rp_diags *diags = rp_diags_new();
    rp_persona *p;
    size_t errors;

    opts.root = root;

    opts.flags = personas_load_flags();
    p = rp_persona_load(path, &opts, diags);
    errors = rp_diags_count_level(diags, RP_LEVEL_ERROR);
    if (p == NULL && errors == 0) {
        /* Refused without saying why: still an error, and said so. */
        fflush(stdout);
        msg_error("lint", "%s does not load, and the engine gave no reason",
                  path);
        errors = 1;
    }
    if (p != NULL)
        rp_persona_lint(p, diags); /* the checks beyond loading */
    rp_persona_free(p);
    errors = rp_diags_count_level(diags, RP_LEVEL_ERROR) > errors
                 ? rp_diags_count_level(diags, RP_LEVEL_ERROR)
                 : errors;
    rp_diags_sort(diags);
    diag_print_limited(stdout, diags, tot->per_code);

    tot->files++;
    tot->errors += errors;
    tot->warnings += rp_diags_count_level(diags, RP_LEVEL_WARNING);
    tot->notes += rp_diags_count_level(diags, RP_LEVEL_NOTE);
    if (rp_diags_count(diags) > 0 || errors > 0) {
        tot->unclean++;
    } else if (tot->verbose) {
        term_puts(stdout, path, 0);
        fputs(": clean\n", stdout);
    }
    rp_diags_free(diags);
}

/* Check every persona file in dir.  Returns 0, or STATUS_INPUT when dir
 * cannot be read or holds no persona. */
static int lint_dir(struct lint_totals *tot, const char *dir)
{
    struct personas_list list = {0};
    size_t i;
    int status = 0;

    if (personas_scan_dir(&list, dir) != 0) {
        msg_error("lint", "cannot read directory '%s': %s", dir,
                  strerror(errno));
        return STATUS_INPUT;
    }
    if (list.n == 0) {
        msg_error("lint", "no persona files (*.yaml) in '%s'", dir);
        status = STATUS_INPUT;
    }
    for (i = 0; i < list.n; i++)
        lint_file(tot, list.v[i].path, list.v[i].root);
    personas_list_free(&list);
    return status;
}

/* Check what one argument names: a directory (of persona files), a
 * file, or an id on the search path. */
static int lint_arg(struct lint_totals *tot, const char *arg)
{
    struct stat st;
    char *path, *root;
    int status;

    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        return lint_dir(tot, arg);
    status = personas_resolve("lint", arg, &path, &root);
    if (status == 0)
        lint_file(tot, path, root);
    free(path);
    free(root);
    return status;
}

/* The summary line: "2 errors, 1 warning in 1 file". */
static void lint_summary(const struct lint_totals *tot)
{
    struct buf out = {0};
    size_t clean = tot->files - tot->unclean;

    if (tot->errors + tot->warnings + tot->notes == 0) {
        if (tot->verbose)
            fprintf(stderr, "%zu file%s clean\n", tot->files,
                    tot->files == 1 ? "" : "s");
        return;
    }
    if (tot->errors > 0)
        buf_printf(&out, "%zu error%s", tot->errors,
                   tot->errors == 1 ? "" : "s");
    if (tot->warnings > 0)
        buf_printf(&out, "%s%zu warning%s", out.len ? ", " : "", tot->warnings,
                   tot->warnings == 1 ? "" : "s");
    if (tot->notes > 0)
        buf_printf(&out, "%s%zu note%s", out.len ? ", " : "", tot->notes,
                   tot->notes == 1 ? "" : "s");
    buf_printf(&out, " in %zu file%s", tot->unclean,
               tot->unclean == 1 ? "" : "s");
    if (tot->verbose && clean > 0)
        buf_printf(&out, "; %zu clean", clean);
    fflush(stdout);
    fprintf(stderr, "%s\n", buf_str(&out));
    buf_free(&out);
}

int cmd_lint(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"verbose", no_argument, NULL, 'v'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct lint_totals tot = {.per_code = 20};
    int c, status = 0, i;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ahv", longopts, NULL)) != -1) {
        switch (c) {
        case 'v':
            tot.verbose = true;
            break;
        case 'a':
            tot.per_code = 0;
            break;
        case 'h':
            fputs(lint_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("lint", c, argv);
        }
    }

    if (optind == argc) {
        struct personas_list list = {0};
        size_t k;

        personas_scan(&list);
        if (list.n == 0) {
            struct buf where = {0};

            personas_describe_path(&where);
            msg_error("lint", "no personas found in %s; name files to check",
                      buf_str(&where));
            buf_free(&where);
            status = STATUS_INPUT;
        }
        for (k = 0; k < list.n; k++)
            lint_file(&tot, list.v[k].path, list.v[k].root);
        personas_list_free(&list);
    }
    for (i = optind; i < argc; i++)
        if (lint_arg(&tot, argv[i]) != 0)
            status = STATUS_INPUT;

    lint_summary(&tot);
    if (status != 0 || tot.errors > 0)
        return STATUS_INPUT;
    return tot.warnings > 0 ? STATUS_WARNINGS : STATUS_OK;
}

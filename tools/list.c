/*
 * list.c - `rapport list`: the personas on the search path, easiest
 * first.
 *
 * Each persona gets two lines: its id (what `rapport chat` takes), its
 * difficulty and who it is, then its one-line summary, in aligned
 * columns.  `--json` prints the same as a JSON array for other programs.
 * Loading every persona is also what the interactive picker (pick.c)
 * needs, so list_load is shared with it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* The widest id column before ids are padded no further. */
#define LIST_MAX_ID_COLS 28

static const char list_usage[] =
    "Usage: rapport list [--json]\n"
    "\n"
    "List the personas on the search path, easiest first: the id (what\n"
    "'rapport chat' takes), the difficulty from 1 to 5, who they are, and\n"
    "a one-line summary.  Personas that do not load are reported on stderr\n"
    "(the exit status is then 2); 'rapport lint' shows why.\n"
    "\n"
    "Options:\n"
    "  --json      print a JSON array, one object per persona\n"
    "  -h, --help  show this help and exit\n";

static int list_item_cmp(const void *a, const void *b)
{
    const struct list_item *x = a, *y = b;
    int dx = rp_persona_difficulty(x->persona);
    int dy = rp_persona_difficulty(y->persona);

    if (dx != dy)
        return dx < dy ? -1 : 1;
    return strcmp(x->id, y->id);
}

int list_load(const char *cmd, struct list_item **items, size_t *n)
{
    struct personas_list found = {0};
    struct list_item *v;
    size_t i, count = 0;
    int status = 0;

    personas_scan(&found);
    v = mem_calloc(found.n ? found.n : 1, sizeof v[0]);
    for (i = 0; i < found.n; i++) {
        rp_load_options opts = {0};
        rp_persona *p;

        opts.root = found.v[i].root;

        opts.flags = personas_load_flags();
        p = rp_persona_load(found.v[i].path, &opts, NULL);
        if (p == NULL) {
            msg_error(cmd, "%s (%s) does not load; 'rapport lint %s' says why",
                      found.v[i].id, found.v[i].path, found.v[i].id);
            status = STATUS_INPUT;
            continue;
        }
        v[count].id = mem_strdup(found.v[i].id);
        v[count].persona = p;
        count++;
    }
    personas_list_free(&found);
    qsort(v, count, sizeof v[0], list_item_cmp);
    *items = v;
    *n = count;
    return status;
}

void list_free(struct list_item *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(items[i].id);
        rp_persona_free(items[i].persona);
    }
    free(items);
}

/* Append a difficulty to out as stars, "★★☆☆☆", or as "2/5" when stars
 * is false (no terminal, no UTF-8) or the value is out of range. */
static void list_difficulty(struct buf *out, int difficulty, bool stars)
{
    int i;

    if (!stars || difficulty < 1 || difficulty > 5) {
        buf_printf(out, "%d/5", difficulty);
        return;
    }
    for (i = 1; i <= 5; i++)
        buf_puts(out, i <= difficulty ? "\xe2\x98\x85" : "\xe2\x98\x86");
}

/* "Name, Role" or just "Name": who the persona is. */
static void list_who(struct buf *out, const rp_persona *p)
{
    const char *role = rp_persona_role(p);

    buf_puts(out, rp_persona_name(p));
    if (role != NULL && role[0] != '\0') {
        buf_puts(out, ", ");
        buf_puts(out, role);
    }
}

/* The table: id, difficulty and who on one line, the summary under the
 * who.  On a terminal, lines are cut to its width and the name is
 * bold. */
void list_print(const struct list_item *items, size_t n, bool numbered)
{
    bool tty = term_isatty(stdout);
    bool stars = tty && term_unicode();
    size_t id_cols = 0, diff_cols = 5, width, indent, i;
    struct buf line = {0}, who = {0}, diff = {0};

    for (i = 0; i < n; i++) {
        size_t w = term_strwidth(items[i].id);

        if (w > id_cols)
            id_cols = w < LIST_MAX_ID_COLS ? w : LIST_MAX_ID_COLS;
    }
    indent = (numbered ? 6 : 0) + id_cols + 2 + diff_cols + 2;
    width = tty ? (size_t)term_width(stdout) : SIZE_MAX;
    for (i = 0; i < n; i++) {
        const rp_persona *p = items[i].persona;
        const char *summary = rp_persona_summary(p);

        buf_clear(&line);
        buf_clear(&who);
        buf_clear(&diff);
        if (numbered)
            buf_printf(&line, "%4zu  ", i + 1);
        term_pad(&line, items[i].id, id_cols);
        buf_puts(&line, "  ");
        list_difficulty(&diff, rp_persona_difficulty(p), stars);
        term_pad(&line, buf_str(&diff), diff_cols);
        buf_puts(&line, "  ");
        buf_puts(&line, term_sgr(stdout, TERM_BOLD));
        list_who(&who, p);
        term_truncate(&line, buf_str(&who),
                      width > indent + 10 ? width - indent : 10);
        buf_puts(&line, term_sgr(stdout, TERM_RESET));
        buf_putc(&line, '\n');
        if (summary != NULL && summary[0] != '\0') {
            buf_repeat(&line, ' ', indent);
            term_truncate(&line, summary,
                          width > indent + 10 ? width - indent : 10);
            buf_putc(&line, '\n');
        }
        fwrite(buf_str(&line), 1, line.len, stdout);
    }
    buf_free(&line);
    buf_free(&who);
    buf_free(&diff);
}

/* Append s as a JSON string literal.  Control characters, including the
 * C1 and bidirectional ones, are escaped (the output stays lossless and
 * safe to show); invalid UTF-8 becomes U+FFFD. */
static void list_json_str(struct buf *out, const char *s)
{
    size_t n = s ? strlen(s) : 0, i = 0;

    buf_putc(out, '"');
    while (i < n) {
        uint32_t cp;
        size_t len = term_utf8(s + i, n - i, &cp);

        if (len == 0) {
            buf_puts(out, "\\ufffd");
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\') {
            buf_putc(out, '\\');
            buf_putc(out, (int)cp);
        } else if (cp == '\n') {
            buf_puts(out, "\\n");
        } else if (cp == '\t') {
            buf_puts(out, "\\t");
        } else if (term_is_control(cp)) {
            buf_printf(out, "\\u%04x", (unsigned)cp);
        } else {
            buf_put(out, s + i, len);
        }
        i += len;
    }
    buf_putc(out, '"');
}

static void list_print_json(const struct list_item *items, size_t n)
{
    struct buf out = {0};
    size_t i;

    buf_putc(&out, '[');
    for (i = 0; i < n; i++) {
        const rp_persona *p = items[i].persona;

        buf_puts(&out, i == 0 ? "\n  {" : ",\n  {");
        buf_puts(&out, "\"id\": ");
        list_json_str(&out, items[i].id);
        buf_puts(&out, ", \"name\": ");
        list_json_str(&out, rp_persona_name(p));
        buf_puts(&out, ", \"role\": ");
        list_json_str(&out, rp_persona_role(p));
        buf_puts(&out, ", \"organisation\": ");
        list_json_str(&out, rp_persona_organisation(p));
        buf_printf(&out, ", \"difficulty\": %d", rp_persona_difficulty(p));
        buf_puts(&out, ", \"summary\": ");
        list_json_str(&out, rp_persona_summary(p));
        buf_puts(&out, ", \"path\": ");
        list_json_str(&out, rp_persona_path(p));
        buf_putc(&out, '}');
    }
    buf_puts(&out, n > 0 ? "\n]\n" : "]\n");
    fwrite(buf_str(&out), 1, out.len, stdout);
    buf_free(&out);
}

int cmd_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct list_item *items;
    size_t n;
    bool json = false;
    int c, status;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(list_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("list", c, argv);
        }
    }
    if (optind < argc)
        return msg_usage("list", "unexpected argument '%s'", argv[optind]);

    status = list_load("list", &items, &n);
    if (json) {
        list_print_json(items, n);
    } else if (n == 0 && status == 0) {
        struct buf where = {0};

        personas_describe_path(&where);
        msg_error("list",
                  "no personas found in %s; name a directory with "
                  "--personas DIR or $RAPPORT_PERSONAS",
                  buf_str(&where));
        buf_free(&where);
    } else {
        list_print(items, n, false);
    }
    list_free(items, n);
    return status;
}

/*
 * test_eliza.c - the keyword-script engine against the 1966 program.
 *
 * personas/eliza.yaml is Weizenbaum's DOCTOR script in the persona
 * format.  Every session file under tests/eliza/ (the CACM 1966
 * conversation, the regression sessions and the one-mechanism edge
 * sessions, copied from the project's ELIZA reference material with
 * their provenance comments) is replayed through the public API in a
 * fresh session, and every reply must equal the file's `eliza:` line
 * byte for byte.  A copy of a session with one reply changed must fail,
 * so the comparison itself is tested.  Smaller tests pin the SLIP HASH
 * test vectors and the loader's positioned diagnostics for the
 * keywords block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyword.h" /* rp_kw_slip_hash, for its test vectors */
#include "rapport.h"

static const char *srcdir(void)
{
    const char *s = getenv("RAPPORT_SRCDIR");
    return s ? s : ".";
}

/* Personas from strings: no includes; no JIT when asked (valgrind). */
static const rp_load_options *string_opts(void)
{
    static rp_load_options opts;
    opts.flags = getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0;
    return &opts;
}

static rp_persona *load_eliza(void)
{
    char path[512], root[512];
    snprintf(path, sizeof path, "%s/personas/eliza.yaml", srcdir());
    snprintf(root, sizeof root, "%s/personas", srcdir());
    rp_load_options opts = {root, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load(path, &opts, d);
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        char *s = rp_diag_render(rp_diags_get(d, i), NULL);
        fprintf(stderr, "%s", s);
        free(s);
    }
    assert_int_equal(rp_diags_count(d), 0);
    rp_diags_free(d);
    assert_non_null(p);
    return p;
}

typedef struct tally {
    int sessions, replies, wrong;
} tally;

/* Replay the session text (NUL-terminated, `name` for messages) in a
 * fresh session of p.  Adds to *t; returns the replies compared. */
static int replay(const rp_persona *p, const char *name, char *text, tally *t,
                  bool quiet)
{
    rp_session *s = rp_session_new(p, 1);
    assert_non_null(s);
    int n = 0, lineno = 0;
    const char *pending = NULL; /* the user line awaiting its reply */
    int pending_line = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (line[0] == '#' || len == 0)
            continue;
        if (!strncmp(line, "user: ", 6)) {
            if (pending)
                fail_msg("%s:%d: two user lines in a row", name, lineno);
            pending = line + 6;
            pending_line = lineno;
            continue;
        }
        if (strncmp(line, "eliza: ", 7) || !pending)
            fail_msg("%s:%d: expected 'user: ' then 'eliza: '", name, lineno);
        const rp_turn *turn;
        assert_int_equal(rp_session_turn(s, pending, strlen(pending), &turn),
                         RP_OK);
        const char *want = line + 7, *got = rp_turn_reply(turn);
        n++;
        if (strcmp(want, got)) {
            t->wrong++;
            if (!quiet)
                fprintf(stderr,
                        "%s:%d: reply %d to \"%s\"\n  expected: %s\n  "
                        "got:      %s\n",
                        name, lineno, n, pending, want, got);
        }
        (void)pending_line;
        pending = NULL;
    }
    if (pending)
        fail_msg("%s: the last user line has no reply", name);
    rp_session_free(s);
    t->sessions++;
    t->replies += n;
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    size_t got;
    while ((got = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            b = realloc(b, cap);
        }
    }
    fclose(f);
    b[len] = '\0';
    return b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every *.txt in dir (sorted); returns the number of files. */
static int replay_dir(const rp_persona *p, const char *dir, tally *t)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", srcdir(), dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".txt"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", srcdir(), dir, names[i]);
        char *text = slurp(path);
        assert_non_null(text);
        char shown[512];
        snprintf(shown, sizeof shown, "%s/%s", dir, names[i]);
        replay(p, shown, text, t, false);
        free(text);
        free(names[i]);
    }
    return n;
}

static void test_cacm_conversation(void **state)
{
    (void)state;
    rp_persona *p = load_eliza();
    char path[512];
    snprintf(path, sizeof path, "%s/tests/eliza/cacm-1966-conversation.txt",
             srcdir());
    char *text = slurp(path);
    assert_non_null(text);
    tally t = {0, 0, 0};
    int n =
        replay(p, "tests/eliza/cacm-1966-conversation.txt", text, &t, false);
    free(text);
    printf("eliza: CACM 1966 conversation: %d of %d turns exact\n", n - t.wrong,
           n);
    assert_int_equal(n, 15);
    assert_int_equal(t.wrong, 0);
    rp_persona_free(p);
}

static void test_regression_sessions(void **state)
{
    (void)state;
    rp_persona *p = load_eliza();
    tally t = {0, 0, 0};
    int nreg = replay_dir(p, "tests/eliza/regression", &t);
    int nedge = replay_dir(p, "tests/eliza/regression/edge", &t);
    printf("eliza: %d regression + %d edge sessions, %d of %d replies "
           "exact\n",
           nreg, nedge, t.replies - t.wrong, t.replies);
    /* Every session copied from the reference material is here. */
    assert_int_equal(nreg, 7);
    assert_int_equal(nedge, 13);
    assert_int_equal(t.wrong, 0);
    rp_persona_free(p);
}

/* The comparison can fail: one changed reply in a copy is caught. */
static void test_changed_reply_is_caught(void **state)
{
    (void)state;
    rp_persona *p = load_eliza();
    char path[512];
    snprintf(path, sizeof path, "%s/tests/eliza/cacm-1966-conversation.txt",
             srcdir());
    char *text = slurp(path);
    assert_non_null(text);
    char *r = strstr(text, "eliza: YOUR FATHER\n");
    assert_non_null(r);
    memcpy(r + 7, "MY", 2); /* "MY FATHER" instead of "YOUR FATHER" */
    memmove(r + 9, r + 11, strlen(r + 11) + 1);
    tally t = {0, 0, 0};
    replay(p, "changed copy", text, &t, true);
    free(text);
    assert_int_equal(t.wrong, 1);
    rp_persona_free(p);
}

static void test_slip_hash_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *w;
        unsigned h;
    } v[] = {{"HERE", 3},   {"MOTHER", 3},         {"YOU", 2},
             {"FATHER", 2}, {"EVERYBODY", 1},      {"KIDS", 1},
             {"TIME", 0},   {"GLOUCESTERSHIRE", 2}};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        assert_int_equal(rp_kw_slip_hash(v[i].w, strlen(v[i].w), 2), v[i].h);
    /* The paper's own example: 7 bits of ALWAYS. */
    assert_int_equal(rp_kw_slip_hash("ALWAYS", 6, 7), 14);
    /* Case does not matter: the 7094 had capitals only. */
    assert_int_equal(rp_kw_slip_hash("mother", 6, 2), 3);
}

static bool has(const rp_diags *d, const char *code, int line)
{
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        const rp_diag *x = rp_diags_get(d, i);
        if (!strcmp(x->code, code) && (line == 0 || x->line == line) &&
            x->col > 0)
            return true;
    }
    return false;
}

static void test_loader_diagnostics(void **state)
{
    (void)state;
    static const char yaml[] = "id: k\n"                       /* 1 */
                               "name: K\n"                     /* 2 */
                               "start: s\n"                    /* 3 */
                               "stages: {s: {}}\n"             /* 4 */
                               "keywords:\n"                   /* 5 */
                               "  limt: 4\n"                   /* 6 */
                               "  none: [WHAT 2]\n"            /* 7 */
                               "  rules:\n"                    /* 8 */
                               "    A:\n"                      /* 9 */
                               "      redirect: NOPE\n"        /* 10 */
                               "    B:\n"                      /* 11 */
                               "      decompose:\n"            /* 12 */
                               "        - match: 0 (/KIN) 0\n" /* 13 */
                               "          reply: X\n"          /* 14 */
                               "        - match: 0 (* A B 0\n" /* 15 */
                               "          reply: X\n"          /* 16 */
                               "        - match: 0 B 0\n"      /* 17 */
                               "          reply: [Y 4]\n";     /* 18 */
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load_string("k.yaml", yaml, sizeof yaml - 1,
                                           string_opts(), d);
    assert_null(p);
    assert_true(has(d, "unknown-key", 6));
    assert_true(has(d, "part-range", 7));
    assert_true(has(d, "undefined-keyword", 10));
    assert_true(has(d, "undefined-tag", 13));
    assert_true(has(d, "bad-decomposition", 15));
    assert_true(has(d, "part-range", 18));
    /* Every code is in the catalogue. */
    const rp_diag_code *cat = rp_diag_catalogue();
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        bool found = false;
        for (size_t j = 0; cat[j].code && !found; j++)
            found = !strcmp(cat[j].code, rp_diags_get(d, i)->code);
        assert_true(found);
    }
    rp_diags_free(d);
}

/* A persona's own rules still come first; the script answers the rest,
 * and any persona may use it (nothing depends on the persona's name). */
static void test_rules_before_keywords(void **state)
{
    (void)state;
    static const char yaml[] =
        "id: other\n"
        "name: Other\n"
        "start: s\n"
        "stages:\n"
        "  s:\n"
        "    rules:\n"
        "      - id: hi\n"
        "        when: {patterns: [hello]}\n"
        "        reply: Hi there.\n"
        "keywords:\n"
        "  none: [Go on.]\n"
        "  rules:\n"
        "    dream:\n"
        "      decompose:\n"
        "        - match: 0 dream 0\n"
        "          reply: [\"A dream 3 ?\", {newkey: true}]\n";
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load_string("o.yaml", yaml, sizeof yaml - 1,
                                           string_opts(), d);
    assert_non_null(p);
    rp_diags_free(d);
    rp_session *s = rp_session_new(p, 1);
    const rp_turn *t;
    assert_int_equal(rp_session_turn(s, "hello", 5, &t), RP_OK);
    assert_string_equal(rp_turn_reply(t), "Hi there.");
    assert_null(rp_turn_keyword(t)); /* a rule answered */
    const char *l = "I had a dream about trains";
    assert_int_equal(rp_session_turn(s, l, strlen(l), &t), RP_OK);
    assert_string_equal(rp_turn_reply(t), "A dream about trains ?");
    assert_false(rp_turn_fallback(t));
    assert_string_equal(rp_turn_keyword(t),
                        "DREAM: \"0 dream 0\" (line 15) reply 1");
    assert_int_equal(rp_session_turn(s, l, strlen(l), &t), RP_OK);
    assert_string_equal(rp_turn_reply(t), "Go on.");
    assert_true(rp_turn_fallback(t));
    assert_string_equal(rp_turn_keyword(t),
                        "DREAM: \"0 dream 0\" (line 15) reply 2 (NEWKEY) > "
                        "NONE reply 1");
    rp_session_restart(s);
    assert_int_equal(rp_session_turn(s, l, strlen(l), &t), RP_OK);
    assert_string_equal(rp_turn_reply(t), "A dream about trains ?");
    rp_session_free(s);
    rp_persona_free(p);
}

/* The example of personas/README.md ("Keyword scripts") loads and works:
 * the documentation cannot drift from the loader. */
static void test_readme_example(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/personas/README.md", srcdir());
    char *doc = slurp(path);
    assert_non_null(doc);
    char *sec = strstr(doc, "## Keyword scripts");
    assert_non_null(sec);
    char *y = strstr(sec, "```yaml\n");
    assert_non_null(y);
    y += 8;
    char *end = strstr(y, "```");
    assert_non_null(end);
    static const char head[] = "id: doc\nname: Doc\nstart: s\n"
                               "stages: {s: {}}\n";
    size_t n = strlen(head) + (size_t)(end - y);
    char *yaml = malloc(n + 1);
    memcpy(yaml, head, strlen(head));
    memcpy(yaml + strlen(head), y, (size_t)(end - y));
    yaml[n] = '\0';
    rp_diags *d = rp_diags_new();
    rp_persona *p =
        rp_persona_load_string("README.md", yaml, n, string_opts(), d);
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        char *r = rp_diag_render(rp_diags_get(d, i), NULL);
        fprintf(stderr, "%s", r);
        free(r);
    }
    assert_int_equal(rp_diags_count(d), 0);
    assert_non_null(p);
    static const char *const talk[][2] = {
        /* LIMIT 2; the memory: hash("KIND", 1 bit) = 0, the first rule */
        {"Well, my mother is kind.", "TELL ME MORE ABOUT YOUR FAMILY"},
        {"I\u2019m sad", "IS IT BECAUSE YOU ARE SAD THAT YOU CAME TO ME"},
        {"Hmm", "EARLIER YOU SAID YOUR MOTHER IS KIND"}, /* LIMIT 4 */
        {"You are like a cat", "IN WHAT WAY"},
        {"How?", "WHY DO YOU ASK"},
        {"Hmm", "I AM NOT SURE I UNDERSTAND YOU FULLY"},
    };
    rp_session *s = rp_session_new(p, 1);
    for (size_t i = 0; i < sizeof talk / sizeof *talk; i++) {
        const rp_turn *t;
        assert_int_equal(rp_session_turn(s, talk[i][0], strlen(talk[i][0]), &t),
                         RP_OK);
        assert_string_equal(rp_turn_reply(t), talk[i][1]);
    }
    rp_session_free(s);
    rp_persona_free(p);
    rp_diags_free(d);
    free(yaml);
    free(doc);
}

/* Work per line is bounded: long lines of keywords answer quickly and
 * never with silence, and a loop of redirects ends in NONE. */
static void test_bounded_work(void **state)
{
    (void)state;
    rp_persona *p = load_eliza();
    rp_session *s = rp_session_new(p, 1);
    static const char *const unit[] = {"I you ", "x ", "my I think you ",
                                       "you, I. but my "};
    char *line = malloc(16 * 1024 + 1);
    clock_t t0 = clock();
    for (size_t u = 0; u < sizeof unit / sizeof *unit; u++) {
        size_t n = 0, ul = strlen(unit[u]);
        while (n + ul <= 16 * 1024) {
            memcpy(line + n, unit[u], ul);
            n += ul;
        }
        line[n] = '\0';
        const rp_turn *t;
        assert_int_equal(rp_session_turn(s, line, n, &t), RP_OK);
        assert_true(strlen(rp_turn_reply(t)) > 0);
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    fprintf(stderr, "eliza: four 16 KiB lines in %.2f s of CPU\n", secs);
    /* 0.2 s here; valgrind (make leakcheck) is some 250 times slower. */
    const char *pre = getenv("LD_PRELOAD");
    if (!pre || !strstr(pre, "vgpreload"))
        assert_true(secs < 2.0);
    free(line);
    rp_session_free(s);
    rp_persona_free(p);

    static const char yaml[] = "id: loop\nname: Loop\nstart: s\n"
                               "stages: {s: {}}\n"
                               "keywords:\n"
                               "  none: [NOTHING]\n"
                               "  rules:\n"
                               "    A: {redirect: B}\n"
                               "    B: {redirect: A}\n";
    rp_diags *d = rp_diags_new();
    p = rp_persona_load_string("loop.yaml", yaml, sizeof yaml - 1,
                               string_opts(), d);
    assert_non_null(p);
    rp_diags_free(d);
    s = rp_session_new(p, 1);
    const rp_turn *t;
    assert_int_equal(rp_session_turn(s, "a b", 3, &t), RP_OK);
    assert_string_equal(rp_turn_reply(t), "NOTHING");
    rp_session_free(s);
    rp_persona_free(p);
}

/* Every code the keyword loader can emit is in the catalogue: each
 * "lower-case-with-dashes" literal in engine/keyword_load.c is a code. */
static void test_codes_in_catalogue(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/engine/keyword_load.c", srcdir());
    char *src = slurp(path);
    assert_non_null(src);
    const rp_diag_code *cat = rp_diag_catalogue();
    size_t checked = 0;
    for (char *q = strchr(src, '"'); q; q = strchr(q + 1, '"')) {
        char *e = strchr(q + 1, '"');
        if (!e)
            break;
        size_t n = (size_t)(e - q - 1);
        bool code = n > 3 && memchr(q + 1, '-', n) != NULL;
        for (char *c = q + 1; c < e && code; c++)
            code = (*c >= 'a' && *c <= 'z') || *c == '-';
        if (code) {
            bool found = false;
            for (size_t i = 0; cat[i].code && !found; i++)
                found =
                    strlen(cat[i].code) == n && !strncmp(cat[i].code, q + 1, n);
            if (!found)
                fail_msg("code \"%.*s\" is not in the catalogue", (int)n,
                         q + 1);
            checked++;
        }
        q = e;
    }
    free(src);
    assert_true(checked >= 12);
}

/* Is s valid UTF-8 (shortest forms, no surrogates)? */
static bool utf8_ok(const unsigned char *s)
{
    while (*s) {
        size_t n = *s < 0x80         ? 1
                   : (*s >> 5) == 6  ? 2
                   : (*s >> 4) == 14 ? 3
                   : (*s >> 3) == 30 ? 4
                                     : 0;
        if (n == 0)
            return false;
        for (size_t i = 1; i < n; i++)
            if ((s[i] & 0xc0) != 0x80)
                return false;
        s += n;
    }
    return true;
}

/* Random lines of keywords, punctuation, control characters and stray
 * bytes: every reply is non-empty UTF-8 without control characters. */
static void test_random_lines(void **state)
{
    (void)state;
    static const char *const vocab[] = {"I",
                                        "you",
                                        "my",
                                        "me",
                                        "mother",
                                        "dad",
                                        "like",
                                        "are",
                                        "was",
                                        "were",
                                        "am",
                                        "I'm",
                                        "you're",
                                        "why",
                                        "can't",
                                        "cant",
                                        "dream",
                                        "if",
                                        "but",
                                        "BUT",
                                        ",",
                                        ".",
                                        "?",
                                        "!",
                                        "--",
                                        "\"",
                                        "none",
                                        "memory",
                                        "NEWKEY",
                                        "=WHAT",
                                        "0",
                                        "4",
                                        "(",
                                        ")",
                                        "\t",
                                        "\x01",
                                        "\xff",
                                        "\xe2\x80\x99",
                                        "\xc3\xa9t\xc3\xa9",
                                        "computer",
                                        "always",
                                        "remember",
                                        "everybody"};
    rp_persona *p = load_eliza();
    rp_session *s = rp_session_new(p, 1);
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    char line[512];
    for (int i = 0; i < 1000; i++) {
        size_t n = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int words = (int)(x % 24);
        for (int w = 0; w < words; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *v = vocab[x % (sizeof vocab / sizeof *vocab)];
            size_t l = strlen(v);
            if (n + l + 2 >= sizeof line)
                break;
            memcpy(line + n, v, l);
            n += l;
            if (x & 0x100)
                line[n++] = ' ';
        }
        line[n] = '\0';
        const rp_turn *t;
        assert_int_equal(rp_session_turn(s, line, n, &t), RP_OK);
        const char *r = rp_turn_reply(t);
        assert_true(r[0] != '\0');
        assert_true(utf8_ok((const unsigned char *)r));
        for (const char *c = r; *c; c++)
            assert_false((unsigned char)*c < 0x20 || *c == 0x7f);
    }
    rp_session_free(s);
    rp_persona_free(p);
}

/* select: random draws replies from the session's seed: the same seed
 * gives the same replies, and all of them come up. */
static void test_random_select(void **state)
{
    (void)state;
    static const char yaml[] =
        "id: r\nname: R\nstart: s\n"
        "stages: {s: {}}\n"
        "keywords:\n"
        "  select: random\n"
        "  none: [N1, N2]\n"
        "  rules:\n"
        "    X:\n"
        "      decompose:\n"
        "        - {match: \"0\", reply: [A, B, C, D]}\n";
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load_string("r.yaml", yaml, sizeof yaml - 1,
                                           string_opts(), d);
    assert_non_null(p);
    rp_diags_free(d);
    char seq[3][41];
    static const uint64_t seeds[3] = {7, 7, 8};
    for (int k = 0; k < 3; k++) {
        rp_session *s = rp_session_new(p, seeds[k]);
        for (int i = 0; i < 40; i++) {
            const rp_turn *t;
            assert_int_equal(rp_session_turn(s, "x", 1, &t), RP_OK);
            seq[k][i] = rp_turn_reply(t)[0];
        }
        seq[k][40] = '\0';
        rp_session_free(s);
    }
    assert_string_equal(seq[0], seq[1]);
    assert_string_not_equal(seq[0], seq[2]);
    for (const char *c = "ABCD"; *c; c++)
        assert_non_null(strchr(seq[0], *c));
    rp_persona_free(p);
}

/* A decomposition after a pattern of only 0s is never tried: a warning,
 * and the persona still loads. */
static void test_unreachable_warning(void **state)
{
    (void)state;
    static const char yaml[] = "id: w\nname: W\nstart: s\n"            /* 1-3 */
                               "stages: {s: {}}\n"                     /* 4 */
                               "keywords:\n"                           /* 5 */
                               "  none: [N]\n"                         /* 6 */
                               "  rules:\n"                            /* 7 */
                               "    X:\n"                              /* 8 */
                               "      decompose:\n"                    /* 9 */
                               "        - {match: 0 0, reply: A}\n"    /* 10 */
                               "        - {match: 0 B 0, reply: B}\n"; /* 11 */
    rp_diags *d = rp_diags_new();
    rp_persona *p = rp_persona_load_string("w.yaml", yaml, sizeof yaml - 1,
                                           string_opts(), d);
    assert_non_null(p);
    assert_int_equal(rp_diags_count(d), 1);
    const rp_diag *x = rp_diags_get(d, 0);
    assert_string_equal(x->code, "catch-all");
    assert_int_equal(x->level, RP_LEVEL_WARNING);
    assert_int_equal(x->line, 11);
    rp_diags_free(d);
    rp_persona_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cacm_conversation),
        cmocka_unit_test(test_regression_sessions),
        cmocka_unit_test(test_changed_reply_is_caught),
        cmocka_unit_test(test_slip_hash_vectors),
        cmocka_unit_test(test_loader_diagnostics),
        cmocka_unit_test(test_codes_in_catalogue),
        cmocka_unit_test(test_unreachable_warning),
        cmocka_unit_test(test_rules_before_keywords),
        cmocka_unit_test(test_readme_example),
        cmocka_unit_test(test_bounded_work),
        cmocka_unit_test(test_random_lines),
        cmocka_unit_test(test_random_select),
    };
    return cmocka_run_group_tests_name("eliza", tests, NULL, NULL);
}

/*
 * test_hostile.c - hostile learner input against the shipped personas
 * (issue 9): invalid UTF-8, a 1 MB line, NUL bytes, control and escape
 * characters, emoji, right-to-left text, empty and whitespace lines.
 *
 * Every line must get an answer; the reply, the line as the engine saw
 * it, the coaching note, the hint and the session's JSON must carry no
 * byte that could drive a terminal (C0 controls but '\n' and '\t', DEL,
 * C1, bidirectional overrides and isolates) and must be valid UTF-8;
 * and every turn must stay bounded in CPU time, also with rules whose
 * regexes backtrack catastrophically (PCRE2's match limit makes such a
 * match a non-match, RP_RULE_LIMIT in the trace).
 *
 * The time bound, TURN_CPU_MAX seconds of CPU per turn, is far above
 * what a turn takes (milliseconds to a tenth of a second for 16 KiB) so
 * that sanitizer builds and a busy machine pass, and far below what an
 * unbounded exponential match on these lines would take (longer than the age of
 * the universe).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rapport.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* Under valgrind (make leakcheck) everything runs some 50 times slower:
 * the bound grows with it, and still catches an exponential match. */
#define TURN_CPU_MAX (RUNNING_ON_VALGRIND ? 200.0 : 2.0)

/* The hostile lines, with their lengths (they hold NULs). */
struct line {
    const char *what;
    const char *s;
    size_t n;
};
#define L(what, lit)                                                           \
    {                                                                          \
        what, lit, sizeof lit - 1                                              \
    }
static const struct line lines[] = {
    L("invalid UTF-8", "hi \xff\xfe what do you \x80 work on?"),
    L("truncated UTF-8", "what do you do\xe2\x82"),
    L("overlong slash", "\xc0\xaf\xe0\x80\xaf etc passwd"),
    L("UTF-16 surrogate", "tell me \xed\xa0\x80\xed\xb0\x80 more"),
    L("NUL bytes", "what\0 do you\0\0 work on?\0"),
    L("only NULs", "\0\0\0\0"),
    L("ANSI CSI", "\x1b[2J\x1b[31mred alert\x1b[0m what do you do?"),
    L("OSC title", "\x1b]0;pwned\x07 hello"),
    L("C0 controls", "back\bspace\r carriage\x07"
                     "bell \x7f"
                     " del"),
    L("C1 CSI", "\xc2\x9b"
                "31m hi \xc2\x85 next"),
    L("emoji", "\xe2\x98\x95\xef\xb8\x8f coffee? \xf0\x9f\x91\xa9\xe2\x80\x8d"
               "\xf0\x9f\x94\xac what do you work on \xf0\x9f\x9a\x80?"),
    L("Hebrew", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d, what do you do?"),
    L("Arabic", "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 how did you start?"),
    L("RLO override", "my name is \xe2\x80\xae"
                      "gnp.exe\xe2\x80\xac ok"),
    L("bidi isolates", "\xe2\x81\xa6 isolated \xe2\x81\xa9 text?"),
    L("empty", ""),
    L("spaces", "      "),
    L("tabs and spaces", " \t \t "),
    L("newlines", "\n\n\r\n"),
    L("only punctuation", "?!?!.,,;:"),
};

/* Is s[0..n) valid UTF-8 free of terminal controls?  input: the line
 * as the engine saw it (rp_turn_input), which keeps '\r' and the
 * bidirectional controls the learner typed, for fidelity (the spans of
 * evidence index into it); tools/term.c escapes them on the way out. */
static bool clean_as(const char *s, size_t n, bool input)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i], cp, len, k;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n' && c != '\t' && !(input && c == '\r')) ||
                c == 0x7f)
                return false;
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, cp = c & 0x07;
        else
            return false;
        if (i + len > n)
            return false;
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        if (cp >= 0x80 && cp <= 0x9f) /* C1 */
            return false;
        if (!input &&
            ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)))
            return false; /* bidirectional overrides and isolates */
        i += len;
    }
    return true;
}

static bool clean_str(const char *s)
{
    return s != NULL && clean_as(s, strlen(s), false);
}

static bool clean_input(const char *s)
{
    return s != NULL && clean_as(s, strlen(s), true);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char root[512];

static rp_load_options options(void)
{
    const char *srcdir = getenv("RAPPORT_SRCDIR");
    rp_load_options opts = {NULL, 0};

    snprintf(root, sizeof root, "%s/personas", srcdir ? srcdir : ".");
    opts.root = root;
    /* make leakcheck runs without the JIT (opaque to valgrind) */
    opts.flags = getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0;
    return opts;
}

static rp_persona *load_shipped(const char *id)
{
    rp_load_options opts = options();
    char path[600];
    rp_diags *d = rp_diags_new();
    rp_persona *p;

    snprintf(path, sizeof path, "%s/%s.yaml", root, id);
    p = rp_persona_load(path, &opts, d);
    rp_diags_free(d);
    assert_non_null(p);
    return p;
}

/* One turn of line: answered, clean, bounded.  Returns the turn. */
static const rp_turn *turn(rp_session *s, const char *what, const char *line,
                           size_t n)
{
    const rp_turn *t = NULL;
    double t0 = cpu_now(), spent;
    char *str;

    assert_int_equal(rp_session_turn(s, line, n, &t), RP_OK);
    spent = cpu_now() - t0;
    if (spent > TURN_CPU_MAX)
        fail_msg("%s: the turn took %.2f s of CPU", what, spent);
    if (strlen(rp_turn_reply(t)) == 0)
        fail_msg("%s: no answer", what);
    if (!clean_str(rp_turn_reply(t)))
        fail_msg("%s: the reply is not clean: %s", what, rp_turn_reply(t));
    if (!clean_input(rp_turn_input(t)))
        fail_msg("%s: the line as seen is not clean", what);
    if (!clean_input(rp_turn_normalised(t)))
        fail_msg("%s: the normalised line is not clean", what);
    str = rp_turn_coaching(t);
    if (!clean_str(str))
        fail_msg("%s: the coaching note is not clean", what);
    free(str);
    return t;
}

/* Each hostile line as the first turn of a fresh conversation, and all
 * of them in one conversation, with each shipped persona. */
static void run_persona(const char *id)
{
    rp_persona *p = load_shipped(id);
    size_t i;

    for (i = 0; i < sizeof lines / sizeof *lines; i++) {
        rp_session *s = rp_session_new(p, i);
        turn(s, lines[i].what, lines[i].s, lines[i].n);
        rp_session_free(s);
    }

    rp_session *s = rp_session_new(p, 7);
    char *str;
    for (i = 0; i < sizeof lines / sizeof *lines && !rp_session_ended(s); i++)
        turn(s, lines[i].what, lines[i].s, lines[i].n);
    str = rp_session_hint(s);
    assert_true(clean_str(str));
    free(str);
    /* JSON escapes every control byte; it carries the learner's bidi
     * controls as they came (tools/term.c's term_json_puts escapes them
     * for the terminal), so it is checked as input. */
    str = rp_session_json(s);
    assert_non_null(str);
    for (const char *c = str; *c; c++)
        assert_true((unsigned char)*c >= 0x20);
    assert_true(clean_input(str));
    free(str);
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_curious_mentor(void **state)
{
    (void)state;
    run_persona("curious-mentor");
}

static void test_rushed_alumnus(void **state)
{
    (void)state;
    run_persona("rushed-alumnus");
}

/* A 1 MB line, of words and of one letter: answered, bounded (the engine
 * reads the first 16 KiB, rp_limits_get()->max_input). */
static void test_megabyte_line(void **state)
{
    (void)state;
    rp_persona *p = load_shipped("curious-mentor");
    size_t big = 1 << 20, i;
    char *line = malloc(big);
    static const char words[] = "so what do you work on and why? ";
    rp_session *s;
    const rp_turn *t;

    assert_non_null(line);
    for (i = 0; i < big; i++)
        line[i] = words[i % (sizeof words - 1)];
    s = rp_session_new(p, 1);
    t = turn(s, "1 MB of words", line, big);
    assert_true(strlen(rp_turn_input(t)) <= rp_limits_get()->max_input);
    memset(line, 'a', big);
    turn(s, "1 MB of one letter", line, big);
    for (i = 0; i < big; i++)
        line[i] = (char)(i % 3 == 0 ? 0xff : i % 3 == 1 ? 0x1b : 0);
    turn(s, "1 MB of garbage", line, big);
    rp_session_free(s);
    free(line);
    rp_persona_free(p);
}

/* Rules with catastrophic regexes, beside the shared intent library, met
 * by lines made to make them backtrack: each turn ends within the bound,
 * the evil rules are a non-match (RP_RULE_LIMIT), and a fallback or a
 * later rule answers. */
static void test_catastrophic_rules(void **state)
{
    (void)state;
    static const char yaml[] =
        "id: evil\nname: Eve\n"
        "include: [common/intents.yaml, common/reflections.yaml]\n"
        "start: s\n"
        "stages:\n"
        "  s:\n"
        "    rules:\n"
        "      - id: nested\n"
        "        when: {regex: \"(a+)+$\"}\n"
        "        reply: nested matched\n"
        "      - id: words\n"
        "        when: {regex: \"^(\\\\w+\\\\s?)*$\"}\n"
        "        reply: words matched\n"
        "      - id: alternation\n"
        "        when: {regex: \"(a|aa)+$\"}\n"
        "        reply: alternation matched\n"
        "      - id: greeting\n"
        "        when: {intents: [greeting]}\n"
        "        reply: Hello there.\n"
        "    fallback: [I did not follow.]\n";
    rp_load_options opts = options();
    rp_diags *d = rp_diags_new();
    rp_persona *p =
        rp_persona_load_string("evil.yaml", yaml, sizeof yaml - 1, &opts, d);
    size_t n = 16 * 1024, i, k;
    char *line = malloc(n + 8);
    rp_session *s;
    const rp_turn *t;
    bool limited = false;

    assert_int_equal(rp_diags_count_level(d, RP_LEVEL_ERROR), 0);
    rp_diags_free(d);
    assert_non_null(p);
    assert_non_null(line);
    s = rp_session_new(p, 1);
    for (k = 0; k < 3; k++) {
        /* 'aaaa...a !', 'a a a ... a !' and 'hello aaaa...a!' */
        for (i = 0; i < n; i++)
            line[i] = k == 1 && i % 2 ? ' ' : 'a';
        if (k == 2)
            memcpy(line, "hello ", 6);
        memcpy(line + n, " !", 3);
        t = turn(s, "catastrophic", line, n + 2);
        assert_false(strstr(rp_turn_reply(t), "matched") != NULL);
        for (i = 0; i < rp_turn_rule_trace_count(t); i++)
            if (rp_turn_rule_trace(t, i)->verdict == RP_RULE_LIMIT)
                limited = true;
    }
    /* At least one evil rule ran into PCRE2's limit and says so. */
    assert_true(limited);
    rp_session_free(s);
    free(line);
    rp_persona_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curious_mentor),
        cmocka_unit_test(test_rushed_alumnus),
        cmocka_unit_test(test_megabyte_line),
        cmocka_unit_test(test_catastrophic_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_pattern.c - unit tests for engine/pattern.c (stage 2a: compiling
 * and matching patterns).
 *
 * Every behavioural test runs twice, with the JIT and without it
 * (RP_PAT_NOJIT), and a dedicated test checks the two give identical
 * results over a table of patterns and subjects.  Subjects are written in
 * the match-text form of text.h (" tok tok ... ").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "text.h"

static const unsigned modes[] = {0, RP_PAT_NOJIT};
#define NMODES (sizeof modes / sizeof *modes)

/* Word sets for @name. */
static const char *const set_field[] = {"data", "product", "data science",
                                        "design"};
static const char *const set_langs[] = {"c++", "a\\Eb", "node.js"};
static const char *const set_bad[] = {"ok", "\xff"};
static const char *const set_blank[] = {"", "  "};

static bool lookup(void *ctx, const char *name, size_t len,
                   const char *const **entries, size_t *count)
{
    (void)ctx;
    static const struct {
        const char *name;
        const char *const *e;
        size_t n;
    } sets[] = {
        {"field", set_field, 4},
        {"langs", set_langs, 3},
        {"bad", set_bad, 2},
        {"blank", set_blank, 2},
    };
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        if (strlen(sets[i].name) == len && !memcmp(sets[i].name, name, len)) {
            *entries = sets[i].e;
            *count = sets[i].n;
            return true;
        }
    return false;
}

/* Compile or fail the test, showing the error. */
static rp_pattern *compile_flags(const char *src, unsigned flags)
{
    rp_pattern_error err;
    rp_pattern *p =
        rp_pattern_compile(src, strlen(src), flags, lookup, NULL, &err);
    if (!p)
        fail_msg("'%s' failed to compile at %zu: %s", src, err.offset,
                 err.message);
    return p;
}

/* Match src against subject: the return code, *m filled on a match. */
static int match_flags(const char *src, unsigned flags, const char *subject,
                       rp_match *m)
{
    rp_pattern *p = compile_flags(src, flags);
    pcre2_match_data *md = rp_pattern_match_data();
    int rc = rp_pattern_match(p, subject, strlen(subject), 0, md, NULL, m);
    pcre2_match_data_free(md);
    rp_pattern_free(p);
    return rc;
}

/* The text of a span, in a caller's buffer. */
static const char *span_str(const char *subject, rp_span s, char *buf,
                            size_t cap)
{
    assert_true(s.start <= s.end);
    assert_true(s.end <= strlen(subject));
    assert_true(s.end - s.start < cap);
    memcpy(buf, subject + s.start, s.end - s.start);
    buf[s.end - s.start] = '\0';
    return buf;
}

/* Assert src matches subject in every mode, with this whole match and
 * these captures (NULL-terminated list; "" for an empty capture). */
static void expect_match(const char *src, const char *subject,
                         const char *whole, ...)
{
    for (size_t k = 0; k < NMODES; k++) {
        rp_match m;
        char buf[256];
        int rc = match_flags(src, modes[k], subject, &m);
        if (rc != RP_MATCH_OK)
            fail_msg("'%s' vs '%s' (mode %u): rc %d", src, subject, modes[k],
                     rc);
        assert_string_equal(span_str(subject, m.whole, buf, sizeof buf), whole);
        va_list ap;
        va_start(ap, whole);
        unsigned i = 0;
        const char *cap;
        while ((cap = va_arg(ap, const char *)) != NULL) {
            assert_true(i < m.ncaps);
            assert_string_equal(span_str(subject, m.caps[i], buf, sizeof buf),
                                cap);
            i++;
        }
        va_end(ap);
        assert_int_equal(m.ncaps, i);
    }
}

static void expect_no_match(const char *src, const char *subject)
{
    for (size_t k = 0; k < NMODES; k++) {
        rp_match m;
        int rc = match_flags(src, modes[k], subject, &m);
        if (rc != RP_MATCH_NONE)
            fail_msg("'%s' vs '%s' (mode %u): rc %d, expected no match", src,
                     subject, modes[k], rc);
    }
}

static void expect_regex(const char *src, const char *regex)
{
    rp_pattern *p = compile_flags(src, 0);
    assert_string_equal(rp_pattern_regex(p), regex);
    assert_string_equal(rp_pattern_source(p), src);
    rp_pattern_free(p);
}

/* Assert src fails to compile (wildcard unless flags say raw) with the
 * error at offset. */
static void expect_error_flags(const char *src, size_t len, unsigned flags,
                               size_t offset)
{
    rp_pattern_error err;
    memset(&err, 0, sizeof err);
    rp_pattern *p = rp_pattern_compile(src, len, flags, lookup, NULL, &err);
    if (p) {
        rp_pattern_free(p);
        fail_msg("'%s' compiled, expected an error at %zu", src, offset);
    }
    if (err.offset != offset)
        fail_msg("'%s': error at %zu (%s), expected %zu", src, err.offset,
                 err.message, offset);
    assert_true(err.message[0] != '\0');
}

static void expect_error(const char *src, size_t offset)
{
    expect_error_flags(src, strlen(src), 0, offset);
}

/* ------------------------------------------------------------------ */

static void test_literal(void **state)
{
    (void)state;
    expect_regex("what do you do", " what do you do ");
    expect_match("what do you do", " so , what do you do ? ", "what do you do",
                 NULL);
    expect_match("WHAT Do", " what do you do ? ", "what do", NULL);
    expect_match("what do", " WHAT DO you do ? ", "WHAT DO", NULL);
    expect_no_match("what do you do", " what do you think ? ");
}

static void test_token_boundaries(void **state)
{
    (void)state;
    expect_no_match("do", " i am doing well ");
    expect_no_match("do", " undo it ");
    expect_no_match("doing", " do it ");
    expect_match("do", " i do ", "do", NULL);
    expect_match("do", " do ", "do", NULL);
    expect_no_match("you do", " you don ");
}

static void test_contractions(void **state)
{
    (void)state;
    expect_regex("what's your role", " what is your role ");
    expect_regex("I don't know", " i do not know ");
    expect_match("What's your role?", " so , what is your role ? ",
                 "what is your role ?", NULL);
}

/* The persona's normalisation settings reach the pattern's literals: with
 * contractions or chat expansion off, "what's" and "u" stay as typed
 * (apostrophe dropped), as the persona's lines do. */
static void test_norm_flags(void **state)
{
    (void)state;
    rp_pattern *p = compile_flags("what's u", RP_PAT_NOCONTRACTIONS);
    assert_string_equal(rp_pattern_regex(p), " whats you ");
    rp_pattern_free(p);
    p = compile_flags("what's u", RP_PAT_NOCHAT);
    assert_string_equal(rp_pattern_regex(p), " what is u ");
    rp_pattern_free(p);
    p = compile_flags("what's u", RP_PAT_NOCONTRACTIONS | RP_PAT_NOCHAT);
    assert_string_equal(rp_pattern_regex(p), " whats u ");
    rp_pattern_free(p);
}

static void test_prefix(void **state)
{
    (void)state;
    expect_regex("transition*", " transition[^ ]* ");
    expect_match("transition*", " a transition ", "transition", NULL);
    expect_match("transition*", " transitions ", "transitions", NULL);
    expect_match("my transition* was", " my transitioning was hard ",
                 "my transitioning was", NULL);
    expect_no_match("transition*", " a transit ");
    expect_no_match("transition*", " intransitive ");
}

static void test_star_lazy_and_final_greedy(void **state)
{
    (void)state;
    expect_regex("i am *", " i am ((?:[^ .?!,][^ ]* )+)");
    expect_regex("i * you", " i ((?:[^ .?!,][^ ]* )+?)you ");
    /* lazy in the middle: the fewest words */
    expect_match("i * you", " i like you and you ", "i like you", "like", NULL);
    /* last: the rest of the clause */
    expect_match("i am *", " i am from berlin and paris , ok ",
                 "i am from berlin and paris", "from berlin and paris", NULL);
    expect_match("* and *", " a b and c and d ", "a b and c and d", "a b",
                 "c and d", NULL);
    /* last inside a trailing group is last too */
    expect_match("i like (the *|a *)", " i like the red one . ",
                 "i like the red one", "red one", "", NULL);
    /* $ follows: lazy, but must still reach the end */
    expect_regex("i am * $", " i am ((?:[^ .?!,][^ ]* )+?)(?:[.?!,] )*$");
    expect_match("i am * $", " i am very tired . ", "i am very tired .",
                 "very tired", NULL);
}

static void test_star_punctuation(void **state)
{
    (void)state;
    expect_no_match("i am * today", " i am , here today ");
    expect_match("i am *", " i am tired . bye now ", "i am tired", "tired",
                 NULL);
    expect_no_match("i am *", " i am . ");
    expect_no_match("i am *", " i am ");
    expect_match("* is my name", " hi , dana is my name ", "dana is my name",
                 "dana", NULL);
}

static void test_star_bounded(void **state)
{
    (void)state;
    expect_regex("hello *~2 there", " hello ((?:[^ .?!,][^ ]* ){0,2}?)there ");
    expect_match("hello *~2 there", " hello there ", "hello there", "", NULL);
    expect_match("hello *~2 there", " hello big world there ",
                 "hello big world there", "big world", NULL);
    expect_no_match("hello *~2 there", " hello a b c there ");
    expect_no_match("hello *~2 there", " hello a , there ");
    /* last: greedy, up to N */
    expect_match("thanks *~2", " thanks so much really ", "thanks so much",
                 "so much", NULL);
    expect_match("thanks *~9", " thanks ! ", "thanks", "", NULL);
}

static void test_optional(void **state)
{
    (void)state;
    expect_regex("i [really] like it", " i (?:really )?like it ");
    expect_match("i [really] like it", " i like it ", "i like it", NULL);
    expect_match("i [really] like it", " i really like it ", "i really like it",
                 NULL);
    expect_no_match("i [really] like it", " i do like it ");
    /* an absent optional capture is empty */
    expect_match("tell me [about *] please", " tell me please ",
                 "tell me please", "", NULL);
    expect_match("tell me [about *] please", " tell me about your work please ",
                 "tell me about your work please", "your work", NULL);
    /* alternatives inside an optional */
    expect_match("i [am|was] here", " i was here ", "i was here", NULL);
    expect_match("i [am|was] here", " i here ", "i here", NULL);
}

static void test_alternation(void **state)
{
    (void)state;
    expect_regex("(a b|c)", " (?:a b |c )");
    const char *pat = "(how|what) (do|did) you (get|got) (into|started in) *";
    expect_match(pat, " so how did you get started in design ? ",
                 "how did you get started in design", "design", NULL);
    expect_match(pat, " what do you got into tech ",
                 "what do you got into tech", "tech", NULL);
    expect_no_match(pat, " why did you get into it ");
    /* nested alternation */
    const char *nested = "(a (b|c [d]) | e) f";
    expect_match(nested, " a c d f ", "a c d f", NULL);
    expect_match(nested, " a c f ", "a c f", NULL);
    expect_match(nested, " x e f ", "e f", NULL);
    expect_no_match(nested, " a f ");
    /* captures are numbered in source order */
    expect_match("(* is|* was) my *", " dana was my boss ", "dana was my boss",
                 "", "dana", "boss", NULL);
}

static void test_sets(void **state)
{
    (void)state;
    expect_regex("in @field", " in (?:data science |product |design |data )");
    expect_match("i work in @field", " i work in data science ",
                 "i work in data science", NULL);
    expect_match("i work in @field", " i work in design ", "i work in design",
                 NULL);
    expect_no_match("i work in @field", " i work in science ");
    /* longest entry first: "data science", not "data" + "science rocks" */
    expect_match("@field *", " data science rocks ", "data science rocks",
                 "rocks", NULL);
    /* entries are escaped: "+" and "." are literal, "\E" is harmless */
    expect_match("i use @langs", " i use c++ ", "i use c++", NULL);
    expect_no_match("i use @langs", " i use cc ");
    expect_match("i use @langs", " i use a\\Eb ", "i use a\\Eb", NULL);
    expect_match("i use @langs", " i use node.js ", "i use node.js", NULL);
    expect_no_match("i use @langs", " i use nodexjs ");
    /* a set with no words never matches */
    expect_no_match("@blank", " hi ");
    expect_match("hi [@blank]", " hi ", "hi", NULL);
}

static void test_punctuation_element(void **state)
{
    (void)state;
    expect_regex("sorry ?", " sorry \\? ");
    expect_match("sorry ?", " oh sorry ? ", "sorry ?", NULL);
    expect_no_match("sorry ?", " sorry . ");
    expect_no_match("sorry ?", " sorry about that ");
    expect_match("well , *", " well , maybe ", "well , maybe", "maybe", NULL);
    /* runs collapse as in text.c; ";" is ","; dashes and the ellipsis
     * between words are clause punctuation too */
    expect_regex("?!", " \\? ");
    expect_regex("ok ; so", " ok \\, so ");
    expect_regex("well - ok", " well \\, ok ");
    expect_regex("well \u2014 ok", " well \\, ok ");
    expect_regex("\u2026", " \\. ");
}

static void test_anchors(void **state)
{
    (void)state;
    expect_regex("^ hi", "^ hi ");
    expect_regex("bye $", " bye (?:[.?!,] )*$");
    /* an anchor written against a word is still an anchor */
    expect_regex("^hi there$", "^ hi there (?:[.?!,] )*$");
    expect_error("^^", 1);
    expect_match("^ hi", " hi there ", "hi", NULL);
    expect_no_match("^ hi", " oh hi ");
    expect_match("bye $", " ok bye ", "bye", NULL);
    expect_match("bye $", " ok bye . ", "bye .", NULL);
    expect_match("bye $", " bye , ! ", "bye , !", NULL);
    expect_no_match("bye $", " bye now ");
    expect_match("^ *~3 $", " yes please ", "yes please", "yes please", NULL);
    expect_no_match("^ *~3 $", " a b c d ");
}

static void test_capture_spans(void **state)
{
    (void)state;
    const char *subject = " my name is dana lee . ";
    for (size_t k = 0; k < NMODES; k++) {
        rp_match m;
        assert_int_equal(match_flags("name is *", modes[k], subject, &m),
                         RP_MATCH_OK);
        assert_int_equal(m.whole.start, 4);
        assert_int_equal(m.whole.end, 20);
        assert_int_equal(m.ncaps, 1);
        assert_int_equal(m.caps[0].start, 12);
        assert_int_equal(m.caps[0].end, 20);
        /* unset captures are empty spans */
        assert_int_equal(match_flags("my [big *] name", modes[k], subject, &m),
                         RP_MATCH_OK);
        assert_int_equal(m.ncaps, 1);
        assert_int_equal(m.caps[0].start, m.caps[0].end);
    }
}

static void test_match_from_offset(void **state)
{
    (void)state;
    const char *subject = " hi , hi there ";
    rp_pattern *p = compile_flags("hi", 0);
    pcre2_match_data *md = rp_pattern_match_data();
    rp_match m;
    assert_int_equal(
        rp_pattern_match(p, subject, strlen(subject), 0, md, NULL, &m),
        RP_MATCH_OK);
    assert_int_equal(m.whole.start, 1);
    assert_int_equal(m.whole.end, 3);
    assert_int_equal(rp_pattern_match(p, subject, strlen(subject), m.whole.end,
                                      md, NULL, &m),
                     RP_MATCH_OK);
    assert_int_equal(m.whole.start, 6);
    assert_int_equal(rp_pattern_match(p, subject, strlen(subject), m.whole.end,
                                      md, NULL, &m),
                     RP_MATCH_NONE);
    /* an offset beyond the subject is an error, not a crash */
    assert_int_equal(
        rp_pattern_match(p, subject, strlen(subject), 99, md, NULL, &m),
        RP_MATCH_ERROR);
    pcre2_match_data_free(md);
    rp_pattern_free(p);
}

static void test_raw(void **state)
{
    (void)state;
    for (size_t k = 0; k < NMODES; k++) {
        unsigned fl = RP_PAT_RAW | modes[k];
        rp_pattern *p = compile_flags(" (\\w+) is my (name|role) ", fl);
        assert_string_equal(rp_pattern_regex(p), " (\\w+) is my (name|role) ");
        assert_int_equal(rp_pattern_ncaptures(p), 2);
        pcre2_match_data *md = rp_pattern_match_data();
        const char *subject = " so dana is my NAME . ";
        rp_match m;
        char buf[64];
        assert_int_equal(
            rp_pattern_match(p, subject, strlen(subject), 0, md, NULL, &m),
            RP_MATCH_OK);
        assert_string_equal(span_str(subject, m.whole, buf, sizeof buf),
                            "dana is my NAME");
        assert_string_equal(span_str(subject, m.caps[0], buf, sizeof buf),
                            "dana");
        assert_string_equal(span_str(subject, m.caps[1], buf, sizeof buf),
                            "NAME");
        rp_pattern_free(p);

        /* more groups than rp_match holds: the first nine are filled */
        p = compile_flags("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)", fl);
        assert_int_equal(rp_pattern_ncaptures(p), RP_PAT_MAX_CAPS);
        subject = " abcdefghijk ";
        assert_int_equal(
            rp_pattern_match(p, subject, strlen(subject), 0, md, NULL, &m),
            RP_MATCH_OK);
        assert_int_equal(m.ncaps, RP_PAT_MAX_CAPS);
        assert_string_equal(span_str(subject, m.caps[8], buf, sizeof buf), "i");
        rp_pattern_free(p);
        pcre2_match_data_free(md);
    }
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("", 0);
    expect_error("   ", 0);
    expect_error("[a b", 0);
    expect_error("a (b c", 2);
    expect_error("a b]", 3);
    expect_error("a b)", 3);
    expect_error("(a b]", 4);
    expect_error("(a|)", 3);
    expect_error("(|a)", 1);
    expect_error("()", 1);
    expect_error("x []", 3);
    expect_error("[a||b]", 3);
    expect_error("a|b", 1);
    expect_error("hi @nosuch", 3);
    expect_error("hi @", 3);
    expect_error("hi ^", 3);
    expect_error("[^ a]", 1);
    expect_error("[^a]", 1);
    expect_error("a$ b", 1);
    expect_error("a $ b", 2);
    expect_error("(a $)", 3);
    expect_error("*~0", 0);
    expect_error("a *~10", 2);
    expect_error("a *~", 2);
    expect_error("x *~a", 2);
    expect_error("**", 0);
    expect_error("a*b", 1);
    expect_error("&", 0);
    expect_error("* * * * * * * * * *", 18);
    expect_error("((((((((( a )))))))))", 8);
    expect_error("[([([([([ a ])])])])]", 8);
    rp_pattern *p = compile_flags("(((((((( a ))))))))", 0); /* depth 8 */
    rp_pattern_free(p);
    p = compile_flags("* * * * * * * * *", 0); /* 9 captures */
    assert_int_equal(rp_pattern_ncaptures(p), 9);
    rp_pattern_free(p);

    /* source too long: the offset is the first byte beyond the limit */
    size_t n = RP_PAT_MAX_LEN + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = i % 2 ? ' ' : 'a';
    big[n] = '\0';
    expect_error_flags(big, n, 0, RP_PAT_MAX_LEN);
    expect_error_flags(big, n, RP_PAT_RAW, RP_PAT_MAX_LEN);
    big[RP_PAT_MAX_LEN] = '\0'; /* exactly at the limit: fine */
    rp_pattern *ok = compile_flags(big, 0);
    rp_pattern_free(ok);
    free(big);

    /* no lookup at all: every set is unknown */
    rp_pattern_error err;
    assert_null(rp_pattern_compile("a @field", 8, 0, NULL, NULL, &err));
    assert_int_equal(err.offset, 2);
}

static void test_generated_regex_error_maps_to_source(void **state)
{
    (void)state;
    /* a set entry that is not UTF-8 makes PCRE2 reject the generated
     * regex: the error points at the @set element */
    expect_error("hello there @bad", 12);
}

static void test_raw_errors(void **state)
{
    (void)state;
    rp_pattern_error err;
    assert_null(rp_pattern_compile("ab(cd", 5, RP_PAT_RAW, NULL, NULL, &err));
    assert_int_equal(err.offset, 5);
    assert_non_null(strstr(err.message, "missing closing parenthesis"));
    assert_null(rp_pattern_compile("a)b", 3, RP_PAT_RAW, NULL, NULL, &err));
    assert_int_equal(err.offset, 1);
    assert_non_null(strstr(err.message, "unmatched closing parenthesis"));
    assert_null(rp_pattern_compile("x[a-", 4, RP_PAT_RAW, NULL, NULL, &err));
    assert_int_equal(err.offset, 4);
    expect_error_flags("", 0, RP_PAT_RAW, 0);
}

static void test_catastrophic_regex_hits_limit(void **state)
{
    (void)state;
    char subject[64];
    subject[0] = ' ';
    memset(subject + 1, 'a', 30);
    strcpy(subject + 31, "b ");
    pcre2_match_context *mctx = pcre2_match_context_create(NULL);
    assert_non_null(mctx);
    pcre2_set_match_limit(mctx, 10000);
    pcre2_match_data *md = rp_pattern_match_data();
    for (size_t k = 0; k < NMODES; k++) {
        rp_pattern *p = compile_flags("(a+)+$", RP_PAT_RAW | modes[k]);
        rp_match m;
        assert_int_equal(
            rp_pattern_match(p, subject, strlen(subject), 0, md, mctx, &m),
            RP_MATCH_LIMIT);
        /* the limit is the context's: PCRE2's defaults let a smaller
         * case run to its end */
        assert_int_equal(
            rp_pattern_match(p, " aaaaaaaaaaaaaaab ", 18, 0, md, NULL, &m),
            RP_MATCH_NONE);
        assert_int_equal(
            rp_pattern_match(p, " aaaaaaaaaaaaaaab ", 18, 0, md, mctx, &m),
            RP_MATCH_LIMIT);
        /* and the same pattern still matches where it can */
        assert_int_equal(rp_pattern_match(p, " aaa", 4, 0, md, mctx, &m),
                         RP_MATCH_OK);
        rp_pattern_free(p);
    }
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
}

/* Is w a token of subject (" tok tok ... ")? */
/* Is w a token of subject (for "pre*", a token starting with "pre")? */
static bool has_token(const char *subject, const char *w)
{
    size_t n = strlen(w);
    bool prefix = n > 1 && w[n - 1] == '*';
    char buf[64];
    if (prefix) {
        snprintf(buf, sizeof buf, "%.*s", (int)(n - 1), w);
        w = buf;
        n--;
    }
    for (const char *s = subject; (s = strstr(s, w)) != NULL; s++)
        if (s > subject && s[-1] == ' ' && (prefix || s[n] == ' '))
            return true;
    return false;
}

/* The required words of src, as one "a,b,c" string. */
static void required(const char *src, unsigned flags, char *out, size_t cap,
                     size_t *count)
{
    rp_pattern *p = compile_flags(src, flags);
    rp_buf b = {0};
    rp_buf_puts(&b, "x");
    rp_buf_putc(&b, '\0');
    *count = rp_pattern_required_words(p, &b);
    /* appended after what was there, each word followed by a NUL */
    assert_string_equal(b.ptr, "x");
    out[0] = '\0';
    size_t pos = 2, seen = 0;
    while (pos < b.len) {
        if (seen++)
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, b.ptr + pos, cap - strlen(out) - 1);
        pos += strlen(b.ptr + pos) + 1;
    }
    assert_int_equal(pos, b.len);
    assert_int_equal(seen, *count);
    rp_buf_free(&b);
    rp_pattern_free(p);
}

static void expect_required(const char *src, const char *words)
{
    char got[256];
    size_t n;
    required(src, 0, got, sizeof got, &n);
    if (strcmp(got, words) != 0)
        fail_msg("'%s': required words '%s', expected '%s'", src, got, words);
}

static void test_required_words(void **state)
{
    (void)state;
    expect_required("what do you do", "what,do,you");
    expect_required("what's up", "what,is,up");
    expect_required("(tell me about *|what about *)", "about");
    expect_required("(a b|c)", "");
    expect_required("[really] like it", "like,it");
    expect_required("[a (b|c)] d", "d");
    expect_required("i work in @field", "i,work,in");
    expect_required("@field", "");
    expect_required("transition* now", "transition*,now");
    expect_required("(fund*|investor*)", "");
    expect_required("(fund*|fund* raising)", "fund*");
    expect_required("follow up*", "follow,up*");
    expect_required("sorry ?", "sorry");
    expect_required("*~3 ok *", "ok");
    expect_required("(a (x|x y)|x z)", "x");
    expect_required("(a (x|y)|x z)", "");
    expect_required("^ hi $", "hi");
    /* scripts text.c does not lower-case are never claimed */
    expect_required("москва rocks", "rocks");
    /* raw regexes claim nothing */
    char got[64];
    size_t n;
    required(" hello (world) ", RP_PAT_RAW, got, sizeof got, &n);
    assert_int_equal(n, 0);
    assert_string_equal(got, "");
}

/* Soundness: whenever a pattern matches, every required word is a token
 * of the subject. */
static void test_required_words_sound(void **state)
{
    (void)state;
    static const char *const pats[] = {
        "what do you do",    "(tell me about *|what about *)",
        "[really] like it",  "i work in @field",
        "(a (x|x y)|x z)",   "i [am|was] here",
        "* and *",           "(how|what) (do|did) you *",
        "hello *~2 there",   "my transition* was",
        "transition* * was", "(fund*|investor*) round*",
    };
    static const char *const subjects[] = {
        " so , what do you do ? ",
        " tell me about it ",
        " what about you ",
        " i like it ",
        " i really like it ",
        " i work in data science ",
        " a x f ",
        " a x y f ",
        " x z ",
        " i here ",
        " i was here ",
        " a and b ",
        " how did you start ",
        " hello there ",
        " hello big world there ",
        " my transitions was ",
        " transitioning careers was ",
        " investors round ",
        " funding rounds ",
    };
    pcre2_match_data *md = rp_pattern_match_data();
    size_t matches = 0;
    for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
        rp_pattern *p = compile_flags(pats[i], 0);
        rp_buf b = {0};
        size_t n = rp_pattern_required_words(p, &b);
        for (size_t j = 0; j < sizeof subjects / sizeof *subjects; j++) {
            rp_match m;
            if (rp_pattern_match(p, subjects[j], strlen(subjects[j]), 0, md,
                                 NULL, &m) != RP_MATCH_OK)
                continue;
            matches++;
            const char *w = b.ptr;
            for (size_t k = 0; k < n; k++, w += strlen(w) + 1)
                if (!has_token(subjects[j], w))
                    fail_msg("'%s' matched '%s' without '%s'", pats[i],
                             subjects[j], w);
        }
        rp_buf_free(&b);
        rp_pattern_free(p);
    }
    assert_true(matches >= 16);
    pcre2_match_data_free(md);
}

/* JIT and interpreter agree on return codes, spans and captures. */
static void test_jit_equals_nojit(void **state)
{
    (void)state;
    static const char *const pats[] = {
        "what do you do",
        "i * you",
        "i am *",
        "* and *",
        "hello *~2 there",
        "thanks *~2",
        "tell me [about *] please",
        "(* is|* was) my *",
        "@field *",
        "^ hi",
        "bye $",
        "transition*",
        "sorry ?",
        "^ *~3 $",
    };
    static const char *const subjects[] = {
        " so , what do you do ? ",
        " i like you and you ",
        " i am from berlin , ok ",
        " a b and c and d ",
        " hello big world there ",
        " thanks so much really ",
        " tell me about your work please ",
        " dana was my boss ",
        " data science rocks ",
        " hi there ",
        " ok bye . ",
        " transitions ",
        " sorry ? ",
        " yes please ",
        " ",
        "",
    };
    pcre2_match_data *md = rp_pattern_match_data();
    size_t oks = 0;
    for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
        rp_pattern *jit = compile_flags(pats[i], 0);
        rp_pattern *interp = compile_flags(pats[i], RP_PAT_NOJIT);
        assert_string_equal(rp_pattern_regex(jit), rp_pattern_regex(interp));
        for (size_t j = 0; j < sizeof subjects / sizeof *subjects; j++) {
            rp_match a, b;
            memset(&a, 0x55, sizeof a);
            memset(&b, 0x55, sizeof b);
            size_t len = strlen(subjects[j]);
            int ra = rp_pattern_match(jit, subjects[j], len, 0, md, NULL, &a);
            int rb =
                rp_pattern_match(interp, subjects[j], len, 0, md, NULL, &b);
            assert_int_equal(ra, rb);
            if (ra != RP_MATCH_OK)
                continue;
            oks++;
            assert_memory_equal(&a, &b, sizeof a);
        }
        rp_pattern_free(jit);
        rp_pattern_free(interp);
    }
    assert_true(oks >= 14);
    pcre2_match_data_free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal),
        cmocka_unit_test(test_token_boundaries),
        cmocka_unit_test(test_contractions),
        cmocka_unit_test(test_norm_flags),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_star_lazy_and_final_greedy),
        cmocka_unit_test(test_star_punctuation),
        cmocka_unit_test(test_star_bounded),
        cmocka_unit_test(test_optional),
        cmocka_unit_test(test_alternation),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_punctuation_element),
        cmocka_unit_test(test_anchors),
        cmocka_unit_test(test_capture_spans),
        cmocka_unit_test(test_match_from_offset),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_generated_regex_error_maps_to_source),
        cmocka_unit_test(test_raw_errors),
        cmocka_unit_test(test_catastrophic_regex_hits_limit),
        cmocka_unit_test(test_required_words),
        cmocka_unit_test(test_required_words_sound),
        cmocka_unit_test(test_jit_equals_nojit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

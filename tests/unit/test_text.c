/*
 * test_text.c - unit tests for engine/text.c, stage 1 of the pipeline
 * (text normalisation).
 *
 * Each test feeds lines to rp_text_set and checks the match text against
 * the contract in text.h; every call also goes through check_invariants,
 * which verifies the structural promises (the " tok tok " shape, tokens
 * that agree with the text, offsets that stay inside the original, valid
 * UTF-8 everywhere).  A deterministic random-input test drives the same
 * invariants, plus idempotence, over thousands of hostile inputs.
 *
 * Decision recorded here: empty or blank input gives the match text " "
 * (one space) and no tokens.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* A string literal and its length, embedded NULs included. */
#define LIT(s) s, sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static bool valid_utf8(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t l = rp_utf8_valid_len((const unsigned char *)s + i, n - i);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

static bool is_punct_char(char c)
{
    return c == '.' || c == '?' || c == '!' || c == ',';
}

/* Check every structural promise of text.h on t. */
static void check_invariants(const rp_text *t)
{
    const char *m = t->match.ptr;
    size_t n = t->match.len;

    /* The sanitised original: valid UTF-8, NUL-terminated, no controls
     * other than tab, newline and carriage return. */
    assert_non_null(t->src.ptr);
    assert_int_equal(t->src.ptr[t->src.len], '\0');
    assert_true(valid_utf8(t->src.ptr, t->src.len));
    for (size_t i = 0; i < t->src.len; i++) {
        unsigned char c = (unsigned char)t->src.ptr[i];
        if (c < 0x20)
            assert_true(c == '\t' || c == '\n' || c == '\r');
        assert_int_not_equal(c, 0x7f);
    }

    /* The match text: " tok tok ... ", single spaces, valid UTF-8. */
    assert_non_null(m);
    assert_true(n >= 1);
    assert_int_equal(m[n], '\0');
    assert_int_equal(m[0], ' ');
    assert_int_equal(m[n - 1], ' ');
    assert_true(valid_utf8(m, n));
    assert_int_equal(strlen(m), n);
    for (size_t i = 1; i < n; i++)
        assert_false(m[i] == ' ' && m[i - 1] == ' ');
    assert_true(t->map_cap >= n);

    /* Tokens agree with the text, in order; spans stay inside src. */
    size_t pos = 1, words = 0;
    bool question = false;
    for (size_t k = 0; k < t->ntokens; k++) {
        const rp_token *tok = &t->tokens[k];
        assert_int_equal(tok->start, pos);
        assert_true(tok->len > 0);
        assert_int_equal(m[tok->start + tok->len], ' ');
        assert_null(memchr(m + tok->start, ' ', tok->len));
        assert_true(tok->src_start <= tok->src_end);
        assert_true(tok->src_end <= t->src.len);
        bool punct = tok->len == 1 && is_punct_char(m[tok->start]);
        if (tok->kind == RP_TOK_PUNCT) {
            assert_true(punct);
            assert_true(k > 0); /* never at the very start */
            assert_int_not_equal(t->tokens[k - 1].kind, RP_TOK_PUNCT);
            question |= m[tok->start] == '?';
        } else {
            assert_int_equal(tok->kind, RP_TOK_WORD);
            assert_false(punct);
            words++;
        }
        /* Every byte maps inside the token's span, starting at it. */
        for (uint32_t b = tok->start; b < tok->start + tok->len; b++) {
            assert_true(t->src_start[b] >= tok->src_start);
            assert_true(t->src_end[b] <= tok->src_end);
            assert_true(t->src_start[b] < t->src_end[b]);
        }
        assert_int_equal(t->src_start[tok->start], tok->src_start);
        assert_int_equal(t->src_end[tok->start + tok->len - 1], tok->src_end);
        /* The separator before it: an empty span at this token. */
        assert_int_equal(t->src_start[tok->start - 1], tok->src_start);
        assert_int_equal(t->src_end[tok->start - 1], tok->src_start);
        pos = tok->start + tok->len + 1;
    }
    assert_int_equal(pos, n > 1 ? n : 1);
    assert_int_equal(t->nwords, words);
    assert_int_equal(t->question, question);
    /* The trailing space: an empty span at the end of the original. */
    assert_int_equal(t->src_start[n - 1], t->src.len);
    assert_int_equal(t->src_end[n - 1], t->src.len);
}

/* Normalise in with flags and compare with want, reporting the input. */
static void check_norm_at(rp_text *t, const char *in, size_t len,
                          unsigned flags, const char *want, int line)
{
    rp_text_set(t, in, len, flags);
    if (strcmp(t->match.ptr, want) != 0)
        fail_msg("line %d: \"%.*s\" -> \"%s\", want \"%s\"", line, (int)len, in,
                 t->match.ptr, want);
    check_invariants(t);
}

#define CHECK(t, in, want)                                                     \
    check_norm_at((t), LIT(in), RP_NORM_DEFAULT, (want), __LINE__)
#define CHECK_F(t, in, flags, want)                                            \
    check_norm_at((t), LIT(in), (flags), (want), __LINE__)

/* Table-driven variant. */
typedef struct norm_case {
    const char *in;
    const char *want;
} norm_case;

static void check_cases(rp_text *t, const norm_case *c, size_t n,
                        unsigned flags)
{
    for (size_t i = 0; i < n; i++)
        check_norm_at(t, c[i].in, strlen(c[i].in), flags, c[i].want, (int)i);
}

#define CHECK_CASES(t, arr, flags)                                             \
    check_cases((t), (arr), sizeof(arr) / sizeof *(arr), (flags))

/* The original text a token maps back to. */
static void assert_token_src(const rp_text *t, size_t k, const char *want)
{
    assert_true(k < t->ntokens);
    const rp_token *tok = &t->tokens[k];
    size_t n = tok->src_end - tok->src_start;
    if (n != strlen(want) || memcmp(t->src.ptr + tok->src_start, want, n))
        fail_msg("token %zu maps to \"%.*s\", want \"%s\"", k, (int)n,
                 t->src.ptr + tok->src_start, want);
}

static void assert_token(const rp_text *t, size_t k, const char *want,
                         rp_token_kind kind)
{
    assert_true(k < t->ntokens);
    const rp_token *tok = &t->tokens[k];
    assert_int_equal(tok->len, strlen(want));
    assert_memory_equal(t->match.ptr + tok->start, want, tok->len);
    assert_int_equal(tok->kind, kind);
}

static int setup(void **state)
{
    rp_text *t = malloc(sizeof *t);
    assert_non_null(t);
    rp_text_init(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    rp_text *t = *state;
    rp_text_free(t);
    free(t);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The match text                                                      */
/* ------------------------------------------------------------------ */

/* The example in text.h, token by token. */
static void test_header_example(void **state)
{
    rp_text *t = *state;
    CHECK(t, "So, what's your role?", " so , what is your role ? ");
    assert_int_equal(t->ntokens, 7);
    assert_int_equal(t->nwords, 5);
    assert_true(t->question);
    assert_false(t->truncated);
    assert_false(t->had_invalid);
    assert_token(t, 0, "so", RP_TOK_WORD);
    assert_token(t, 1, ",", RP_TOK_PUNCT);
    assert_token(t, 2, "what", RP_TOK_WORD);
    assert_token(t, 3, "is", RP_TOK_WORD);
    assert_token(t, 6, "?", RP_TOK_PUNCT);
    assert_string_equal(t->src.ptr, "So, what's your role?");
}

static void test_contractions(void **state)
{
    static const norm_case cases[] = {
        /* n't, regular and irregular */
        {"don't", " do not "},
        {"isn't", " is not "},
        {"didn't", " did not "},
        {"doesn't", " does not "},
        {"aren't", " are not "},
        {"wasn't", " was not "},
        {"weren't", " were not "},
        {"couldn't", " could not "},
        {"wouldn't", " would not "},
        {"shouldn't", " should not "},
        {"haven't", " have not "},
        {"hasn't", " has not "},
        {"hadn't", " had not "},
        {"mustn't", " must not "},
        {"can't", " can not "},
        {"won't", " will not "},
        {"shan't", " shall not "},
        {"ain't", " am not "},
        /* the other suffixes */
        {"you're", " you are "},
        {"they've", " they have "},
        {"I'll", " i will "},
        {"she'd", " she would "},
        {"I'm", " i am "},
        /* 's after the listed words is "is" */
        {"it's", " it is "},
        {"that's", " that is "},
        {"what's", " what is "},
        {"where's", " where is "},
        {"who's", " who is "},
        {"how's", " how is "},
        {"there's", " there is "},
        {"here's", " here is "},
        {"he's", " he is "},
        {"she's", " she is "},
        {"Let's go", " let us go "},
        /* stacked, misplaced, upper case, other apostrophes */
        {"wouldn't've", " would not have "},
        {"y'all'd", " yall would "},
        {"do'nt", " do not "},
        {"a.n't", " a.nt "},
        {"DON'T", " do not "},
        {"WHAT'S UP", " what is up "},
        {"can\xe2\x80\x99t", " can not "}, /* U+2019 */
        {"I\xe2\x80\x98m", " i am "},      /* U+2018 */
        {"don`t", " do not "},
        {"don\xc2\xb4t", " do not "}, /* U+00B4 */
        {"it\xca\xbcs", " it is "},   /* U+02BC */
        {"I'm sure it's fine, isn't it?",
         " i am sure it is fine , is not it ? "},
    };
    CHECK_CASES(*state, cases, RP_NORM_DEFAULT);
}

/* The caseless twins of ASCII letters fold to them, so a word compares
 * equal byte for byte wherever a caseless regex would match it. */
static void test_kelvin_long_s(void **state)
{
    rp_text *t = *state;
    CHECK(t,
          "\xE2\x84\xAA"
          "ey \xC5\xBF"
          "o",
          " key so ");
    CHECK(t, "\xC5\xBF", " s ");
}

static void test_possessive(void **state)
{
    static const norm_case cases[] = {
        {"Dana's team", " dana team "},
        {"the company's goals", " the company goals "},
        {"node.js's docs", " node.js docs "},
        {"James' car", " james car "},
        {"O'Brien", " obrien "},
        {"rock'n'roll", " rocknroll "},
        {"'cause", " cause "},
        {"'hello'", " hello "},
        {"its", " its "}, /* the pronoun is not a contraction */
    };
    CHECK_CASES(*state, cases, RP_NORM_DEFAULT);
}

static void test_apostrophe_less(void **state)
{
    static const norm_case cases[] = {
        {"dont", " do not "},
        {"didnt", " did not "},
        {"doesnt", " does not "},
        {"isnt", " is not "},
        {"arent", " are not "},
        {"wasnt", " was not "},
        {"werent", " were not "},
        {"cant", " can not "},
        {"couldnt", " could not "},
        {"wouldnt", " would not "},
        {"shouldnt", " should not "},
        {"havent", " have not "},
        {"hasnt", " has not "},
        {"hadnt", " had not "},
        {"wont", " will not "},
        {"im", " i am "},
        {"ive", " i have "},
        {"youre", " you are "},
        {"youve", " you have "},
        {"theyre", " they are "},
        {"thats", " that is "},
        {"whats", " what is "},
        {"theres", " there is "},
        {"Im sure", " i am sure "},
        {"DONT", " do not "},
        /* near misses stay */
        {"donts", " donts "},
        {"dontt", " dontt "},
        {"mine", " mine "},
        {"i", " i "},
    };
    CHECK_CASES(*state, cases, RP_NORM_DEFAULT);
}

/* Without RP_NORM_CONTRACTIONS apostrophes are only removed. */
static void test_contractions_off(void **state)
{
    rp_text *t = *state;
    CHECK_F(t, "don't", RP_NORM_CHAT, " dont ");
    CHECK_F(t, "Dana's", RP_NORM_CHAT, " danas ");
    CHECK_F(t, "dont", RP_NORM_CHAT, " dont ");
    CHECK_F(t, "I'm here", RP_NORM_CHAT, " im here ");
    CHECK_F(t, "thats u", RP_NORM_CHAT, " thats you ");
    CHECK_F(t, "Don't u", 0, " dont u ");
    assert_int_equal(t->ntokens, 2);
}

static void test_chat(void **state)
{
    static const norm_case on[] = {
        {"u", " you "},
        {"ur", " your "},
        {"thx", " thanks "},
        {"thanx", " thanks "},
        {"ty", " thank you "},
        {"pls", " please "},
        {"plz", " please "},
        {"idk", " i do not know "},
        {"tbh", " to be honest "},
        {"btw", " by the way "},
        {"THX U", " thanks you "},
        {"u're", " you are "},
        {"idk, tbh.", " i do not know , to be honest . "},
        {"u.s", " u.s "},
        {"you", " you "},
        {"uu", " uu "},
    };
    static const norm_case off[] = {
        {"u", " u "},         {"ur", " ur "},           {"thx", " thx "},
        {"thanx", " thanx "}, {"ty", " ty "},           {"pls", " pls "},
        {"plz", " plz "},     {"idk", " idk "},         {"tbh", " tbh "},
        {"btw", " btw "},     {"dont u", " do not u "},
    };
    CHECK_CASES(*state, on, RP_NORM_DEFAULT);
    CHECK_CASES(*state, off, RP_NORM_CONTRACTIONS);
    /* Each expanded word is a token mapping to the shorthand. */
    rp_text *t = *state;
    CHECK(t, "idk!", " i do not know ! ");
    assert_int_equal(t->ntokens, 5);
    assert_int_equal(t->nwords, 4);
    for (size_t k = 0; k < 4; k++)
        assert_token_src(t, k, "idk");
}

static void test_quotes_and_dashes(void **state)
{
    static const norm_case cases[] = {
        {"\xe2\x80\x9cHello\xe2\x80\x9d", " hello "}, /* “ ” */
        {"\xe2\x80\x98world\xe2\x80\x99", " world "}, /* ‘ ’ */
        {"\xc2\xabsalut\xc2\xbb", " salut "},         /* « » */
        {"yes\xe2\x80\x94no", " yes , no "},          /* em */
        {"pages 9\xe2\x80\x93"
         "10",
         " pages 9 , 10 "}, /* en */
        {"well \xe2\x80\x94 maybe", " well , maybe "},
        {"yes - no", " yes , no "},
        {"yes -- no", " yes , no "},
        {"yes--no", " yes , no "},
        {"wait\xe2\x80\xa6 what", " wait . what "}, /* … */
        {"so\xe2\x80\xa6?", " so ? "},
        {"\"quoted\" (text) [x] {y} #1 & @me", " quoted text x y 1 me "},
    };
    CHECK_CASES(*state, cases, RP_NORM_DEFAULT);
}

static void test_punct_runs(void **state)
{
    rp_text *t = *state;
    CHECK(t, "Really?!", " really ? ");
    assert_true(t->question);
    assert_token_src(t, 1, "?!");
    CHECK(t, "What!?", " what ? ");
    assert_true(t->question);
    CHECK(t, "Wow!!!", " wow ! ");
    assert_false(t->question);
    CHECK(t, "Hmm...", " hmm . ");
    assert_token_src(t, 1, "...");
    CHECK(t, "ok; fine: yes", " ok , fine , yes ");
    CHECK(t, "so, . ok", " so . ok ");
    CHECK(t, "x ! , y", " x ! y ");
    CHECK(t, "wait . . . no", " wait . no ");
    CHECK(t, "a,b", " a , b ");
    CHECK(t, "no question here.", " no question here . ");
    assert_false(t->question);
}

static void test_no_leading_punct(void **state)
{
    rp_text *t = *state;
    CHECK(t, "?! hi", " hi ");
    CHECK(t, "...so", " so ");
    CHECK(t, ", well", " well ");
    CHECK(t, "- item", " item ");
    CHECK(t, "\xe2\x80\x94 dash", " dash ");
    CHECK(t, "???", " ");
    assert_int_equal(t->ntokens, 0);
    assert_false(t->question);
    CHECK(t, "  ?  hi  ?  ", " hi ? ");
    assert_true(t->question);
}

static void test_separators_in_numbers(void **state)
{
    static const norm_case cases[] = {
        {"3.5", " 3.5 "},
        {"about 3.5 years.", " about 3.5 years . "},
        {"I use node.js.", " i use node.js . "},
        {"e.g. this", " e.g . this "},
        {"v2.0.1", " v2.0.1 "},
        {"3. 5", " 3 . 5 "},
        {"1,000 people", " 1,000 people "},
        {"at 10:30", " at 10:30 "},
        {"ratio 2:x", " ratio 2 , x "},
        {"hi,5", " hi , 5 "},
    };
    CHECK_CASES(*state, cases, RP_NORM_DEFAULT);
}

static void test_hyphen_slash(void **state)
{
    static const norm_case cases[] = {
        {"follow-up", " follow up "},
        {"and/or", " and or "},
        {"e-mail/phone", " e mail phone "},
        {"state-of-the-art", " state of the art "},
        {"-5 degrees", " 5 degrees "},
        {"well- ok", " well ok "},
        {"x -y", " x y "},
        {"co\xe2\x80\x90op", " co op "}, /* U+2010 hyphen */
    };
    CHECK_CASES(*state, cases, RP_NORM_DEFAULT);
}

/* ------------------------------------------------------------------ */
/* Hostile bytes and other scripts                                     */
/* ------------------------------------------------------------------ */

static void test_invalid_utf8(void **state)
{
    rp_text *t = *state;
    CHECK(t, "caf\xe9 ok", " caf ok ");
    assert_true(t->had_invalid);
    assert_string_equal(t->src.ptr, "caf\xef\xbf\xbd ok");

    /* Overlong, surrogate, stray continuation, cut sequence: one U+FFFD
     * per offending byte. */
    CHECK(t,
          "a\xc0\xaf"
          "b",
          " a b ");
    assert_string_equal(t->src.ptr, "a\xef\xbf\xbd\xef\xbf\xbd"
                                    "b");
    CHECK(t, "\xed\xa0\x80x", " x ");
    assert_int_equal(t->src.len, 3 * 3 + 1);
    assert_true(t->had_invalid);
    CHECK(t, "\x80hi", " hi ");
    CHECK(t, "end\xe2\x82", " end ");
    assert_string_equal(t->src.ptr, "end\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(t, "\xff\xfe\xfd", " ");

    /* The flag is reset by the next call. */
    CHECK(t, "fine", " fine ");
    assert_false(t->had_invalid);
}

static void test_nul_and_controls(void **state)
{
    rp_text *t = *state;
    CHECK(t, "hi\0there\x01you\x7f\x1b[0m", " hi there you 0m ");
    assert_int_equal(t->src.len, sizeof("hi\0there\x01you\x7f\x1b[0m") - 1);
    assert_string_equal(t->src.ptr, "hi there you  [0m");
    CHECK(t, "a\tb\nc\rd", " a b c d ");
    assert_string_equal(t->src.ptr, "a\tb\nc\rd"); /* kept in src */
    CHECK(t, "x\xc2\x85y", " x y ");               /* C1 control NEL */
    assert_string_equal(t->src.ptr, "x y");
    CHECK(t, "\0\0\0", " ");
    assert_int_equal(t->src.len, 3);
    assert_false(t->had_invalid);
}

static void test_emoji_and_rtl(void **state)
{
    rp_text *t = *state;
    CHECK(t, "I \xe2\x9d\xa4\xef\xb8\x8f you \xf0\x9f\x91\x8d",
          " i \xe2\x9d\xa4\xef\xb8\x8f you \xf0\x9f\x91\x8d ");
    assert_int_equal(t->nwords, 4);
    /* A ZWJ sequence is one word. */
    CHECK(t, "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb!",
          " \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb ! ");
    assert_int_equal(t->nwords, 1);
    /* Arabic, with its own comma and question mark. */
    CHECK(t,
          "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7\xd8\x8c "
          "\xd9\x83\xd9\x8a\xd9\x81\xd8\x9f",
          " \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 , "
          "\xd9\x83\xd9\x8a\xd9\x81 ? ");
    assert_true(t->question);
    assert_int_equal(t->nwords, 2);
    /* Hebrew, with a right-to-left mark that breaks nothing. */
    CHECK(t,
          "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d, \xe2\x80\x8f\xd7\xa2\xd7\x95"
          "\xd7\x9c\xd7\x9d",
          " \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d , "
          "\xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d ");
    assert_int_equal(t->nwords, 2);
    /* CJK with ideographic punctuation. */
    CHECK(t, "\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82\xe8\xb0\xa2\xef\xbc\x81",
          " \xe4\xbd\xa0\xe5\xa5\xbd . \xe8\xb0\xa2 ! ");
    /* No-break and ideographic spaces separate words. */
    CHECK(t,
          "a\xc2\xa0"
          "b\xe3\x80\x80"
          "c",
          " a b c ");
}

static void test_case_folding(void **state)
{
    static const norm_case cases[] = {
        {"HELLO World", " hello world "},
        {"\xc3\x89"
         "COLE",
         " \xc3\xa9"
         "cole "},                           /* É */
        {"\xc3\x80\xc3\x96\xc3\x98\xc3\x9e", /* ÀÖØÞ */
         " \xc3\xa0\xc3\xb6\xc3\xb8\xc3\xbe "},
        {"STRA\xc3\x9f"
         "E",
         " stra\xc3\x9f"
         "e "}, /* ß */
        {"2\xc3\x97"
         "3",
         " 2 3 "}, /* × */
        {"\xc5\x81\xc3\x93"
         "D\xc5\xb9", /* ŁÓDŹ */
         " \xc5\x82\xc3\xb3"
         "d\xc5\xba "},
        {"\xc5\x92"
         "UVRE",
         " \xc5\x93"
         "uvre "}, /* Œ */
        {"\xc4\xb0"
         "STANBUL",
         " istanbul "},                             /* İ */
        {"\xc5\xb8", " \xc3\xbf "},                 /* Ÿ */
        {"\xc4\x8c\xc4\x8d", " \xc4\x8d\xc4\x8d "}, /* Čč */
        {"\xce\x91\xce\x98", " \xce\x91\xce\x98 "}, /* Greek: untouched */
        {"\xd0\x9c\xd0\x98\xd0\xa0", " \xd0\x9c\xd0\x98\xd0\xa0 "}, /* МИР */
    };
    CHECK_CASES(*state, cases, RP_NORM_DEFAULT);
}

static void test_empty_and_blank(void **state)
{
    rp_text *t = *state;
    CHECK(t, "", " ");
    assert_int_equal(t->ntokens, 0);
    assert_int_equal(t->nwords, 0);
    assert_string_equal(t->src.ptr, "");
    CHECK(t, "   \t\r\n  ", " ");
    assert_int_equal(t->ntokens, 0);
    rp_text_set(t, NULL, 0, RP_NORM_DEFAULT);
    assert_string_equal(t->match.ptr, " ");
    assert_int_equal(t->src.len, 0);
    check_invariants(t);
    /* A fresh, never-used rp_text too. */
    rp_text fresh;
    rp_text_init(&fresh);
    rp_text_set(&fresh, "", 0, 0);
    assert_string_equal(fresh.match.ptr, " ");
    check_invariants(&fresh);
    rp_text_free(&fresh);
}

static void test_truncation(void **state)
{
    rp_text *t = *state;
    size_t max = RP_TEXT_MAX_INPUT;
    char *in = malloc(max + 16);
    assert_non_null(in);

    /* Exactly the limit: kept whole. */
    memset(in, 'a', max - 3);
    memcpy(in + max - 3, "\xe2\x82\xac", 3); /* € */
    rp_text_set(t, in, max, RP_NORM_DEFAULT);
    check_invariants(t);
    assert_false(t->truncated);
    assert_int_equal(t->src.len, max);

    /* One byte over, with € straddling the limit: € is dropped whole. */
    memset(in, 'a', max - 1);
    memcpy(in + max - 1, "\xe2\x82\xac", 3);
    rp_text_set(t, in, max + 2, RP_NORM_DEFAULT);
    check_invariants(t);
    assert_true(t->truncated);
    assert_false(t->had_invalid);
    assert_int_equal(t->src.len, max - 1);
    assert_int_equal(t->ntokens, 1);
    assert_int_equal(t->tokens[0].len, max - 1);

    /* Words: the cut falls after exactly max bytes. */
    for (size_t i = 0; i < max + 16; i++)
        in[i] = i % 3 == 2 ? ' ' : 'x';
    rp_text_set(t, in, max + 16, RP_NORM_DEFAULT);
    check_invariants(t);
    assert_true(t->truncated);
    assert_int_equal(t->src.len, max);
    assert_int_equal(t->nwords, (max + 2) / 3);

    /* The flag is reset by the next call. */
    CHECK(t, "short", " short ");
    assert_false(t->truncated);
    free(in);
}

/* ------------------------------------------------------------------ */
/* Offsets                                                             */
/* ------------------------------------------------------------------ */

static void test_offsets(void **state)
{
    rp_text *t = *state;
    CHECK(t, "Don't  go, Dana's!", " do not go , dana ! ");
    assert_int_equal(t->ntokens, 6);
    assert_token_src(t, 0, "Don't");
    assert_token_src(t, 1, "Don't");
    assert_token_src(t, 2, "go");
    assert_token_src(t, 3, ",");
    assert_token_src(t, 4, "Dana's");
    assert_token_src(t, 5, "!");
    /* Every byte of "do not" maps to the whole of "Don't"... */
    for (size_t i = 1; i <= 6; i++) {
        if (i == 3)
            continue;
        assert_int_equal(t->src_start[i], 0);
        assert_int_equal(t->src_end[i], 5);
    }
    /* ... the space inside it is an empty span at "not" (= "Don't") ... */
    assert_int_equal(t->src_start[3], 0);
    assert_int_equal(t->src_end[3], 0);
    /* ... and the separator before "go" is empty at "go". */
    assert_int_equal(t->src_start[7], 7);
    assert_int_equal(t->src_end[7], 7);

    /* A plain word maps byte by byte; É (lowered) keeps its 2 bytes. */
    CHECK(t, "x \xc3\x89t\xc3\xa9", " x \xc3\xa9t\xc3\xa9 ");
    assert_int_equal(t->src_start[3], 2);
    assert_int_equal(t->src_end[3], 4);
    assert_int_equal(t->src_start[4], 2);
    assert_int_equal(t->src_end[4], 4);
    assert_int_equal(t->src_start[5], 4); /* t */
    assert_int_equal(t->src_end[5], 5);
    assert_token_src(t, 1, "\xc3\x89t\xc3\xa9");

    /* Spans refer to the sanitised original, after U+FFFD grew it. */
    CHECK(t, "\xff ok", " ok ");
    assert_token_src(t, 0, "ok");
    assert_int_equal(t->tokens[0].src_start, 4);

    /* A dash token maps to the dash; a curly contraction to the word. */
    CHECK(t, "yes -- no", " yes , no ");
    assert_token_src(t, 1, "--");
    CHECK(t, "I\xe2\x80\x99m in", " i am in ");
    assert_token_src(t, 0, "I\xe2\x80\x99m");
    assert_token_src(t, 1, "I\xe2\x80\x99m");
    assert_token_src(t, 2, "in");
}

/* ------------------------------------------------------------------ */
/* Reuse, stemming, phrases, negators                                  */
/* ------------------------------------------------------------------ */

/* Once warm, an rp_text does not reallocate: its buffers stay put. */
static void test_reuse(void **state)
{
    rp_text *t = *state;
    rp_buf big;
    rp_buf_init(&big);
    for (int i = 0; i < 400; i++)
        rp_buf_puts(&big, "Don't u think it's great, idk?! ");
    rp_text_set(t, big.ptr, big.len, RP_NORM_DEFAULT);
    check_invariants(t);
    assert_int_equal(t->ntokens, 400 * 13);

    const char *src = t->src.ptr, *match = t->match.ptr;
    const uint32_t *ss = t->src_start, *se = t->src_end;
    const rp_token *toks = t->tokens;
    size_t caps[4] = {t->src.cap, t->match.cap, t->map_cap, t->tok_cap};

    static const norm_case lines[] = {
        {"Hi!", " hi ! "},
        {"What's your role?", " what is your role ? "},
        {"", " "},
        {"thx, that's all", " thanks , that is all "},
        {"\xe2\x80\x9cI can\xe2\x80\x99t\xe2\x80\x9d", " i can not "},
    };
    for (int round = 0; round < 2000; round++) {
        const norm_case *c = &lines[round % 5];
        rp_text_set(t, c->in, strlen(c->in), RP_NORM_DEFAULT);
        assert_string_equal(t->match.ptr, c->want);
    }
    check_invariants(t);
    assert_ptr_equal(t->src.ptr, src);
    assert_ptr_equal(t->match.ptr, match);
    assert_ptr_equal(t->src_start, ss);
    assert_ptr_equal(t->src_end, se);
    assert_ptr_equal(t->tokens, toks);
    assert_int_equal(t->src.cap, caps[0]);
    assert_int_equal(t->match.cap, caps[1]);
    assert_int_equal(t->map_cap, caps[2]);
    assert_int_equal(t->tok_cap, caps[3]);
    rp_buf_free(&big);

    /* Freeing resets to a valid empty rp_text, usable again. */
    rp_text_free(t);
    assert_null(t->match.ptr);
    assert_int_equal(t->ntokens, 0);
    CHECK(t, "again", " again ");
}

static void test_stemming(void **state)
{
    rp_text *t = *state;
    struct sb_stemmer *st = sb_stemmer_new("english", "UTF_8");
    assert_non_null(st);

    CHECK(t, "Transitions, transitioning?", " transitions , transitioning ? ");
    rp_text_stem(t, st);
    assert_string_equal(t->stems.ptr, "transit transit");
    assert_int_equal(t->tokens[0].stem_len, 7);
    assert_memory_equal(t->stems.ptr + t->tokens[0].stem_start, "transit", 7);
    assert_int_equal(t->tokens[1].stem_len, 0); /* "," */
    assert_int_equal(t->tokens[2].stem_start, 8);
    assert_int_equal(t->tokens[2].stem_len, 7);
    assert_memory_equal(t->stems.ptr + t->tokens[2].stem_start, "transit", 7);
    assert_int_equal(t->tokens[3].stem_len, 0); /* "?" */

    /* Stemming twice gives the same; a new text clears old stems. */
    rp_text_stem(t, st);
    assert_string_equal(t->stems.ptr, "transit transit");
    CHECK(t, "I'm running", " i am running ");
    assert_int_equal(t->stems.len, 0);
    rp_text_stem(t, st);
    assert_string_equal(t->stems.ptr, "i am run");
    assert_memory_equal(t->stems.ptr + t->tokens[2].stem_start, "run", 3);

    /* A NULL stemmer copies the words. */
    rp_text_stem(t, NULL);
    assert_string_equal(t->stems.ptr, "i am running");
    assert_int_equal(t->tokens[2].stem_len, 7);

    /* Non-Latin words go through unharmed. */
    CHECK(t,
          "\xc3\xa9"
          "coles \xf0\x9f\x91\x8d",
          " \xc3\xa9"
          "coles "
          "\xf0\x9f\x91\x8d ");
    rp_text_stem(t, st);
    assert_true(valid_utf8(t->stems.ptr, t->stems.len));
    assert_int_equal(t->tokens[1].stem_len, 4);

    /* No tokens: empty stems. */
    CHECK(t, "", " ");
    rp_text_stem(t, st);
    assert_string_equal(t->stems.ptr, "");
    sb_stemmer_delete(st);
}

static void test_norm_phrase(void **state)
{
    (void)state;
    rp_buf out;
    rp_buf_init(&out);
    rp_text_norm_phrase(LIT("What's"), RP_NORM_DEFAULT, &out);
    assert_string_equal(out.ptr, "what is");

    /* It appends. */
    rp_buf_puts(&out, "|");
    rp_text_norm_phrase(LIT("  Follow-Up, u?! "), RP_NORM_DEFAULT, &out);
    assert_string_equal(out.ptr, "what is|follow up , you ?");

    /* Flags are honoured. */
    rp_buf_clear(&out);
    rp_text_norm_phrase(LIT("don't u"), 0, &out);
    assert_string_equal(out.ptr, "dont u");

    /* Nothing to append: out stays as it was, NUL-terminated. */
    rp_buf_clear(&out);
    rp_text_norm_phrase(LIT(""), RP_NORM_DEFAULT, &out);
    assert_non_null(out.ptr);
    assert_string_equal(out.ptr, "");
    rp_text_norm_phrase(LIT(" ?! "), RP_NORM_DEFAULT, &out);
    assert_string_equal(out.ptr, "");
    rp_buf_free(&out);
}

static void test_negators(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "not",    "no",   "never",   "nothing", "without",
        "nobody", "none", "neither", "nor",     "cannot",
    };
    static const char *const no[] = {
        "",         "n",   "nope",   "note", "knot",
        "nothings", "can", "never!", "nor ", "notwithstanding",
        "yes",      "do",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(rp_text_is_negator(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(rp_text_is_negator(no[i], strlen(no[i])));
    /* Length-bounded, not NUL-bounded; ASCII case-insensitive. */
    assert_true(rp_text_is_negator("nothing else", 7));
    assert_false(rp_text_is_negator("nothing else", 6));
    assert_true(rp_text_is_negator("NOT", 3));
    assert_true(rp_text_is_negator("Never", 5));
}

/* ------------------------------------------------------------------ */
/* Random input                                                        */
/* ------------------------------------------------------------------ */

/* Thousands of random lines built from awkward pieces: every result must
 * satisfy the invariants, and normalising a match text again must give
 * it back unchanged. */
static void test_random_input(void **state)
{
    rp_text *t = *state;
    static const char *const pieces[] = {
        "a",
        "Z",
        "9",
        " ",
        ".",
        ",",
        "?",
        "!",
        ";",
        ":",
        "'",
        "-",
        "/",
        "n't",
        "'s",
        "don",
        "u",
        "idk",
        "it",
        "\0",
        "\x01",
        "\x7f",
        "\x80",
        "\xc3",
        "\xc3\x89",
        "\xe2\x80\x99",
        "\xe2\x80\x94",
        "\xe2\x80\xa6",
        "\xe2\x80\x8d",
        "\xe2\x80\x8f",
        "\xc2\xad",
        "\xf0\x9f\x91\x8d",
        "\xf4\x90\x80\x80",
        "\xed\xa0\x80",
        "\xd7\xa9",
        "\xef\xbf\xbd",
        "\xc2\xa0",
        "\xc5\xb8",
        "\xc4\xb0",
        "\xe3\x80\x82",
        "\xef\xbc\x8e",
        "--",
        "3.5",
        "\t",
        "`",
        "\xc2\xb4",
    };
    const size_t npieces = sizeof pieces / sizeof *pieces;
    rp_text again;
    rp_text_init(&again);
    rp_buf line;
    rp_buf_init(&line);
    rp_rng rng;
    rp_rng_seed(&rng, 20240601);
    bool idempotent = true;
    for (int round = 0; round < 20000; round++) {
        rp_buf_clear(&line);
        uint32_t n = rp_rng_below(&rng, 40);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t p = rp_rng_below(&rng, (uint32_t)npieces);
            /* "\0" is one byte: strlen would say 0. */
            size_t len = pieces[p][0] ? strlen(pieces[p]) : 1;
            rp_buf_put(&line, pieces[p], len);
        }
        unsigned flags = rp_rng_below(&rng, 4);
        rp_text_set(t, line.ptr ? line.ptr : "", line.len, flags);
        check_invariants(t);
        rp_text_set(&again, t->match.ptr, t->match.len, flags);
        if (strcmp(again.match.ptr, t->match.ptr) != 0) {
            print_error("round %d: not idempotent: \"%s\" -> \"%s\"\n", round,
                        t->match.ptr, again.match.ptr);
            idempotent = false;
            break;
        }
    }
    rp_buf_free(&line);
    rp_text_free(&again);
    assert_true(idempotent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contractions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kelvin_long_s, setup, teardown),
        cmocka_unit_test_setup_teardown(test_possessive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apostrophe_less, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contractions_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quotes_and_dashes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_punct_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_leading_punct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_separators_in_numbers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hyphen_slash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_and_controls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emoji_and_rtl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_folding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_blank, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stemming, setup, teardown),
        cmocka_unit_test(test_norm_phrase),
        cmocka_unit_test(test_negators),
        cmocka_unit_test_setup_teardown(test_random_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

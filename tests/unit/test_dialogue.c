/*
 * test_dialogue.c - unit tests of the dialogue policy (dialogue.c) and
 * intent recognition (intent.c) through the public API: rule order,
 * conditions, reply choice, meters and thresholds, fallbacks, persona-
 * initiated questions, endings, determinism, restart and rebind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport.h"

static const char *base =
    "id: dlg\n"
    "name: Dee\n"
    "reflections: {my: your, i: you, am: are}\n"
    "sets:\n"
    "  greet: [hi, hello, hey]\n"
    "intents:\n"
    "  greeting: {patterns: [\"^ @greet\"]}\n"
    "  asks_job: {patterns: [\"(job|opening*|hiring)\"]}\n"
    "  question: {patterns: [\"?\"], negatable: false}\n"
    "vars: {asked: false, topic: none}\n"
    "meters:\n"
    "  patience:\n"
    "    start: 5\n"
    "    min: 0\n"
    "    max: 10\n"
    "    drift: -0.25\n"
    "    thresholds:\n"
    "      - {id: low, below: 3, say: \"I'm short on time.\"}\n"
    "      - {below: 1, do: {end: cut}}\n"
    "opening: [\"Hi, I'm Dee.\", \"Dee here.\"]\n"
    "start: one\n"
    "stages:\n"
    "  one:\n"
    "    rules:\n"
    "      - id: greet\n"
    "        when: {intent: greeting}\n"
    "        replies: [A, B, C]\n"
    "        select: cycle\n"
    "      - id: job-early\n"
    "        when: {intent: asks_job}\n"
    "        if: {turn: \"<= 2\"}\n"
    "        reply: Too early.\n"
    "        marks: [brush_off]\n"
    "        do: {meters: {patience: -2}, set: {asked: true}}\n"
    "        priority: 5\n"
    "      - id: job-late\n"
    "        when: {intent: asks_job}\n"
    "        reply: Maybe later, since asked is {$asked}.\n"
    "      - id: name\n"
    "        when: {pattern: \"my name is *\"}\n"
    "        reply: \"Hello {1}! ({raw:1})\"\n"
    "      - id: long\n"
    "        if: {words: \"> 20\"}\n"
    "        reply: That was long.\n"
    "        do: {meters: {patience: -3}}\n"
    "      - id: once\n"
    "        when: {pattern: ping}\n"
    "        once: true\n"
    "        reply: pong\n"
    "      - id: go\n"
    "        when: {pattern: \"let us go\"}\n"
    "        reply: Going.\n"
    "        do: {goto: two, ask: true}\n"
    "    fallback: [F1, F2, F3]\n"
    "    initiate: [\"What do you study?\", \"Where are you from?\"]\n"
    "  two:\n"
    "    rules:\n"
    "      - id: after-go\n"
    "        when: {pattern: yes}\n"
    "        if: {after: [go]}\n"
    "        reply: Glad you agree.\n"
    "      - id: bye\n"
    "        when: {pattern: bye}\n"
    "        reply: Bye.\n"
    "        do: {end: nice}\n"
    "    initiate: [\"Any plans?\"]\n"
    "rules:\n"
    "  - id: global-ping\n"
    "    when: {pattern: ping}\n"
    "    reply: global pong\n"
    "fallback: [G1, G2]\n"
    "settings: {fallback_window: 2}\n"
    "endings:\n"
    "  nice: {outcome: rewarding, say: \"See you.\"}\n"
    "  cut: {outcome: cut-short, say: \"Got to go.\"}\n";

static rp_persona *load(const char *yaml)
{
    rp_diags *d = rp_diags_new();
    /* Under valgrind (make leakcheck) JIT code is opaque: interpret. */
    rp_load_options opts = {NULL, getenv("RAPPORT_NOJIT") ? RP_LOAD_NOJIT : 0};
    rp_persona *p =
        rp_persona_load_string("dlg.yaml", yaml, strlen(yaml), &opts, d);
    for (size_t i = 0; i < rp_diags_count(d); i++) {
        char *s = rp_diag_render(rp_diags_get(d, i), NULL);
        fprintf(stderr, "%s", s);
        free(s);
    }
    rp_diags_free(d);
    assert_non_null(p);
    return p;
}

static const rp_turn *say(rp_session *s, const char *line)
{
    const rp_turn *t = NULL;
    assert_int_equal(rp_session_turn(s, line, strlen(line), &t), RP_OK);
    return t;
}

static void test_cycle_and_rule_order(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 7);
    assert_string_equal(rp_turn_reply(say(s, "hi")), "A");
    /* turn 2: job ask early, priority 5 wins over the later rule */
    const rp_turn *t = say(s, "are you hiring?");
    assert_string_equal(rp_turn_rule(t), "job-early");
    assert_string_equal(rp_turn_marks(t), "brush_off");
    assert_string_equal(rp_turn_reply(t), "Too early. I'm short on time.");
    /* turn 3: the condition fails, the later rule answers with a var */
    /* turn 3: the condition fails, the later rule answers with a var */
    t = say(s, "any openings");
    assert_string_equal(rp_turn_reply(t), "Maybe later, since asked is true.");
    assert_false(rp_turn_ended(t));
    /* cycle: A, B, C, A in a fresh conversation */
    rp_session_restart(s);
    const char *want[] = {"A", "B", "C", "A"};
    for (int i = 0; i < 4; i++)
        assert_memory_equal(rp_turn_reply(say(s, "hey")), want[i], 1);
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_captures_and_reflection(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 1);
    const rp_turn *t = say(s, "My name is Sam and I am my own boss.");
    assert_string_equal(rp_turn_reply(t),
                        "Hello sam and you are your own boss! "
                        "(Sam and I am my own boss)");
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_meters_thresholds_and_end(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 1);
    double v;
    assert_true(rp_session_meter(s, "patience", &v));
    assert_true(v == 5);
    const char *ramble = "one two three four five six seven eight nine ten "
                         "eleven twelve thirteen fourteen fifteen sixteen "
                         "seventeen eighteen nineteen twenty twentyone";
    const rp_turn *t = say(s, ramble); /* 5 - .25 - 3 = 1.75: crosses 3 */
    assert_string_equal(rp_turn_rule(t), "long");
    assert_string_equal(rp_turn_reply(t), "That was long. I'm short on time.");
    assert_int_equal(rp_turn_meter_change_count(t), 2);
    assert_string_equal(rp_turn_meter_change(t, 0)->cause, "drift");
    assert_string_equal(rp_turn_meter_change(t, 1)->cause, "long");
    assert_false(rp_turn_ended(t));
    t = say(s, ramble); /* 1.75 - .25 - 3 -> 0: crosses 1, ends */
    assert_true(rp_turn_ended(t));
    assert_true(rp_session_ended(s));
    assert_string_equal(rp_session_ending(s), "cut");
    assert_string_equal(rp_session_ending_outcome(s), "cut-short");
    assert_string_equal(rp_turn_reply(t), "That was long. Got to go.");
    /* the low-patience warning fired once only */
    assert_null(strstr(rp_turn_reply(t), "short on time"));
    const rp_turn *t2;
    assert_int_equal(rp_session_turn(s, "hi", 2, &t2), RP_EENDED);
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_once_then_global(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 1);
    assert_string_equal(rp_turn_reply(say(s, "ping")), "pong");
    const rp_turn *t = say(s, "ping");
    assert_string_equal(rp_turn_reply(t), "global pong");
    /* the trace says why: exhausted, then fired */
    bool exhausted = false;
    for (size_t i = 0; i < rp_turn_rule_trace_count(t); i++) {
        const rp_rule_trace *r = rp_turn_rule_trace(t, i);
        if (!strcmp(r->rule, "once"))
            exhausted = r->verdict == RP_RULE_EXHAUSTED;
    }
    assert_true(exhausted);
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_initiate_and_fallbacks(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 3);
    /* Not a question, nothing understood: the persona asks its own. */
    const rp_turn *t = say(s, "blah");
    assert_true(rp_turn_fallback(t));
    assert_string_equal(rp_turn_reply(t), "What do you study?");
    t = say(s, "zzz");
    assert_string_equal(rp_turn_reply(t), "Where are you from?");
    /* Questions get fallbacks; never the same within the window of 2. */
    char prev[2][64] = {"", ""};
    for (int i = 0; i < 12; i++) {
        rp_session_restart(s);
        (void)say(s, "blah");
        (void)say(s, "zzz");
        prev[0][0] = prev[1][0] = '\0';
        for (int k = 0; k < 6; k++) {
            t = say(s, "huh?");
            assert_true(rp_turn_fallback(t));
            char r[3];
            snprintf(r, sizeof r, "%s", rp_turn_reply(t));
            assert_true(r[0] == 'F');
            assert_string_not_equal(r, prev[0]);
            assert_string_not_equal(r, prev[1]);
            strcpy(prev[1], prev[0]);
            strcpy(prev[0], r);
        }
    }
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_goto_ask_after(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 1);
    const rp_turn *t = say(s, "let's go");
    assert_string_equal(rp_turn_reply(t), "Going. Any plans?");
    assert_string_equal(rp_turn_stage(t), "two");
    assert_string_equal(rp_turn_reply(say(s, "yes")), "Glad you agree.");
    /* after: only right after 'go' */
    t = say(s, "yes");
    assert_true(rp_turn_fallback(t));
    assert_string_equal(rp_turn_reply(say(s, "bye")), "Bye. See you.");
    assert_string_equal(rp_session_ending_outcome(s), "rewarding");
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_negation(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 1);
    const rp_turn *t = say(s, "I'm not here to ask about a job");
    assert_null(rp_turn_rule(t));
    assert_int_equal(rp_turn_intent_count(t), 1);
    const rp_intent_hit *h = rp_turn_intent(t, 0);
    assert_string_equal(h->intent, "asks_job");
    assert_true(h->negated);
    /* the span quotes the learner's own bytes */
    assert_int_equal(h->end - h->start, 3);
    assert_memory_equal(rp_turn_input(t) + h->start, "job", 3);
    /* a contrast word ends the negation's scope */
    t = say(s, "I don't need much, but a job would help");
    assert_string_equal(rp_turn_rule(t), "job-early");
    t = say(s, "no idea but are you hiring");
    assert_false(rp_turn_intent(t, 0)->negated);
    rp_session_free(s);
    rp_persona_free(p);
}

/* Run a whole conversation and return its transcript. */
static char *transcript(const rp_persona *p, uint64_t seed)
{
    static const char *lines[] = {"hi",  "what?", "hey",     "so?", "blah",
                                  "eh?", "hello", "really?", "ok?", "hm?"};
    rp_session *s = rp_session_new(p, seed);
    size_t cap = 4096, n = 0;
    char *out = calloc(1, cap);
    n += (size_t)snprintf(out, cap, "%s\n", rp_session_opening(s));
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        const rp_turn *t;
        if (rp_session_turn(s, lines[i], strlen(lines[i]), &t) != RP_OK)
            break;
        n += (size_t)snprintf(out + n, cap - n, "%s\n", rp_turn_reply(t));
    }
    rp_session_free(s);
    return out;
}

static void test_determinism(void **state)
{
    (void)state;
    /* Make everything shuffle so seeds matter. */
    rp_persona *p = load(base);
    char *a = transcript(p, 42), *b = transcript(p, 42);
    assert_string_equal(a, b);
    bool differs = false;
    for (uint64_t seed = 1; seed < 20 && !differs; seed++) {
        char *c = transcript(p, seed);
        differs = strcmp(a, c) != 0;
        free(c);
    }
    assert_true(differs);
    free(a);
    free(b);
    rp_persona_free(p);
}

static void test_restart(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 9);
    char first[64];
    snprintf(first, sizeof first, "%s", rp_session_opening(s));
    (void)say(s, "let's go");
    rp_session_restart(s);
    assert_string_equal(rp_session_opening(s), first);
    assert_string_equal(rp_session_stage(s), "one");
    assert_int_equal(rp_session_turn_count(s), 0);
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_rebind(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 9);
    (void)say(s, "hi");
    (void)say(s, "let's go");
    /* A re-loaded persona with a changed reply keeps stage and meters. */
    char *yaml = strdup(base);
    char *at = strstr(yaml, "reply: Bye.");
    memcpy(at, "reply: Cya.", 11);
    rp_persona *q = load(yaml);
    assert_int_equal(rp_session_rebind(s, q), RP_OK);
    assert_string_equal(rp_session_stage(s), "two");
    assert_int_equal(rp_session_turn_count(s), 2);
    double v;
    assert_true(rp_session_meter(s, "patience", &v));
    assert_true(v == 4.5);
    assert_string_equal(rp_turn_reply(say(s, "bye")), "Cya. See you.");
    /* The history carried over: the report card covers all three turns,
     * and its evidence may quote the old persona, which lives on. */
    char *json = rp_session_json(s);
    assert_non_null(strstr(json, "\"turn\":1,\"user\":\"hi\""));
    assert_non_null(strstr(json, "\"turn\":3,\"user\":\"bye\""));
    free(json);
    rp_session_free(s);
    rp_persona_free(q);
    rp_persona_free(p);
    free(yaml);
}

static void test_hostile_input(void **state)
{
    (void)state;
    rp_persona *p = load(base);
    rp_session *s = rp_session_new(p, 1);
    const rp_turn *t;
    const char bad[] = "hi \xff\xfe \x00 \x1b[2J there";
    assert_int_equal(rp_session_turn(s, bad, sizeof bad - 1, &t), RP_OK);
    assert_true(strlen(rp_turn_reply(t)) > 0);
    for (const char *c = rp_turn_input(t); *c; c++)
        assert_true((unsigned char)*c >= 0x20 || *c == '\t');
    size_t big = 1 << 20;
    char *line = malloc(big);
    memset(line, 'a', big);
    assert_int_equal(rp_session_turn(s, line, big, &t), RP_OK);
    assert_true(strlen(rp_turn_reply(t)) > 0);
    assert_int_equal(rp_session_turn(s, "", 0, &t), RP_OK);
    assert_true(strlen(rp_turn_reply(t)) > 0);
    assert_int_equal(rp_session_turn(s, "   \t ", 5, &t), RP_OK);
    assert_true(strlen(rp_turn_reply(t)) > 0);
    free(line);
    rp_session_free(s);
    rp_persona_free(p);
}

static void test_catastrophic_rule_bounded(void **state)
{
    (void)state;
    const char *yaml = "id: cat\nname: C\nstart: s\n"
                       "stages:\n  s:\n    rules:\n"
                       "      - id: evil\n"
                       "        when: {regex: \"(a+)+$\"}\n"
                       "        reply: matched\n"
                       "    fallback: [nope]\n";
    rp_persona *p = load(yaml);
    rp_session *s = rp_session_new(p, 1);
    char line[4100];
    memset(line, 'a', 4000);
    strcpy(line + 4000, "!b");
    const rp_turn *t = say(s, line);
    /* The regex hits the match limit: a non-match, and the trace says so */
    assert_string_equal(rp_turn_reply(t), "nope");
    assert_int_equal(rp_turn_rule_trace(t, 0)->verdict, RP_RULE_LIMIT);
    rp_session_free(s);
    rp_persona_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cycle_and_rule_order),
        cmocka_unit_test(test_captures_and_reflection),
        cmocka_unit_test(test_meters_thresholds_and_end),
        cmocka_unit_test(test_once_then_global),
        cmocka_unit_test(test_initiate_and_fallbacks),
        cmocka_unit_test(test_goto_ask_after),
        cmocka_unit_test(test_negation),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_rebind),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_catastrophic_rule_bounded),
    };
    return cmocka_run_group_tests_name("dialogue", tests, NULL, NULL);
}

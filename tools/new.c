/*
 * new.c - `rapport new`: scaffold a persona and a script to test it.
 *
 * Writes personas/ID.yaml, a commented starter persona that passes
 * `rapport lint` and shows each part of the format once (the brief, a
 * variable, a meter with a threshold, two stages with fallbacks and
 * initiate questions, stage and global rules with examples, endings), and
 * scripts/ID/starter.yaml, a scripted conversation that `rapport test`
 * passes with it.  Both are relative to the current directory, whose
 * personas/common/ must hold the shared library the starter includes.
 * Existing files are never overwritten (O_EXCL), so running it twice is
 * harmless.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools.h"

static const char new_usage[] =
    "Usage: rapport new PERSONA-ID\n"
    "\n"
    "Write a commented starter persona, personas/PERSONA-ID.yaml, and a\n"
    "scripted conversation that tests it, scripts/PERSONA-ID/starter.yaml,\n"
    "under the current directory.  The persona includes the shared library\n"
    "in personas/common/, which must be there (run it at the top of a\n"
    "rapport checkout).  Existing files are never overwritten.  Then:\n"
    "\n"
    "  rapport lint personas/PERSONA-ID.yaml\n"
    "  rapport test scripts/PERSONA-ID\n"
    "  rapport chat PERSONA-ID            (/reload after each edit)\n"
    "\n"
    "PERSONA-ID: lower-case letters, digits and '-', starting with a letter\n"
    "or digit, at most 64 characters.\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help and exit\n";

/* The starter persona; "@ID@" stands for the id. */
static const char new_persona[] =
    "# yaml-language-server: $schema=persona.schema.json\n"
    "#\n"
    "# @ID@: a starter persona written by `rapport new`.  Replace the brief,\n"
    "# the stages and the rules with your own.  Every key, with an example,\n"
    "# is in personas/README.md; every diagnostic in doc/diagnostics.md.\n"
    "#\n"
    "#   rapport lint personas/@ID@.yaml   every problem, with its position\n"
    "#   rapport test scripts/@ID@         the scripted conversations\n"
    "#   rapport chat @ID@                 talk to it (/reload after an "
    "edit,\n"
    "#                                     /why to see why it answered so)\n"
    "#   rapport graph @ID@ | dot -Tsvg >@ID@.svg   draw its stages\n"
    "\n"
    "id: @ID@                      # the file is personas/ID.yaml\n"
    "name: Alex Example             # how the persona is called\n"
    "role: Software Engineer        # the brief the learner reads first\n"
    "organisation: Example Corp\n"
    "difficulty: 2                  # 1 (easy) .. 5 (hard)\n"
    "summary: A friendly engineer with fifteen minutes for you.\n"
    "scene: >\n"
    "  A coffee chat after a careers talk. Alex has a quarter of an hour and\n"
    "  is happy to talk about the job, less happy to be asked for one.\n"
    "facts:                         # what the learner could have found out\n"
    "  - text: Moved from testing into software engineering three years "
    "ago.\n"
    "    keywords: [testing, qa, switch]   # words that show they read it\n"
    "\n"
    "include:                       # the shared library, in personas/common\n"
    "  - common/intents.yaml        # intents: greeting, asks_advice, ...\n"
    "  - common/reflections.yaml    # pronoun reflection for {1} in replies\n"
    "  - common/rubric.yaml         # how the learner's lines are scored\n"
    "\n"
    "vars:\n"
    "  asked_for_job: false         # set by job-ask, read by job-ask-again\n"
    "\n"
    "meters:\n"
    "  patience:                    # a number the conversation moves\n"
    "    start: 6\n"
    "    min: 0\n"
    "    max: 10\n"
    "    drift: -0.25               # added every learner turn\n"
    "    thresholds:\n"
    "      - id: out-of-time\n"
    "        below: 2               # fires when patience drops below 2\n"
    "        say: \"Sorry, I have to run.\"\n"
    "        do: {end: cut-short}\n"
    "\n"
    "opening: \"Hi! I've got about fifteen minutes. What would you like to "
    "talk about?\"\n"
    "\n"
    "start: opening                 # the first stage\n"
    "\n"
    "stages:\n"
    "  opening:\n"
    "    description: Small talk; Alex wants to know why you asked for the "
    "chat.\n"
    "    initiate:                  # Alex's own questions, each asked once\n"
    "      - \"So, what are you studying?\"\n"
    "    fallback:                  # when no rule understood the line\n"
    "      - \"Sorry, I didn't follow. What did you want to ask me?\"\n"
    "    rules:                     # tried before the global rules\n"
    "      - id: greet\n"
    "        when: {intents: [greeting]}\n"
    "        reply: \"Hi! Nice to meet you. What's on your mind?\"\n"
    "        examples: [\"Hi Alex, nice to meet you.\"]   # checked by "
    "rapport test\n"
    "      - id: ask-career\n"
    "        when: {intents: [asks_their_career, asks_transition]}\n"
    "        replies:               # variants; one is picked with the seed\n"
    "          - \"I started in testing and moved into engineering. Best "
    "move I made.\"\n"
    "          - \"Testing first, then engineering. Breaking things taught "
    "me how to build them.\"\n"
    "        do: {meters: {patience: +1}, goto: talking}\n"
    "        examples: [\"How did you get into engineering?\"]\n"
    "\n"
    "  talking:\n"
    "    description: You ask about Alex's work and for advice.\n"
    "    fallback:\n"
    "      - \"Hmm, say more?\"\n"
    "    rules:\n"
    "      - id: ask-advice\n"
    "        when: {intents: [asks_advice]}\n"
    "        reply: \"Build small things and show them to people. What have "
    "you built?\"\n"
    "        marks: [question]      # tells the scorer Alex asked something\n"
    "        do: {meters: {patience: +1}}\n"
    "        examples: [\"What advice would you give me?\"]\n"
    "      - id: goodbye-warm\n"
    "        when: {intents: [goodbye, next_step]}\n"
    "        if: {meters: {patience: \">= 5\"}}   # only while Alex is still "
    "keen\n"
    "        reply: \"Great talking to you. Send me what you build!\"\n"
    "        do: {end: warm}\n"
    "        examples: [\"Thanks for your time, bye!\"]\n"
    "\n"
    "rules:                         # global rules: tried in every stage\n"
    "  - id: job-ask-again\n"
    "    when: {intents: [asks_for_job]}\n"
    "    if: {vars: {asked_for_job: true}}\n"
    "    priority: 6                # higher priority is tried first\n"
    "    reply: \"Like I said, that's not my call.\"\n"
    "    marks: [refusal]\n"
    "    do: {meters: {patience: -2}}\n"
    "    examples: [\"Could you get me a job, though?\"]\n"
    "  - id: job-ask\n"
    "    when: {intents: [asks_for_job]}\n"
    "    priority: 5\n"
    "    reply: \"I can't help with jobs directly, sorry. Ask me about the "
    "work?\"\n"
    "    marks: [brush_off]         # a deflection to handle gracefully\n"
    "    do: {meters: {patience: -1}, set: {asked_for_job: true}}\n"
    "    examples: [\"Can you get me a job at Example Corp?\"]\n"
    "  - id: goodbye\n"
    "    when: {intents: [goodbye]}\n"
    "    reply: \"Good luck!\"\n"
    "    do: {end: neutral}\n"
    "    examples: [\"Bye!\"]\n"
    "\n"
    "fallback:                      # for stages without their own\n"
    "  - \"Sorry, what was that?\"\n"
    "\n"
    "endings:                       # do: {end: ID} ends the conversation\n"
    "  warm:\n"
    "    outcome: rewarding         # rewarding | neutral | cut-short\n"
    "    say: \"Here's my email. Keep in touch.\"\n"
    "  neutral:\n"
    "    outcome: neutral\n"
    "  cut-short:\n"
    "    outcome: cut-short\n";

/* The starter script; "@ID@" stands for the id. */
static const char new_script[] =
    "# A scripted conversation with @ID@, written by `rapport new`: each\n"
    "# turn says a line and checks what the persona did.  Run it with\n"
    "#   rapport test scripts/@ID@\n"
    "# and record real conversations as scripts with `rapport record`.\n"
    "persona: @ID@\n"
    "seed: 1\n"
    "turns:\n"
    "  - say: \"Hi Alex, nice to meet you.\"\n"
    "    expect: {rule: greet, stage: opening}\n"
    "  - say: \"How did you get into engineering?\"\n"
    "    expect: {rule: ask-career, stage: talking}\n"
    "  - say: \"What advice would you give me?\"\n"
    "    expect: {rule: ask-advice, meters: {patience: \"> 5\"}}\n"
    "  - say: \"Thanks for your time, bye!\"\n"
    "    expect: {rule: goodbye-warm, ended: true}\n"
    "report:\n"
    "  ending: rewarding\n";

/* Is id a good persona id (and file name)? */
static bool new_valid_id(const char *id)
{
    size_t i, n = strlen(id);

    if (n == 0 || n > 64 || id[0] == '-')
        return false;
    for (i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') ||
              (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
            return false;
    return true;
}

/* tmpl with every "@ID@" replaced by id, appended to out. */
static void new_expand(struct buf *out, const char *tmpl, const char *id)
{
    const char *at;

    while ((at = strstr(tmpl, "@ID@")) != NULL) {
        buf_put(out, tmpl, (size_t)(at - tmpl));
        buf_puts(out, id);
        tmpl = at + 4;
    }
    buf_puts(out, tmpl);
}

/* Create path (which must not exist) holding text.  Returns 0, or -1
 * after a message. */
static int new_write(const char *path, const struct buf *text)
{
    size_t done = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);

    if (fd < 0) {
        msg_error("new", "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    while (done < text->len) {
        ssize_t n = write(fd, text->ptr + done, text->len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            msg_error("new", "cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return -1;
        }
        done += (size_t)n;
    }
    if (close(fd) != 0) {
        msg_error("new", "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

/* mkdir that is happy when the directory is already there. */
static int new_mkdir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    msg_error("new", "cannot create directory %s: %s", path, strerror(errno));
    return -1;
}

int cmd_new(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const library[] = {"intents", "reflections", "rubric"};
    struct buf persona = {0}, script = {0}, ppath = {0}, sdir = {0},
               spath = {0};
    struct stat st;
    const char *id;
    int c, status = STATUS_INPUT;
    size_t i;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(new_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("new", c, argv);
        }
    }
    if (optind == argc)
        return msg_usage("new", "name the new persona's id");
    if (argc - optind > 1)
        return msg_usage("new", "one persona at a time (unexpected '%s')",
                         argv[optind + 1]);
    id = argv[optind];
    if (!new_valid_id(id))
        return msg_usage("new",
                         "'%s' is not a persona id: use lower-case letters, "
                         "digits and '-' (at most 64), such as "
                         "'patient-recruiter'",
                         id);

    for (i = 0; i < sizeof library / sizeof *library; i++) {
        buf_clear(&ppath);
        buf_printf(&ppath, "personas/common/%s.yaml", library[i]);
        if (stat(buf_str(&ppath), &st) != 0) {
            msg_error("new",
                      "%s is missing: the starter persona includes the "
                      "shared library in personas/common/ (run rapport new "
                      "at the top of a rapport checkout, or copy "
                      "personas/common from " RAPPORT_DATADIR "/personas)",
                      buf_str(&ppath));
            goto out;
        }
    }
    buf_clear(&ppath);
    buf_printf(&ppath, "personas/%s.yaml", id);
    buf_printf(&sdir, "scripts/%s", id);
    buf_printf(&spath, "scripts/%s/starter.yaml", id);
    /* Check both before writing either: all or nothing. */
    if (lstat(buf_str(&ppath), &st) == 0 || lstat(buf_str(&spath), &st) == 0) {
        msg_error("new", "%s already exists; rapport new never overwrites",
                  lstat(buf_str(&ppath), &st) == 0 ? buf_str(&ppath)
                                                   : buf_str(&spath));
        goto out;
    }
    new_expand(&persona, new_persona, id);
    new_expand(&script, new_script, id);
    if (new_mkdir("scripts") != 0 || new_mkdir(buf_str(&sdir)) != 0)
        goto out;
    if (new_write(buf_str(&ppath), &persona) != 0)
        goto out;
    if (new_write(buf_str(&spath), &script) != 0) {
        unlink(buf_str(&ppath));
        goto out;
    }
    printf("wrote %s and %s\n"
           "next: rapport lint %s && rapport test %s\n",
           buf_str(&ppath), buf_str(&spath), buf_str(&ppath), buf_str(&sdir));
    status = STATUS_OK;
out:
    buf_free(&persona);
    buf_free(&script);
    buf_free(&ppath);
    buf_free(&sdir);
    buf_free(&spath);
    return status;
}

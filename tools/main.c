/*
 * main.c - the `rapport` program: options, commands, exit status.
 *
 * rapport lets students rehearse networking conversations with scripted
 * personas.  This file reads the global options, finds the subcommand in
 * the dispatch table and runs it; each subcommand lives in its own file
 * (chat.c, graph.c, list.c, lint.c, new.c, record.c, score.c, test.c,
 * history.c, report.c, progress.c; pick.c when no command is given).
 * The exit statuses are documented in the usage text below and in tools.h.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "tools.h"

static const char main_usage[] =
    "Usage: rapport [--personas DIR] [--history FILE] [--no-history]\n"
    "               [COMMAND [ARGS]]\n"
    "\n"
    "Rehearse networking conversations with scripted personas.  With no\n"
    "command, choose a persona from a list and talk to them.\n"
    "\n"
    "Commands:\n"
    "  chat [--seed N] [--trace] [--coach] [--json] [--transcript FILE]\n"
    "       [--no-checkin] PERSONA     talk to a persona; a report card\n"
    "                                     at the end\n"
    "  graph [--format dot|mermaid] PERSONA\n"
    "                                     print the persona's dialogue graph\n"
    "  list [--json]                      list the personas, easiest first\n"
    "  new PERSONA-ID                     write a starter persona and a\n"
    "                                     script that tests it\n"
    "  lint [-v] [FILE|DIR|ID...]         check persona files\n"
    "  score [--persona PERSONA] [--context TEXT] [--turn N]\n"
    "        [--after-brush-off] [--json] REPLY|-\n"
    "                                     score one reply, with evidence\n"
    "  record [--seed N] PERSONA -o FILE\n"
    "                                     talk to a persona and write the\n"
    "                                     conversation as a test script\n"
    "  test [-j N] [--tap] [--junit FILE] [--update] [PATH...]\n"
    "                                     run scripted conversations and\n"
    "                                     check their expectations\n"
    "  history [--persona ID] [-n N] [--json]\n"
    "                                     past conversations, newest first\n"
    "  report [--json|--markdown] [ID]    the report card of a past\n"
    "                                     conversation (default: the last)\n"
    "  progress [--persona ID] [-n N]     your trend per skill across\n"
    "                                     conversations, and what to\n"
    "                                     practise next\n"
    "  help [COMMAND]                     show this help, or a command's\n"
    "\n"
    "Options:\n"
    "  --personas DIR  look for personas in DIR first\n"
    "  --history FILE  keep and read the history in FILE\n"
    "  --no-history    keep no history of conversations\n"
    "  -h, --help      show this help and exit\n"
    "  --version       show the version and exit\n"
    "\n"
    "A PERSONA is the path of a persona file (it contains '/' or ends in\n"
    "'.yaml'), or an id looked up as ID.yaml in --personas DIR, then the\n"
    "directories in $RAPPORT_PERSONAS (separated by ':'), ./personas and\n"
    "the installed " RAPPORT_DATADIR "/personas.\n"
    "\n"
    "Environment:\n"
    "  RAPPORT_PERSONAS  directories to look for personas in\n"
    "  RAPPORT_HOME      where the history is kept (history.db and\n"
    "                    transcripts/); default $XDG_DATA_HOME/rapport,\n"
    "                    else ~/.local/share/rapport\n"
    "  NO_COLOR          when set and not empty, never use colour\n"
    "  COLUMNS           the width to wrap text to on a terminal\n"
    "  XDG_DATA_HOME     see RAPPORT_HOME\n"
    "  XDG_STATE_HOME    where the lines typed in chat are remembered\n"
    "                    (rapport/history)\n"
    "  RAPPORT_NOJIT     when set, do not JIT-compile patterns (valgrind)\n"
    "\n"
    "Exit status:\n"
    "  0   success\n"
    "  1   lint found warnings but no errors; test had failures\n"
    "  2   errors in the input: a persona that does not load, a file or\n"
    "      persona that cannot be found or read\n"
    "  64  the command line was wrong\n"
    "  129, 143  chat ended by SIGHUP or SIGTERM (after saving it)\n"
    "  70  internal error: out of memory, output that cannot be written\n";

static int main_help(int argc, char **argv);

/* The subcommands. */
static const struct main_command {
    const char *name;
    int (*run)(int argc, char **argv);
} main_commands[] = {
    {"chat", cmd_chat},     {"graph", cmd_graph},
    {"help", main_help},    {"history", cmd_history},
    {"lint", cmd_lint},     {"list", cmd_list},
    {"new", cmd_new},       {"progress", cmd_progress},
    {"record", cmd_record}, {"report", cmd_report},
    {"score", cmd_score},   {"test", cmd_test},
    {NULL, NULL},
};

static const struct main_command *main_find(const char *name)
{
    size_t i;

    for (i = 0; main_commands[i].name != NULL; i++)
        if (strcmp(main_commands[i].name, name) == 0)
            return &main_commands[i];
    return NULL;
}

/* `rapport help [COMMAND]`: the usage, or the command's own help. */
static int main_help(int argc, char **argv)
{
    const struct main_command *cmd;
    char help[] = "--help";
    char *args[3];

    if (argc > 2)
        return msg_usage(NULL, "help takes one command at a time");
    if (argc < 2 || strcmp(argv[1], "help") == 0 ||
        strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(main_usage, stdout);
        return STATUS_OK;
    }
    cmd = main_find(argv[1]);
    if (cmd == NULL)
        return msg_usage(NULL, "no command called '%s'", argv[1]);
    args[0] = argv[1];
    args[1] = help;
    args[2] = NULL;
    return cmd->run(2, args);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"personas", required_argument, NULL, 'p'},
        {"history", required_argument, NULL, 'H'},
        {"no-history", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const struct main_command *cmd;
    int c, status;

    term_init();
    opterr = 0;
    /* '+': options end at the command, whose options are its own. */
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            personas_set_dir(optarg);
            break;
        case 'H':
            store_set_path(optarg);
            break;
        case 'N':
            store_disable();
            break;
        case 'h':
            fputs(main_usage, stdout);
            return STATUS_OK;
        case 'V':
            printf("rapport %s\n", RP_VERSION);
            return STATUS_OK;
        default:
            return msg_getopt(NULL, c, argv);
        }
    }
    status = personas_check_dir();
    if (status != 0)
        return status;

    if (optind == argc) {
        status = cmd_pick(0, argv + optind);
    } else if ((cmd = main_find(argv[optind])) != NULL) {
        status = cmd->run(argc - optind, argv + optind);
    } else {
        return msg_usage(NULL,
                         "unknown command '%s' (the commands are "
                         "chat, graph, list, lint, new, record, score, test, "
                         "history, report, progress and help)",
                         argv[optind]);
    }

    /* A full disk or a closed pipe must not pass for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        msg_error(NULL, "cannot write the output: %s", strerror(errno));
        if (status == STATUS_OK)
            status = STATUS_INTERNAL;
    }
    return status;
}

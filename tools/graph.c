/*
 * graph.c - `rapport graph`: draw a persona's dialogue graph.
 *
 * The engine lists the transitions (rp_graph: rules and thresholds that
 * move on from a stage or end the conversation, each with what fires
 * it); this file merges the edges between the same two nodes into one,
 * with a line per rule, and writes Graphviz dot or a Mermaid flowchart.
 * Stages are rounded boxes (closing stages bold), the start stage has an
 * arrow from a dot, endings are double octagons (dot) or subroutine
 * shapes (Mermaid) with their outcome, and threshold edges are dashed
 * and come from an "any stage" node.
 *
 *   rapport graph rushed-alumnus | dot -Tsvg >graph.svg
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

static const char graph_usage[] =
    "Usage: rapport graph [--format dot|mermaid] PERSONA\n"
    "\n"
    "Print the persona's dialogue graph: its stages and endings, and the\n"
    "rules and thresholds that move between them, each edge labelled with\n"
    "what fires it (intents, patterns, conditions).  Thresholds can fire\n"
    "in any stage and come from the \"any stage\" node, dashed.\n"
    "\n"
    "Options:\n"
    "  -f, --format F  dot (Graphviz, the default) or mermaid\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Example: rapport graph rushed-alumnus | dot -Tsvg >rushed-alumnus.svg\n";

/* One drawn edge: every rp_edge between the same two nodes. */
struct graph_edge {
    int from, to, ending; /* as in rp_edge */
    bool threshold;
    struct buf label; /* "via: when" lines, separated by '\n' */
};

/* Node names: "s3" (stage 3), "e1" (ending 1), "any", "start". */
static void graph_node(struct buf *b, int stage, int ending)
{
    if (ending >= 0)
        buf_printf(b, "e%d", ending);
    else if (stage >= 0)
        buf_printf(b, "s%d", stage);
    else
        buf_puts(b, "any");
}

/* Append s to b as the inside of a double-quoted dot string ('\n' as a
 * left-justified line break), or of a Mermaid label (quotes and angle
 * brackets as entities, '\n' as <br>).  Control bytes become '?'. */
static void graph_quote(struct buf *b, const char *s, bool mermaid)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            buf_puts(b, mermaid ? "<br>" : "\\l");
        else if (c < 0x20 || c == 0x7f)
            buf_putc(b, '?');
        else if (!mermaid && (c == '"' || c == '\\'))
            buf_printf(b, "\\%c", c);
        else if (mermaid && c == '"')
            buf_puts(b, "#quot;");
        else if (mermaid && c == '<')
            buf_puts(b, "#lt;");
        else if (mermaid && c == '>')
            buf_puts(b, "#gt;");
        else
            buf_putc(b, c);
    }
}

/* Merge g's edges by (from, to, ending) into *out, in first-seen
 * order; returns the count. */
static size_t graph_merge(const rp_graph *g, struct graph_edge **out)
{
    size_t n = rp_graph_edge_count(g), k = 0, i, j;
    struct graph_edge *v = mem_calloc(n ? n : 1, sizeof *v);

    for (i = 0; i < n; i++) {
        const rp_edge *e = rp_graph_edge(g, i);

        for (j = 0; j < k; j++)
            if (v[j].from == e->from && v[j].to == e->to &&
                v[j].ending == e->ending && v[j].threshold == e->threshold)
                break;
        if (j == k) {
            v[k].from = e->from;
            v[k].to = e->to;
            v[k].ending = e->ending;
            v[k].threshold = e->threshold;
            k++;
        } else {
            buf_putc(&v[j].label, '\n');
        }
        buf_printf(&v[j].label, "%s: %s", e->via, e->when);
    }
    *out = v;
    return k;
}

static bool graph_has_thresholds(const struct graph_edge *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].from < 0)
            return true;
    return false;
}

static void graph_dot(struct buf *b, const rp_persona *p,
                      const struct graph_edge *v, size_t n)
{
    const char *start = rp_persona_start(p);
    size_t i;

    buf_puts(b, "digraph \"");
    graph_quote(b, rp_persona_id(p), false);
    buf_puts(b, "\" {\n  rankdir=LR;\n"
                "  node [shape=box, style=rounded, fontname=\"sans\"];\n"
                "  edge [fontname=\"sans\", fontsize=10];\n"
                "  start [shape=point, label=\"\"];\n");
    for (i = 0; i < rp_persona_stage_count(p); i++) {
        const char *name = rp_persona_stage_name(p, i);

        buf_printf(b, "  s%zu [label=\"", i);
        graph_quote(b, name, false);
        buf_printf(b, "\"%s];\n",
                   rp_persona_stage_closing(p, i) ? ", style=\"rounded,bold\""
                                                  : "");
        if (start != NULL && strcmp(start, name) == 0)
            buf_printf(b, "  start -> s%zu;\n", i);
    }
    for (i = 0; i < rp_persona_ending_count(p); i++) {
        buf_printf(b, "  e%zu [shape=doubleoctagon, label=\"", i);
        graph_quote(b, rp_persona_ending_id(p, i), false);
        buf_puts(b, "\\n(");
        graph_quote(b, rp_persona_ending_outcome(p, i), false);
        buf_puts(b, ")\"];\n");
    }
    if (graph_has_thresholds(v, n))
        buf_puts(b, "  any [label=\"any stage\", style=dashed];\n");
    for (i = 0; i < n; i++) {
        buf_puts(b, "  ");
        graph_node(b, v[i].from, -1);
        buf_puts(b, " -> ");
        graph_node(b, v[i].to, v[i].ending);
        buf_puts(b, " [label=\"");
        graph_quote(b, buf_str(&v[i].label), false);
        buf_printf(b, "\\l\"%s];\n", v[i].threshold ? ", style=dashed" : "");
    }
    buf_puts(b, "}\n");
}

static void graph_mermaid(struct buf *b, const rp_persona *p,
                          const struct graph_edge *v, size_t n)
{
    const char *start = rp_persona_start(p);
    size_t i;

    buf_puts(b, "flowchart LR\n  start((\"start\"))\n");
    for (i = 0; i < rp_persona_stage_count(p); i++) {
        const char *name = rp_persona_stage_name(p, i);

        buf_printf(b, "  s%zu(\"", i);
        graph_quote(b, name, true);
        buf_printf(b, "%s\")\n",
                   rp_persona_stage_closing(p, i) ? " (closing)" : "");
        if (start != NULL && strcmp(start, name) == 0)
            buf_printf(b, "  start --> s%zu\n", i);
    }
    for (i = 0; i < rp_persona_ending_count(p); i++) {
        buf_printf(b, "  e%zu[[\"", i);
        graph_quote(b, rp_persona_ending_id(p, i), true);
        buf_puts(b, " (");
        graph_quote(b, rp_persona_ending_outcome(p, i), true);
        buf_puts(b, ")\"]]\n");
    }
    if (graph_has_thresholds(v, n))
        buf_puts(b, "  any[\"any stage\"]\n");
    for (i = 0; i < n; i++) {
        buf_puts(b, "  ");
        graph_node(b, v[i].from, -1);
        buf_puts(b, v[i].threshold ? " -.->|\"" : " -->|\"");
        graph_quote(b, buf_str(&v[i].label), true);
        buf_puts(b, "\"| ");
        graph_node(b, v[i].to, v[i].ending);
        buf_putc(b, '\n');
    }
}

int cmd_graph(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool mermaid = false;
    struct graph_edge *edges;
    struct buf out = {0};
    rp_persona *p;
    rp_graph *g;
    size_t n, i;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hf:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "dot") == 0)
                mermaid = false;
            else if (strcmp(optarg, "mermaid") == 0)
                mermaid = true;
            else
                return msg_usage(
                    "graph", "--format is dot or mermaid, not '%s'", optarg);
            break;
        case 'h':
            fputs(graph_usage, stdout);
            return STATUS_OK;
        default:
            return msg_getopt("graph", c, argv);
        }
    }
    if (optind == argc)
        return msg_usage("graph", "which persona? Name one from 'rapport "
                                  "list', or the path of a persona file");
    if (argc - optind > 1)
        return msg_usage("graph", "one persona at a time (unexpected '%s')",
                         argv[optind + 1]);
    p = personas_open("graph", argv[optind]);
    if (p == NULL)
        return STATUS_INPUT;
    g = rp_graph_new(p);
    if (rp_graph_truncated(g))
        msg_error("graph",
                  "%s has more transitions than a graph shows; only the "
                  "first %zu are drawn",
                  rp_persona_id(p), rp_graph_edge_count(g));
    n = graph_merge(g, &edges);
    if (mermaid)
        graph_mermaid(&out, p, edges, n);
    else
        graph_dot(&out, p, edges, n);
    fputs(buf_str(&out), stdout);
    buf_free(&out);
    for (i = 0; i < n; i++)
        buf_free(&edges[i].label);
    free(edges);
    rp_graph_free(g);
    rp_persona_free(p);
    return STATUS_OK;
}

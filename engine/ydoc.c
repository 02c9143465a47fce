/*
 * ydoc.c - YAML events to a positioned tree, with bounded depth and
 * aliases.  See ydoc.h for why this does not use yaml_parser_load().
 *
 * Aliases are resolved by sharing: an alias node in the tree is the very
 * node its anchor named, so no copy is made.  To keep walkers bounded
 * too, a file may hold at most max_aliases aliases, and an alias may not
 * name a node that itself contains an alias: then every node is visited
 * at most (max_aliases + 1) times and the classic alias bomb is refused at
 * its second level.
 */
#include "ydoc.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util.h"

typedef struct anchor {
    char *name;
    ynode *node;
} anchor;

struct ydoc {
    ynode *root;
    ynode **all; /* every node allocated, for freeing */
    size_t nall, capall;
    anchor *anchors;
    size_t nanchors, capanchors;
};

static ynode *node_new(ydoc *d, ynode_type type, const yaml_mark_t *m)
{
    ynode *n = xcalloc(1, sizeof(*n));
    n->type = type;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    RP_GROW(d->all, d->capall, d->nall + 1);
    d->all[d->nall++] = n;
    return n;
}

static void node_append(ynode *parent, ynode *child)
{
    RP_GROW(parent->items, parent->cap, parent->n + 1);
    parent->items[parent->n++] = child;
    if (child->has_alias)
        parent->has_alias = true;
}

static void add_anchor(ydoc *d, const unsigned char *name, ynode *node)
{
    /* A later anchor of the same name shadows the earlier one (YAML). */
    RP_GROW(d->anchors, d->capanchors, d->nanchors + 1);
    d->anchors[d->nanchors].name = xstrdup((const char *)name);
    d->anchors[d->nanchors].node = node;
    d->nanchors++;
}

static ynode *find_anchor(ydoc *d, const unsigned char *name)
{
    for (size_t i = d->nanchors; i-- > 0;)
        if (strcmp(d->anchors[i].name, (const char *)name) == 0)
            return d->anchors[i].node;
    return NULL;
}

void ydoc_free(ydoc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nall; i++) {
        free(d->all[i]->str);
        free(d->all[i]->items);
        free(d->all[i]);
    }
    free(d->all);
    for (size_t i = 0; i < d->nanchors; i++)
        free(d->anchors[i].name);
    free(d->anchors);
    free(d);
}

ynode *ydoc_root(const ydoc *d)
{
    return d ? d->root : NULL;
}

/* Report a libyaml error at its mark, in libyaml's own words. */
static void parser_error(const char *file, yaml_parser_t *p, rp_diags *diags)
{
    const yaml_mark_t *m =
        p->problem_mark.line || p->problem_mark.column || !p->context_mark.line
            ? &p->problem_mark
            : &p->context_mark;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a line. */
        rp_diags_add(diags, file, 0, 0, RP_LEVEL_ERROR, "yaml-syntax",
                     "%s at byte %zu", problem, p->problem_offset);
        return;
    }
    if (p->context)
        rp_diags_add(diags, file, (int)m->line + 1, (int)m->column + 1,
                     RP_LEVEL_ERROR, "yaml-syntax", "%s %s", problem,
                     p->context);
    else
        rp_diags_add(diags, file, (int)m->line + 1, (int)m->column + 1,
                     RP_LEVEL_ERROR, "yaml-syntax", "%s", problem);
}

ydoc *ydoc_parse(const char *file, const char *data, size_t len,
                 rp_diags *diags)
{
    const rp_limits *lim = rp_limits_get();
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        rp_diags_add(diags, file, 0, 0, RP_LEVEL_ERROR, "io-error",
                     "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

    ydoc *d = xcalloc(1, sizeof(*d));
    ynode **stack = NULL; /* open collections */
    size_t depth = 0, stack_cap = 0;
    size_t aliases = 0, documents = 0;
    bool ok = true, done = false;

    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            parser_error(file, &parser, diags);
            ok = false;
            break;
        }
        ynode *node = NULL;
        const unsigned char *anchor_name = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) {
                rp_diags_add(diags, file, (int)ev.start_mark.line + 1,
                             (int)ev.start_mark.column + 1, RP_LEVEL_ERROR,
                             "yaml-syntax",
                             "a persona file holds one YAML document; "
                             "found a second one");
                ok = false;
                done = true;
            }
            break;
        case YAML_SCALAR_EVENT:
            node = node_new(d, YNODE_SCALAR, &ev.start_mark);
            node->str = xstrndup((const char *)ev.data.scalar.value,
                                 ev.data.scalar.length);
            node->len = ev.data.scalar.length;
            node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            node->block = ev.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                          ev.data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
            anchor_name = ev.data.scalar.anchor;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth >= lim->max_depth) {
                rp_diags_add(diags, file, (int)ev.start_mark.line + 1,
                             (int)ev.start_mark.column + 1, RP_LEVEL_ERROR,
                             "too-deep", "YAML nested deeper than %zu levels",
                             lim->max_depth);
                ok = false;
                done = true;
                break;
            }
            node = node_new(
                d, ev.type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQ : YNODE_MAP,
                &ev.start_mark);
            anchor_name = ev.type == YAML_SEQUENCE_START_EVENT
                              ? ev.data.sequence_start.anchor
                              : ev.data.mapping_start.anchor;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                ynode *closed = stack[--depth];
                if (depth > 0)
                    node_append(stack[depth - 1], closed);
                else
                    d->root = closed;
            }
            break;
        case YAML_ALIAS_EVENT: {
            ynode *target = find_anchor(d, ev.data.alias.anchor);
            int line = (int)ev.start_mark.line + 1;
            int col = (int)ev.start_mark.column + 1;
            if (!target) {
                rp_diags_add(diags, file, line, col, RP_LEVEL_ERROR,
                             "unknown-anchor", "alias *%s names no anchor",
                             (const char *)ev.data.alias.anchor);
                ok = false;
                done = true;
                break;
            }
            if (++aliases > lim->max_aliases) {
                rp_diags_add(diags, file, line, col, RP_LEVEL_ERROR,
                             "alias-limit", "more than %zu aliases in one file",
                             lim->max_aliases);
                ok = false;
                done = true;
                break;
            }
            bool open = false;
            for (size_t i = 0; i < depth; i++)
                open = open || stack[i] == target;
            if (open) {
                rp_diags_add(diags, file, line, col, RP_LEVEL_ERROR,
                             "alias-limit",
                             "alias *%s names a node that contains it "
                             "(a cycle)",
                             (const char *)ev.data.alias.anchor);
                ok = false;
                done = true;
                break;
            }
            if (target->has_alias) {
                rp_diags_add(diags, file, line, col, RP_LEVEL_ERROR,
                             "alias-limit",
                             "alias *%s names a node that contains aliases "
                             "itself (refused: alias bombs)",
                             (const char *)ev.data.alias.anchor);
                ok = false;
                done = true;
                break;
            }
            if (depth > 0) {
                /* Share the target; mark the parent as holding an alias. */
                node_append(stack[depth - 1], target);
                stack[depth - 1]->has_alias = true;
            } else {
                d->root = target;
            }
            break;
        }
        default:
            break;
        }
        if (node) {
            if (anchor_name)
                add_anchor(d, anchor_name, node);
            if (node->type == YNODE_SCALAR) {
                if (depth > 0)
                    node_append(stack[depth - 1], node);
                else
                    d->root = node;
            } else {
                RP_GROW(stack, stack_cap, depth + 1);
                stack[depth++] = node;
            }
        }
        yaml_event_delete(&ev);
    }
    free(stack);
    yaml_parser_delete(&parser);
    if (!ok) {
        ydoc_free(d);
        return NULL;
    }
    return d;
}

bool ynode_is_null(const ynode *n)
{
    if (!n)
        return true;
    if (n->type != YNODE_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 ||
           strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
           strcmp(n->str, "NULL") == 0;
}

ynode *ynode_get(const ynode *map, const char *key)
{
    if (!map || map->type != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const ynode *k = map->items[i];
        if (k->type == YNODE_SCALAR && strcmp(k->str, key) == 0)
            return map->items[i + 1];
    }
    return NULL;
}

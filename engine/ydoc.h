/*
 * ydoc.h - reading a YAML file into a small positioned tree, with limits.
 *
 * The persona loader (persona.c) reads every file through this module.
 * It drives libyaml's event parser itself rather than yaml_parser_load()
 * because Debian's libyaml 0.2.5 neither limits nesting nor aliases: here
 * both are bounded while parsing, before any tree exists, so a hostile
 * file (100,000 levels deep, a billion-laughs alias bomb) costs at most
 * the limits.  Every node keeps its 1-based line and column.  Internal.
 */
#ifndef RP_YDOC_H
#define RP_YDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "rapport.h"

typedef enum ynode_type {
    YNODE_SCALAR,
    YNODE_SEQ,
    YNODE_MAP,
} ynode_type;

typedef struct ynode ynode;
struct ynode {
    ynode_type type;
    int line, col; /* 1-based */
    char *str;     /* SCALAR: the value (NUL-terminated, may hold NUL) */
    size_t len;    /* SCALAR: its length */
    bool plain;    /* SCALAR: written without quotes (so true/3 are typed) */
    bool block;    /* SCALAR: a | or > block scalar */
    ynode **items; /* SEQ: the items; MAP: key, value, key, value, ... */
    size_t n;      /* SEQ: item count; MAP: 2 * pairs */
    size_t cap;
    bool has_alias; /* this node or a descendant is an alias */
};

typedef struct ydoc ydoc;

/* Parse data[0..len) (the contents of file, used in diagnostics).  On a
 * YAML error or a limit, adds diagnostics and returns NULL.  An empty
 * document gives a doc whose root is NULL. */
ydoc *ydoc_parse(const char *file, const char *data, size_t len,
                 rp_diags *diags);
void ydoc_free(ydoc *d);
ynode *ydoc_root(const ydoc *d);

/* Helpers for walkers. */
bool ynode_is_null(const ynode *n); /* plain "", "~" or "null" */
/* Value of key in a map (NULL when absent). */
ynode *ynode_get(const ynode *map, const char *key);

#endif

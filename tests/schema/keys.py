#!/usr/bin/python3
"""Every key the loader accepts is documented, and in the schema.

The loader checks each YAML mapping against a key table: a
`static const char *const NAME[] = {...}` array in engine/persona.c whose
name ends in "keys", passed to CHECK_KEYS(L, node, "what", NAME).  This
script reads those tables from the source (so it follows the loader as it
changes), and fails when
  - a CHECK_KEYS call uses a table it could not read (the convention
    broke, and with it this test),
  - a key is not mentioned in personas/README.md, as `key:` in an example
    or as `key` in the text,
  - a key is not a property anywhere in personas/persona.schema.json,
  - a key is not used in tests/schema/good/*.yaml, the files that must
    both load and validate (so the schema accepts what the loader does).

  keys.py [SRCDIR]
"""
import glob
import json
import re
import sys


def tables(src):
    """[(what, [keys])] for each CHECK_KEYS call, in source order."""
    defs = {}
    out = []
    pos = 0
    table_rx = re.compile(
        r"static const char \*const (\w*keys)\[\]\s*=\s*\{(.*?)\};", re.S)
    call_rx = re.compile(r"CHECK_KEYS\(\s*\w+,\s*[^,]+,\s*\"([^\"]*)\"[^,]*,\s*(\w+)\)")
    events = [(m.start(), "def", m) for m in table_rx.finditer(src)]
    events += [(m.start(), "call", m) for m in call_rx.finditer(src)]
    for _, kind, m in sorted(events, key=lambda e: e[0]):
        if kind == "def":
            defs[m.group(1)] = re.findall(r"\"([^\"]+)\"", m.group(2))
        elif m.group(2) in defs:
            out.append((m.group(1), defs[m.group(2)]))
        else:
            out.append((m.group(1), None))
    return out


def schema_props(node, acc):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                acc.update(v.keys())
            schema_props(v, acc)
    elif isinstance(node, list):
        for v in node:
            schema_props(v, acc)
    return acc


def main(argv):
    srcdir = argv[1] if len(argv) > 1 else "."
    src = open(srcdir + "/engine/persona.c", encoding="utf-8").read()
    readme = open(srcdir + "/personas/README.md", encoding="utf-8").read()
    schema = json.load(open(srcdir + "/personas/persona.schema.json", encoding="utf-8"))
    props = schema_props(schema, set())
    good = "".join(open(f, encoding="utf-8").read()
                   for f in sorted(glob.glob(srcdir + "/tests/schema/good/*.yaml")))
    fails = 0
    found = tables(src)
    nkeys = 0
    for what, keys in found:
        if keys is None:
            print("FAIL keys: CHECK_KEYS for %s uses a table this test cannot "
                  "read (name it *keys, define it with static const char "
                  "*const before the call)" % what)
            fails += 1
            continue
        for key in keys:
            nkeys += 1
            if not re.search(r"(^|[\s{\[,(`-])%s:|`%s`" % (re.escape(key), re.escape(key)),
                             readme, re.M):
                print("FAIL keys: '%s' (in %s) is not documented in "
                      "personas/README.md" % (key, what))
                fails += 1
            if not re.search(r"(^|[\s{,])%s:" % re.escape(key), good, re.M):
                print("FAIL keys: '%s' (in %s) is not used in "
                      "tests/schema/good/*.yaml" % (key, what))
                fails += 1
            if key not in props:
                print("FAIL keys: '%s' (in %s) is not in "
                      "personas/persona.schema.json" % (key, what))
                fails += 1
    # A broken extraction must not pass quietly.
    if len(found) < 15 or nkeys < 80:
        print("FAIL keys: read only %d key tables (%d keys) from "
              "engine/persona.c" % (len(found), nkeys))
        fails += 1
    print("keys: %d key tables, %d keys; %d problems (undocumented, not in the "
          "schema, or unused in tests/schema/good)" % (len(found), nkeys, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

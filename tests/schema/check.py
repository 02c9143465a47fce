#!/usr/bin/python3
"""Validate persona files against personas/persona.schema.json.

Run with Debian's /usr/bin/python3 (python3-jsonschema, python3-yaml):

  check.py good SCHEMA FILE...
      every FILE must validate against SCHEMA.
  check.py auto PERSONA-SCHEMA LIBRARY-SCHEMA FILE...
      the same, each FILE against the persona schema when it has a
      top-level id, else against the library schema (included files).
  check.py bad SCHEMA RAPPORT DIR...
      every DIR/*.yaml must be rejected both by SCHEMA and by the loader
      (`RAPPORT lint FILE` exits 2): the schema and the loader agree that
      the file is broken.  When a file's first line is a comment ending
      in "[code]", the loader must report that code.

YAML is read the way the loader reads it: a duplicate key is an error
(duplicate-key; YAML language servers flag it too), and only true and
false are booleans (YAML 1.2), not yes, no, on and off.  Exit status 0 when all
is well, 1 otherwise.
"""
import glob
import os
import re
import subprocess
import sys

import jsonschema
import yaml


# libyaml's parser, as the rapport loader uses (PyYAML's pure-Python one
# differs on corners such as "[Sorry?]"), where python3-yaml has it.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_BASE):
    """A safe loader that refuses duplicate keys instead of keeping the
    last."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key %r" % (key,), key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

# Booleans as YAML 1.2 (and the rapport loader, and yaml-language-server)
# read them: only true and false.  PyYAML's YAML 1.1 would also turn yes,
# no, on and off into booleans, and `not: [yes, no]` names two intents.
StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in _BASE.yaml_implicit_resolvers.items()}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = yaml.safe_load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    base = "file://" + os.path.abspath(schema_path)
    resolver = jsonschema.RefResolver(base_uri=base, referrer=schema)
    return cls(schema, resolver=resolver)


def problems(v, path):
    """The schema's complaints about path (empty when it validates)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=StrictLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        return ["yaml: %s" % str(e).replace("\n", " ")]
    out = []
    for err in sorted(v.iter_errors(doc), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(top)"
        out.append("%s: %s" % (where, err.message[:200]))
    return out


def good(schema, files):
    v = validator(schema)
    bad = 0
    for path in files:
        errs = problems(v, path)
        if errs:
            bad += 1
            print("FAIL schema: %s does not validate against %s" % (path, schema))
            for e in errs[:10]:
                print("  " + e)
    print("schema: %d of %d files validate against %s"
          % (len(files) - bad, len(files), os.path.basename(schema)))
    return bad == 0


def auto(persona_schema, library_schema, files):
    """Personas (files with a top-level id) against the persona schema,
    the rest (shared files that personas include) against the library's."""
    personas, libraries = [], []
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.load(f, Loader=StrictLoader)
        except (yaml.YAMLError, UnicodeDecodeError):
            doc = None
        (personas if isinstance(doc, dict) and "id" in doc
         else libraries).append(path)
    ok = good(persona_schema, personas) if personas else True
    return (good(library_schema, libraries) if libraries else True) and ok


def bad(schema, rapport, dirs):
    v = validator(schema)
    files = sorted(f for d in dirs for f in glob.glob(os.path.join(d, "*.yaml")))
    if not files:
        print("FAIL schema: no *.yaml files in %s" % " ".join(dirs))
        return False
    fails = 0
    for path in files:
        schema_rejects = bool(problems(v, path))
        run = subprocess.run([rapport, "lint", path], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        rc = run.returncode
        loader_rejects = rc == 2
        if not (schema_rejects and loader_rejects):
            fails += 1
            print("FAIL schema: %s: the schema %s it, the loader %s it"
                  % (path, "rejects" if schema_rejects else "accepts",
                     "rejects" if loader_rejects else "accepts (lint exit %d)" % rc))
            continue
        # A first line "# what is wrong [code]" names the loader's code.
        with open(path, "rb") as f:
            first = f.readline().decode("utf-8", "replace")
        m = re.search(r"\[([a-z0-9-]+)\]\s*$", first)
        if m and ("[%s]" % m.group(1)).encode() not in run.stdout:
            fails += 1
            print("FAIL schema: %s: the loader rejects it, but not with [%s]"
                  % (path, m.group(1)))
    print("schema: %d of %d bad files rejected by both the schema and the loader"
          % (len(files) - fails, len(files)))
    return fails == 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "good":
        return 0 if good(argv[2], argv[3:]) else 1
    if len(argv) >= 4 and argv[1] == "auto":
        return 0 if auto(argv[2], argv[3], argv[4:]) else 1
    if len(argv) >= 5 and argv[1] == "bad":
        return 0 if bad(argv[2], argv[3], argv[4:]) else 1
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))

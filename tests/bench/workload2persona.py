#!/usr/bin/env python3
"""Turn the shared peer workload (workload_N.json, made by
../shared/bench/peers/gen_workload.js) into a rapport persona.

Usage: workload2persona.py WORKLOAD.json PERSONA.yaml

Each topic becomes a stage ("random" is the start stage), each trigger a
rule of its topic's stage in file order, its RiveScript pattern written in
rapport's wildcard syntax and anchored at both ends ("^ ... $"), so the
engine compiles it (and its required words feed the rule index) instead of
treating it as an opaque regex:

    RiveScript   *   [a]     [a|b]      (a|b)
    rapport      *   [a]     [(a|b)]    (a|b)

A topic change becomes `do: {goto: STAGE}`.  Each topic's catch-all
becomes the stage's fallback, so a line answered by a catch-all is a
fallback turn (rp_turn_fallback), which is what the driver's match_rate
counts.  Reply weights become repeated variants.  Contraction and chat
expansion are off: the workload's normalisation only lower-cases and
drops punctuation, and rapport's "$" allows the trailing punctuation the
corpus has.  <star> becomes {raw:1}.
"""
import json
import re
import sys

TOKEN = re.compile(r"\[[^\]]*\]|\([^)]*\)|\S+")


def q(s):
    """A YAML double-quoted scalar (JSON's escaping is valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def pattern(rs):
    out = []
    for tok in TOKEN.findall(rs):
        if tok.startswith("["):
            body = tok[1:-1].strip()
            out.append("[(%s)]" % body if "|" in body else "[%s]" % body)
        elif tok.startswith("("):
            out.append(tok)
        elif tok in ("*", "#", "_"):
            out.append("*")
        else:
            if not re.fullmatch(r"[a-z0-9]+", tok):
                sys.exit("workload2persona: unexpected token %r in %r" % (tok, rs))
            out.append(tok)
    return "^ " + " ".join(out) + " $"


def replies(t):
    v = []
    for r in t["replies"]:
        v += [r["text"].replace("<star>", "{raw:1}")] * max(1, int(r["weight"]))
    return v


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: workload2persona.py WORKLOAD.json PERSONA.yaml")
    w = json.load(open(sys.argv[1], encoding="utf-8"))
    stage = {t["name"]: ("s-" + t["name"]) for t in w["topics"]}
    rules = {t["name"]: [] for t in w["topics"]}
    fallback = {}
    for t in w["triggers"]:
        if t["kind"] == "catchall":
            fallback[t["topic"]] = [r["text"] for r in t["replies"]]
            continue
        rules[t["topic"]].append(t)
    o = []
    o.append("id: peer-workload-%d" % w["N"])
    o.append("name: Peer workload %d" % w["N"])
    o.append("summary: %s" % q("Generated from workload_%d.json (seed %d)" % (w["N"], w["seed"])))
    o.append("settings: {contractions: false, chat: false, select: shuffle}")
    o.append("start: %s" % stage["random"])
    o.append("stages:")
    for t in w["topics"]:
        name = t["name"]
        o.append("  %s:" % stage[name])
        if name in fallback:
            o.append("    fallback: [%s]" % ", ".join(q(x) for x in fallback[name]))
        if not rules[name]:
            o.append("    rules: []")
            continue
        o.append("    rules:")
        for r in rules[name]:
            o.append("      - id: r%d" % r["id"])
            o.append("        when: {pattern: %s}" % q(pattern(r["pattern"])))
            o.append("        replies: [%s]" % ", ".join(q(x) for x in replies(r)))
            if r.get("set_topic"):
                o.append("        do: {goto: %s}" % stage[r["set_topic"]])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(o) + "\n")


if __name__ == "__main__":
    main()

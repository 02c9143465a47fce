#!/usr/bin/env python3
"""Generate a deterministic benchmark persona of N rules and a corpus.

Usage: gen_persona.py N OUTDIR [LINES=10000] [SEED=8]
Writes OUTDIR/gen_N.yaml and OUTDIR/gen_N.txt (one learner line a line).

The persona uses what real personas use: stages with their own rules and
global rules, priorities, conditions, once, stage changes, its own intents,
word sets, and every wildcard element (literal words, *, *~N, word*,
[optional], (a|b) alternatives, @set, ^ and $), plus a few raw regexes
and patterns with no required word, which the rule index must try on
every line.  About a third of the corpus is made from rule patterns (so
it matches something), the rest is chat built from the same vocabulary
(so the index's candidate lists are not trivially empty).  Python's
random with a fixed seed: the same N gives the same files.
"""
import json
import os
import random
import sys

FUNC = ["how", "do", "i", "the", "what", "is", "your", "can", "you", "my",
        "a", "to", "we", "it", "for", "about", "with", "and", "was", "that"]
SYL = ["ka", "lo", "mi", "ren", "tor", "vel", "sa", "dun", "pri", "mo",
       "zel", "ta", "bri", "gon", "fa", "lis", "ner", "qua", "hu", "ost"]


def q(s):
    return json.dumps(s)


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    lines = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 8)
    # Content words: about 2 per rule, so most words are shared by a few.
    nwords = max(60, 2 * n)  # of 20^2 + 20^3 + 20^4 possible
    vocab = []
    seen = set()
    while len(vocab) < nwords:
        w = "".join(rnd.choice(SYL) for _ in range(rnd.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    word = lambda: rnd.choice(vocab)
    nstages = max(3, n // 250)
    stages = ["st%d" % i for i in range(nstages)]
    sets = {"colour": ["red", "green", "deep blue"], "size": ["big", "small"]}
    intents = {}
    for i in range(8):
        intents["gen_intent_%d" % i] = [
            "%s %s" % (rnd.choice(FUNC), word()),
            "%s * %s" % (word(), word()),
        ]

    def elem(words):
        """A pattern of about `words` elements and a line it matches."""
        pat, line = [], []
        for k in range(words):
            r = rnd.random()
            w = word() if rnd.random() < 0.6 else rnd.choice(FUNC)
            if r < 0.55 or k == 0:
                pat.append(w); line.append(w)
            elif r < 0.65:
                pat.append("*"); line += [word(), rnd.choice(FUNC)]
            elif r < 0.72:
                pat.append("*~2"); line += [rnd.choice(FUNC)] * rnd.randint(0, 2)
            elif r < 0.80:
                pat.append("[%s]" % w)
                if rnd.random() < 0.5:
                    line.append(w)
            elif r < 0.88:
                a, b = word(), word()
                pat.append("(%s|%s %s)" % (a, b, w))
                line += [a] if rnd.random() < 0.5 else [b, w]
            elif r < 0.94 and len(w) > 3:
                pat.append(w[:3] + "*"); line.append(w)
            else:
                s = rnd.choice(list(sets))
                pat.append("@" + s); line.append(rnd.choice(sets[s]))
        return " ".join(pat), " ".join(line)

    rules = {s: [] for s in stages}
    rules[None] = []
    samples = []
    for i in range(n):
        st = None if rnd.random() < 0.1 else rnd.choice(stages)
        r = {"id": "g%d" % i}
        kind = rnd.random()
        if kind < 0.03:
            r["regex"] = "^ %s (\\S+) %s " % (word(), word())
        elif kind < 0.05:
            a, b = rnd.choice(FUNC), rnd.choice(FUNC)
            r["pattern"] = "(%s|%s) * %s" % (a, b, word())  # keyed on one
        elif kind < 0.06:
            r["pattern"] = "(%s|%s) *" % (word(), word())  # no required word
        elif kind < 0.10:
            r["intent"] = rnd.choice(list(intents))
        else:
            p, line = elem(rnd.randint(2, 6))
            if rnd.random() < 0.1:
                p, line = "^ " + p, line
            if rnd.random() < 0.1:
                p = p + " $"
            r["pattern"] = p
            samples.append(line)
        if rnd.random() < 0.1:
            r["priority"] = rnd.randint(1, 5)
        if rnd.random() < 0.05:
            r["once"] = True
        if rnd.random() < 0.05:
            r["if"] = "{turn: \">= %d\"}" % rnd.randint(2, 20)
        if rnd.random() < 0.05:
            r["goto"] = rnd.choice(stages)
        rules[st].append(r)

    def emit_rules(o, lst, ind):
        for r in lst:
            o.append("%s- id: %s" % (ind, r["id"]))
            if "pattern" in r:
                o.append("%s  when: {pattern: %s}" % (ind, q(r["pattern"])))
            elif "regex" in r:
                o.append("%s  when: {regex: %s}" % (ind, q(r["regex"])))
            else:
                o.append("%s  when: {intent: %s}" % (ind, r["intent"]))
            for k in ("priority", "once"):
                if k in r:
                    o.append("%s  %s: %s" % (ind, k, str(r[k]).lower()))
            if "if" in r:
                o.append("%s  if: %s" % (ind, r["if"]))
            o.append("%s  replies: [%s, %s]" % (
                ind, q("Reply %s: you said {1}." % r["id"]),
                q("Reply %s, again." % r["id"])))
            if "goto" in r:
                o.append("%s  do: {goto: %s}" % (ind, r["goto"]))

    o = ["id: gen-%d" % n, "name: Generated %d" % n,
         "summary: \"A generated persona of %d rules, for benchmarks\"" % n,
         "start: st0", "sets:"]
    for s, v in sets.items():
        o.append("  %s: [%s]" % (s, ", ".join(q(x) for x in v)))
    o.append("intents:")
    for k, v in intents.items():
        o.append("  %s:" % k)
        o.append("    patterns: [%s]" % ", ".join(q(x) for x in v))
    o.append("fallback: [\"Go on.\", \"I see.\", \"Tell me more.\"]")
    o.append("stages:")
    for s in stages:
        o.append("  %s:" % s)
        if rules[s]:
            o.append("    rules:")
            emit_rules(o, rules[s], "      ")
        else:
            o.append("    rules: []")
    if rules[None]:
        o.append("rules:")
        emit_rules(o, rules[None], "  ")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "gen_%d.yaml" % n), "w") as f:
        f.write("\n".join(o) + "\n")

    with open(os.path.join(out, "gen_%d.txt" % n), "w") as f:
        for _ in range(lines):
            if samples and rnd.random() < 0.35:
                s = rnd.choice(samples)
                if rnd.random() < 0.3:
                    s = rnd.choice(FUNC) + " " + s
            else:
                s = " ".join(word() if rnd.random() < 0.4 else rnd.choice(FUNC)
                             for _ in range(rnd.randint(2, 12)))
            if rnd.random() < 0.5:
                s = s[0].upper() + s[1:]
            s += rnd.choice(["", ".", "?", "!", "?", ""])
            f.write(s + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fallback rate of a persona on natural learner lines.

usage: measure.py RAPPORT PERSONA LINES [--max PERCENT] [--show]

Each line of LINES (blank lines and lines starting with '#' skipped) is
played in its own fresh session, after a neutral opener, as the learner's
second turn; the line counts as understood when the persona's reply to it
is not a fallback ("fallback": true in `rapport chat --json`). Prints one
summary line; with --max, exits 1 when the rate is above PERCENT; with
--show, lists the lines that fell back.
"""
import json
import subprocess
import sys

OPENER = "Hi, nice to meet you."


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rapport, persona, path = argv[1], argv[2], argv[3]
    limit = None
    show = "--show" in argv
    if "--max" in argv:
        limit = float(argv[argv.index("--max") + 1])
    with open(path, encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    missed = []
    for line in lines:
        out = subprocess.run(
            [rapport, "chat", persona, "--seed", "1", "--json"],
            input=(OPENER + "\n" + line + "\n").encode(),
            capture_output=True, check=False)
        if out.returncode not in (0, 1):
            print(f"{path}: rapport failed on {line!r}: "
                  f"{out.stderr.decode(errors='replace')}", file=sys.stderr)
            return 2
        turns = json.loads(out.stdout)["turns"]
        if len(turns) < 2:
            # The conversation ended at the opener; nothing to measure.
            print(f"{path}: {persona} ended after the opener", file=sys.stderr)
            return 2
        if turns[1].get("fallback"):
            missed.append(line)
    rate = 100.0 * len(missed) / len(lines) if lines else 0.0
    print(f"{persona}: {len(missed)} of {len(lines)} lines fell back "
          f"({rate:.1f}%) on {path}")
    if show:
        for m in missed:
            print(f"  fallback: {m}")
    if limit is not None and rate > limit:
        print(f"{persona}: fallback rate {rate:.1f}% is above {limit}%",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

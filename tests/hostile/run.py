#!/usr/bin/env python3
"""Hostile learner input through the rapport program, checked byte by byte.

Pipes lines no learner should type (invalid UTF-8, NUL bytes, ANSI and
OSC escapes, C0 and C1 controls, bidirectional overrides, emoji, right-
to-left text, a 1 MB line, empty and whitespace lines) into
`rapport chat` and `rapport score -` (plain and --json), then checks:

  * every line got an answer: one persona reply per non-blank line
    (chat skips blank and whitespace-only lines by design: they are not
    turns, the engine tests answer them in tests/unit/test_hostile.c),
    one score block or JSON object per line for score;
  * nothing unescaped reaches the terminal: the output is valid UTF-8
    and holds no C0 control but newline, no DEL, no C1 control, no
    bidirectional override or isolate;
  * each run stays bounded: at most CPU_MAX seconds of CPU (rusage).

    python3 tests/hostile/run.py ./build/rapport
Ends with "hostile: N passed, N failed"; exit status 1 when any failed.
"""
import os
import resource
import subprocess
import sys

CPU_MAX = float(os.environ.get("RAPPORT_HOSTILE_CPU", "5"))

LINES = [
    b"hi \xff\xfe what do you \x80 work on?",
    b"what do you do\xe2\x82",
    b"\xc0\xaf\xe0\x80\xaf etc passwd",
    b"tell me \xed\xa0\x80\xed\xb0\x80 more",
    b"what\0 do you\0\0 work on?\0",
    b"\0\0\0\0",
    b"\x1b[2J\x1b[31mred alert\x1b[0m what do you do?",
    b"\x1b]0;pwned\x07 hello \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
    b"back\bspace\r carriage\x07bell \x7f del \x0c\x0b",
    b"\xc2\x9b" b"31m hi \xc2\x85 next \xc2\x9d",
    "\u2615\ufe0f coffee? \U0001F469\u200d\U0001F52C what do you work on \U0001F680?".encode(),
    "\u05e9\u05dc\u05d5\u05dd, what do you do?".encode(),
    "\u0645\u0631\u062d\u0628\u0627 how did you start?".encode(),
    "my name is \u202egnp.exe\u202c ok \u2066isolated\u2069".encode(),
    b"",
    b"      ",
    b" \t \t ",
    b"?!?!.,,;:",
    b"so what do you work on and why? " * (1 << 15),   # 1 MB of words
    b"a" * (1 << 20),                                    # 1 MB of one letter
]

BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def unclean(out):
    """The first problem with out's bytes as terminal output, or None."""
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        return "invalid UTF-8 at byte %d" % e.start
    for i, ch in enumerate(text):
        cp = ord(ch)
        if (cp < 0x20 and ch != "\n") or cp == 0x7F or 0x80 <= cp <= 0x9F:
            return "control character U+%04X at character %d" % (cp, i)
        if cp in BIDI:
            return "bidirectional control U+%04X at character %d" % (cp, i)
    return None


def run(binary, args, data):
    """Run binary with args on data; (stdout+stderr, exit, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([binary] + args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120,
                       env=dict(os.environ, NO_COLOR="1"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.stdout, p.returncode, cpu


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run.py RAPPORT-BINARY")
    binary = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(os.path.dirname(os.path.dirname(here)))
    data = b"\n".join(LINES) + b"\n"
    turns = sum(1 for l in LINES if l.strip(b" \t") != b"")
    passed = failed = 0

    def report(name, problems, cpu):
        nonlocal passed, failed
        if problems:
            print("FAIL %s (%.2f s): %s" % (name, cpu, "; ".join(problems)))
            failed += 1
        else:
            print("ok %s (%.2f s)" % (name, cpu))
            passed += 1

    for persona, who in (("curious-mentor", b"Nadia Ferreira: "),
                         ("rushed-alumnus", b"Dana Okafor: ")):
        out, rc, cpu = run(binary, ["chat", "--seed", "3", persona], data)
        problems = []
        if rc != 0:
            problems.append("exit %d" % rc)
        bad = unclean(out)
        if bad:
            problems.append(bad)
        you = out.count(b"\nYou: ")
        replies = out.count(b"\n" + who)
        ended = b"[conversation ended by the learner]" not in out
        # The opening is a reply too; an ending may come before the last line.
        if not ended and (you != turns or replies != turns + 1):
            problems.append("%d lines, %d echoed, %d replies (with the "
                            "opening)" % (turns, you, replies))
        if ended and replies != you + 1:
            problems.append("%d echoed, %d replies" % (you, replies))
        if cpu > CPU_MAX:
            problems.append("took %.2f s of CPU (limit %.1f)" % (cpu, CPU_MAX))
        report("chat " + persona, problems, cpu)

    out, rc, cpu = run(binary, ["score", "--json", "-"], data)
    problems = []
    if rc != 0:
        problems.append("exit %d" % rc)
    bad = unclean(out)
    if bad:
        problems.append(bad)
    objects = [l for l in out.split(b"\n") if l.startswith(b"{")]
    if len(objects) != len(LINES):
        problems.append("%d lines, %d JSON objects" % (len(LINES), len(objects)))
    if cpu > CPU_MAX:
        problems.append("took %.2f s of CPU (limit %.1f)" % (cpu, CPU_MAX))
    report("score --json -", problems, cpu)

    out, rc, cpu = run(binary, ["score", "-"], data)
    problems = []
    if rc != 0:
        problems.append("exit %d" % rc)
    bad = unclean(out)
    if bad:
        problems.append(bad)
    if cpu > CPU_MAX:
        problems.append("took %.2f s of CPU (limit %.1f)" % (cpu, CPU_MAX))
    report("score -", problems, cpu)

    print("hostile: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

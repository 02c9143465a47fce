#!/usr/bin/env python3
"""tests/bad: hostile persona files, each beside the exact diagnostics.

For every tests/bad/NAME.yaml, `rapport lint tests/bad/NAME.yaml` must
print exactly tests/bad/NAME.expected (standard output and standard
error, then a line "exit N"), the way mandoc's regress/ suite holds a
linter to its words.  Files too big or too odd to commit (100,000 levels
of nesting, 50 MB, symlinks out of the persona directory, the rule and
include limits) are generated here at run time in a temporary directory,
from the table GENERATED below; their expectations are
tests/bad/gen/NAME.expected, with @DIR@ standing for that directory.

Every run is bounded: at most LIMIT_CPU seconds of CPU time (user +
system, so that a loaded machine does not fail it) and LIMIT_MB
megabytes of peak resident memory, both measured with wait4()'s rusage,
and the address space is capped at the same size with RLIMIT_AS so that
a runaway allocation fails instead of swapping.  A run still going after
LIMIT_WALL seconds is killed.  RAPPORT_BAD_SCALE multiplies the CPU and
memory bounds (the Makefile passes 10 for sanitizer builds, which are
slower and bigger, and the address-space cap is skipped then: ASan
reserves terabytes of address space).

    python3 tests/bad/run.py ./build/rapport          compare
    RAPPORT_BAD_UPDATE=1 python3 tests/bad/run.py ./build/rapport
                                                      rewrite .expected
Ends with "bad: N passed, N failed"; exit status 1 when any failed.
"""
import os
import resource
import shutil
import signal
import sys
import tempfile
import time

LIMIT_CPU = 1.0    # seconds of CPU per file
LIMIT_MB = 200     # peak resident set, and address space, per file
LIMIT_WALL = 30.0  # a hang is killed after this long


def persona(extra, head="id: bad\nname: Bad\n"):
    return (head + extra + 'start: s\nstages:\n  s:\n    fallback: ["Go on."]\n')


def gen_deep_flow(d):
    n = 100000
    return persona("sets: " + "[" * n + "]" * n + "\n")


def gen_deep_map(d):
    n = 100000
    return persona("sets: " + "{a: " * n + "1" + "}" * n + "\n")


def gen_deep_block(d):
    # "- - - x": each dash opens a block sequence one column further in.
    return persona("sets:\n  a:\n    " + "- " * 100000 + "x\n")


def gen_50mb(d):
    line = "# " + "x" * 97 + "\n"
    return persona("") + line * (50 * 1024 * 1024 // len(line))


def gen_symlink_file(d):
    os.symlink("/etc/passwd", os.path.join(d, "passwd.yaml"))
    return persona("include: [passwd.yaml]\n")


def gen_symlink_dir(d):
    os.symlink("/etc", os.path.join(d, "etc"))
    return persona("include: [etc/passwd]\n")


def gen_rules_over(d):
    rules = "".join('  - {id: r%d, when: {pattern: "word%d"}, reply: "Hi."}\n'
                    % (i, i) for i in range(20001))
    return persona("rules:\n" + rules)


def gen_rules_after(d):
    # 20,000 rules (the limit), each naming another in 'after:'.
    rules = "".join('  - {id: r%d, when: {pattern: "w%d"}, reply: "Hi.", '
                    'if: {after: [r%d]}}\n' % (i, i, (i * 7) % 20000)
                    for i in range(20000))
    return persona("rules:\n" + rules)


def gen_names(d):
    # Many names of every kind: loading must stay linear in them.
    out = "vars:\n" + "".join("  v%d: 1\n" % i for i in range(50000))
    out += "meters:\n" + "".join("  m%d: {start: 1}\n" % i for i in range(20000))
    out += "sets:\n" + "".join("  s%d: [a]\n" % i for i in range(20000))
    out += "intents:\n" + "".join('  i%d: {patterns: ["w%d"]}\n' % (i, i)
                                 for i in range(10000))
    return persona(out)


def gen_stages(d):
    st = "".join("  s%d: {fallback: [x]}\n" % i for i in range(60000))
    return "id: bad\nname: Bad\nstart: s0\nstages:\n" + st


def gen_includes_over(d):
    for i in range(40):
        with open(os.path.join(d, "inc%02d.yaml" % i), "w") as f:
            f.write("sets:\n  set%d: [a]\n" % i)
    return persona("include:\n" + "".join("  - inc%02d.yaml\n" % i
                                          for i in range(40)))


def gen_long_value(d):
    return persona('summary: "' + "abc " * (3 << 18) + '"\n')


def gen_fifo(d):
    os.mkfifo(os.path.join(d, "fifo.yaml"))
    return persona("include: [fifo.yaml]\n")


GENERATED = [
    ("deep-flow-100k", gen_deep_flow),
    ("deep-map-100k", gen_deep_map),
    ("deep-block-100k", gen_deep_block),
    ("size-50mb", gen_50mb),
    ("include-symlink-file", gen_symlink_file),
    ("include-symlink-dir", gen_symlink_dir),
    ("include-fifo", gen_fifo),
    ("include-over-limit", gen_includes_over),
    ("rules-over-limit", gen_rules_over),
    ("rules-after-20k", gen_rules_after),
    ("names-100k", gen_names),
    ("stages-60k", gen_stages),
    ("long-value-3mb", gen_long_value),
]


def run(binary, path, scale, cap_as):
    """Run `binary lint path`; returns (output and exit, CPU seconds,
    peak MB, whether it hung and was killed)."""
    out = tempfile.TemporaryFile()
    limit = int(LIMIT_MB * scale) << 20

    def child():
        if cap_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, NO_COLOR="1")
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            child()
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            os.execve(binary, [binary, "lint", path], env)
        finally:
            os._exit(127)
    hung = False
    while True:
        got, status, ru = os.wait4(pid, os.WNOHANG)
        if got == pid:
            break
        if time.monotonic() - start > LIMIT_WALL:
            os.kill(pid, signal.SIGKILL)
            got, status, ru = os.wait4(pid, 0)
            hung = True
            break
        time.sleep(0.005)
    out.seek(0)
    text = out.read().decode("utf-8", "backslashreplace")
    out.close()
    if os.WIFSIGNALED(status):
        code = "signal %d" % os.WTERMSIG(status)
    else:
        code = "exit %d" % os.WEXITSTATUS(status)
    return (text + code + "\n", ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024,
            hung)


def check(binary, name, path, expected_file, subst, scale, cap_as, update):
    out, cpu, mb, hung = run(binary, path, scale, cap_as)
    if subst:
        out = out.replace(subst, "@DIR@")
    problems = []
    if hung:
        problems.append("still running after %.0f s: killed" % LIMIT_WALL)
    if update and not hung:
        with open(expected_file, "w") as f:
            f.write(out)
    else:
        try:
            with open(expected_file) as f:
                want = f.read()
        except OSError:
            want = None
        if want is None:
            problems.append("no %s" % expected_file)
        elif want != out:
            problems.append("output differs from %s" % expected_file)
    if cpu > LIMIT_CPU * scale:
        problems.append("took %.2f s of CPU (limit %.2f)" % (cpu, LIMIT_CPU * scale))
    if mb > LIMIT_MB * scale:
        problems.append("peaked at %.0f MB (limit %.0f)" % (mb, LIMIT_MB * scale))
    if problems:
        print("FAIL %s (%.2f s, %.0f MB): %s" % (name, cpu, mb, "; ".join(problems)))
        if not update and not hung and "output differs" in problems[0]:
            import difflib
            diff = difflib.unified_diff(want.splitlines(), out.splitlines(),
                                        expected_file, "actual", lineterm="")
            for i, line in enumerate(diff):
                if i >= 40:
                    break
                print(line[:300])
        return False
    print("ok %s (%.2f s, %.0f MB)" % (name, cpu, mb))
    return True


def write(path, gen, d):
    """Write gen's text to path.  A function of its own so that the text
    is freed before the run: a forked child's peak RSS (ru_maxrss) counts
    the parent's pages it started with."""
    with open(path, "w") as f:
        f.write(gen(d))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run.py RAPPORT-BINARY")
    binary = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(os.path.dirname(os.path.dirname(here)))  # the top of the tree
    scale = float(os.environ.get("RAPPORT_BAD_SCALE", "1"))
    cap_as = scale == 1
    update = bool(os.environ.get("RAPPORT_BAD_UPDATE"))
    passed = failed = 0
    for f in sorted(os.listdir("tests/bad")):
        if not f.endswith(".yaml"):
            continue
        name = f[:-5]
        ok = check(binary, name, "tests/bad/" + f,
                   "tests/bad/%s.expected" % name, None, scale, cap_as, update)
        passed, failed = passed + ok, failed + (not ok)
    # An expectation whose file is gone is a test that silently stopped.
    gen = set(name for name, _ in GENERATED)
    for d, names in (("tests/bad", None), ("tests/bad/gen", gen)):
        for f in sorted(os.listdir(d)):
            stem = f[:-len(".expected")]
            if not f.endswith(".expected"):
                continue
            if (names is None and not os.path.exists("tests/bad/%s.yaml" % stem)) \
                    or (names is not None and stem not in names):
                print("FAIL %s/%s: no case produces it" % (d, f))
                failed += 1
    tmp = tempfile.mkdtemp(prefix="rapport-bad-")
    try:
        for name, gen in GENERATED:
            d = os.path.join(tmp, name)
            os.mkdir(d)
            path = os.path.join(d, name + ".yaml")
            write(path, gen, d)
            ok = check(binary, name, path, "tests/bad/gen/%s.expected" % name,
                       tmp, scale, cap_as, update)
            passed, failed = passed + ok, failed + (not ok)
            shutil.rmtree(d)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("bad: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

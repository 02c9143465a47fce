#!/bin/sh
# The "done when" checks of scripted regression testing (issue 4), run by
# make check against the real program, scripts and personas:
#
#   1. changing one reply of a shipped persona makes `rapport test` fail
#      with a message that names the script's file:line and shows the old
#      and the new reply;
#   2. what `rapport record` writes passes `rapport test` unchanged;
#   3. `rapport test --coverage` prints the table for every persona that
#      has scripts, with not-reached parts at their true file:line, the
#      same for any -j, as JSON with --json, and --fail-under fails a run
#      whose rule coverage is too low.
#
#   sh tests/regress/run.sh ./build/rapport
#
# Run from the top of the source tree.  Ends with "N passed, N failed";
# the exit status is 1 when any check failed.
bin=${1:?usage: run.sh RAPPORT-BINARY}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NO_COLOR=1

ok() {
    echo "ok $1"
    pass=$((pass + 1))
}
not_ok() {
    echo "FAIL $1"
    [ -f "$tmp/out" ] && sed 's/^/  | /' "$tmp/out" | head -30
    fail=$((fail + 1))
}
# has TEXT: the last output holds TEXT (fixed string).
has() {
    grep -qF -- "$1" "$tmp/out"
}

# ------------------------------------------------------------ 1. a reply
# A copy of the personas with one reply of rushed-alumnus changed: the
# first reply that one of its scripts expects in full ({contains: "..."})
# and that is written once, verbatim, in the persona file.  Its last
# word is replaced, as an author editing the line would.
cp -R personas "$tmp/personas"
python3 - personas/rushed-alumnus.yaml scripts/rushed-alumnus \
    "$tmp/personas/rushed-alumnus.yaml" >"$tmp/pick" <<'PY'
import glob, re, sys
persona = open(sys.argv[1], encoding="utf-8").read()
for path in sorted(glob.glob(sys.argv[2] + "/*.yaml")):
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r'\s*reply: \{contains: "([^"\\]{30,})"\}\s*$', line)
        if not m or persona.count('"' + m.group(1) + '"') != 1:
            continue
        old = m.group(1)
        new = old.rsplit(" ", 1)[0] + " CHANGED."
        open(sys.argv[3], "w", encoding="utf-8").write(
            persona.replace('"' + old + '"', '"' + new + '"'))
        print(path, n, old, new, sep="\n")
        sys.exit(0)
sys.exit(1)
PY
if [ $? -ne 0 ]; then
    : >"$tmp/out"
    not_ok "changed reply: no script of rushed-alumnus expects a whole reply written once in the persona"
    script=""
else
    script=$(sed -n 1p "$tmp/pick")
    line=$(sed -n 2p "$tmp/pick")
    old=$(sed -n 3p "$tmp/pick")
    new=$(sed -n 4p "$tmp/pick")
    "$bin" --personas "$tmp/personas" test "$script" >"$tmp/out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && has "at: $script:$line" &&
        has "expected: \"$old\"" && has "got: \"$new\"" &&
        has "passed, 1 failed"; then
        ok "changed reply: rapport test fails at $script:$line with the old and new reply"
    else
        not_ok "changed reply: expected exit 1 naming $script:$line with both replies (exit $rc)"
    fi
    # The unchanged personas pass the same script.
    "$bin" test "$script" >"$tmp/out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && has " 0 failed"; then
        ok "changed reply: the shipped persona passes $script"
    else
        not_ok "changed reply: the shipped persona fails $script (exit $rc)"
    fi
fi

# ---------------------------------------------------------- 2. record
# Lines with quotes, a backslash, non-English text, an empty line (not
# said) and a line with nothing understood.
cat >"$tmp/lines" <<'EOF'
Hi Dana, thanks for making "time" \ really.

Ich habe eine Frage: ¿qué tal? 你好 — привет
asdf qwer zxcv
What made you move from backend engineering into product?
Could I follow up by email next month?
EOF
for persona in rushed-alumnus curious-mentor; do
    rec=$tmp/rec-$persona.yaml
    if ! "$bin" record --seed 5 "$persona" -o "$rec" <"$tmp/lines" \
        >"$tmp/out" 2>&1; then
        not_ok "record $persona: rapport record failed"
        continue
    fi
    cp "$rec" "$rec.before"
    "$bin" test "$rec" >"$tmp/out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && has " 0 failed" && cmp -s "$rec" "$rec.before" &&
        grep -q '^  - say:' "$rec" && grep -q '^report:' "$rec"; then
        ok "record $persona: the recorded script passes rapport test unchanged"
    else
        not_ok "record $persona: the recorded script does not pass (exit $rc)"
    fi
    # And it can fail: a new recording of the conversation whose reply was
    # changed, run against the changed copy.
    if [ "$persona" = rushed-alumnus ] && [ -n "$script" ]; then
        seed=$(sed -n 's/^seed: //p' "$script")
        sed -n 's/^  - say: "\(.*\)"$/\1/p' "$script" | sed 's/\\"/"/g' |
            "$bin" record --seed "$seed" rushed-alumnus \
                -o "$tmp/rec-changed.yaml" >/dev/null 2>&1
        "$bin" --personas "$tmp/personas" test "$tmp/rec-changed.yaml" \
            >"$tmp/out" 2>&1
        rc=$?
        if [ $rc -eq 1 ] && has "got: \"$new\""; then
            ok "record $persona: a recorded script catches the changed reply"
        else
            not_ok "record $persona: a recorded script missed the changed reply (exit $rc)"
        fi
    fi
done

# -------------------------------------------------------- 3. coverage
"$bin" test --coverage scripts/ >"$tmp/cov" 2>&1
rc=$?
cp "$tmp/cov" "$tmp/out"
if [ $rc -eq 0 ] && has "# coverage: what the scripted conversations reached (rule examples are not counted)"; then
    ok "coverage: rapport test --coverage scripts/ passes and prints the table"
else
    not_ok "coverage: rapport test --coverage scripts/ (exit $rc)"
fi
for dir in scripts/*/; do
    id=$(basename "$dir")
    missing=""
    grep -q "^# $id (" "$tmp/cov" || missing="$missing header"
    for kind in stages rules replies thresholds endings; do
        # The row of this kind in this persona's table: "N of M  P%".
        sed -n "/^# $id (/,/^# [a-z].* (/p" "$tmp/cov" |
            grep -Eq "^#   $kind +[0-9]+ of [0-9]+ +[0-9]+%$" ||
            missing="$missing $kind"
    done
    if [ -z "$missing" ]; then
        ok "coverage: table for $id"
    else
        not_ok "coverage: table for $id lacks:$missing"
    fi
done

# One script reaches little: the rest is listed where it is written.
"$bin" test --coverage scripts/rushed-alumnus/strong.yaml >"$tmp/out" 2>&1
rc=$?
rule=open-greet
want=$(grep -n "^ *- id: $rule\$" personas/rushed-alumnus.yaml | head -1 | cut -d: -f1)
if [ $rc -eq 0 ] && [ -n "$want" ] &&
    has "#     ./personas/rushed-alumnus.yaml:$want: rule $rule (" &&
    has "#   stages "; then
    ok "coverage: an unreached rule is listed at its file:line ($want)"
else
    not_ok "coverage: rule $rule not listed at personas/rushed-alumnus.yaml:$want (exit $rc)"
fi
th=out-of-patience
want=$(grep -n "^ *- id: $th\$" personas/rushed-alumnus.yaml | head -1 | cut -d: -f1)
if [ -n "$want" ] &&
    has "#     ./personas/rushed-alumnus.yaml:$want: threshold $th of meter patience"; then
    ok "coverage: an unreached threshold is listed at its file:line ($want)"
else
    not_ok "coverage: threshold $th not listed at line $want"
fi

# --fail-under: one script is far under 80% of the rules, so the run
# fails though every test passed; 0 always holds.
"$bin" test --fail-under 80 scripts/rushed-alumnus/strong.yaml \
    >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && has "rule coverage of rushed-alumnus is" &&
    has "under 80%" && has " 0 failed"; then
    ok "coverage: --fail-under 80 fails a run with one script"
else
    not_ok "coverage: --fail-under 80 with one script (exit $rc)"
fi
"$bin" test --fail-under 0 scripts/rushed-alumnus/strong.yaml \
    >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
    ok "coverage: --fail-under 0 passes"
else
    not_ok "coverage: --fail-under 0 (exit $rc)"
fi

# The table does not depend on -j.
"$bin" test -j 3 --coverage scripts/ >"$tmp/out" 2>&1
if cmp -s "$tmp/cov" "$tmp/out" && has "# coverage:"; then
    ok "coverage: the same output with -j 3"
else
    diff "$tmp/cov" "$tmp/out" >"$tmp/out"
    not_ok "coverage: -j 3 changes the output"
fi

# --json: one object, with every persona's counts.
"$bin" test --json scripts/ >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && python3 - "$tmp/out" scripts <<'EOF'; then
import json, os, sys
d = json.load(open(sys.argv[1]))
ids = sorted(os.listdir(sys.argv[2]))
got = sorted(c["persona"] for c in d["coverage"])
assert got == [i for i in ids if os.path.isdir(os.path.join(sys.argv[2], i))], got
assert d["failed"] == 0 and d["passed"] > 0
for c in d["coverage"]:
    for k in ("stages", "rules", "replies", "thresholds", "endings"):
        r = c[k]
        assert 0 <= r["reached"] <= r["total"], (c["persona"], k)
        want = r["reached"] * 100 // r["total"] if r["total"] else 100
        assert r["percent"] == want, (c["persona"], k)
    for m in c["not_reached"]:
        assert m["line"] > 0 and m["file"], m
EOF
    ok "coverage: --json is one object with every persona"
else
    not_ok "coverage: --json (exit $rc)"
fi

echo "regress: $pass passed, $fail failed"
[ $fail -eq 0 ]

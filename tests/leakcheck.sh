#!/bin/sh
# make leakcheck: every unit test binary and every golden conversation
# under valgrind, failing on any error or leak (definite or indirect).
bin=${1:?usage: leakcheck.sh RAPPORT-BINARY TEST-BINARY...}
shift
vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
    --error-exitcode=99"
# PCRE2's JIT code is opaque to memcheck (false "uninitialised" reports),
# so everything here runs interpreted; the JIT path is covered by
# make check SANITIZE=address,undefined.
export RAPPORT_NOJIT=1
# Conversations are kept in a history of their own, never the user's.
RAPPORT_HOME=$(mktemp -d)
export RAPPORT_HOME
trap 'rm -rf "$RAPPORT_HOME"' EXIT
pass=0 fail=0
for t in "$@"; do
    if RAPPORT_SRCDIR=. $vg "$t" >/dev/null 2>"$t.vg"; then
        pass=$((pass + 1))
    else
        echo "FAIL $t"; cat "$t.vg"; fail=$((fail + 1))
    fi
    rm -f "$t.vg"
done
for cmd in tests/golden/*.cmd; do
    [ -e "$cmd" ] || continue
    name=${cmd%.cmd}
    input=/dev/null
    [ -f "$name.in" ] && input=$name.in
    eval "set -- $(cat "$cmd")"
    NO_COLOR=1 RAPPORT_NOJIT=1 $vg "$bin" "$@" <"$input" >/dev/null 2>"$name.vg"
    rc=$?
    if [ "$rc" -eq 99 ] || grep -q "==[0-9]*==" "$name.vg"; then
        echo "FAIL $name"; cat "$name.vg"; fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
    rm -f "$name.vg"
done
echo "leakcheck: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

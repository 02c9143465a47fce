#!/bin/sh
# Golden transcripts: each tests/golden/NAME.cmd holds the arguments of one
# rapport run, NAME.in its standard input (learner lines), NAME.out the
# exact expected standard output.  A piped conversation must print the same
# transcript byte for byte on every run and machine, so any change in a
# persona's behaviour or the engine's shows up here as a diff.
#
#   sh tests/golden/run.sh ./build/rapport          compare
#   RAPPORT_GOLDEN_UPDATE=1 sh tests/golden/run.sh ./build/rapport
#                                                   rewrite the .out files
# Ends with "N passed, N failed".
bin=${1:?usage: run.sh RAPPORT-BINARY}
dir=$(dirname "$0")
pass=0 fail=0
tmp=$(mktemp)
# Conversations are kept in a history of their own, never the user's.
RAPPORT_HOME=$(mktemp -d)
export RAPPORT_HOME
trap 'rm -f "$tmp"; rm -rf "$RAPPORT_HOME"' EXIT
for cmd in "$dir"/*.cmd; do
    [ -e "$cmd" ] || continue
    name=${cmd%.cmd}
    input=/dev/null
    [ -f "$name.in" ] && input=$name.in
    # The .cmd file holds the arguments, quoted as in a shell.
    eval "set -- $(cat "$cmd")"
    NO_COLOR=1 "$bin" "$@" <"$input" >"$tmp" 2>&1
    rc=$?
    echo "exit $rc" >>"$tmp"
    if [ -n "$RAPPORT_GOLDEN_UPDATE" ]; then
        cp "$tmp" "$name.out"
        echo "updated $(basename "$name")"
        pass=$((pass + 1))
    elif cmp -s "$tmp" "$name.out"; then
        echo "ok $(basename "$name")"
        pass=$((pass + 1))
    else
        echo "FAIL $(basename "$name"): output differs from $name.out"
        diff -u "$name.out" "$tmp" | head -40
        fail=$((fail + 1))
    fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

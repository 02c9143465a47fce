#!/bin/sh
# Linter regressions (mandoc's regress/ style): each tests/lint/NAME.yaml is
# a persona with planted mistakes, NAME.out the exact report `rapport lint`
# must print for it (diagnostics, summary, exit status).
#
#   sh tests/lint/run.sh ./build/rapport          compare
#   RAPPORT_GOLDEN_UPDATE=1 sh tests/lint/run.sh ./build/rapport
#                                                 rewrite the .out files
bin=${1:?usage: run.sh RAPPORT-BINARY}
dir=$(dirname "$0")
pass=0 fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for yaml in "$dir"/*.yaml; do
    [ -e "$yaml" ] || continue
    name=${yaml%.yaml}
    NO_COLOR=1 "$bin" lint "$yaml" >"$tmp" 2>&1
    echo "exit $?" >>"$tmp"
    if [ -n "$RAPPORT_GOLDEN_UPDATE" ]; then
        cp "$tmp" "$name.out"
        echo "updated $(basename "$name")"
    elif cmp -s "$tmp" "$name.out"; then
        pass=$((pass + 1))
    else
        echo "FAIL lint $(basename "$name"): output differs from $name.out"
        diff -u "$name.out" "$tmp" | head -40
        fail=$((fail + 1))
    fi
done
echo "lint regressions: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

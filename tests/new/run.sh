#!/bin/sh
# rapport new, in a temporary directory laid out like a checkout (with the
# shared library in personas/common): the starter persona and script it
# writes must pass lint (no warnings either), test, graph and the schema;
# a second run must refuse to overwrite; a bad id is a usage error.
#
#   sh tests/new/run.sh ./build/rapport
bin=$(cd "$(dirname "${1:?usage: run.sh RAPPORT-BINARY}")" && pwd)/$(basename "$1")
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/personas"
cp -r personas/common "$tmp/personas/"
cd "$tmp" || exit 1
fail() { echo "FAIL new: $*"; exit 1; }
"$bin" new demo >/dev/null || fail "rapport new demo"
"$bin" lint personas/demo.yaml || fail "the starter persona is not lint-clean"
"$bin" test scripts/demo >test.out || { cat test.out; fail "rapport test scripts/demo"; }
"$bin" graph demo >demo.dot && dot -Tsvg demo.dot >/dev/null ||
    fail "the starter's graph"
/usr/bin/python3 "$src/tests/schema/check.py" good \
    "$src/personas/persona.schema.json" personas/demo.yaml >/dev/null ||
    fail "the starter persona does not validate against the schema"
cp personas/demo.yaml before.yaml
"$bin" new demo 2>/dev/null
[ $? -eq 2 ] || fail "a second 'rapport new demo' did not refuse"
cmp -s before.yaml personas/demo.yaml || fail "a second run changed the file"
"$bin" new ../evil 2>/dev/null
[ $? -eq 64 ] || fail "a bad id was not refused as a usage error"
[ ! -e ../evil.yaml ] && [ ! -e personas/../evil.yaml ] || fail "wrote ../evil"
echo "new: the starter persona passes lint, test, graph and the schema"

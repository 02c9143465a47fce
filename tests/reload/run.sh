#!/bin/sh
# /reload in a piped chat: the persona file is edited while the
# conversation runs.  A broken edit is reported (diagnostics with
# positions) and the conversation goes on unchanged; a good edit is
# picked up, in the same stage and turn, and the report card still covers
# every turn.  The transcript must equal expected.out (the temporary
# directory shown as TMP).
#
#   sh tests/reload/run.sh ./build/rapport
#   RAPPORT_GOLDEN_UPDATE=1 sh tests/reload/run.sh ./build/rapport
bin=${1:?usage: run.sh RAPPORT-BINARY}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/../graph/coffee.yaml" "$tmp/coffee.yaml"
mkfifo "$tmp/in"
NO_COLOR=1 "$bin" chat --seed 1 "$tmp/coffee.yaml" <"$tmp/in" >"$tmp/out" 2>&1 &
pid=$!
exec 3>"$tmp/in"

# Wait until the transcript holds at least $2 lines matching $1.
wait_for() {
    i=0
    while [ "$(grep -c -- "$1" "$tmp/out")" -lt "$2" ]; do
        i=$((i + 1))
        if [ "$i" -gt 200 ]; then
            echo "FAIL reload: timed out waiting for '$1'"
            cat "$tmp/out"
            kill "$pid" 2>/dev/null
            exit 1
        fi
        sleep 0.05
    done
}

echo "hello" >&3
wait_for '^Cam Coffee:' 1
# A broken edit: a misspelt key.
sed 's/^        reply: Hi!$/        replly: Hi!/' "$here/../graph/coffee.yaml" \
    >"$tmp/coffee.yaml"
echo "/reload" >&3
wait_for 'reload failed' 1
echo "tell me about you" >&3
wait_for '^Cam Coffee:' 2
# A good edit: the goodbye changes.
sed 's/reply: Bye!/reply: Cheerio!/' "$here/../graph/coffee.yaml" \
    >"$tmp/coffee.yaml"
echo "/reload" >&3
wait_for '^\[reloaded' 1
echo "bye then" >&3
exec 3>&-
wait "$pid"
echo "exit $?" >>"$tmp/out"
sed "s|$tmp|TMP|g" "$tmp/out" >"$tmp/shown"
if [ -n "$RAPPORT_GOLDEN_UPDATE" ]; then
    cp "$tmp/shown" "$here/expected.out"
    echo "updated reload"
elif cmp -s "$tmp/shown" "$here/expected.out"; then
    echo "reload: ok"
else
    echo "FAIL reload: transcript differs from tests/reload/expected.out"
    diff -u "$here/expected.out" "$tmp/shown" | head -40
    exit 1
fi

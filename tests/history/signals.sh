#!/bin/sh
# Durability: a piped `rapport chat` killed with SIGTERM or SIGHUP after
# three turns leaves a complete, valid transcript of those three turns,
# both in the transcript file and in the history, marked finished with
# the signal that ended it; the exit status is 128 + the signal.
#
#   sh tests/history/signals.sh ./build/rapport
bin=${1:?usage: signals.sh RAPPORT-BINARY}
RAPPORT_HOME=$(mktemp -d)
export RAPPORT_HOME
trap 'exec 3>&-; rm -rf "$RAPPORT_HOME"' EXIT
dir=$RAPPORT_HOME
pass=0 fail=0

check() { # NAME CONDITION-EXIT-STATUS
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok $1"
    else fail=$((fail + 1)); echo "FAIL $1"; fi
}

for sig in TERM HUP; do
    fifo=$dir/in-$sig out=$dir/out-$sig json=$dir/$sig.json
    mkfifo "$fifo"
    NO_COLOR=1 "$bin" chat rushed-alumnus --seed 3 --transcript "$json" \
        <"$fifo" >"$out" 2>"$dir/err-$sig" &
    pid=$!
    exec 3>"$fifo" # the writer end stays open: chat waits for a 4th line
    printf '%s\n' "Hi Dana, I read about your move to transit planning." \
        "What was the hardest part of that move?" \
        "I could send you the article I mentioned." >&3
    # Wait (at most 10 s) until the third reply is out: chat is then
    # blocked reading the fourth line.
    i=0
    while [ "$(grep -c '^Dana Okafor: ' "$out" 2>/dev/null)" -lt 4 ] &&
        [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    kill -"$sig" "$pid"
    wait "$pid"
    rc=$?
    exec 3>&-
    case $sig in TERM) want=143 ;; HUP) want=129 ;; esac
    [ "$rc" -eq "$want" ]; check "SIG$sig: exit status $rc (want $want)" $?
    python3 - "$json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
users = [t["user"] for t in d["turns"]]
assert users == ["Hi Dana, I read about your move to transit planning.",
                 "What was the hardest part of that move?",
                 "I could send you the article I mentioned."], users
assert all(t["persona"] for t in d["turns"])
assert isinstance(d["report"]["overall"], int)
PY
    check "SIG$sig: the transcript file holds the three turns" $?
    grep -q 'Report card: ' "$out"
    check "SIG$sig: the report card was printed" $?
    ! grep -q . "$dir/err-$sig"
    check "SIG$sig: nothing on standard error" $?
done

# SIGTERM at other moments (while the engine answers, or between two
# reads) still ends the conversation in order, within 10 s, with a valid
# transcript of the turns taken so far.  (The narrowest window, between
# the loop's look at the flag and the read, is closed by chat_on_stop
# putting /dev/null in the place of standard input; it is too narrow for
# a test to hit reliably.)
for round in 1 2 3 4 5; do
    fifo=$dir/in-early$round json=$dir/early$round.json
    out=$dir/out-early$round
    mkfifo "$fifo"
    "$bin" --no-history chat rushed-alumnus --seed 3 --transcript "$json" \
        <"$fifo" >"$out" 2>&1 &
    pid=$!
    exec 3>"$fifo"
    i=0 # the handlers are set once the opening line is out
    while ! grep -qs '^Dana Okafor: ' "$out" && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    printf '%s\n' "Hi Dana." "What was the hardest part of that move?" \
        "What do you do now?" >&3
    sleep 0.0$round
    kill -TERM "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"; rc=hung
    else
        wait "$pid"; rc=$?
    fi
    exec 3>&-
    [ "$rc" = 143 ] && grep -q '^\[conversation ended by the learner\]' "$out" &&
    { [ ! -e "$json" ] || python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
lines = ["Hi Dana.", "What was the hardest part of that move?",
         "What do you do now?"]
assert [t["user"] for t in d["turns"]] == lines[:len(d["turns"])]' "$json"; }
    check "SIGTERM ${round}0 ms after the lines: ended in order ($rc)" $?
done

# Both sessions are in the history, finished by their signals, three
# turns each, with their turns and scores.
"$bin" history --json >"$dir/h.json"
python3 - "$dir/h.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
assert sorted(s["ended_by"] for s in h) == ["SIGHUP", "SIGTERM"], h
assert all(s["finished"] and s["turns"] == 3 for s in h), h
PY
check "history: both sessions, finished by SIGHUP and SIGTERM" $?
"$bin" report --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["session"]["turns"]) == 3
assert d["session"]["turns"][1]["dimensions"]["curiosity"]["evidence"]'
check "report --json: the turns with their evidence" $?

echo "signals: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

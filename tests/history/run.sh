#!/bin/sh
# The practice history, end to end, always in a temporary RAPPORT_HOME:
# concurrent conversations, progress charts, schema migrations, then the
# durability tests (signals.sh: SIGTERM and SIGHUP on a pipe;
# terminal.py: readline, Ctrl-C twice, the check-in, SIGTERM).
#
#   sh tests/history/run.sh ./build/rapport
bin=${1:?usage: run.sh RAPPORT-BINARY}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(dirname "$0")
RAPPORT_HOME=$(mktemp -d)
export RAPPORT_HOME NO_COLOR=1
trap 'rm -rf "$RAPPORT_HOME"' EXIT
dir=$RAPPORT_HOME
pass=0 fail=0

check() { # NAME STATUS
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok $1"
    else fail=$((fail + 1)); echo "FAIL $1"; fi
}

# Lines for a conversation, one every 0.1 s, so that conversations
# started together really overlap.
slowly() {
    for line in "Hi Dana, I read about your move to transit planning." \
        "What was the hardest part of that move?" \
        "I could send you the article I mentioned." \
        "How did you decide to make the switch?" \
        "Could I follow up by email in a few weeks?"; do
        printf '%s\n' "$line"; sleep 0.1
    done
}

# --- 1. Four piped conversations at the same time all get saved.
for i in 1 2 3 4; do
    slowly | "$bin" chat rushed-alumnus --seed "$i" >"$dir/c$i.out" \
        2>"$dir/c$i.err" &
done
wait
cat "$dir"/c*.err
"$bin" history --json >"$dir/h.json"
python3 - "$dir/h.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
assert len(h) == 4, h
assert all(s["finished"] and s["turns"] >= 1 for s in h), h
assert [s["id"] for s in h] == sorted((s["id"] for s in h), reverse=True), h
PY
check "4 concurrent conversations: all 4 in rapport history" $?
! grep -q . "$dir"/c*.err
check "4 concurrent conversations: no errors (busy database)" $?
"$bin" history | grep -c 'rushed-alumnus .* finished$' | grep -qx 4
check "history table: 4 finished rows" $?

# --- 2. A fifth conversation; progress draws a trend per dimension
# that matches the report cards kept.
printf '%s\n' "So, can you get me a job at your company?" "Sorry, sorry." |
    "$bin" chat rushed-alumnus --seed 5 >/dev/null
"$bin" progress >"$dir/progress.out"
rc=$?
for id in 1 2 3 4 5; do "$bin" report --json "$id"; done >"$dir/reports.json"
python3 - "$dir/progress.out" "$dir/reports.json" <<'PY'
import json, sys
out = open(sys.argv[1]).read().splitlines()
reports = [json.loads(l) for l in open(sys.argv[2])]
reports.sort(key=lambda r: (r["started"], r["id"]))
assert out[0].startswith("Progress over 5 conversations"), out[0]
labels = {"overall": "Overall", "curiosity": "Curiosity",
          "follow_up": "Follow-up questions", "value_offered": "Value offered",
          "authenticity": "Authenticity", "confidence": "Confidence",
          "rejection_grace": "Grace under rejection",
          "preparation": "Preparation", "relationship": "Relationship",
          "talk_balance": "Talk balance"}
width = max(len(l) for l in list(labels.values()) + ["Confidence before"])
for dim, label in labels.items():
    rows = [l for l in out if l.startswith("  " + label + "  ")]
    assert len(rows) == 1, (label, rows)
    chart = rows[0][2 + width + 2:][:5]
    vals = [r["overall"] if dim == "overall"
            else r["report"]["dimensions"][dim] for r in reports]
    want = "".join(" " if v is None else "_.,-=+*#"[min(7, (v * 7 + 50) // 100)]
                   for v in vals)
    assert chart == want, (label, chart, want, vals)
    applied = [v for v in vals if v is not None]
    fields = rows[0][2 + width + 2 + 5:].split()
    if applied:
        assert int(fields[0]) == applied[-1], (label, fields, applied)
        if len(applied) >= 2:
            assert int(fields[1]) == applied[-1] - applied[0], (label, fields)
        else:
            assert len(fields) == 1, (label, fields)
    else:
        assert fields == ["n/a"], (label, fields)
assert any(l.startswith("Practise next: ") for l in out), out
PY
check "progress after 5 conversations: a trend per dimension, as kept" $?
[ "$rc" -eq 0 ]; check "progress: exit status 0" $?
"$bin" progress --persona curious-mentor | grep -q '^No conversations'
check "progress --persona with no conversations" $?
"$bin" report 99 2>/dev/null; [ $? -eq 2 ]
check "report of a session that does not exist: exit status 2" $?
"$bin" report --markdown | grep -q '^# Report card: [0-9]*/100$'
check "report --markdown: a heading with the score" $?
"$bin" --no-history chat rushed-alumnus --seed 1 </dev/null >/dev/null &&
    printf 'Hello\n' | "$bin" chat --no-history rushed-alumnus >/dev/null
[ "$("$bin" history --json | grep -c '"id"')" -eq 5 ]
check "--no-history keeps nothing" $?

# --- 3. Migrations: a database of schema version 1 (before the
# dimensions table and the check-in) is upgraded, its sessions kept.
old=$dir/old.db
python3 - "$old" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE sessions (id INTEGER PRIMARY KEY, persona TEXT NOT NULL,
  started TEXT NOT NULL, seed TEXT NOT NULL,
  finished INTEGER NOT NULL DEFAULT 0, turns INTEGER NOT NULL DEFAULT 0,
  overall INTEGER, report TEXT);
CREATE TABLE turns (session INTEGER NOT NULL REFERENCES sessions(id)
  ON DELETE CASCADE, n INTEGER NOT NULL, learner TEXT NOT NULL,
  reply TEXT NOT NULL, scores TEXT NOT NULL, PRIMARY KEY (session, n));
PRAGMA user_version = 1;
""")
report = {"overall": 61, "dimensions": {"curiosity": 80, "follow_up": 40,
          "value_offered": 20, "authenticity": 100, "confidence": 90,
          "rejection_grace": None, "preparation": 30, "relationship": 10,
          "talk_balance": 100},
          "strengths": [], "fixes": [{"dimension": "relationship", "turn": 2,
          "quote": "Thanks!", "note": "Close with a next step.",
          "suggestion": "May I email you next month?"}]}
db.execute("INSERT INTO sessions VALUES (1, 'curious-mentor', "
           "'2025-01-02 10:00:00', '7', 1, 2, 61, ?)", (json.dumps(report),))
db.commit()
PY
"$bin" --history "$old" history | grep -q '^ *1  .*curious-mentor .* 61  finished$'
check "migration: the old session is listed" $?
"$bin" report --history "$old" 1 | grep -q 'Try: May I email you next month?'
check "migration: its report card is shown" $?
"$bin" progress --history "$old" | grep -q '^  Relationship  .*\. *10$'
check "migration: its dimensions are charted" $?
python3 - "$old" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA user_version").fetchone()[0] == 2
assert db.execute("SELECT count(*) FROM dimensions").fetchone()[0] == 8
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
PY
check "migration: version 2, dimensions filled in, WAL" $?
python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version = 99')" "$dir/new.db"
"$bin" history --history "$dir/new.db" 2>"$dir/new.err"
[ $? -eq 2 ] && grep -q 'newer than this rapport' "$dir/new.err"
check "a database from a newer rapport is refused" $?

echo "history: $pass passed, $fail failed"
status=0
[ "$fail" -eq 0 ] || status=1
sh "$here/signals.sh" "$bin" || status=1
python3 "$here/terminal.py" "$bin" || status=1
exit $status

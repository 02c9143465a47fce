#!/bin/sh
# make bench: the figures of issue 8 (never part of make check).
# Usage: run.sh BENCH RAPPORT DIR "SIZES" PERSONA
#   BENCH    build/bench/bench     RAPPORT  build/rapport
#   DIR      where gen_N.yaml / gen_N.txt were generated (gen_persona.py)
#   PERSONA  a shipped persona for the full turn with scoring
# Prints one JSON line per measurement, then a summary table.
set -eu
BENCH=$1 RAPPORT=$2 DIR=$3 SIZES=$4 PERSONA=$5
NOINDEX_LINES=${NOINDEX_LINES:-1000}
out=$DIR/results.jsonl
: >"$out"
echo "# $(date -u +%FT%TZ) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SIZES; do
  echo "== engine alone, generated persona of $n rules, rule index on"
  $BENCH "$DIR/gen_$n.yaml" "$DIR/gen_$n.txt" | sed "s/^{/{\"case\":\"gen_$n\",/" | tee -a "$out"
  echo "== the same, index off (first $NOINDEX_LINES lines)"
  $BENCH --noindex --lines "$NOINDEX_LINES" "$DIR/gen_$n.yaml" "$DIR/gen_$n.txt" |
    sed "s/^{/{\"case\":\"gen_$n:noindex\",/" | tee -a "$out"
  echo "== the same, no JIT"
  RAPPORT_NOJIT=1 $BENCH "$DIR/gen_$n.yaml" "$DIR/gen_$n.txt" |
    sed "s/^{/{\"case\":\"gen_$n:nojit\",/" | tee -a "$out"
done
echo "== full turn with scoring, personas/$PERSONA.yaml, its rule examples cycled to 10000 lines"
$BENCH --mode full --examples 10000 "personas/$PERSONA.yaml" |
  sed "s/^{/{\"case\":\"$PERSONA:full\",/" | tee -a "$out"
echo "== engine alone, the same lines"
$BENCH --examples 10000 "personas/$PERSONA.yaml" |
  sed "s/^{/{\"case\":\"$PERSONA:engine\",/" | tee -a "$out"
echo "== rapport test scripts/"
t0=$(date +%s.%N)
$RAPPORT test scripts/ >/dev/null
t1=$(date +%s.%N)
echo "rapport test scripts/: $(echo "$t1 - $t0" | bc) s"
echo
printf '%-28s %12s %9s %9s %9s %9s %8s\n' case rps p50_us p99_us load_ms peak_MB match
sed 's/.*"case":"\([^"]*\)".*"rps":\([0-9.]*\),"p50_us":\([0-9.]*\),"p99_us":\([0-9.]*\),"load_ms":\([0-9.]*\),.*"peak_rss_mb":\([0-9.]*\),"match_rate":\([0-9.]*\).*/\1 \2 \3 \4 \5 \6 \7/' "$out" |
  while read -r c r a b l m x; do
    printf '%-28s %12s %9s %9s %9s %9s %8s\n' "$c" "$r" "$a" "$b" "$l" "$m" "$x"
  done

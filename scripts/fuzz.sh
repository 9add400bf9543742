#!/usr/bin/env bash
# Runs every libFuzzer target of a build for SECONDS each, starting from the committed
# seeds (fuzz/corpus/<target>/, copied, so the repository is not touched) after replaying
# the committed crash inputs (fuzz/regressions/<target>/). Prints executions and coverage
# per target, a JSON summary line, and fails when a target crashes; a new crash input
# is copied into fuzz/regressions/<target>/ to be committed with its fix.
#   bash scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
# With FUZZ_JSON=FILE (make fuzz: docs/figures/fuzz.json) each target run replaces its own
# entry in FILE, the others kept, for the figures in docs/hardening.md.
set -euo pipefail
BUILD=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
SECS=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(ls fuzz/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//' | sort)
fi
WORK="$BUILD/fuzz-work"
mkdir -p "$WORK"
status=0
json="["
printf '%-24s %10s %10s %8s %8s %8s %s\n' target executions exec/s cov ft corpus result
for t in "${targets[@]}"; do
  bin="$BUILD/$t"
  if [ ! -x "$bin" ]; then
    echo "$bin is missing: build with -DARAG_FUZZ=ON (make fuzz)" >&2
    exit 2
  fi
  # 1. regressions: each committed crash input must now pass
  reg="fuzz/regressions/$t"
  nreg=0
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
    nreg=$(ls -A "$reg" | wc -l)
    if ! "$bin" -runs=1 "$reg"/* >"$WORK/$t.replay.log" 2>&1; then
      echo "$t: a regression input fails again (log: $WORK/$t.replay.log)" >&2
      tail -30 "$WORK/$t.replay.log" >&2
      status=1
    fi
  fi
  # 2. fuzz from a copy of the seeds
  corpus="$WORK/corpus/$t"
  arts="$WORK/artifacts/$t/"
  mkdir -p "$corpus" "$arts"
  [ -d "fuzz/corpus/$t" ] && cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  log="$WORK/$t.log"
  result=ok
  if ! "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$arts" "$corpus" >"$log" 2>&1; then
    result=CRASH
    status=1
    mkdir -p "$reg"
    for a in "$arts"/*; do [ -f "$a" ] && cp "$a" "$reg/" && echo "$t: crash input saved as $reg/$(basename "$a")" >&2; done
    grep -m1 -A25 "ERROR\|==ERROR\|deadly signal\|runtime error" "$log" >&2 || tail -30 "$log" >&2
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
  corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || true)
  printf '%-24s %10s %10s %8s %8s %8s %s\n' "$t" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$result$([ "$nreg" -gt 0 ] && echo ", $nreg regression inputs replayed")"
  [ "$json" != "[" ] && json+=","
  json+="{\"target\":\"$t\",\"seconds\":$SECS,\"executions\":${execs:-0},\"exec_per_sec\":${eps:-0},\"cov\":${cov:-0},\"ft\":${ft:-0},\"corpus\":${corp:-0},\"regressions\":$nreg,\"result\":\"$result\"}"
done
json+="]"
echo "fuzz-summary $json"
echo "$json" >"$WORK/summary.json"
if [ -n "${FUZZ_JSON:-}" ]; then
  node "$ROOT/scripts/fuzz-record.mjs" "$FUZZ_JSON" "$WORK/summary.json" "$("${CC:-clang}" --version | head -1)"
fi
exit $status

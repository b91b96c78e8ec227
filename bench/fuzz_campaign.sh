#!/usr/bin/env bash
# The long fuzzing campaign behind README "Fuzzing": every reader's target in
# turn, one worker, niced (others share the cores), for SCALE x its share of
# time below (fast text readers get the most, LibTorch archives the least),
# then a table of execs, cov, ft per target and the total. Needs
# `scripts/fuzz.sh build` first. Exit 1 when any target found a crash.
#
#   bench/fuzz_campaign.sh [SCALE]     SCALE: multiplier of the shares (default 1: ~40 min)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCALE=${1:-1}
# target:seconds at SCALE 1
SHARES=(npy:360 csv:360 index:360 stream:240 idx:240 cifar10:150 jpeg:150 config:120 sweep:120 hdf5:120
        saved_classifier:60 checkpoint:60)
OUT=${LRID_FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/lrid-fuzz-campaign.XXXXXX")}
export LRID_FUZZ_OUT=$OUT
export LRID_FUZZ_SEED=${LRID_FUZZ_SEED:-0}  # a fresh mutation sequence per campaign (CI replays seed 1)
rows=() failed=0
for s in "${SHARES[@]}"; do
  t=${s%%:*} sec=$(( ${s##*:} * SCALE ))
  row=$(nice -n 19 "$ROOT/scripts/fuzz.sh" run "$sec" "$t" | tail -1) || failed=1
  echo "$row"
  rows+=("$row")
done
printf '\n| target | seconds | execs | cov | ft | status |\n|---|---|---|---|---|---|\n'
total=0
for i in "${!SHARES[@]}"; do
  read -r name execs cov ft status <<<"${rows[$i]}"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" $(( ${SHARES[$i]##*:} * SCALE )) "$execs" "$cov" "$ft" "$status"
  total=$((total + execs))
done
printf '| total | | %s | | | |\n' "$total"
echo "corpora, crashes and logs: $OUT"
exit $failed

#!/usr/bin/env bash
# Recording overhead on the quickstart run (KNet, Fashion-MNIST, 2 epochs):
# the same training with the recorder (21 points, 256 probe images, the full
# condition) and with `observables.type=none`, interleaved, REPEATS times.
# Prints each run's wall time and recording time, and the overhead as the
# recording's share of the run and as the wall-time ratio against no recording.
#   bench/observables_overhead.sh [REPEATS] [OUT_DIR]      (default 1, /tmp/lrid_obs_bench)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LRID=${LRID:-$ROOT/build/lrid}
REPEATS=${1:-1}
OUT=${2:-/tmp/lrid_obs_bench}
rm -rf "$OUT"
for i in $(seq 1 "$REPEATS"); do
  "$LRID" train "$ROOT/configs/quickstart.yaml" observables.type=none --quiet --out "$OUT/none_$i" >/dev/null
  "$LRID" train "$ROOT/configs/quickstart.yaml" --quiet --out "$OUT/recorder_$i" >/dev/null
done
python3 - "$OUT" "$REPEATS" <<'PY'
import json, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
st = lambda kind, i: json.load(open(f"{out}/{kind}_{i}/status.json"))
none = [st("none", i)["wall_time_s"] for i in range(1, n + 1)]
rec = [st("recorder", i) for i in range(1, n + 1)]
for i in range(n):
    r = rec[i]
    print(f"repeat {i + 1}: no recording {none[i]:.1f} s | recording {r['wall_time_s']:.1f} s, of which "
          f"{r['record_time_s']:.2f} s recording ({100 * r['record_time_s'] / r['wall_time_s']:.2f}%)")
share = statistics.median(r["record_time_s"] / r["wall_time_s"] for r in rec)
ratio = statistics.median(rec[i]["wall_time_s"] / none[i] for i in range(n))
print(f"median recording share of run time: {100 * share:.2f}%  (target <= 3%)")
print(f"median wall-time ratio recording/none: {ratio:.3f}")
PY

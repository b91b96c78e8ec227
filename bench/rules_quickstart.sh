#!/usr/bin/env bash
# The quickstart under each of the eight rules, named and nothing else changed:
#   lrid train configs/quickstart.yaml rule.type=<rule>
# (KNet on Fashion-MNIST, 2 epochs). Prints each rule's status and test accuracy
# and fails unless every rule finished with >= 70% (issue 17's check). Runs resume
# or are skipped through their run directories, so a second call only reprints.
#   bench/rules_quickstart.sh [OUT_DIR]     (default runs/rules_quickstart)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LRID=${LRID:-$ROOT/build/lrid}
OUT=${1:-$ROOT/runs/rules_quickstart}
RULES=(sgdm adam fa ia sa aa wm kp)
for r in "${RULES[@]}"; do
  echo "[rules_quickstart] $r" >&2
  # A diverged run exits non-zero and is reported below, not fatal here.
  "$LRID" train "$ROOT/configs/quickstart.yaml" "rule.type=$r" --quiet --out "$OUT/$r" >/dev/null || true
done
lscpu | sed -n 's/^Model name: *//p'
python3 - "$OUT" "${RULES[@]}" <<'PY'
import json, sys
out, rules = sys.argv[1], sys.argv[2:]
status = {r: json.load(open(f"{out}/{r}/status.json")) for r in rules}
print(f"{'rule':<6} {'status':<9} {'test acc':>8} {'wall s':>7}")
failed = []
for r in rules:
    s = status[r]
    a = s.get("test_accuracy", float("nan"))
    print(f"{r:<6} {s['status']:<9} {a:>8.4f} {float(s.get('wall_time_s', 0)):>7.1f}")
    if s["status"] != "finished" or not a >= 0.70:
        failed.append(r)
print("all rules >= 70%" if not failed else f"below 70% or not finished: {' '.join(failed)}")
sys.exit(1 if failed else 0)
PY

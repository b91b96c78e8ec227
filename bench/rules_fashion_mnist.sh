#!/usr/bin/env bash
# Trains KNet on Fashion-MNIST for 3 epochs under each of the eight rules
# (configs/rules/*.yaml) and prints each rule's test accuracy and its gap to
# backprop (sgdm). Runs resume/skip through the run directories.
#   bench/rules_fashion_mnist.sh [OUT_DIR]     (default runs/rules)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LRID=${LRID:-$ROOT/build/lrid}
OUT=${1:-$ROOT/runs/rules}
RULES=(sgdm adam fa ia sa aa wm kp)
for r in "${RULES[@]}"; do
  # A diverged run exits non-zero and is reported below, not fatal here.
  "$LRID" train "$ROOT/configs/rules/$r.yaml" --quiet --out "$OUT/$r" >/dev/null || true
done
python3 - "$OUT" "${RULES[@]}" <<'PY'
import json, sys
out, rules = sys.argv[1], sys.argv[2:]
acc = {r: json.load(open(f"{out}/{r}/status.json")) for r in rules}
bp = acc["sgdm"]["test_accuracy"]
print(f"{'rule':<6} {'status':<9} {'test acc':>8} {'gap to sgdm':>11} {'wall s':>7}")
for r in rules:
    s = acc[r]
    a = s.get("test_accuracy", float("nan"))
    print(f"{r:<6} {s['status']:<9} {a:>8.4f} {a - bp:>+11.4f} {float(s.get('wall_time_s', 0)):>7.1f}")
PY

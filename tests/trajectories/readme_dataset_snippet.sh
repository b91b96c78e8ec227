#!/usr/bin/env bash
# Runs the README's h5py/pandas snippet (the block after <!-- dataset-snippet -->)
# on a dataset built from a tiny sweep: the documented schema must load as shown.
#   readme_dataset_snippet.sh LRID PYTHON SOURCE_DIR
set -euo pipefail
LRID=$1 PY=$2 SRC=$3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$LRID" sweep "$SRC/tests/fixtures/sweeps/small.yaml" -q -j 2 -o "$TMP/sweep" >/dev/null
"$LRID" dataset build "$TMP/sweep" -o "$TMP/dataset.h5" >/dev/null
awk '/<!-- dataset-snippet -->/{f=1; next} f && /^```python/{p=1; next} p && /^```/{exit} p' "$SRC/README.md" > "$TMP/snippet.py"
test -s "$TMP/snippet.py"
cd "$TMP" && "$PY" snippet.py | tee "$TMP/out.txt"
grep -q "(16, 5, 24)" "$TMP/out.txt"
grep -q "'fa', 'sgdm'" "$TMP/out.txt"

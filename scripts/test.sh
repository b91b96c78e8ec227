#!/usr/bin/env bash
# Set up, build, and run the whole test suite (GoogleTest through ctest).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/setup.sh"
cd "$ROOT"
ctest --test-dir "${LRID_BUILD:-$ROOT/build}" --output-on-failure -j "${LRID_TEST_JOBS:-2}" "$@"

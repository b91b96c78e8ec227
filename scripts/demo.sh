#!/usr/bin/env bash
# Set up, build, then the main job: `lrid demo`, i.e. the demo sweep (48 small
# runs: 4 rules x 2 architectures x 2 tasks x 3 seeds on Fashion-MNIST), its
# trajectory dataset, every experiment of the paper, and the HTML report,
# whose path it prints at the end. Extra arguments go to `lrid demo`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS=0
"$ROOT/scripts/setup.sh"
setup_s=$SECONDS
cd "$ROOT"
"${LRID_BUILD:-$ROOT/build}/lrid" demo --out "${LRID_DEMO_OUT:-out/demo}" "$@"
printf '[demo] set-up and build %d s, demo %d s\n' "$setup_s" $((SECONDS - setup_s)) >&2

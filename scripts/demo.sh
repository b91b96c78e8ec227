#!/usr/bin/env bash
# Set up, build, then the main job: train KNet on Fashion-MNIST (configs/quickstart.yaml).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/setup.sh"
cd "$ROOT"
"${LRID_BUILD:-$ROOT/build}/lrid" train configs/quickstart.yaml --out "${LRID_DEMO_OUT:-runs/quickstart}" "$@"

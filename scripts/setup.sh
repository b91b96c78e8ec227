#!/usr/bin/env bash
# Idempotent set-up: Debian packages, LibTorch (PyPI torch wheel) and the Python
# reference tools in a virtual environment under a persistent cache outside the
# checkout, then configure and build into build/. A second run takes seconds.
#
#   LRID_CACHE   cache folder (default ~/.cache/lrid): venv/, ccache/
#   LRID_JOBS    parallel build jobs (default: nproc)
#   LRID_BUILD   build folder (default: <repo>/build)
set -euo pipefail

TORCH_VERSION=2.11.0   # CUDA 13.0 build, matching /usr/local/cuda; C++11 ABI
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LRID_CACHE:-$HOME/.cache/lrid}
VENV=$CACHE/venv
BUILD=${LRID_BUILD:-$ROOT/build}
JOBS=${LRID_JOBS:-$(nproc)}
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages: install only what is missing.
PACKAGES=(build-essential cmake ninja-build ccache pkg-config git espeak-ng
          libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libhdf5-dev liblinear-dev
          libgtest-dev googletest libjpeg62-turbo-dev zlib1g-dev libgloo-dev libsndfile1-dev libsoxr-dev libssl-dev
          dataset-fashion-mnist chromium)  # chromium: the report test renders report.html headless
# python3-venv only when the python3 on PATH lacks a working venv module.
command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null \
  || PACKAGES+=(python3 python3-venv)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. LibTorch and the Python reference tools (tests and benchmarks only).
mkdir -p "$CACHE"
if [[ ! -f $VENV/.lrid-torch-$TORCH_VERSION ]]; then
  log "creating $VENV with torch==$TORCH_VERSION (several GB, once)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "torch==$TORCH_VERSION" numpy scipy scikit-learn h5py pandas
  touch "$VENV/.lrid-torch-$TORCH_VERSION"
fi
# Later additions to the reference tools (an existing venv gets them once).
if ! "$VENV/bin/python" -c 'import pandas' 2>/dev/null; then
  log "adding pandas to $VENV"
  "$VENV/bin/pip" install -q pandas
fi
TORCH_CMAKE=$("$VENV/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')

# 3. Configure (once) and build.
export CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$ROOT
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
if [[ ! -f $BUILD/build.ninja ]]; then
  log "configuring $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
        -DLRID_PYTHON="$VENV/bin/python" >/dev/null
fi
log "building ($JOBS jobs)"
cmake --build "$BUILD" -j "$JOBS"
log "ready: $BUILD/lrid"

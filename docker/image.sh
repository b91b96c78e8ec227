#!/usr/bin/env bash
# The two RUN steps of docker/Dockerfile, as a script (one place, testable, with error checks).
#   image.sh build    in the build stage: configure and build lrid in /src/build with the host's
#                     caches when the build mounts them (LibTorch from scripts/setup.sh's venv at the
#                     same absolute path as on the host, ccache with CCACHE_BASEDIR, so that compiler
#                     command lines match the host's and units hit its ccache); without the venv,
#                     the pinned torch wheel from PyPI (several GB). Stages /opt/lrid: bin/lrid,
#                     configs/, data/, and the lists of LibTorch libraries and runtime packages.
#                     The build tree is deleted in the same step, so no layer holds it (the PCH
#                     alone is 700 MB).
#   image.sh runtime  in the runtime stage: installs the runtime packages and data sets, copies
#                     LibTorch's libraries in the wheel's layout (their RUNPATHs are relative:
#                     torch/lib/../../nvidia/cu13/lib) under /opt/lrid/lib, registers them with
#                     ldconfig. The libraries come from the mounted venv, else from the build stage.
# Environment: TORCH_VERSION (the pinned wheel), TORCH_LIBS (needed: the libraries ldd reports,
# enough on CPU; all: every torch and nvidia library of the wheel, cuDNN's engines included, for
# GPUs), DATA_PACKAGES (runtime stage).
set -euo pipefail

SRC=/src
BUILD=$SRC/build
DIST=/opt/lrid
HOST_CACHE=/root/.cache/lrid    # scripts/setup.sh's LRID_CACHE on the host, mounted at the same path
CUDA_CONTEXT=/opt/cuda-context  # the host's CUDA toolkit, when mounted
BUILD_STAGE=/mnt/build          # the build stage's file system, mounted in the runtime stage
log() { printf '[image.sh] %s\n' "$*" >&2; }
die() { printf '[image.sh] error: %s\n' "$*" >&2; exit 1; }

build() {
  local site made_cuda_link=0 start lib real
  # LibTorch: the host's venv, else the pinned wheel from PyPI into the build stage.
  site=$(ls -d "$HOST_CACHE"/venv/lib/python3*/site-packages 2>/dev/null | head -n 1 || true)
  if [[ -z $site || ! -d $site/torch/share/cmake ]]; then
    log "no host venv mounted: installing torch==$TORCH_VERSION from PyPI (several GB)"
    python3 -m venv /opt/torch-venv
    /opt/torch-venv/bin/pip install -q "torch==$TORCH_VERSION"
    site=$(ls -d /opt/torch-venv/lib/python3*/site-packages | head -n 1)
  fi
  log "LibTorch from $site"

  # LibTorch's CMake config needs a CUDA toolkit at /usr/local/cuda (the host's path, so that
  # -isystem /usr/local/cuda/include matches the host's ccache entries).
  if [[ ! -e /usr/local/cuda && -x $CUDA_CONTEXT/bin/nvcc ]]; then
    ln -s "$CUDA_CONTEXT" /usr/local/cuda
    made_cuda_link=1
  fi
  [[ -x /usr/local/cuda/bin/nvcc ]] || die "no CUDA toolkit: LibTorch's CMake config needs one at \
configure time; pass --build-context cuda=<the host's /usr/local/cuda, resolved> or a CUDA devel BASE"

  export CCACHE_DIR=$HOST_CACHE/ccache CCACHE_BASEDIR=$SRC
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  mkdir -p "$CCACHE_DIR"
  ccache -z >/dev/null
  start=$(date +%s)
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLRID_BUILD_TESTS=OFF \
        -DCMAKE_PREFIX_PATH="$site/torch/share/cmake" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
  cmake --build "$BUILD" -j "$(nproc)" --target lrid
  log "compiled in $(($(date +%s) - start)) s; ccache: $(ccache -s | grep -E '^ *(Hits|Misses):' | xargs)"
  "$BUILD/lrid" --version

  mkdir -p "$DIST/bin"
  cp "$BUILD/lrid" "$DIST/bin/"
  cp -r "$SRC/configs" "$SRC/data" "$DIST/"
  # LibTorch's libraries: absolute path in the build, path relative to site-packages.
  {
    ldd "$BUILD/lrid" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r lib; do
      real=$(realpath "$lib")
      if [[ $real == "$site"/* ]]; then echo "$real ${real#"$site"/}"; fi
    done
    if [[ ${TORCH_LIBS:-needed} == all ]]; then
      for lib in "$site"/torch/lib/*.so* "$site"/nvidia/*/lib/*.so*; do echo "$lib ${lib#"$site"/}"; done
    fi
  } | sort -u -k2,2 > "$DIST/torch-libs.txt"
  [[ ${TORCH_LIBS:-needed} =~ ^(needed|all)$ ]] || die "TORCH_LIBS must be needed or all, not $TORCH_LIBS"
  # The distribution's packages of the other shared libraries, for the runtime stage.
  ldd "$BUILD/lrid" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r lib; do
    if [[ $(realpath "$lib") == "$site"/* ]]; then continue; fi
    dpkg -S "*/$(basename "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1
  done | sort -u > "$DIST/runtime-packages.txt"
  log "runtime packages: $(xargs < "$DIST/runtime-packages.txt")"
  log "LibTorch libraries: $(wc -l < "$DIST/torch-libs.txt")"

  rm -rf "$BUILD"
  if ((made_cuda_link)); then rm /usr/local/cuda; fi
}

runtime() {
  local from rel src
  apt-get update -qq
  # shellcheck disable=SC2046,SC2086  # one word per package
  apt-get install -y -qq --no-install-recommends $(cat "$DIST/runtime-packages.txt") ${DATA_PACKAGES:-} \
    >/dev/null
  rm -rf /var/lib/apt/lists/*
  while read -r from rel; do
    src=$from
    [[ -e $src ]] || src=$BUILD_STAGE$from
    [[ -e $src ]] || die "missing LibTorch library $from (neither the venv nor the build stage has it)"
    mkdir -p "$DIST/lib/$(dirname "$rel")"
    cp -L "$src" "$DIST/lib/$rel"
  done < "$DIST/torch-libs.txt"
  find "$DIST/lib" -type d -name lib | sort > /etc/ld.so.conf.d/lrid.conf
  ldconfig
  ln -sf "$DIST/bin/lrid" /usr/local/bin/lrid
  lrid --version
  log "runtime: $(du -sh "$DIST" | cut -f1) in $DIST"
}

case ${1:-} in
  build) build ;;
  runtime) runtime ;;
  *) die "usage: image.sh build|runtime" ;;
esac

#!/usr/bin/env bash
# Fuzzing every file reader under AddressSanitizer + UndefinedBehaviorSanitizer
# (libFuzzer, Debian's clang 14; README "Reliability", "Fuzzing"):
#
#   scripts/fuzz.sh build                  configure and build build-fuzz/ (the one build command)
#   scripts/fuzz.sh run SECONDS [TARGET..]  run each target (default: all) for SECONDS on a copy
#                                          of its checked-in corpus; exit 1 on any crash, leak,
#                                          timeout or out-of-memory
#   scripts/fuzz.sh seeds                  regenerate the binary seeds into tests/fuzz/corpus/
#   scripts/fuzz.sh sanitize-tests         build lrid_base_tests (core, figures) with gcc's
#                                          ASan + UBSan into build-asan/ and run it
#
#   LRID_FUZZ_BUILD   fuzz build folder (default: <repo>/build-fuzz)
#   LRID_ASAN_BUILD   sanitizer test build folder (default: <repo>/build-asan)
#   LRID_FUZZ_OUT     where `run` keeps its corpora, crashes and logs (default: a new temp dir)
#   LRID_JOBS         parallel build jobs (default: nproc)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LRID_CACHE:-$HOME/.cache/lrid}
VENV=$CACHE/venv
FUZZ_BUILD=${LRID_FUZZ_BUILD:-$ROOT/build-fuzz}
ASAN_BUILD=${LRID_ASAN_BUILD:-$ROOT/build-asan}
JOBS=${LRID_JOBS:-$(nproc)}
TARGETS=(config npy csv idx cifar10 jpeg hdf5 saved_classifier checkpoint stream index sweep wav)
log() { printf '[fuzz] %s\n' "$*" >&2; }

export CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$ROOT
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
# Sanitizer settings of every run. detect_leaks=0: LibTorch (not instrumented)
# keeps allocations of its static registries reachable only from its own
# globals at exit, which LeakSanitizer reports; lrid's own leaks would show as
# growing RSS and hit -rss_limit_mb. protect_shadow_gap=0: libtorch_cuda's CUDA
# runtime maps memory in ASan's shadow gap at load time.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:protect_shadow_gap=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export OMP_NUM_THREADS=1

# Debian's clang 14 with its sanitizer and libFuzzer runtimes, installed once
# the same way scripts/setup.sh installs the rest.
ensure_clang() {
  local missing=()
  for p in clang-14 libclang-rt-14-dev llvm-14; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

torch_cmake() { "$VENV/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)'; }

cmd_build() {
  [[ -x $VENV/bin/python ]] || "$ROOT/scripts/setup.sh"  # LibTorch and the Debian libraries
  ensure_clang
  if [[ ! -f $FUZZ_BUILD/build.ninja ]]; then
    log "configuring $FUZZ_BUILD"
    # RelWithDebInfo for -g; the -O1 of LRID_FUZZ comes later on the command
    # line and wins. The unity build and the torch PCH stay on: with clang too
    # they cut the build most (stack traces still name the real files).
    cmake -S "$ROOT" -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
          -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_PREFIX_PATH="$(torch_cmake)" \
          -DLRID_FUZZ=ON -DLRID_BUILD_TESTS=OFF >/dev/null
  fi
  log "building the fuzz targets ($JOBS jobs)"
  cmake --build "$FUZZ_BUILD" -j "$JOBS" --target lrid_fuzzers
}

cmd_seeds() {
  cmake --build "$FUZZ_BUILD" -j "$JOBS" --target lrid_fuzz_seeds
  "$FUZZ_BUILD/tests/fuzz/lrid_fuzz_seeds" "$ROOT/tests/fuzz/corpus"
  log "seeds written under tests/fuzz/corpus/"
}

# One target for SECONDS on a copy of its corpus; prints "name execs cov ft status".
run_one() {
  local name=$1 seconds=$2 out=$3 bin=$FUZZ_BUILD/tests/fuzz/$1_fuzz
  [[ -x $bin ]] || { log "$bin is not built (scripts/fuzz.sh build)"; return 2; }
  mkdir -p "$out/$name/corpus" "$out/$name/crashes"
  cp -r "$ROOT/tests/fuzz/corpus/$name/." "$out/$name/corpus/"
  local rc=0
  # -max_len 65536: the CIFAR-10 seeds (seven files) are 18 KB; the default
  # would be the largest seed's size. -timeout: a hang is a crash.
  # -malloc_limit_mb: one allocation over 2 GB for an input of at most 64 KB
  # is a bug, reported with the allocating stack.
  # -seed: CI's short run replays a prefix of one fixed mutation sequence, so
  # its result is repeatable (LRID_FUZZ_SEED=0: a fresh seed, for campaigns).
  (cd "$out/$name/crashes" && "$bin" -seed="${LRID_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 \
     -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/$name/crashes/" \
     "$out/$name/corpus") >"$out/$name/log" 2>&1 || rc=$?
  local execs cov ft status=ok
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out/$name/log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$out/$name/log" | tail -1 | cut -d' ' -f2)
  if ((rc != 0)) || compgen -G "$out/$name/crashes/*" >/dev/null; then status=FAILED; fi
  # Upstream bugs that lrid cannot check for through the libraries' APIs
  # (tests/fuzz/known_crashes/README.md): reported, their inputs kept, but they
  # do not fail the run. Debian's libhdf5 1.10.8 trusts sizes in a corrupt file
  # (H5HG_read reads past a global heap, H5C_protect mallocs petabytes). LibTorch's
  # readers allocate what a corrupt archive declares; observables/torch_archive.h
  # bounds the lengths it knows of (strings, memo indices, record sizes), and an
  # allocation failure inside LibTorch is still classified here.
  if [[ $status == FAILED ]]; then
    # The first frame outside the fuzz executable (sanitizer and libFuzzer hooks) is in libhdf5.
    # (libc's frames are skipped too: a timeout's stack starts in the alarm handler.)
    if [[ $name == hdf5 ]] && grep -E '^    #[0-9]+ ' "$out/$name/log" | grep -v "_fuzz+0x\|/libc\.so" | head -1 \
         | grep -q 'libhdf5'; then
      status=known-libhdf5
    # LibTorch's archive readers allocate sizes a corrupt archive declares: the
    # unpickler (a string length, its input vector) and the zip reader (a
    # record's size). The allocation is LibTorch's when its stack names those
    # readers or, where the fast unwinder stops inside libtorch_cpu.so, when the
    # first frame outside the fuzz executable (allocator and libFuzzer hooks)
    # is in libtorch_cpu.so. An allocation lrid asks for itself has lrid frames first.
    elif grep -q 'out-of-memory\|allocation-size-too-big' "$out/$name/log" \
         && { grep -q ' in torch::jit::Unpickler::\| in caffe2::serialize::PyTorchStreamReader::getRecord' \
                "$out/$name/log" \
              || grep -E '^    #[0-9]+ ' "$out/$name/log" | grep -v "_fuzz+0x\|/libc\.so" | head -1 \
                   | grep -q 'libtorch_cpu\.so'; }; then
      status=known-libtorch
    fi
  fi
  printf '%-18s %12s %7s %7s  %s\n' "$name" "${execs:-0}" "${cov:-0}" "${ft:-0}" "$status"
  [[ $status != FAILED ]]
}

cmd_run() {
  local seconds=${1:?usage: scripts/fuzz.sh run SECONDS [TARGET...]}; shift
  local targets=("$@"); ((${#targets[@]})) || targets=("${TARGETS[@]}")
  local out=${LRID_FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/lrid-fuzz.XXXXXX")}
  log "running ${#targets[@]} targets for ${seconds} s each; corpora, crashes and logs in $out"
  printf '%-18s %12s %7s %7s  %s\n' target execs cov ft status
  local failed=()
  for t in "${targets[@]}"; do run_one "$t" "$seconds" "$out" || failed+=("$t"); done
  if ((${#failed[@]})); then
    for t in "${failed[@]}"; do
      log "$t failed: $out/$t/log"; grep -m5 -E 'ERROR|SUMMARY|runtime error|Test unit' "$out/$t/log" >&2 || true
    done
    return 1
  fi
}

cmd_sanitize_tests() {
  "$ROOT/scripts/setup.sh" >/dev/null  # the Debian libraries and the venv's LibTorch (CMake finds it)
  if [[ ! -f $ASAN_BUILD/build.ninja ]]; then
    log "configuring $ASAN_BUILD"
    cmake -S "$ROOT" -B "$ASAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
          -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
          -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
          -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_PREFIX_PATH="$(torch_cmake)" >/dev/null
  fi
  cmake --build "$ASAN_BUILD" -j "$JOBS" --target lrid_base_tests
  ASAN_OPTIONS=detect_leaks=1 "$ASAN_BUILD/lrid_base_tests" --gtest_brief=1
}

case ${1:-} in
  build) cmd_build ;;
  run) shift; cmd_run "$@" ;;
  seeds) cmd_seeds ;;
  sanitize-tests) cmd_sanitize_tests ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac

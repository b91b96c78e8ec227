#!/usr/bin/env bash
# End-to-end test of docker/Dockerfile with podman (no Docker daemon, no registry needed): builds a
# local debian:bookworm base with debootstrap from the host's Debian mirror (the tarball is cached
# in the lrid cache, so a second run skips debootstrap), builds the image from this checkout with
# the host's caches (scripts/setup.sh's venv and ccache as build contexts, the CUDA toolkit for
# LibTorch's CMake config), then runs lrid --version, a short lrid train with an output volume,
# lrid stats and lrid dataset build/info in containers, and checks their outputs on the host.
# Separate podman storage in a temporary folder (removed at exit with the containers and images;
# the caches stay), runc, host networking and ulimits within the host's, via CONTAINERS_CONF.
#
# Run from the repository root after scripts/setup.sh:  bash tests/engines/docker_test.sh
#   LRID_CACHE         the cache of scripts/setup.sh (default ~/.cache/lrid)
#   LRID_DOCKER_KEEP   1: keep the podman storage and image (prints the podman command to use)
# Needs root (podman, debootstrap; sudo otherwise). Exit status non-zero with one FAIL line.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${LRID_CACHE:-$HOME/.cache/lrid}
BASE_TAR=$CACHE/images/debian-bookworm-minbase.tar
IMAGE=localhost/lrid:test
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
T0=$(date +%s)
TIMINGS=()
log() { printf '[docker_test] %s\n' "$*" >&2; }
fail() { printf '[docker_test] FAIL: %s\n' "$*" >&2; exit 1; }
timed() {  # timed LABEL COMMAND...: runs the command, records its wall time, returns its status
  local label=$1 start=$SECONDS rc=0
  shift
  "$@" || rc=$?
  TIMINGS+=("$(printf '%-24s %5d s' "$label" $((SECONDS - start)))")
  return "$rc"
}

cd "$ROOT"
[[ -d $CACHE/venv ]] || fail "no $CACHE/venv: run scripts/setup.sh first"

# 1. podman, runc and debootstrap (Debian packages), only when missing.
install_tools() {
  local missing=() p
  for p in podman runc debootstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
timed "install tools" install_tools

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/lrid-docker-test.XXXXXX")
P=(env CONTAINERS_CONF="$WORK/containers.conf" podman --root "$WORK/storage" --runroot "$WORK/run")
[[ -n $SUDO ]] && P=("$SUDO" "${P[@]}")
cleanup() {
  local rc=$?
  set +e
  if [[ ${LRID_DOCKER_KEEP:-0} == 1 ]]; then
    log "kept: CONTAINERS_CONF=$WORK/containers.conf ${P[*]} images"
  else
    "${P[@]}" rm -af >/dev/null 2>&1
    "${P[@]}" rmi -af >/dev/null 2>&1
    # containers/storage leaves its overlay folder bind-mounted on itself
    awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r $SUDO umount
    $SUDO rm -rf "$WORK"
  fi
  TIMINGS+=("$(printf '%-24s %5d s' total $(($(date +%s) - T0)))")
  printf '[docker_test] %s\n' "${TIMINGS[@]}" >&2
  ((rc == 0)) && log "PASS"
  exit "$rc"
}
trap cleanup EXIT

# 2. Container settings for this host: runc (crun refuses hybrid cgroups), host networking (the
# default bridge edits iptables), ulimits no higher than the host's hard limits.
hard_nofile=$(ulimit -Hn); [[ $hard_nofile == unlimited ]] && hard_nofile=1048576
hard_nproc=$(ulimit -Hu); [[ $hard_nproc == unlimited || $hard_nproc -gt 32768 ]] && hard_nproc=32768
cat > "$WORK/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=$hard_nofile:$hard_nofile", "nproc=$hard_nproc:$hard_nproc"]
[engine]
runtime = "runc"
EOF

# 3. The base image: debootstrap from the host's Debian mirror (no registry), cached as a tarball.
make_base_tarball() {
  local mirror rootfs=$WORK/rootfs f
  mirror=$(grep -rhsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ \
           | grep -oE 'https?://[^ ]+' | grep -E '/debian/?$' | head -n 1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  log "debootstrap bookworm from $mirror"
  $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 5 "$WORK/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
  # The host's Debian sources (its mirror, updates and security), so that the image gets the
  # same package versions as the host: the same compiler is what lets ccache hit.
  local sources=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && grep -q "$mirror" "$f" && sources+=("$f")
  done
  if ((${#sources[@]})); then
    $SUDO rm -f "$rootfs/etc/apt/sources.list"
    for f in "${sources[@]}"; do $SUDO cp "$f" "$rootfs/etc/apt/${f#/etc/apt/}"; done
  fi
  $SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  mkdir -p "$(dirname "$BASE_TAR")"
  $SUDO tar -C "$rootfs" -c . > "$BASE_TAR.tmp"
  mv "$BASE_TAR.tmp" "$BASE_TAR"
  $SUDO rm -rf "$rootfs"
}
if [[ -s $BASE_TAR ]]; then
  log "base image from the cached $BASE_TAR"
else
  timed debootstrap make_base_tarball
fi
timed "import base" "${P[@]}" import -q "$BASE_TAR" localhost/debian:bookworm >/dev/null

# 4. The image, from this checkout and the host's caches.
build_image() {
  "${P[@]}" build -f docker/Dockerfile -t "$IMAGE" --pull=never --network=host \
    --build-context lrid-venv="$CACHE/venv" \
    --build-context lrid-ccache="$CACHE/ccache" \
    --build-context cuda="$(realpath /usr/local/cuda)" \
    . 2>&1 | stamp > "$WORK/build.log" \
    || { grep -vE '^ *[0-9]+ s (Get|Selecting|Preparing|Unpacking|Setting up)' "$WORK/build.log" | tail -n 30 >&2
         fail "podman build failed (log above)"; }
  grep -E '^ *[0-9]+ s (\[image.sh\]|\[[0-9]/[0-9]\] (STEP|COMMIT))' "$WORK/build.log" | cut -c1-110 >&2 || true
}
stamp() {  # prefixes each line with the seconds since the start
  local start=$SECONDS line
  while IFS= read -r line; do printf '%4d s %s\n' $((SECONDS - start)) "$line"; done
}
mkdir -p "$CACHE/ccache"
[[ -d /usr/local/cuda ]] || fail "no /usr/local/cuda: LibTorch's CMake config needs a CUDA toolkit"
timed "image build" build_image
size=$("${P[@]}" image inspect --format '{{.Size}}' "$IMAGE")
log "image $IMAGE: $((size / 1000000)) MB"
"${P[@]}" run --rm --entrypoint sh "$IMAGE" -c '! command -v c++ && ! command -v gcc' >/dev/null \
  || fail "the runtime image has a compiler"

# 5. lrid in containers, an output volume, checks on the host.
OUT=$WORK/out
mkdir -p "$OUT"
run() { "${P[@]}" run --rm -v "$OUT:/out" "$IMAGE" "$@"; }
version=$(run --version) || fail "lrid --version failed in the container"
[[ $version == *[0-9].[0-9]* ]] || fail "unexpected lrid --version output: $version"
log "lrid --version: $version"
timed "lrid train" run train configs/quickstart.yaml -q -o /out/run \
  schedule.parameters.epochs=1 data.parameters.train_limit=256 data.parameters.test_limit=128 \
  run.parameters.batch_size=64 || fail "lrid train failed in the container"
grep -q '"status": *"finished"' "$OUT/run/status.json" 2>/dev/null \
  || fail "status.json of the run does not say finished: $(cat "$OUT/run/status.json" 2>/dev/null)"
[[ -s $OUT/run/metrics.csv ]] || fail "no metrics.csv in the run directory"
printf '1,2,3\n4,5,6\n7,8,10\n' > "$OUT/weights.csv"
run stats -i /out/weights.csv -m weight > "$OUT/stats.csv" || fail "lrid stats failed in the container"
grep -q '^weightabs_mean,' "$OUT/stats.csv" \
  || fail "lrid stats printed no weightabs_mean: $(head -c 200 "$OUT/stats.csv")"
run dataset build /out/run -o /out/dataset.h5 >/dev/null || fail "lrid dataset build failed on the run"
run dataset info /out/dataset.h5 > "$OUT/dataset_info.txt" || fail "lrid dataset info failed"
grep -q 'rules: sgdm' "$OUT/dataset_info.txt" \
  || fail "lrid dataset info lacks the run's rule: $(head -c 300 "$OUT/dataset_info.txt")"
log "checks passed: version, train (status finished, metrics.csv), stats, dataset build/info"

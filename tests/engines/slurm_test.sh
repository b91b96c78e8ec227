#!/usr/bin/env bash
# Slurm end to end, for real: starts a private one-node Slurm cluster on this machine (munged, slurmctld, slurmd
# under a temporary folder, on private ports, no systemd or cgroups needed) and checks that scripts/slurm/ gives the
# same results as running lrid directly:
#   sweep  scripts/slurm/submit_sweep.sh runs tests/engines/slurm_sweep.yaml as a 2-task array job plus the dependent
#          dataset job; its dataset.h5 must equal `lrid sweep` (unsharded) + `lrid dataset build` outside Slurm.
#   dp     `sbatch -n2 scripts/slurm/train_dp.sbatch` (2 ranks under srun) must give the run directory of
#          `lrid train --nproc 2`: metrics, observable streams, index, status and config equal, times left out.
# Why: the shard/rank plumbing (SLURM_ARRAY_TASK_*, SLURM_PROCID/NTASKS/LOCALID, SLURM_JOB_NODELIST) only shows up
# under a real slurmd, and results must not depend on how the work was split.
#   bash tests/engines/slurm_test.sh                          # from the repository root, after scripts/setup.sh
#   LRID=path/to/lrid SLURM_TEST_PARTS=sweep bash tests/engines/slurm_test.sh
# Needs root (or passwordless sudo) to apt-get install slurmctld slurmd slurm-client munge when missing (Debian 12:
# Slurm 22.05), the Fashion-MNIST files of scripts/setup.sh, and the venv's h5py (~/.cache/lrid/venv) or python3
# with h5py. Environment: LRID (binary; default build/lrid), SLURM_TEST_PARTS (comma list, default sweep,dp),
# SLURM_TEST_KEEP=1 keeps the temporary folder, SLURM_TEST_PORT (slurmctld port; slurmd uses the next one).
# Cleans up on every exit: cancels all jobs, waits for the queue to empty, stops slurmd, slurmctld and munged by PID.
# One clear line on failure ("slurm_test: FAIL: ..."), exit status non-zero.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PARTS=${SLURM_TEST_PARTS:-sweep,dp}
T_START=$EPOCHREALTIME
TIMINGS=()
daemon_pids=()  # started here; stopped in this order's reverse
TMP=""
FAIL_MSG=""

say() { echo "slurm_test: $*" >&2; }
fail() {  # the reason is printed last, after the logs and timings (cleanup)
  FAIL_MSG=$*
  exit 1
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
timed() {  # timed LABEL COMMAND...: runs it and records its wall time
  local label=$1 t=$EPOCHREALTIME
  shift
  "$@"
  TIMINGS+=("$label $(elapsed "$t") s")
}
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }

show_logs() {  # the end of every log, to see why a check failed
  local f
  for f in "$TMP"/log/*.log "$TMP"/log/*.out "$TMP"/work/*/slurm/*.out "$TMP"/work/*/*.out "$TMP"/work/*.out; do
    [[ -f $f ]] || continue
    echo "----- ${f#"$TMP"/} (last 15 lines)" >&2
    tail -n 15 "$f" >&2
  done
}

cleanup() {
  local rc=$? i pid all
  trap - EXIT INT TERM
  set +e
  if [[ -n $TMP && -f $TMP/etc/slurm.conf ]] && ((${#daemon_pids[@]} >= 2)); then
    scancel --user="$(id -un)" 2>/dev/null
    for ((i = 0; i < 60; i++)); do  # running slurmstepd outlive slurmd: let the jobs end first (cap 30 s)
      [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.5
    done
  fi
  ((rc != 0)) && [[ -n $TMP ]] && show_logs
  for ((i = ${#daemon_pids[@]} - 1; i >= 0; i--)); do
    pid=${daemon_pids[i]}
    kill "$pid" 2>/dev/null
    for _ in {1..50}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [[ -n $TMP ]]; then
    if [[ ${SLURM_TEST_KEEP:-0} == 1 ]]; then say "kept $TMP"; else rm -rf "$TMP"; fi
  fi
  printf -v all '%s, ' "${TIMINGS[@]}" "total $(elapsed "$T_START") s"
  say "timings: ${all%, }"
  ((rc == 0)) || say "FAIL: ${FAIL_MSG:-exited with status $rc (see the output above)}"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
src=${LRID:-$ROOT/build/lrid}
[[ -x $src ]] || fail "no lrid binary at $src (run scripts/setup.sh, or set LRID=...)"
PY=${LRID_PYTHON:-$HOME/.cache/lrid/venv/bin/python}
[[ -x $PY ]] || PY=python3
"$PY" -c "import h5py" 2>/dev/null || fail "$PY has no h5py (run scripts/setup.sh)"
if has_part dp && ! "$src" train --help 2>/dev/null | grep -q -- '--nproc'; then
  fail "$src train has no --nproc (data-parallel training not built); run with SLURM_TEST_PARTS=sweep"
fi
for part in ${PARTS//,/ }; do
  [[ $part == sweep || $part == dp ]] || fail "unknown part '$part' in SLURM_TEST_PARTS (sweep, dp)"
done

install_slurm() {
  local missing=() sudo=""
  for b in slurmctld slurmd sbatch munged mungekey; do command -v "$b" >/dev/null || missing+=("$b"); done
  ((${#missing[@]} == 0)) && return 0
  ((EUID == 0)) || sudo=sudo
  say "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
  $sudo apt-get update -qq || fail "apt-get update failed"
  # Debian's policy-rc.d may refuse to start the services ("denied execution"): harmless, they start below.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null ||
    fail "apt-get install slurmctld slurmd slurm-client munge failed"
}
timed install install_slurm

# A private copy of the binary: build/lrid may be relinked while the jobs run (it finds torch by its rpath).
TMP=$(mktemp -d /tmp/lrid-slurm.XXXXXX)
chmod 755 "$TMP"  # munge's socket folder must be 755 (with 700 munged refuses non-root clients)
mkdir -p "$TMP"/{bin,etc,state,spool,log,run,munge,work}
chmod 755 "$TMP/munge"
cp "$src" "$TMP/bin/lrid"
LRID_BIN=$TMP/bin/lrid

# ---------------------------------------------------------------- the cluster
free_port() {  # the first port >= $1 whose next port is free as well
  local p=$1 used
  used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
  while grep -qx "$p" <<<"$used" || grep -qx "$((p + 1))" <<<"$used"; do p=$((p + 2)); done
  echo "$p"
}

start_cluster() {
  local node ctld_port hw mem_mb i state
  node=$(hostname -s)
  ctld_port=${SLURM_TEST_PORT:-$(free_port 16817)}
  # The node's real layout (sockets, cores, threads) as slurmd sees it, so that CR_Core counts the right cores.
  hw=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//')
  mem_mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
  cat >"$TMP/etc/slurm.conf" <<EOF
# Private one-node cluster of tests/engines/slurm_test.sh: no systemd, no cgroups, no accounting.
ClusterName=lridtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TMP/munge/munge.socket
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/run/slurmctld.pid
SlurmdPidFile=$TMP/run/slurmd.pid
SlurmctldLogFile=$TMP/log/slurmctld.log
SlurmdLogFile=$TMP/log/slurmd.log
PlugStackConfig=$TMP/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$node NodeAddr=127.0.0.1 $hw RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$TMP/etc/plugstack.conf"
  export SLURM_CONF=$TMP/etc/slurm.conf
  unset SLURM_JOB_ID SLURM_JOBID SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_PROCID SLURM_NTASKS

  mungekey --create --keyfile="$TMP/munge/munge.key" >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$TMP/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$TMP/munge/munge.key"
  munged -F --force --key-file="$TMP/munge/munge.key" --socket="$TMP/munge/munge.socket" \
    --pid-file="$TMP/run/munged.pid" --log-file="$TMP/log/munged.log" --seed-file="$TMP/munge/seed" \
    >>"$TMP/log/munged.out" 2>&1 &
  daemon_pids+=($!)
  for ((i = 0; i < 50; i++)); do [[ -S $TMP/munge/munge.socket ]] && break; sleep 0.1; done
  [[ -S $TMP/munge/munge.socket ]] || fail "munged did not start (its log is above)"
  slurmctld -D -i -f "$SLURM_CONF" >>"$TMP/log/slurmctld.out" 2>&1 &
  daemon_pids+=($!)
  slurmd -D -N "$node" -f "$SLURM_CONF" >>"$TMP/log/slurmd.out" 2>&1 &
  daemon_pids+=($!)
  for ((i = 0; i < 120; i++)); do  # idle within ~2 s; cap 60 s
    state=$(sinfo -h -N -o %t 2>/dev/null || true)
    [[ $state == idle ]] && break
    for pid in "${daemon_pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a Slurm daemon exited at start"; done
    sleep 0.5
  done
  [[ $state == idle ]] || fail "node $node not idle after 60 s (state '${state:-none}')"
  say "cluster up: node $node ($hw), slurmctld on 127.0.0.1:$ctld_port, SLURM_CONF=$SLURM_CONF"
}
timed cluster start_cluster

# ---------------------------------------------------------------- waiting for jobs
# Polls the queue itself: `sbatch --wait` polls at 2, 8 and 32 s, which adds half a minute to every wait here.
wait_jobs() {  # wait_jobs CAP_S ID...: until the jobs leave the queue; fails unless every one (array task) COMPLETED
  local cap=$1 i states bad
  shift
  for ((i = 0; i < cap * 4; i++)); do
    [[ -z $(squeue -h -o %i -j "$(IFS=,; echo "$*")" 2>/dev/null) ]] && break
    sleep 0.25
  done
  [[ -z $(squeue -h -o %i -j "$(IFS=,; echo "$*")" 2>/dev/null) ]] || fail "jobs $* still queued after $cap s"
  # Finished jobs stay visible to scontrol for MinJobAge (300 s by default); no accounting needed. An array's id
  # shows every array task.
  states=$(for id in "$@"; do scontrol -o show job "$id"; done | grep -o 'JobState=[A-Z_]*' || true)
  bad=$(grep -vx 'JobState=COMPLETED' <<<"$states" | sort | uniq -c | xargs || true)
  [[ -n $states && -z $bad ]] || fail "jobs $* did not all complete: ${bad:-no job records}"
}

# ---------------------------------------------------------------- (i) sharded sweep + dependent dataset job
SWEEP=$ROOT/tests/engines/slurm_sweep.yaml
part_sweep() {
  local out=$TMP/work/slurm_sweep ref=$TMP/work/direct_sweep ids n
  # Under Slurm: 2 array tasks (one run at a time each), then the dataset job after them (afterok).
  ids=$(LRID=$LRID_BIN "$ROOT/scripts/slurm/submit_sweep.sh" "$SWEEP" "$out" --shards 2 --jobs 1) ||
    fail "submit_sweep.sh failed"
  # shellcheck disable=SC2086  # two ids
  wait_jobs 300 $ids
  say "sweep jobs $ids completed"
  [[ -f $out/dataset.h5 ]] || fail "the dataset job wrote no $out/dataset.h5"
  n=$(find "$out" -mindepth 2 -maxdepth 2 -name status.json | wc -l)
  [[ $n == 4 ]] || fail "expected 4 runs in $out, found $n"
  # Each array task ran its own shard (from its task id), not the whole sweep or the same shard twice.
  grep -qs "(shard 0/2): 2 finished" "$out"/slurm/sweep-*_0.out || fail "array task 0 did not run shard 0/2"
  grep -qs "(shard 1/2): 2 finished" "$out"/slurm/sweep-*_1.out || fail "array task 1 did not run shard 1/2"
  # Outside Slurm: the whole sweep in one process, then the dataset.
  "$LRID_BIN" sweep "$SWEEP" --out "$ref" --jobs 2 -q >"$TMP/work/direct_sweep.out" 2>&1 ||
    fail "lrid sweep outside Slurm failed (its output is above)"
  "$LRID_BIN" dataset build "$ref" -o "$ref/dataset.h5" >>"$TMP/work/direct_sweep.out" 2>&1 ||
    fail "lrid dataset build outside Slurm failed"
  "$PY" "$ROOT/tests/engines/compare_outputs.py" datasets "$out/dataset.h5" "$ref/dataset.h5" ||
    fail "the Slurm sweep's dataset differs from the direct one"
}
if has_part sweep; then timed sweep part_sweep; fi

# ---------------------------------------------------------------- (ii) data-parallel training, 2 ranks
# Quickstart cut to seconds; 1 thread per rank on both sides (a thread count can change reduction order).
DP_CONFIG=$ROOT/configs/quickstart.yaml
DP_SET=(data.parameters.train_limit=512 data.parameters.test_limit=200 schedule.parameters.epochs=1
  run.parameters.batch_size=64 run.parameters.threads=1 run.parameters.log_every=1 run.parameters.name=dp
  observables.parameters.probe_size=64 observables.parameters.points=5)
part_dp() {
  local slurm_run=$TMP/work/slurm_dp/dp direct_run=$TMP/work/direct_dp/dp
  mkdir -p "$TMP/work/slurm_dp" "$TMP/work/direct_dp"
  local id
  id=$(sbatch --parsable -n2 --cpus-per-task=1 --output="$TMP/work/slurm_dp/slurm-%j.out" \
    --export="ALL,LRID=$LRID_BIN" "$ROOT/scripts/slurm/train_dp.sbatch" "$DP_CONFIG" "$slurm_run" "${DP_SET[@]}") ||
    fail "sbatch train_dp.sbatch failed"
  wait_jobs 300 "${id%%;*}"
  "$LRID_BIN" train "$DP_CONFIG" "${DP_SET[@]}" -o "$direct_run" --nproc 2 >"$TMP/work/direct_dp.out" 2>&1 ||
    fail "lrid train --nproc 2 outside Slurm failed (its output is above)"
  "$PY" "$ROOT/tests/engines/compare_outputs.py" runs "$slurm_run" "$direct_run" ||
    fail "the Slurm data-parallel run differs from lrid train --nproc 2"
  # Equal results could also come from two separate 1-rank runs only by a floating-point accident; where the run
  # records its world size (status.json), it must say 2.
  local world
  world=$(grep -o '"world_size": *[0-9]*' "$slurm_run/status.json" | grep -o '[0-9]*$' || true)
  [[ -z $world || $world == 2 ]] || fail "the Slurm run trained with world size $world, not 2"
  [[ -n $world ]] || say "note: status.json records no world_size; the equality with --nproc 2 is the evidence"
}
if has_part dp; then timed dp part_dp; fi

say "PASS ($PARTS)"

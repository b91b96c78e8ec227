#!/usr/bin/env bash
# Submits an lrid sweep to Slurm as two jobs: an array job with one shard of the sweep per array task
# (sweep_array.sbatch), then the dataset job (build_dataset.sbatch) with --dependency=afterok on the whole array, so
# OUT/dataset.h5 appears once every shard has finished. Prints the two job ids.
#   scripts/slurm/submit_sweep.sh configs/sweeps/demo.yaml runs/demo --shards 8 --jobs 2 --partition=cpu
#   scripts/slurm/submit_sweep.sh SWEEP OUT [--shards N] [--jobs K] [--max-running M] [--wait] [sbatch options]
#     [-- key=value ...]
# --shards N  array tasks (default: one per run, at most 100); --jobs K  runs at a time per task (--cpus-per-task=K,
# default 1); --max-running M  at most M array tasks at once (--array=0-(N-1)%M); --wait  return when the dataset
# job ends: 0 when it built the dataset. Other options go to both sbatch calls (e.g. --partition, --account, --time;
# not --array: use --shards); overrides after -- apply to every run of the sweep.
# Environment: LRID (the lrid binary, on a filesystem the compute nodes see; default `lrid` on PATH, else this
# checkout's build/lrid). Slurm logs go to OUT/slurm/. Stdout: one line "ARRAY_JOB_ID DATASET_JOB_ID".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() {
  echo "usage: submit_sweep.sh SWEEP OUT [--shards N] [--jobs K] [--max-running M] [--wait] [sbatch options]" \
    "[-- key=value ...]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
sweep=$1 out=$2
shift 2
shards="" jobs=1 throttle="" wait=0 sbatch_args=() overrides=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --shards) [[ $# -ge 2 ]] || usage; shards=$2; shift 2 ;;
    --shards=*) shards=${1#*=}; shift ;;
    --jobs) [[ $# -ge 2 ]] || usage; jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#*=}; shift ;;
    --max-running) [[ $# -ge 2 ]] || usage; throttle=%$2; shift 2 ;;
    --max-running=*) throttle=%${1#*=}; shift ;;
    --wait) wait=1; shift ;;
    --) shift; overrides=("$@"); break ;;
    *) sbatch_args+=("$1"); shift ;;
  esac
done

lrid=${LRID:-$(command -v lrid || echo "$here/../../build/lrid")}
[[ -x $lrid ]] || { echo "submit_sweep: lrid binary '$lrid' not found (set LRID=/path/to/lrid)" >&2; exit 2; }
lrid=$(realpath "$lrid")
[[ -f $sweep ]] || { echo "submit_sweep: no sweep file '$sweep'" >&2; exit 2; }
sweep=$(realpath "$sweep")
mkdir -p "$out/slurm"
out=$(realpath "$out")

# Validates every run's configuration here, before anything is queued, and counts the runs.
runs=$("$lrid" sweep "$sweep" "${overrides[@]}" --dry-run | wc -l)
[[ -n $shards ]] || shards=$((runs < 100 ? runs : 100))
if ! [[ $shards =~ ^[1-9][0-9]*$ && $jobs =~ ^[1-9][0-9]*$ && $throttle =~ ^(%[1-9][0-9]*)?$ ]]; then
  echo "submit_sweep: --shards, --jobs and --max-running take positive integers" >&2
  exit 2
fi

array=$(sbatch --parsable --array="0-$((shards - 1))$throttle" --cpus-per-task="$jobs" \
  --output="$out/slurm/sweep-%A_%a.out" --export="ALL,LRID=$lrid,LRID_SHARDS=$shards" "${sbatch_args[@]}" \
  "$here/sweep_array.sbatch" "$sweep" "$out" "${overrides[@]}")
array=${array%%;*}
echo "submit_sweep: array job $array: $runs runs in $shards shard(s), $jobs at a time (logs: $out/slurm/)" >&2

dataset_args=(--dependency="afterok:$array" --kill-on-invalid-dep=yes --output="$out/slurm/dataset-%j.out"
  --export="ALL,LRID=$lrid" "${sbatch_args[@]}" "$here/build_dataset.sbatch" "$out")
if ((wait == 0)); then
  dataset=$(sbatch --parsable "${dataset_args[@]}")
  dataset=${dataset%%;*}
  echo "submit_sweep: dataset job $dataset (after the array succeeds) -> $out/dataset.h5" >&2
  echo "$array $dataset"
  exit 0
fi
# --wait: sbatch prints the id at once and returns when the job has left the queue. Its exit status is 0 for a job
# cancelled before it started (a failed shard: dependency never satisfied), so the job's state decides.
idfile=$out/slurm/.dataset_job.$$
sbatch --parsable --wait "${dataset_args[@]}" >"$idfile" &
waiter=$!
for _ in {1..600}; do [[ -s $idfile ]] || ! kill -0 "$waiter" 2>/dev/null && break; sleep 0.1; done
dataset=$(head -n 1 "$idfile")
dataset=${dataset%%;*}
[[ -n $dataset ]] || { echo "submit_sweep: sbatch of the dataset job failed" >&2; exit 1; }
echo "submit_sweep: dataset job $dataset (after the array succeeds) -> $out/dataset.h5; waiting" >&2
echo "$array $dataset"
wait "$waiter" || true
rm -f "$idfile"
state=$(scontrol -o show job "$dataset" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1)
state=${state#JobState=}
if [[ $state == COMPLETED || (-z $state && -f $out/dataset.h5) ]]; then
  echo "submit_sweep: dataset job $dataset completed: $out/dataset.h5" >&2
  exit 0
fi
echo "submit_sweep: dataset job $dataset ${state:-ended} without a dataset (a failed shard? see $out/slurm/)" >&2
exit 1

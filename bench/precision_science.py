#!/usr/bin/env python3
"""Science guard on long runs: does bf16 change what a run measures?

For each rule, three `lrid train` runs of configs/rules/<rule>.yaml (KNet on
Fashion-MNIST) that differ in one thing each:
  fp32          precision fp32, data_seed 0
  bf16          precision bf16, data_seed 0 (same initialisation and batches)
  fp32_order    precision fp32, data_seed 1 (another draw of the batches)
The memory format is the run's `auto`. Reported per rule: each run's status
(every rule must finish: a diverged run is a failure), test accuracy, and the
median relative difference of the final observables (every layer and
observable finite in both runs; |a - b| / max(|b|, 1e-6)) of bf16 against fp32
and of fp32_order against fp32.
Band: bf16's accuracy within --acc-band of fp32's, and its observables' median
relative difference at most --obs-margin x the data-order one (bf16 moves a
trajectory no more than another draw of the batches does). The short-run
version of this check is the test ComputeSettings.Bf16RunStaysWithinBandOfFp32ForEveryRule.

  $LRID_CACHE/venv/bin/python bench/precision_science.py [--epochs 3] [--jobs 2] [--out runs/precision]
Runs already finished in --out are reused (lrid train skips them).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = "sgdm,adam,fa,ia,sa,aa,wm,kp"
RUNS = {"fp32": ("fp32", 0), "bf16": ("bf16", 0), "fp32_order": ("fp32", 1)}


def train(binary, rule, run, out, epochs, threads, steps_per_epoch):
    precision, data_seed = RUNS[run]
    run_dir = out / rule / run
    cmd = [binary, "train", str(ROOT / "configs/rules" / f"{rule}.yaml"), "--quiet", "--out", str(run_dir),
           f"run.parameters.precision={precision}", f"run.parameters.data_seed={data_seed}",
           f"run.parameters.threads={threads}", f"schedule.parameters.epochs={epochs}"]
    if steps_per_epoch:
        cmd.append(f"data.parameters.train_limit={steps_per_epoch * 128}")
    # A diverged run exits non-zero; its status.json says so and is reported.
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return run_dir


def final_observables(run_dir):
    last, values = -1, {}
    with open(run_dir / "observables" / "full.csv") as f:
        for row in csv.DictReader(f):
            point = int(row["point"])
            if point > last:
                last, values = point, {}
            if point == last:
                values[(row["layer"], row["observable"])] = float(row["value"])
    return values


def median_relative_difference(a, b):
    rel = sorted(abs(a[k] - b[k]) / max(abs(b[k]), 1e-6) for k in b
                 if k in a and all(map(lambda v: v == v and abs(v) != float("inf"), (a[k], b[k]))))
    return rel[len(rel) // 2] if rel else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / "build/lrid"))
    ap.add_argument("--rules", default=RULES)
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--steps-per-epoch", type=int, default=0,
                    help="train on the first N x 128 images (default: all 60,000)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at once, threads split between them")
    ap.add_argument("--out", default=str(ROOT / "runs/precision"))
    ap.add_argument("--acc-band", type=float, default=0.02)
    ap.add_argument("--obs-margin", type=float, default=1.5)
    args = ap.parse_args()
    rules, out = args.rules.split(","), Path(args.out)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    with ThreadPoolExecutor(args.jobs) as pool:
        dirs = {(r, run): pool.submit(train, args.binary, r, run, out, args.epochs, threads, args.steps_per_epoch)
                for r in rules for run in RUNS}
        dirs = {k: f.result() for k, f in dirs.items()}
    print(f"KNet, Fashion-MNIST, configs/rules/<rule>.yaml, {args.epochs} epochs, memory format auto, "
          f"{args.jobs} runs at once x {threads} threads")
    print(f"{'rule':<5} {'status':<26} {'acc fp32':>8} {'bf16':>6} {'order':>6}  "
          f"{'obs: bf16 vs fp32':>17} {'order vs fp32':>13}  verdict")
    failures = 0
    for r in rules:
        status = {run: json.load(open(dirs[(r, run)] / "status.json")) for run in RUNS}
        acc = {run: status[run].get("test_accuracy", float("nan")) for run in RUNS}
        states = "/".join(status[run]["status"] for run in RUNS)
        if not all(status[run]["status"] == "finished" for run in RUNS):
            print(f"{r:<5} {states:<26} not stable")
            failures += 1
            continue
        obs = {run: final_observables(dirs[(r, run)]) for run in RUNS}
        d_prec = median_relative_difference(obs["bf16"], obs["fp32"])
        d_order = median_relative_difference(obs["fp32_order"], obs["fp32"])
        ok = abs(acc["bf16"] - acc["fp32"]) <= args.acc_band and d_prec <= args.obs_margin * d_order
        failures += not ok
        print(f"{r:<5} {states:<26} {acc['fp32']:8.4f} {acc['bf16']:6.4f} {acc['fp32_order']:6.4f}  "
              f"{d_prec:17.4f} {d_order:13.4f}  {'ok' if ok else 'OUTSIDE BAND'}", flush=True)
    print(f"band: |acc bf16 - fp32| <= {args.acc_band}, obs difference <= {args.obs_margin} x data order's")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

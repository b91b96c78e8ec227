#!/usr/bin/env python3
"""How long must runs be for the learning rules to differ? The pilot's measure.

Reads a dataset built from a pilot sweep (every rule on at least two seed
groups: configs/sweeps/pilot_long.yaml) and, per record point t, compares
  rule distance  d(A, B, t): the runs of rules A and B of the same seed group
  seed spread    s(A, t):    the runs of rule A of two different seed groups
where the distance between two runs at t is the median, over the layers both
recorded and the 24 admissible observables (science.md §3.7), of the
symmetric relative difference |a - b| / max((|a| + |b|) / 2, 1e-6). The
separation of a pair is d(A, B, t) / max(s(A, t), s(B, t)), averaged over seed
groups; a pair is "apart" from the first record point after which the
separation stays at least --factor (default 3). The W-B angles of the rules
with a B come from each run's alignment.csv (median over layers, in degrees).

  lrid sweep configs/sweeps/pilot_long.yaml --jobs 2 --out runs/pilot_long
  lrid dataset build runs/pilot_long --out runs/pilot_long/dataset.h5
  $LRID_CACHE/venv/bin/python bench/rule_distance_pilot.py runs/pilot_long/dataset.h5 [--runs runs/pilot_long]
Prints the tables (Markdown) that go into the long dataset's PROVENANCE.
"""
import argparse
import csv
import itertools
import pathlib
import sys

import h5py
import numpy as np

# observables/names.cpp admissible_observables(), in feature order.
ADMISSIBLE = [
    "weightabs_mean", "weightabs_median", "weightabs_norm", "weightabs_thirdquartile", "weightabs_var",
    "weightraw_mean", "weightraw_median", "weightraw_norm", "weightraw_thirdquartile", "weightraw_var",
    "weightsq_mean", "weightsq_median", "weightsq_thirdquartile",
    "actabs_mean", "actabs_median", "actabs_norm", "actabs_thirdquartile",
    "actraw_mean", "actraw_median", "actraw_norm", "actraw_thirdquartile",
    "gradavgabs_id", "gradavgraw_id", "gradavgsq_id"]
ORDER = ["sgdm", "adam", "fa", "ia", "sa", "aa", "wm", "kp"]


def strings(ds):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in ds[()]]


def load(path, condition):
    with h5py.File(path, "r") as f:
        keys = strings(f["obs_keys"])
        cols = [keys.index(k) for k in ADMISSIBLE]
        x = f["X"][()][:, :, cols].astype(np.float64)  # [N, T, 24]
        meta = {k: (strings(f["meta"][k]) if f["meta"][k].dtype.kind in "SOU" else list(f["meta"][k][()]))
                for k in f["meta"]}
        epochs = f["time_epochs"][()]
    runs = {}  # (rule, seed group, architecture, batch) -> {layer: [T, 24]}
    for i in range(x.shape[0]):
        if condition and "condition" in meta and meta["condition"][i] != condition:
            continue
        key = (meta["learning_rule"][i], (int(meta["model_seed"][i]), int(meta["dataset_seed"][i])),
               str(meta["architecture"][i]), int(meta["batch_size"][i]))
        runs.setdefault(key, {})[meta["layer"][i]] = x[i]
    return runs, epochs


def distance(a, b):
    """Median symmetric relative difference over shared layers and observables, per time point: [T]."""
    layers = sorted(set(a) & set(b))
    ra, rb = np.stack([a[l] for l in layers]), np.stack([b[l] for l in layers])  # [L, T, 24]
    rel = np.abs(ra - rb) / np.maximum((np.abs(ra) + np.abs(rb)) / 2, 1e-6)
    return np.nanmedian(rel.transpose(1, 0, 2).reshape(ra.shape[1], -1), axis=1)


def first_apart(sep, factor):
    """First time index from which sep stays >= factor (None: never)."""
    for t in range(len(sep)):
        if np.all(sep[t:] >= factor):
            return t
    return None


def rule_of(run_dir):
    lines = (run_dir / "config.yaml").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("rule:"):
            for nxt in lines[i + 1:]:
                if nxt.strip().startswith("type:"):
                    return nxt.split(":", 1)[1].strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("--runs", help="the sweep directory, for the W-B angles (alignment.csv)")
    ap.add_argument("--condition", default="full")
    ap.add_argument("--factor", type=float, default=3.0)
    args = ap.parse_args()
    runs, epochs = load(args.dataset, args.condition)
    rules = [r for r in ORDER if any(k[0] == r for k in runs)]
    settings = sorted({(k[2], k[3]) for k in runs})
    for arch, batch in settings:
        seeds = sorted({k[1] for k in runs if k[2] == arch and k[3] == batch})
        print(f"\n### {arch}, batch {batch}: {len(seeds)} seed groups, {len(epochs)} record points "
              f"(epochs {epochs[0]:.2f}..{epochs[-1]:.2f})\n")
        spread = {}
        for r in rules:
            pairs = [(runs[(r, a, arch, batch)], runs[(r, b, arch, batch)]) for a, b in itertools.combinations(seeds, 2)
                     if (r, a, arch, batch) in runs and (r, b, arch, batch) in runs]
            spread[r] = np.mean([distance(a, b) for a, b in pairs], axis=0) if pairs else None
        print("Seed spread s(A, t), at t = 1/4, 1/2 and the end:\n")
        q = [len(epochs) // 4, len(epochs) // 2, len(epochs) - 1]
        print("| rule | " + " | ".join(f"epoch {epochs[i]:.2f}" for i in q) + " |")
        print("|---|" + "---|" * len(q))
        for r in rules:
            if spread[r] is not None:
                print(f"| {r} | " + " | ".join(f"{spread[r][i]:.3f}" for i in q) + " |")
        print(f"\nRule pairs: distance at the end, separation (distance / larger seed spread) at 1/4, 1/2 and the "
              f"end, and the first epoch from which the separation stays >= {args.factor:g}:\n")
        print("| pair | distance (end) | " + " | ".join(f"sep. epoch {epochs[i]:.2f}" for i in q) + " | apart from |")
        print("|---|---|" + "---|" * len(q) + "---|")
        for a, b in itertools.combinations(rules, 2):
            ds = [distance(runs[(a, s, arch, batch)], runs[(b, s, arch, batch)]) for s in seeds
                  if (a, s, arch, batch) in runs and (b, s, arch, batch) in runs]
            if not ds or spread[a] is None or spread[b] is None:
                continue
            d = np.mean(ds, axis=0)
            sep = d / np.maximum(np.maximum(spread[a], spread[b]), 1e-12)
            t0 = first_apart(sep[1:], args.factor)  # point 0 is the shared initialisation
            apart = "never" if t0 is None else f"{epochs[t0 + 1]:.2f}"
            print(f"| {a}-{b} | {d[-1]:.3f} | " + " | ".join(f"{sep[i]:.1f}" for i in q) + f" | {apart} |")
    if args.runs:
        dirs = [p.parent for p in pathlib.Path(args.runs).rglob("alignment.csv")]
        by_rule = {}
        for d in dirs:
            r = rule_of(d)
            with open(d / "alignment.csv") as f:
                for row in csv.DictReader(f):
                    by_rule.setdefault(r, {}).setdefault(int(row["step"]), []).append(float(row["weight_angle"]))
        if by_rule:
            steps = sorted(set().union(*[set(v) for v in by_rule.values()]))
            pick = [s for s in steps if s in (steps[0], steps[len(steps) // 4], steps[len(steps) // 2], steps[-1])]
            print("\nW-B angle (degrees, median over layers and seed groups), alignment.csv:\n")
            print("| rule | " + " | ".join(f"step {s}" for s in pick) + " |")
            print("|---|" + "---|" * len(pick))
            for r in [r for r in ORDER if r in by_rule]:
                print(f"| {r} | " + " | ".join(
                    f"{np.median(by_rule[r][s]):.1f}" if s in by_rule[r] else "" for s in pick) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

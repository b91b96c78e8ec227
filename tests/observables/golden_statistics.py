#!/usr/bin/env python3
"""NumPy/SciPy reference for the observables' statistics (science.md §3.3-§3.6).

An implementation independent of lrid's: np.sort + the nearest-rank rule for the
percentiles, np.var, scipy.stats.kurtosis(fisher=False), and for unit
subsampling torch.randperm with lrid's documented seed mixing (splitmix64), so
subsets are checked too.

  --write         regenerate tests/golden/statistics.json (read by
                  tests/observables/statistics_test.cpp)
  --check LRID    draw fresh arrays of several shapes (ties, constants, single
                  units, subsampling), run `LRID stats` on each and compare
                  (run by ctest as observables_golden_python)
"""
import argparse
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import scipy.stats

FUNCTIONS = ("abs", "raw", "sq")
STATISTICS = ("kurtosis", "mean", "median", "norm", "skew", "thirdquartile", "var")
MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def mix_seed(h, v):
    return splitmix64(h ^ splitmix64(v))


ROLES = {"weight": 1, "act": 2, "post": 3, "pre": 4}


def kept_units(n, frac, seed, role):
    """The sorted kept indices: first ceil(frac*n) of a seeded torch permutation."""
    import torch
    if frac is None or frac >= 1.0:
        return np.arange(n)
    k = min(n, max(1, math.ceil(frac * n - 1e-9)))
    s = mix_seed(mix_seed(seed, ROLES[role]), n)
    g = torch.Generator().manual_seed(s if s < (1 << 63) else s - (1 << 64))
    return np.sort(torch.randperm(n, generator=g).numpy()[:k])


def percentile(v, q):
    a = np.sort(v)
    n = a.size
    r = int(np.round((n - 1) * (1.0 - q / 100.0)))  # np.round: half to even
    return a[n - 1 - r]


def stats(v):
    v = np.asarray(v, dtype=np.float64).ravel()
    mean = v.mean()
    med, q3 = percentile(v, 50), percentile(v, 75)
    norm = math.sqrt(float(np.sum(v * v)))
    if v.max() == v.min():
        return [math.nan, mean, med, norm, math.nan, q3, 0.0]
    var = v.var()
    return [scipy.stats.kurtosis(v, fisher=False, bias=True), mean, med, norm,
            3.0 * (mean - med) / math.sqrt(var), q3, var]


def fn(v, f):
    v = np.asarray(v, dtype=np.float64)
    return {"abs": np.abs(v), "raw": v, "sq": v * v}[f]


def reduce_samples(rows, reduction):
    rows = np.asarray(rows)
    if reduction == "mean":
        return rows.mean(axis=0)
    return np.array([percentile(rows[:, k], 50) for k in range(rows.shape[1])])


def weight_ref(w, frac=None, seed=0, norm_mode="frobenius"):
    flat = np.asarray(w, dtype=np.float64).ravel()
    flat = flat[kept_units(flat.size, frac, seed, "weight")]
    out = []
    for f in FUNCTIONS:
        s = stats(fn(flat, f))
        if norm_mode == "slice_mean" and (frac is None or frac >= 1.0):
            g = fn(np.asarray(w, dtype=np.float64), f)
            g = g.reshape(g.shape[0], -1) if g.ndim > 1 else g.reshape(-1, 1)
            s[3] = float(np.mean(np.sqrt(np.sum(g * g, axis=1))))
        out += s
    return out


def act_ref(a, frac=None, seed=0, reduction="mean"):
    a = np.asarray(a, dtype=np.float64)
    a = a.reshape(1, -1) if a.ndim <= 1 else a.reshape(a.shape[0], -1)
    a = a[:, kept_units(a.shape[1], frac, seed, "act")]
    rows = [[x for f in FUNCTIONS for x in stats(fn(row, f))] for row in a]
    return list(reduce_samples(rows, reduction))


def gradavg_ref(j, frac=None, seed=0, reduction="mean"):
    j = np.asarray(j, dtype=np.float64)
    if j.ndim == 2:
        j = j[None]
    post = kept_units(j.shape[1], frac, seed, "post")
    pre = kept_units(j.shape[2], frac, seed, "pre")
    vals = j[:, post][:, :, pre].sum(axis=(1, 2)) / post.size
    rows = np.stack([np.abs(vals), vals, vals * vals], axis=1)
    return list(reduce_samples(rows, reduction))


def names(measure):
    if measure == "gradavg":
        return [f"gradavg{f}_id" for f in FUNCTIONS]
    return [f"{measure}{f}_{s}" for f in FUNCTIONS for s in STATISTICS]


def cases(rng):
    """(label, measure, array, options) with ties, constants and single units."""
    ties = rng.integers(0, 4, size=(9, 11)).astype(np.float32)
    yield "weight_conv", "weight", rng.normal(0, 0.05, (4, 3, 5, 5)).astype(np.float32), {}
    yield "weight_dense_slice", "weight", rng.normal(0, 0.1, (7, 10)).astype(np.float32), {"norm": "slice_mean"}
    yield "weight_ties", "weight", ties, {}
    yield "weight_constant", "weight", np.full((3, 4), 0.25, np.float32), {}
    yield "weight_single", "weight", np.array([-0.5], np.float32), {}
    yield "weight_n2", "weight", np.array([1.0, 2.0], np.float32), {}
    yield "weight_n4", "weight", np.array([4.0, 1.0, 3.0, 2.0], np.float32), {}
    yield "weight_sub", "weight", rng.normal(0, 1, (300,)).astype(np.float32), {"frac": 0.1, "seed": 3}
    yield "act_relu", "act", np.maximum(rng.normal(0, 1, (16, 200)), 0).astype(np.float32), {}
    yield "act_signed", "act", rng.standard_t(5, (8, 101)).astype(np.float32), {}
    yield "act_ties", "act", ties, {}
    yield "act_median", "act", rng.normal(1, 2, (9, 30)).astype(np.float32), {"reduction": "median"}
    yield "act_single_unit", "act", rng.normal(0, 1, (5, 1)).astype(np.float32), {}
    yield "act_constant_row", "act", np.vstack([np.zeros((1, 6)), rng.normal(0, 1, (2, 6))]).astype(np.float32), {}
    yield "act_sub", "act", rng.normal(0, 1, (6, 500)).astype(np.float32), {"frac": 0.05, "seed": 0}
    yield "act_f64", "act", rng.normal(0, 1e3, (4, 50)), {}
    yield "gradavg_one", "gradavg", rng.normal(0, 1, (5, 6)).astype(np.float32), {}
    yield "gradavg_batch", "gradavg", rng.normal(0, 1, (4, 6, 7)).astype(np.float32), {}
    yield "gradavg_sub", "gradavg", rng.normal(0, 1, (3, 40, 50)).astype(np.float32), {"frac": 0.1, "seed": 2}


def reference(measure, a, o):
    if measure == "weight":
        return weight_ref(a, o.get("frac"), o.get("seed", 0), o.get("norm", "frobenius"))
    if measure == "act":
        return act_ref(a, o.get("frac"), o.get("seed", 0), o.get("reduction", "mean"))
    return gradavg_ref(a, o.get("frac"), o.get("seed", 0), o.get("reduction", "mean"))


def close(a, b):
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check(lrid, seed):
    rng = np.random.default_rng(seed)
    failures = 0
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for label, measure, a, o in cases(rng):
            path = pathlib.Path(tmp) / f"{label}.npy"
            np.save(path, a)
            cmd = [lrid, "stats", "--input", str(path), "--measure", measure, "--format", "json"]
            if "frac" in o:
                cmd += ["--subsample", repr(o["frac"])]
            if "seed" in o:
                cmd += ["--seed", str(o["seed"])]
            if "reduction" in o:
                cmd += ["--sample-reduction", o["reduction"]]
            if "norm" in o:
                cmd += ["--weight-norm", o["norm"]]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                print(f"FAIL {label}: lrid exited {out.returncode}: {out.stderr.strip()}")
                failures += 1
                continue
            got = json.loads(out.stdout)["observables"]
            for name, want in zip(names(measure), reference(measure, a, o)):
                count += 1
                if not close(got[name], float(want)):
                    print(f"FAIL {label} {name}: lrid {got[name]!r}, reference {want!r}")
                    failures += 1
    print(f"{count} values compared, {failures} failures")
    return failures == 0


def write(path):
    rng = np.random.default_rng(20201123)
    out = []
    for label, measure, a, o in cases(rng):
        vals = reference(measure, a, o)
        out.append({"label": label, "measure": measure, "options": o,
                    "shape": list(a.shape), "dtype": str(a.dtype),
                    "data": [float(x) for x in np.asarray(a).ravel()],
                    "names": names(measure),
                    "expected": [None if math.isnan(v) else float(v) for v in vals]})
    pathlib.Path(path).write_text(json.dumps({"cases": out}) + "\n")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", metavar="JSON")
    ap.add_argument("--check", metavar="LRID")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.write:
        write(args.write)
    if args.check:
        sys.exit(0 if check(args.check, args.seed) else 1)

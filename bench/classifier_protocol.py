#!/usr/bin/env python3
"""The whole classification protocol with the paper's random-forest grid
(max_features {sqrt, log2, all} x n_estimators {20, 50, 100, 500, 1000}, inner
stratified 5-fold search, refit, test) in lrid and in scikit-learn, on the same
seeded synthetic trajectory dataset and the same outer splits (read from lrid's
results.json), in one run. scikit-learn: GridSearchCV(RandomForestClassifier(
n_jobs=2), cv=StratifiedKFold(5)), fit on the same z-scored features.

  bench/classifier_protocol.py [--lrid build/lrid] [--splits 10] [--rows-per-rule 60]
"""
import json
import pathlib
import subprocess
import tempfile
import time

import h5py
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold

import bench_args

RULES = ["adam", "fa", "ia", "sgdm"]


def synthetic(rows_per_rule, seed=0, T=21, K=24):
    rng = np.random.default_rng(seed)
    n = rows_per_rule * len(RULES)
    X = rng.standard_normal((n, T, K)).astype(np.float32)
    y = np.array([RULES[i % 4] for i in range(n)])
    ramp = np.linspace(0, 1, T, dtype=np.float32)
    for i in range(n):
        X[i, :, 3] += 1.5 * (i % 4) * ramp
        X[i, :, 15] -= 1.0 * (i % 4) * ramp
    cat = np.zeros((n, T, 3), np.float32)
    cat[np.arange(n), :, np.arange(n) % 3] = 1
    return X, cat, y


def main():
    ap = bench_args.parser()
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--rows-per-rule", type=int, default=60)
    args = ap.parse_args()
    X, cat, y = synthetic(args.rows_per_rule)
    n, T, K = X.shape
    names = [f"obs{k}" for k in range(K)]
    with tempfile.TemporaryDirectory() as tmp:
        ds = pathlib.Path(tmp) / "bench.h5"
        with h5py.File(ds, "w") as f:
            f["X"], f["X_cat"], f["time_epochs"] = X, cat, np.arange(T, dtype=np.float64)
            f.create_dataset("Y", data=y.astype(object), dtype=h5py.string_dtype())
            f.create_dataset("obs_keys", data=np.array(names, dtype=object), dtype=h5py.string_dtype())
        out = pathlib.Path(tmp) / "res"
        t0 = time.perf_counter()
        subprocess.run([args.lrid, "classify", str(ds), "-c", "rf", "--grid", "paper", "--splits", str(args.splits),
                        "--observables", "every", "--jobs", "2", "--quiet", "-o", str(out)], check=True)
        ours_s = time.perf_counter() - t0
        res = json.loads((out / "results.json").read_text())
    flat = X.transpose(0, 2, 1).reshape(n, -1).astype(np.float64)  # observable-major
    onehot = cat[:, 0, :].astype(np.float64)
    grid = {"max_features": ["sqrt", "log2", None], "n_estimators": [20, 50, 100, 500, 1000]}
    accs = []
    t0 = time.perf_counter()
    for s, split in enumerate(res["splits"]):
        tr, te = np.array(split["train_rows"]), np.array(split["test_rows"])
        mu, sd = flat[tr].mean(0), np.maximum(flat[tr].std(0), 1e-5)
        A = np.hstack([onehot[tr], (flat[tr] - mu) / sd])
        B = np.hstack([onehot[te], (flat[te] - mu) / sd])
        gs = GridSearchCV(RandomForestClassifier(n_jobs=2, random_state=s), grid, cv=StratifiedKFold(5), n_jobs=1)
        gs.fit(A, y[tr])
        accs.append(np.mean(gs.predict(B) == y[te]))
    theirs_s = time.perf_counter() - t0
    print(f"protocol: {args.splits} splits, {n} rows, {3 + K * T} features, paper RF grid (15 configs x 5 folds)")
    print(f"  lrid         {ours_s:8.1f} s  accuracy {res['accuracy_mean']:.4f} ± {res['accuracy_sem']:.4f}")
    print(f"  scikit-learn {theirs_s:8.1f} s  accuracy {np.mean(accs):.4f} ± {np.std(accs, ddof=1) / np.sqrt(len(accs)):.4f}")
    print(f"  time ratio scikit-learn/lrid: {theirs_s / ours_s:.2f}x")


if __name__ == "__main__":
    main()

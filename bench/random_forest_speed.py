#!/usr/bin/env python3
"""lrid's random forest against scikit-learn's RandomForestClassifier, same data and split.

For each data set (make_classification 5000 x 200 with 4 classes, and digits) it
fits on a stratified 75% and predicts the other 25%, with n_estimators=100,
max_features='sqrt' and 2 threads on both sides, and prints fit and predict
seconds, accuracies and the ratio sklearn/lrid of fit+predict time.

Run: $LRID_CACHE/venv/bin/python bench/random_forest_speed.py [--bench build/lrid_rf_bench]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile
import time

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

ROOT = pathlib.Path(__file__).resolve().parent.parent


def datasets():
    x, y = make_classification(n_samples=5000, n_features=200, n_informative=20, n_redundant=10,
                               n_classes=4, random_state=0)
    yield "classification_5000x200", x, y
    digits = load_digits()
    yield "digits", digits.data, digits.target


def run_sklearn(x, y, train, test, n_estimators, n_jobs, repeats):
    best = None
    for _ in range(repeats):
        rf = RandomForestClassifier(n_estimators=n_estimators, max_features="sqrt", n_jobs=n_jobs, random_state=0)
        t0 = time.perf_counter()
        rf.fit(x[train], y[train])
        t1 = time.perf_counter()
        pred = rf.predict(x[test])
        t2 = time.perf_counter()
        r = {"fit_s": t1 - t0, "predict_s": t2 - t1, "accuracy": float((pred == y[test]).mean())}
        if best is None or r["fit_s"] + r["predict_s"] < best["fit_s"] + best["predict_s"]:
            best = r
    return best


def run_lrid(bench, csv, split, n_estimators, n_jobs, repeats):
    best = None
    for _ in range(repeats):
        out = subprocess.run([str(bench), "--data", str(csv), "--test", str(split), "--n-estimators",
                              str(n_estimators), "--max-features", "sqrt", "--n-jobs", str(n_jobs)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        if best is None or r["fit_s"] + r["predict_s"] < best["fit_s"] + best["predict_s"]:
            best = r
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default=str(ROOT / "build" / "lrid_rf_bench"))
    ap.add_argument("--n-estimators", type=int, default=100)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs per side")
    args = ap.parse_args()
    if not pathlib.Path(args.bench).exists():  # not in the default build: built here on demand
        subprocess.run(["cmake", "--build", str(pathlib.Path(args.bench).parent), "--target", "lrid_rf_bench"],
                       check=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, x, y in datasets():
            # Round-trip through the CSV text so both sides see identical numbers.
            csv = pathlib.Path(tmp) / f"{name}.csv"
            np.savetxt(csv, np.column_stack([y, x]), delimiter=",", fmt="%.17g")
            table = np.loadtxt(csv, delimiter=",")
            x, y = table[:, 1:], table[:, 0].astype(np.int64)
            train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=0)
            split = pathlib.Path(tmp) / f"{name}_test.csv"
            split.write_text(",".join(map(str, np.sort(test))) + "\n")
            sk = run_sklearn(x, y, train, test, args.n_estimators, args.n_jobs, args.repeats)
            ours = run_lrid(args.bench, csv, split, args.n_estimators, args.n_jobs, args.repeats)
            ratio = (sk["fit_s"] + sk["predict_s"]) / (ours["fit_s"] + ours["predict_s"])
            print(f"{name}: sklearn fit {sk['fit_s']:.3f}s predict {sk['predict_s']:.3f}s acc {sk['accuracy']:.4f} | "
                  f"lrid fit {ours['fit_s']:.3f}s predict {ours['predict_s']:.3f}s acc {ours['accuracy']:.4f} | "
                  f"sklearn/lrid {ratio:.2f}x")


if __name__ == "__main__":
    main()

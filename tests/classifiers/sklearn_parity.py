#!/usr/bin/env python3
"""Parity of `lrid classify` with scikit-learn on identical splits.

For scikit-learn's digits, wine and breast-cancer tables and a seeded synthetic
trajectory set, each written as an lrid trajectory dataset with h5py (tables:
T = 1, one observable per column, a zero one-hot), this runs
`lrid classify --splits 10` with fixed hyperparameters, reads the splits and
normalisation from its results.json, fits scikit-learn on exactly those rows
and features, and checks:
  random forest (100 trees, sqrt)  mean test accuracy within 1.5 points of RandomForestClassifier
  linear SVM (C = 1, no PCA)       within 1 point of LinearSVC
  Gini importances                 Spearman >= 0.9 with feature_importances_ (synthetic set)
It also checks that the dataset written by lrid's own writer opens in h5py
(via the synthetic set's round trip through `lrid classify`).

  sklearn_parity.py LRID [--quick]
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import scipy.stats
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.svm import LinearSVC


def write_dataset(path, X, y, names):
    """X [N, K] -> lrid layout with T = 1."""
    n, k = X.shape
    with h5py.File(path, "w") as f:
        f["X"] = X.reshape(n, 1, k).astype(np.float32)
        f["X_cat"] = np.zeros((n, 1, 3), np.float32)
        f.create_dataset("Y", data=np.array([f"c{int(v)}" for v in y], dtype=object), dtype=h5py.string_dtype())
        f.create_dataset("obs_keys", data=np.array(names, dtype=object), dtype=h5py.string_dtype())
        f["time_epochs"] = np.zeros(1)


def run_lrid(lrid, ds, out, classifier, sets):
    cmd = [lrid, "classify", str(ds), "-c", classifier, "--grid", "fast", "--splits", "10", "--observables", "every",
           "--group-by", "row", "--quiet", "--jobs", "2", "-o", str(out)]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads((out / "results.json").read_text())


def features(X, split):
    """The same matrix lrid fed its classifier: one-hot (zeros) then z-scored columns."""
    tr, te = np.array(split["train_rows"]), np.array(split["test_rows"])
    mu, sd = np.array(split["norm_mean"]), np.array(split["norm_std"])
    z = lambda rows: np.hstack([np.zeros((rows.size, 3)), (X[rows] - mu) / sd])
    return z(tr), z(te), tr, te


def main():
    lrid = sys.argv[1]
    rng = np.random.default_rng(0)
    Xs, ys = make_classification(n_samples=600, n_features=20, n_informative=5, n_redundant=0, n_classes=3,
                                 n_clusters_per_class=1, shuffle=False, random_state=3)
    tables = {
        "digits": load_digits(return_X_y=True),
        "wine": load_wine(return_X_y=True),
        "breast_cancer": load_breast_cancer(return_X_y=True),
        "synthetic": (Xs, ys),
    }
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for name, (X, y) in tables.items():
            X = X.astype(np.float32).astype(np.float64)
            names = [f"f{i}" for i in range(X.shape[1])]
            ds = tmp / f"{name}.h5"
            write_dataset(ds, X, y, names)
            labels = np.array([f"c{int(v)}" for v in y])
            # Random forest
            res = run_lrid(lrid, ds, tmp / f"{name}_rf", "rf", ["n_estimators=100", "max_features=sqrt"])
            classes = res["classes"]
            ours, theirs, imps = [], [], []
            for s, split in enumerate(res["splits"]):
                A, B, tr, te = features(X, split)
                rf = RandomForestClassifier(n_estimators=100, max_features="sqrt", random_state=s, n_jobs=2)
                rf.fit(A, labels[tr])
                theirs.append(np.mean(rf.predict(B) == labels[te]))
                ours.append(split["test_accuracy"])
                imps.append(rf.feature_importances_)
            d = 100 * (np.mean(ours) - np.mean(theirs))
            good = abs(d) <= 1.5
            ok &= good
            print(f"{name:14s} rf   lrid {100*np.mean(ours):6.2f}  sklearn {100*np.mean(theirs):6.2f}  diff {d:+.2f} pts  "
                  f"{'ok' if good else 'FAIL (> 1.5)'}")
            if name == "synthetic":
                rho = scipy.stats.spearmanr(res["feature_importance"][3:], np.mean(imps, axis=0)[3:]).correlation
                good = rho >= 0.9
                ok &= good
                print(f"{name:14s} rf   Gini importance Spearman {rho:.3f}  {'ok' if good else 'FAIL (< 0.9)'}")
            # Linear SVM
            res = run_lrid(lrid, ds, tmp / f"{name}_svm", "svm", ["C=1", "pca=none"])
            ours, theirs = [], []
            for s, split in enumerate(res["splits"]):
                A, B, tr, te = features(X, split)
                svm = LinearSVC(C=1.0, random_state=0, max_iter=1000)
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    svm.fit(A, labels[tr])
                theirs.append(np.mean(svm.predict(B) == labels[te]))
                ours.append(split["test_accuracy"])
            d = 100 * (np.mean(ours) - np.mean(theirs))
            good = abs(d) <= 1.0
            ok &= good
            print(f"{name:14s} svm  lrid {100*np.mean(ours):6.2f}  sklearn {100*np.mean(theirs):6.2f}  diff {d:+.2f} pts  "
                  f"{'ok' if good else 'FAIL (> 1.0)'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

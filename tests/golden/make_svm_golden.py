#!/usr/bin/env python3
"""Golden values for tests/classifiers/linear_svm_test.cpp and pca_test.cpp.

Writes compact fixtures under tests/golden/svm/:
  wine.csv, breast_cancer.csv   rows "label,f0,...,f{d-1}" (%.6g), the scikit-learn tables
  splits.json                   per table: ten stratified 75/25 splits (test row indices,
                                train = the rest) and scikit-learn LinearSVC test accuracy per
                                split for each C, after z-scoring with the training split's mean
                                and population std floored at 1e-5 (as the protocol does)
  small.json                    small well-conditioned problems (3 classes and 2 classes):
                                X, y, LinearSVC coef_/intercept_/decision_function at the
                                default tol 1e-4 and at a tight tol (the exact optimum)
  pca.json                      PCA(n_components=5, svd_solver="full") of a seeded random
                                matrix: X, mean_, components_, explained_variance_, transform(X)
Accuracies are computed from the %.6g-rounded tables the tests read, so both sides see
identical inputs. Regenerate with:
  /root/.cache/lrid/venv/bin/python tests/golden/make_svm_golden.py
"""
import io
import json
import pathlib

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

OUT = pathlib.Path(__file__).resolve().parent / "svm"
N_SPLITS = 10
C_VALUES = [1.0, 0.1, 50.0]
STD_FLOOR = 1e-5


def write_table(name, x, y):
    buf = io.StringIO()
    for label, row in zip(y, x):
        buf.write(",".join([str(int(label))] + ["%.6g" % v for v in row]) + "\n")
    (OUT / f"{name}.csv").write_text(buf.getvalue())
    data = np.loadtxt(io.StringIO(buf.getvalue()), delimiter=",")  # the rounded values
    return data[:, 1:], data[:, 0].astype(np.int64)


def zscore(train, test):
    mean = train.mean(axis=0)
    std = np.maximum(train.std(axis=0), STD_FLOOR)  # population std (ddof=0)
    return (train - mean) / std, (test - mean) / std


def table_case(name, loader):
    ds = loader()
    x, y = write_table(name, ds.data, ds.target)
    rows = np.arange(len(y))
    splits, acc = [], {repr(c): [] for c in C_VALUES}
    for seed in range(N_SPLITS):
        tr, te = train_test_split(rows, test_size=0.25, stratify=y, random_state=seed)
        te = np.sort(te)
        tr = np.setdiff1d(rows, te)
        splits.append(te.tolist())
        xtr, xte = zscore(x[tr], x[te])
        for c in C_VALUES:
            clf = LinearSVC(C=c, random_state=0).fit(xtr, y[tr])  # defaults: squared hinge, dual, tol 1e-4
            acc[repr(c)].append(float((clf.predict(xte) == y[te]).mean()))
    return {"num_classes": int(y.max()) + 1, "test_rows": splits, "accuracy": acc}


def small_case(num_classes, n_per_class, d, seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=1.5, size=(num_classes, d))
    x = np.concatenate([centres[k] + rng.normal(size=(n_per_class, d)) for k in range(num_classes)])
    y = np.repeat(np.arange(num_classes), n_per_class)
    perm = rng.permutation(len(y))
    x, y = np.round(x[perm], 6), y[perm]
    xq = np.round(rng.normal(scale=1.5, size=(10, d)), 6)
    case = {"x": x.tolist(), "y": y.tolist(), "x_query": xq.tolist()}
    for tag, kw in (("default", {}), ("tight", dict(tol=1e-12, max_iter=1_000_000))):
        clf = LinearSVC(C=1.0, random_state=0, **kw).fit(x, y)
        case[tag] = {"coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(),
                     "decision": clf.decision_function(xq).tolist(), "n_iter": int(clf.n_iter_)}
    return case


def pca_case():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(30, 8)) @ rng.normal(size=(8, 8))  # correlated columns
    x = np.round(x, 6)
    p = PCA(n_components=5, svd_solver="full").fit(x)
    return {"n_components": 5, "x": x.tolist(), "mean": p.mean_.tolist(), "components": p.components_.tolist(),
            "explained_variance": p.explained_variance_.tolist(), "transform": p.transform(x).tolist()}


def dump(name, obj):
    (OUT / name).write_text(json.dumps(obj, separators=(",", ":")) + "\n")


def main():
    OUT.mkdir(exist_ok=True)
    dump("splits.json", {"wine": table_case("wine", load_wine),
                         "breast_cancer": table_case("breast_cancer", load_breast_cancer)})
    dump("small.json", {"multiclass": small_case(3, 30, 4, 11), "binary": small_case(2, 40, 3, 12)})
    dump("pca.json", pca_case())
    s = json.loads((OUT / "splits.json").read_text())
    for t in s:
        print(t, {c: round(100 * float(np.mean(v)), 2) for c, v in s[t]["accuracy"].items()})


if __name__ == "__main__":
    main()

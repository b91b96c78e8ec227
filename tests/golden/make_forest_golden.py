#!/usr/bin/env python3
"""Golden data for tests/classifiers/random_forest_test.cpp, from scikit-learn.

Writes tests/golden/forest/:
  <table>.csv          header-less rows "label,f0,f1,..." (integers as integers, floats %.6g)
  <table>_splits.csv   ten stratified 75/25 splits, one line of sorted test row indices each
  sklearn.json         sklearn's test accuracy per split (RandomForestClassifier,
                       n_estimators=100, random_state=0) and, for the synthetic
                       set, feature_importances_ (n_estimators=200)
sklearn is fitted on the CSV text read back, so both sides see identical numbers.
Regenerate with: $LRID_CACHE/venv/bin/python tests/golden/make_forest_golden.py
"""
import io
import json
import pathlib

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedShuffleSplit

OUT = pathlib.Path(__file__).resolve().parent / "forest"


def fmt(v):
    return str(int(v)) if float(v).is_integer() else "%.6g" % v


def write_table(name, x, y):
    lines = [",".join([str(int(label))] + [fmt(v) for v in row]) for label, row in zip(y, x)]
    text = "\n".join(lines) + "\n"
    (OUT / f"{name}.csv").write_text(text)
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64)
    return table[:, 1:], table[:, 0].astype(np.int64)


def splits_for(name, y):
    sss = StratifiedShuffleSplit(n_splits=10, test_size=0.25, random_state=0)
    tests = [np.sort(test) for _, test in sss.split(np.zeros(len(y)), y)]
    (OUT / f"{name}_splits.csv").write_text("".join(",".join(map(str, t)) + "\n" for t in tests))
    return tests


def split_accuracies(x, y, tests, max_features):
    accs = []
    for test in tests:
        train = np.setdiff1d(np.arange(len(y)), test)
        rf = RandomForestClassifier(n_estimators=100, max_features=max_features, random_state=0)
        rf.fit(x[train], y[train])
        accs.append(float((rf.predict(x[test]) == y[test]).mean()))
    return accs


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    golden = {"sklearn_version": sklearn.__version__, "tables": {}}
    tables = {"digits": load_digits(), "wine": load_wine(), "breast_cancer": load_breast_cancer()}
    for name, bunch in tables.items():
        x, y = write_table(name, bunch.data, bunch.target)
        tests = splits_for(name, y)
        entry = {"rows": len(y), "features": x.shape[1], "classes": int(y.max()) + 1,
                 "accuracy_sqrt": split_accuracies(x, y, tests, "sqrt")}
        if name == "wine":
            entry["accuracy_all"] = split_accuracies(x, y, tests, None)
        golden["tables"][name] = entry
        print(name, {k: (np.mean(v) if isinstance(v, list) else v) for k, v in entry.items()})
    # Informative synthetic set: shuffle=False puts the 5 informative features first.
    # The other 15 become ever noisier copies of them (noise sd 1.6 .. 8.6), so the
    # importances are graded and their ranking is stable (sklearn against itself
    # over random_state 1-5: Spearman 0.95-0.99; with pure-noise columns it is
    # 0.82-0.93, the noise columns' order being chance), while the 5 informative
    # features keep the 5 largest importances.
    xs, ys = make_classification(n_samples=1000, n_features=20, n_informative=5, n_redundant=0,
                                 n_repeated=0, n_classes=3, shuffle=False, random_state=0)
    rng = np.random.RandomState(0)
    for k in range(15):
        xs[:, 5 + k] = xs[:, k % 5] + rng.randn(len(ys)) * (1.6 + 0.5 * k)
    xs, ys = write_table("synthetic", xs, ys)
    rf = RandomForestClassifier(n_estimators=200, max_features="sqrt", random_state=0).fit(xs, ys)
    golden["synthetic"] = {"informative": list(range(5)),
                           "feature_importances": [float(v) for v in rf.feature_importances_]}
    print("synthetic", np.round(rf.feature_importances_, 4))
    (OUT / "sklearn.json").write_text(json.dumps(golden, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Compares what lrid wrote under a job engine (Slurm, ...) with the same work done directly, for tests/engines/.

  python compare_outputs.py datasets A.h5 B.h5   # two `lrid dataset build` files
  python compare_outputs.py runs DIR_A DIR_B     # two run directories (metrics, observables, status, config)

Exits 0 when equal, else 1 with one line per difference (at most 20). Values must match exactly (NaN equals NaN):
the same binary on the same data is deterministic, so any numeric drift is a real difference. Left out are only the
things that legitimately differ between the two: wall and record times and throughputs, where the files lay
(dataset attribute `sources`, the folder part of meta/run_path), checkpoints and the run's log.
"""
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np

# Names of timing columns, status keys and dataset attributes: wall/record/train times and throughput.
TIMING = re.compile(r"(^|_)(time|wall)(_|$)|_s$|_per_s$|_s_sum$")
IGNORED_ATTRS = {"sources"}  # the directories given to `lrid dataset build`


def equal_arrays(a, b):
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def compare_datasets(path_a, path_b):
    import h5py

    problems = []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        names_a, names_b = [], []
        fa.visit(names_a.append)
        fb.visit(names_b.append)
        if sorted(names_a) != sorted(names_b):
            problems.append(f"objects differ: only in A {sorted(set(names_a) - set(names_b))}, "
                            f"only in B {sorted(set(names_b) - set(names_a))}")
        for name in ["/"] + sorted(set(names_a) & set(names_b)):
            oa, ob = fa[name], fb[name]
            keys_a = {k for k in oa.attrs if k not in IGNORED_ATTRS and not TIMING.search(k)}
            keys_b = {k for k in ob.attrs if k not in IGNORED_ATTRS and not TIMING.search(k)}
            if keys_a != keys_b:
                problems.append(f"{name}: attributes differ: {sorted(keys_a ^ keys_b)}")
            for k in sorted(keys_a & keys_b):
                if not equal_arrays(np.asarray(oa.attrs[k]), np.asarray(ob.attrs[k])):
                    problems.append(f"{name}: attribute {k}: {oa.attrs[k]!r} != {ob.attrs[k]!r}")
            if not isinstance(oa, h5py.Dataset):
                continue
            va, vb = oa[()], ob[()]
            if name == "meta/run_path":  # sweep dir / run name: the runs must match, not where they lay
                va = np.array([Path(p.decode()).name for p in va], dtype=object)
                vb = np.array([Path(p.decode()).name for p in vb], dtype=object)
            va, vb = np.asarray(va), np.asarray(vb)
            if not equal_arrays(va, vb):
                where = "shape/dtype" if va.shape != vb.shape or va.dtype.kind != vb.dtype.kind else \
                    f"{int(np.sum(~((va == vb) | ((va != va) & (vb != vb)))))} values"
                problems.append(f"{name}: {where} differ ({va.shape} {va.dtype} vs {vb.shape} {vb.dtype})")
        if "X" in fa and "X" in fb:
            print(f"datasets: X {fa['X'].shape} in both", file=sys.stderr)
    return problems


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return [], []
    keep = [i for i, c in enumerate(rows[0]) if not TIMING.search(c)]
    return [rows[0][i] for i in keep], [[r[i] if i < len(r) else None for i in keep] for r in rows[1:]]


def compare_runs(dir_a, dir_b):
    problems = []
    a, b = Path(dir_a), Path(dir_b)
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}

    def wanted(p):
        return p.parts[0] not in ("checkpoints",) and p.suffix in (".csv", ".json", ".yaml")

    fa = {p for p in files_a if wanted(p)}
    fb = {p for p in files_b if wanted(p)}
    if fa != fb:
        problems.append(f"files differ: only in A {sorted(map(str, fa - fb))}, only in B {sorted(map(str, fb - fa))}")
    if not any(p.suffix == ".csv" and p.parts[0] == "observables" for p in fa & fb):
        problems.append(f"no observable streams in {a} and {b}")
    for p in sorted(fa & fb):
        pa, pb = a / p, b / p
        if p.suffix == ".csv":
            (ha, ra), (hb, rb) = read_csv(pa), read_csv(pb)
            if ha != hb:
                problems.append(f"{p}: columns differ: {ha} vs {hb}")
            elif len(ra) != len(rb):
                problems.append(f"{p}: {len(ra)} vs {len(rb)} rows")
            else:
                bad = [i for i, (x, y) in enumerate(zip(ra, rb)) if x != y]
                if bad:
                    problems.append(f"{p}: {len(bad)} of {len(ra)} rows differ, first: {ra[bad[0]]} vs {rb[bad[0]]}")
        elif p.suffix == ".json":
            ja, jb = json.loads(pa.read_text()), json.loads(pb.read_text())
            if isinstance(ja, dict) and isinstance(jb, dict):
                ja = {k: v for k, v in ja.items() if not TIMING.search(k)}
                jb = {k: v for k, v in jb.items() if not TIMING.search(k)}
            if ja != jb:
                keys = sorted(k for k in set(ja) | set(jb) if ja.get(k) != jb.get(k)) if isinstance(ja, dict) else []
                problems.append(f"{p}: contents differ {keys}")
        elif pa.read_bytes() != pb.read_bytes():
            problems.append(f"{p}: contents differ")
    print(f"runs: compared {len(fa & fb)} files", file=sys.stderr)
    return problems


def main(argv):
    if len(argv) != 4 or argv[1] not in ("datasets", "runs"):
        print(__doc__, file=sys.stderr)
        return 2
    problems = (compare_datasets if argv[1] == "datasets" else compare_runs)(argv[2], argv[3])
    for line in problems[:20]:
        print(f"  {line}", file=sys.stderr)
    if problems:
        print(f"{argv[1]} differ: {argv[2]} vs {argv[3]} ({len(problems)} differences)", file=sys.stderr)
        return 1
    print(f"{argv[1]} equal: {argv[2]} and {argv[3]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

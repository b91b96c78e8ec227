#!/usr/bin/env python3
"""Speed of one layer's statistics: lrid's kernel against the same statistics
written with PyTorch ops in Python (double precision, kthvalue for the
percentiles, the nearest-rank rule), on the same tensors, in one run.

  bench/statistics_speed.py [--lrid build/lrid] [--repeat 20] [--threads 2]

Cases: `act` on a KNet conv1 probe chunk [256, 32*28*28] (pre-ReLU, signed) and
on a ReLU layer [256, 64*7*7]; `weight` on a ResNet-18 block kernel
[256, 256, 3, 3]. lrid's time comes from `lrid stats --repeat` (the
statistics only, without reading the file); both sides use float32 input.
"""
import pathlib
import re
import subprocess
import tempfile
import time

import numpy as np
import torch

import bench_args


def pct_index(n, q):
    return n - 1 - int(round((n - 1) * (1 - q / 100.0)))  # Python round: half to even


def torch_stats(v):
    """v [R, n] -> [R, 21]: abs, raw, sq x (kurtosis, mean, median, norm, skew, q3, var)."""
    v = v.double()
    n = v.shape[1]
    out = []
    for f in (v.abs(), v, v * v):
        mean = f.mean(1)
        d = f - mean[:, None]
        d2 = d * d
        var = d2.mean(1)
        kurt = (d2 * d2).mean(1) / (var * var)
        norm = (f * f).sum(1).sqrt()
        med = f.kthvalue(pct_index(n, 50) + 1, 1).values
        q3 = f.kthvalue(pct_index(n, 75) + 1, 1).values
        skew = 3 * (mean - med) / var.sqrt()
        out += [kurt, mean, med, norm, skew, q3, var]
    return torch.stack(out, 1)


def python_measure(a, measure):
    t = torch.from_numpy(a)
    if measure == "weight":
        return torch_stats(t.reshape(1, -1))[0]
    return torch_stats(t.reshape(t.shape[0], -1)).mean(0)


def main():
    ap = bench_args.parser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    cases = [
        ("act", "KNet conv1 [256, 25088], signed", rng.standard_normal((256, 32 * 28 * 28)).astype(np.float32)),
        ("act", "ReLU layer [256, 3136]", np.maximum(rng.standard_normal((256, 64 * 7 * 7)), 0).astype(np.float32)),
        ("weight", "ResNet kernel [256, 256, 3, 3]", (0.03 * rng.standard_normal((256, 256, 3, 3))).astype(np.float32)),
    ]
    print(f"{'case':<34} {'lrid ms':>9} {'PyTorch ms':>11} {'PyTorch/lrid':>13} {'max rel diff':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for measure, label, a in cases:
            path = pathlib.Path(tmp) / "a.npy"
            np.save(path, a)
            env = {"OMP_NUM_THREADS": str(args.threads), "PATH": "/usr/bin:/bin"}
            r = subprocess.run([args.lrid, "stats", "-i", str(path), "-m", measure, "--repeat", str(args.repeat)],
                               capture_output=True, text=True, env=env, check=True)
            ours = float(re.search(r"([0-9.]+) ms per call", r.stderr).group(1))
            got = np.array([float(line.split(",")[1]) for line in r.stdout.strip().splitlines()[1:]])
            python_measure(a, measure)  # warm-up
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                ref = python_measure(a, measure)
            peer = (time.perf_counter() - t0) / args.repeat * 1e3
            ref = ref.numpy()
            rel = np.nanmax(np.abs(got - ref) / np.maximum(1.0, np.abs(ref)))
            print(f"{label:<34} {ours:>9.2f} {peer:>11.2f} {peer / ours:>12.2f}x {rel:>13.1e}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cochleagram throughput: lrid (LibTorch FFT, float32) against NumPy/SciPy, same clips.

64 seeded clips of 1 s at 20 kHz (a chirp, a tone and noise each), default
options (50 filters, 200 Hz envelopes). Three implementations, in one run:
  - lrid: build/lrid_cochleagram_bench on the CPU, --threads (default 2), and
    on one thread;
  - NumPy reference: tests/audio/cochleagram_reference.py, float64, one clip and
    one filter at a time as pycochleagram does (NumPy's FFT is single-threaded);
  - SciPy batched: the same definition with scipy.fft over all filters of a
    clip at once, float64, workers=--threads.
Filterbanks are built once, outside the timing, on every side. The sides run
in turn, --repeats times (a shared machine's load then falls on all of them).
Prints seconds of audio per second for each (best run) and the ratios, and
the largest difference of each from the NumPy reference.

Run: $LRID_CACHE/venv/bin/python bench/cochleagram_speed.py [--bench build/lrid_cochleagram_bench]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.fft

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "audio"))
import cochleagram_reference as ref  # noqa: E402


def clips(count, n, sample_rate, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([ref.mixture(rng, n, sample_rate, (rng.uniform(50, 500), rng.uniform(2000, 8000), 0.2),
                                 [(rng.uniform(100, 7000), 0.2)], 0.03) for _ in range(count)])


def scipy_batched(x, o, filters, workers):
    """All filters of a clip in one scipy.fft call: [B, N] -> [B, n, N / D]."""
    n = x.shape[1]
    d = o["sample_rate"] // o["envelope_rate"]
    gain = np.full(n // 2 + 1, 2.0)
    gain[0] = 1.0
    if n % 2 == 0:
        gain[-1] = 1.0
    analytic = filters * gain  # [n_filters, N/2+1]
    w = ref.hann_window(d)
    out = np.empty((x.shape[0], filters.shape[0], n // d))
    for b, row in enumerate(x.astype(np.float64)):
        spectrum = scipy.fft.rfft(row, workers=workers)
        envelope = np.abs(scipy.fft.ifft(analytic * spectrum, n=n, axis=-1, workers=workers))
        padded = np.pad(envelope, ((0, 0), (d, d)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * d + 1, axis=-1)[:, ::d]
        out[b] = windows @ w
    return np.maximum(out, o["floor"]) ** o["power"]


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def run_lrid(bench, raw, out, clips, n, threads):
    """lrid's time for one cochleagram of all clips (after an untimed first call) and its output."""
    run = subprocess.run([bench, "--input", str(raw), "--batch", str(clips), "--samples", str(n),
                          "--threads", str(threads), "--repeat", "1", "--output", str(out)],
                         check=True, capture_output=True, text=True)
    return json.loads(run.stdout)["seconds"], np.load(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default=str(ROOT / "build" / "lrid_cochleagram_bench"))
    ap.add_argument("--clips", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=1.0, help="clip length")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs per side")
    args = ap.parse_args()
    if not pathlib.Path(args.bench).exists():  # not in the default build: built here on demand
        subprocess.run(["cmake", "--build", str(pathlib.Path(args.bench).parent), "--target",
                        "lrid_cochleagram_bench"], check=True)
    o = ref.DEFAULTS
    n = int(round(args.seconds * o["sample_rate"]))
    x = clips(args.clips, n, o["sample_rate"])
    audio_s = args.clips * n / o["sample_rate"]
    filters = ref.band_filters(n, o)

    names = [f"lrid (LibTorch, float32, {args.threads} threads)", "lrid (LibTorch, float32, 1 thread)",
             "NumPy reference (float64, per filter)", f"SciPy batched (float64, workers={args.threads})"]
    best = {name: (float("inf"), None) for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = pathlib.Path(tmp) / "clips.f32", pathlib.Path(tmp) / "out.npy"
        x.astype("<f4").tofile(raw)
        runs = list(zip(names, [
            lambda: run_lrid(args.bench, raw, out, args.clips, n, args.threads),
            lambda: run_lrid(args.bench, raw, out, args.clips, n, 1),
            lambda: timed(lambda: np.stack([ref.cochleagram(row, o, filters) for row in x])),
            lambda: timed(lambda: scipy_batched(x, o, filters, args.threads))]))
        # Interleaved repeats: on a shared machine every side sees the same load.
        for _ in range(args.repeats):
            for name, run in runs:
                seconds, result = run()
                if seconds < best[name][0]:
                    best[name] = (seconds, result)
    print(f"{args.clips} clips x {args.seconds:g} s at {o['sample_rate']} Hz ({audio_s:g} s of audio), "
          f"{o['num_filters']} filters, {o['envelope_rate']} Hz envelopes; best of {args.repeats}")
    reference = best[names[2]][1]
    for name, (seconds, result) in best.items():
        err = float(np.max(np.abs(result - reference)))
        print(f"  {name:40s} {seconds:8.3f} s  {audio_s / seconds:9.1f} audio s/s  max |diff| {err:.1e}")
    lrid_s, numpy_s, scipy_s = best[names[0]][0], best[names[2]][0], best[names[3]][0]
    print(f"  ratio (their time / lrid's, {args.threads} threads): NumPy reference {numpy_s / lrid_s:.2f}x, "
          f"SciPy batched {scipy_s / lrid_s:.2f}x")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""NumPy reference for lrid's cochleagram (audio/cochleagram.h), float64.

Written from the definition alone (pycochleagram's make_erb_cos_filters_nx with
sample_factor 1, without its edge filters), not from the C++: ERB-spaced
half-cosine band filters on the rfft grid, analytic subbands by np.fft.ifft,
Hilbert envelopes, a strided Hann-window average and power compression.

  --write DIR     regenerate the golden files in DIR (tests/audio/golden/, read by
                  tests/audio/cochleagram_test.cpp; layout in DIR/README.md)
  --check BENCH   draw fresh waveforms (other seeds, lengths, an odd length, other
                  options), run `BENCH --output` (build/lrid_cochleagram_bench) on
                  them and compare; run by ctest as audio_cochleagram_python

The C++ computes in float32: the check allows 1e-4 absolute after compression.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

DEFAULTS = {"sample_rate": 20000, "num_filters": 50, "low_hz": 20.0, "high_hz": 8000.0,
            "envelope_rate": 200, "power": 0.3, "floor": 1e-8}
# The second golden option set: another sample rate, fewer filters, a faster envelope.
CUSTOM = {"sample_rate": 16000, "num_filters": 20, "low_hz": 50.0, "high_hz": 7000.0,
          "envelope_rate": 400, "power": 0.5, "floor": 1e-6}
TOLERANCE = 1e-4


def erb_number(f):
    """Glasberg & Moore's ERB-number scale."""
    return 9.265 * np.log(1 + np.asarray(f, dtype=np.float64) / (24.7 * 9.265))


def erb_to_hz(e):
    return 24.7 * 9.265 * (np.exp(np.asarray(e, dtype=np.float64) / 9.265) - 1)


def cutoffs(o):
    """The num_filters + 2 cutoff frequencies, equally spaced on the ERB scale."""
    return erb_to_hz(np.linspace(erb_number(o["low_hz"]), erb_number(o["high_hz"]), o["num_filters"] + 2))


def centre_frequencies(o):
    return cutoffs(o)[1:-1]


def band_filters(n_samples, o):
    """[num_filters, n_samples // 2 + 1]: filter k is a half-cosine on the ERB axis over (c_k, c_{k+2})."""
    c = cutoffs(o)
    freqs = np.arange(n_samples // 2 + 1) * o["sample_rate"] / n_samples
    filters = np.zeros((o["num_filters"], freqs.size))
    for k in range(o["num_filters"]):
        lo, hi = c[k], c[k + 2]
        mid = (erb_number(lo) + erb_number(hi)) / 2
        width = erb_number(hi) - erb_number(lo)
        for j, f in enumerate(freqs):
            if lo < f < hi:
                filters[k, j] = np.cos(np.pi * (erb_number(f) - mid) / width)
    return filters


def hann_window(d):
    """2D+1 taps, w[i] = 0.5 - 0.5 cos(2 pi (i + 1) / (2D + 2)), normalised to sum 1."""
    i = np.arange(2 * d + 1)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * (i + 1) / (2 * d + 2))
    return w / w.sum()


def cochleagram(x, o, filters=None):
    """x: [N] -> [num_filters, N / D], float64. `filters`: band_filters(N, o), when already built."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    d = o["sample_rate"] // o["envelope_rate"]
    assert n % d == 0
    spectrum = np.fft.rfft(x)
    # Analytic signal: positive frequencies doubled, DC (and Nyquist for even N) once.
    gain = np.full(spectrum.size, 2.0)
    gain[0] = 1.0
    if n % 2 == 0:
        gain[-1] = 1.0
    if filters is None:
        filters = band_filters(n, o)
    w = hann_window(d)
    out = np.empty((o["num_filters"], n // d))
    for k in range(o["num_filters"]):
        full = np.zeros(n, dtype=np.complex128)
        full[:spectrum.size] = gain * filters[k] * spectrum
        envelope = np.abs(np.fft.ifft(full))
        padded = np.concatenate([np.zeros(d), envelope, np.zeros(d)])
        # Output m averages envelope samples m*D - D .. m*D + D: padded[m*D : m*D + 2D + 1].
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * d + 1)[::d]
        out[k] = windows[: n // d] @ w
    return np.maximum(out, o["floor"]) ** o["power"]


def mixture(rng, n, sample_rate, chirp, tones, noise, click=None):
    """A chirp (f0 -> f1 Hz, amplitude), tones [(Hz, amplitude)], white noise and an optional click."""
    t = np.arange(n) / sample_rate
    f0, f1, amp = chirp
    duration = n / sample_rate
    x = amp * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * duration)))
    for hz, a in tones:
        x += a * np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi))
    x += noise * rng.standard_normal(n)
    if click is not None:
        x[click] += 0.5
    return x.astype(np.float32)


def golden_waveforms():
    """[2, 4000] float32: 0.2 s at 20 kHz (read at 16 kHz by the custom case: 0.25 s)."""
    rng = np.random.default_rng(20240601)
    n = 4000
    return np.stack([
        mixture(rng, n, 20000, (100, 6000, 0.3), [(440, 0.2), (2500, 0.1)], 0.02),
        mixture(rng, n, 20000, (3000, 200, 0.2), [(150, 0.3), (5000, 0.05)], 0.05, click=2000),
    ])


def write(folder):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x = golden_waveforms()
    np.save(folder / "waveforms.npy", x)
    for name, o in (("default", DEFAULTS), ("custom", CUSTOM)):
        np.save(folder / f"cochleagram_{name}.npy", np.stack([cochleagram(row, o) for row in x]))
        np.save(folder / f"centre_hz_{name}.npy", centre_frequencies(o))
    np.save(folder / "filters_default_n200.npy", band_filters(200, DEFAULTS))
    np.save(folder / "filters_custom_n201.npy", band_filters(201, CUSTOM))
    print(f"wrote the cochleagram goldens to {folder}")


def bench_flags(o):
    return ["--sample-rate", str(o["sample_rate"]), "--num-filters", str(o["num_filters"]),
            "--low-hz", repr(o["low_hz"]), "--high-hz", repr(o["high_hz"]),
            "--envelope-rate", str(o["envelope_rate"]), "--power", repr(o["power"]), "--floor", repr(o["floor"])]


def check_cases(rng):
    """(label, options, waveforms [B, N]) with fresh signals."""
    odd = {"sample_rate": 22050, "num_filters": 38, "low_hz": 0.0, "high_hz": 11025.0,
           "envelope_rate": 450, "power": 1.0, "floor": 1e-10}
    yield "defaults_3x0.5s", DEFAULTS, np.stack([
        mixture(rng, 10000, 20000, (50, 7000, 0.2), [(rng.uniform(100, 7000), 0.2)], 0.03) for _ in range(3)])
    yield "custom_16k_2x4040", CUSTOM, np.stack([
        mixture(rng, 4040, 16000, (7000, 100, 0.4), [(1000, 0.1)], 0.01, click=100) for _ in range(2)])
    yield "odd_length_2989_to_nyquist", odd, mixture(rng, 2989, 22050, (20, 11000, 0.5), [], 0.1)[None]


def check(bench, seed):
    rng = np.random.default_rng(seed)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for label, o, x in check_cases(rng):
            raw, out = pathlib.Path(tmp) / f"{label}.f32", pathlib.Path(tmp) / f"{label}.npy"
            x.astype("<f4").tofile(raw)
            cmd = [bench, "--input", str(raw), "--batch", str(x.shape[0]), "--samples", str(x.shape[1]),
                   "--output", str(out)] + bench_flags(o)
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"FAIL {label}: {bench} exited {run.returncode}: {run.stderr.strip()}")
                ok = False
                continue
            got = np.load(out)
            want = np.stack([cochleagram(row, o) for row in x])
            err = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
            status = "ok" if err < TOLERANCE else "FAIL"
            ok &= err < TOLERANCE
            print(f"{status} {label}: shape {list(got.shape)}, max abs error {err:.2e} (tolerance {TOLERANCE})")
    return ok


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", metavar="DIR")
    ap.add_argument("--check", metavar="BENCH")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    if args.write:
        write(args.write)
    if args.check:
        sys.exit(0 if check(args.check, args.seed) else 1)

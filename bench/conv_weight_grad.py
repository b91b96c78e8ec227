#!/usr/bin/env python3
"""Convolution weight gradients: oneDNN's (what torch and lrid use by default)
against the tap GEMM that lrid uses for small output maps
(rules/tap_weight_grad.{h,cpp}), per conv layer of a model, ms per call.

The tap GEMM is written here in PyTorch ops with the same algorithm and the
same GEMM as the C++ (rows(v)^T x cols(u) over the taps that reach the input),
so that the threshold in `tap_weight_grad_applies` can be re-derived on
another CPU: the layers where "taps" wins are those the rule should select.
The error column checks the prototype against oneDNN's result.

  $LRID_CACHE/venv/bin/python bench/conv_weight_grad.py [--models resnet18,knet] [--threads 2] [--batch 128]
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn as nn

from train_throughput import build


def med(fn, reps=7):
    """Median ms of `reps` calls after one warm-up call."""
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(1e3 * (time.perf_counter() - t))
    return statistics.median(ts)


def valid_range(out, inn, k_off, s, p):
    """Output positions o in [lo, hi) with 0 <= o*s - p + k_off < inn."""
    lo = max(0, -(-(p - k_off) // s))  # ceil((p - k_off) / s)
    hi = min(out, (inn - 1 + p - k_off) // s + 1) if inn - 1 + p - k_off >= 0 else 0
    return lo, max(lo, hi)


def tap_wg(x, g, kshape, s, p, d):
    """WG(x, g) as rules/tap_weight_grad.cpp computes it: [C_out, C_in, kh, kw], channels-last strides."""
    n, c, h, w = x.shape
    o, ho, wo = g.shape[1], g.shape[2], g.shape[3]
    kh, kw = kshape
    xl = x.permute(0, 2, 3, 1)  # [N, H, W, C], a view
    taps = []
    for i in range(kh):
        h0, h1 = valid_range(ho, h, i * d, s, p)
        if h1 <= h0:
            continue
        for j in range(kw):
            w0, w1 = valid_range(wo, w, j * d, s, p)
            if w1 > w0:
                taps.append((i, j, h0, h1, w0, w1))
    cols = x.new_zeros((n, ho, wo, len(taps), c))
    for t, (i, j, h0, h1, w0, w1) in enumerate(taps):
        hs, ws = h0 * s - p + i * d, w0 * s - p + j * d
        cols[:, h0:h1, w0:w1, t, :] = xl[:, hs:hs + (h1 - h0 - 1) * s + 1:s, ws:ws + (w1 - w0 - 1) * s + 1:s, :]
    rows = g.permute(0, 2, 3, 1).reshape(n * ho * wo, o)
    r = rows.t() @ cols.view(n * ho * wo, len(taps) * c)  # [C_out, T*C_in]
    if len(taps) == kh * kw:
        return r.view(o, kh, kw, c).permute(0, 3, 1, 2)
    out = x.new_zeros((o, kh, kw, c))
    r = r.view(o, len(taps), c)
    for t, (i, j, *_) in enumerate(taps):
        out[:, i, j, :] = r[:, t, :]
    return out.permute(0, 3, 1, 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="resnet18,knet")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cl = torch.channels_last
    print(f"threads {args.threads}, batch {args.batch}, 28x28x1 inputs, channels-last, ms per call (median of 7)")
    for arch in args.models.split(","):
        model = build(arch).eval()
        shapes = []
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.register_forward_hook(lambda mod, i, o: shapes.append((mod, i[0].shape, o.shape)))
        with torch.no_grad():
            model(torch.zeros(args.batch, 1, 28, 28))
        for dt in (torch.bfloat16, torch.float32):
            tot = [0.0, 0.0]
            for mod, ish, osh in shapes:
                w = mod.weight.detach().to(dt).contiguous(memory_format=cl)
                x = torch.randn(ish).to(dt).contiguous(memory_format=cl)
                g = torch.randn(osh).to(dt).contiguous(memory_format=cl)
                geo = (list(mod.stride), list(mod.padding), list(mod.dilation), False, [0, 0], mod.groups)
                onednn = lambda: torch.ops.aten.convolution_backward(g, x, w, None, *geo, [False, True, False])
                taps = lambda: tap_wg(x, g, mod.kernel_size, mod.stride[0], mod.padding[0], mod.dilation[0])
                ref, alt = onednn()[1].double(), taps().double()
                err = ((ref - alt).norm() / ref.norm()).item()
                a, b = med(onednn), med(taps)
                tot[0] += a
                tot[1] += min(a, b)
                print(f"{arch} {str(dt)[6:]:>8} {str(tuple(ish)):>18}->{str(tuple(osh)):>18} k{mod.kernel_size[0]} "
                      f"s{mod.stride[0]} p{mod.padding[0]}: onednn {a:6.2f} taps {b:6.2f} ({a / b:4.1f}x) err {err:.0e}",
                      flush=True)
            print(f"{arch} {dt}: all layers on oneDNN {tot[0]:.1f} ms, each layer's faster one {tot[1]:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())

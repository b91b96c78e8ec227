#!/usr/bin/env python3
"""Time per training step of each learning rule against its arithmetic minimum.

`lrid train` on the same synthetic 28x28x1 data, batch 128, same thread count,
per model and precision; each rule is run `--repeats` times, interleaved, and
its ratio to backprop is the median over repeats of its ratio to the two
backprop runs on either side of it in time (paired: this host's speed drifts
by +-15% between minutes). The arithmetic minimum of a rule, relative to
backprop (sgdm), counts multiply-accumulates of the convolutions and matmuls
of every recordable layer, per image (learning-rules.md §5-6):

  backprop, per layer: forward + weight gradient + input gradient (none for
                       the first layer, which sends no error down)
  fa, kp, sa:          the same (the input gradient uses B instead of W; KP's
                       and SA's B updates are element-wise)
  wm (amp + decay):    + one weight gradient WG(x, R_f), R_f being the forward output
  ia (amp+null+decay): + the reconstruction Xhat = op^T(R_f; B) and one weight
                       gradient WG(2 null Xhat - amp x, R_f) for both terms
  aa (amp + sparse):   + the forward with B, P = op(x; B), and one weight
                       gradient WG(x, 2 sparse P - amp R_f) for both terms
The loss values need no extra products (adjoint identities, alignment_loss.h).
Element-wise work (BN, pooling, optimizer steps) is left out, so the measured
ratio of a rule with extra products sits at or below its minimum when the
products dominate.

A second floor weighs the same products by what they cost on this machine
rather than by their multiply-accumulates: each layer's forward, weight
gradient and input gradient timed in PyTorch (same wheel, same oneDNN
kernels, the run's precision and memory format, median of 7), summed as
above, each weight gradient as the faster of oneDNN's and the tap GEMM that
lrid uses on small maps (rules/tap_weight_grad.h). It differs from the MAC
count where a kernel runs far from peak.

Both floors then add what a learned B costs beyond products (IA, SA, AA, WM,
KP), relative to the measured backprop step: B's optimizer step (ATen's fused
SGD-momentum or Adam step, as lrid runs it) and, for rules with decay or self
terms, one read of W and B for the logged loss value (|W|^2, |B|^2, <W, B>).
These matter for ResNet-18 (11M kernel weights) at 28x28, where the last
stages' maps are 1x1 and 2x2, so parameter passes weigh as much as their
convolutions; on KNet they are a few per cent.

  $LRID_CACHE/venv/bin/python bench/rule_step_time.py [--threads 2] [--precisions fp32,bf16]
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

import torch.nn.functional as F

from conv_weight_grad import tap_wg
from train_throughput import ROOT, build, lrid_run

EXTRA = {"sgdm": 0, "adam": 0, "fa": 0, "kp": 0, "sa": 0, "wm": 1, "ia": 2, "aa": 2}


def layer_macs(arch):
    """Multiply-accumulates of each conv/linear layer's forward, per image, in order."""
    model = build(arch)
    macs = []

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
            macs.append(out[0].numel() * k)
        else:
            macs.append(m.in_features * m.out_features)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, 1, 28, 28))
    return macs


def minimum_ratio(macs, rule):
    base = sum(c * (2 if i == 0 else 3) for i, c in enumerate(macs))
    return (base + EXTRA[rule] * sum(macs)) / base


def median_ms(fn, reps=7):
    fn()
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(1000.0 * (time.perf_counter() - t))
    return statistics.median(times)


def layer_kernel_ms(arch, batch, precision, memory_format, threads):
    """(forward, weight gradient, input gradient) ms of each conv/linear layer, in order."""
    torch.set_num_threads(threads)
    model = build(arch).eval()
    inputs = []
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(lambda mod, inp, out: inputs.append((mod, inp[0].shape, out.shape)))
    with torch.no_grad():
        model(torch.zeros(batch, 1, 28, 28))
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    fmt = torch.channels_last if memory_format == "channels_last" else torch.contiguous_format
    out = []
    for mod, in_shape, out_shape in inputs:
        w = mod.weight.detach().to(dtype)
        x = torch.randn(in_shape).to(dtype)
        g = torch.randn(out_shape).to(dtype)
        if isinstance(mod, nn.Conv2d):
            x, g, w = (t.contiguous(memory_format=fmt) for t in (x, g, w))
            geo = (list(mod.stride), list(mod.padding), list(mod.dilation), False, [0, 0], mod.groups)

            def bwd(mask):
                return lambda: torch.ops.aten.convolution_backward(g, x, w, None, *geo, mask)

            wg = median_ms(bwd([False, True, False]))
            if mod.groups == 1:  # lrid takes the tap GEMM where it is faster (rules/tap_weight_grad.h)
                wg = min(wg, median_ms(lambda: tap_wg(x, g, mod.kernel_size, mod.stride[0], mod.padding[0],
                                                      mod.dilation[0])))
            out.append((median_ms(lambda: F.conv2d(x, w, None, mod.stride, mod.padding, mod.dilation, mod.groups)),
                        wg, median_ms(bwd([True, False, False]))))
        else:
            out.append((median_ms(lambda: x @ w.t()), median_ms(lambda: g.t() @ x), median_ms(lambda: g @ w)))
    return out


LEARNED_B = {"ia": "adam", "sa": "sgd", "aa": "sgd", "wm": "sgd", "kp": "sgd"}  # B's optimizer (bench settings)
DECAY = {"ia", "sa", "wm", "kp"}  # rules whose logged loss reads |W|^2 and |B|^2 (decay, self)


def b_update_ms(arch, rule, threads):
    """What a learned B adds that no product counts, timed with ATen's own
    fused kernels on the model's kernel shapes (fp32 masters): B's optimizer
    step (the fused SGD-momentum or Adam step lrid uses,
    training/fused_optimizers.cpp), and, for rules with decay or self terms,
    one read of W and B for the logged loss value."""
    if rule not in LEARNED_B:
        return 0.0
    torch.set_num_threads(threads)
    ws = [m.weight.detach() for m in build(arch).modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    bs = [torch.randn_like(w) for w in ws]
    grads = [torch.randn_like(w) for w in ws]
    if LEARNED_B[rule] == "adam":
        m1, m2 = [torch.zeros_like(w) for w in ws], [torch.zeros_like(w) for w in ws]
        steps = [torch.ones(()) for _ in ws]
        step = lambda: torch._fused_adam_(bs, grads, m1, m2, [], steps, lr=1e-3, beta1=0.9, beta2=0.999,
                                          weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)
    else:
        bufs = [torch.zeros_like(w) for w in ws]
        step = lambda: torch._fused_sgd_(bs, grads, bufs, weight_decay=0.0, momentum=0.9, lr=1e-3, dampening=0.0,
                                         nesterov=False, maximize=False, is_first_step=False)
    ms = median_ms(step)
    if rule in DECAY:
        ms += median_ms(lambda: [torch.dot(w.view(-1), b.view(-1)) for w, b in zip(ws, bs)])
    return ms


def kernel_minimum_ratio(kernels, rule):
    """The MAC-count floor with each product weighed by its measured kernel time."""
    base = sum(f + wg + (ig if i else 0.0) for i, (f, wg, ig) in enumerate(kernels))
    extra = {"wm": sum(wg for f, wg, ig in kernels),
             "ia": sum(wg + ig for f, wg, ig in kernels),
             "aa": sum(wg + f for f, wg, ig in kernels)}.get(rule, 0.0)
    return (base + extra) / base


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / "build/lrid"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="knet,resnet18")
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument("--memory-format", default="auto")
    ap.add_argument("--rules", default="sgdm,fa,ia,sa,aa,wm,kp")
    ap.add_argument("--steps", type=int, default=0,
                    help="steps per run (default 60 for KNet, 36 for ResNet: the first step's set-up is timed too)")
    args = ap.parse_args()
    rules = args.rules.split(",")
    print(f"threads {args.threads}, batch {args.batch}, input 28x28x1, CPU, memory format {args.memory_format}")
    print("ms per step (best of the repeats); ratio to backprop (median over repeats of the paired ratio) "
          "against each floor (target: ratio <= 1.1 x floor)")
    for arch in args.models.split(","):
        macs = layer_macs(arch)
        steps = args.steps or (60 if arch.startswith("knet") else 36)
        for precision in args.precisions.split(","):
            base_rule = "sgdm" if "sgdm" in rules else rules[0]
            picked = None

            def step_ms(r):
                nonlocal picked
                extra = [f"rule.type={r}", f"run.parameters.precision={precision}",
                         f"run.parameters.memory_format={args.memory_format}"]
                if r == "ia":  # B by Adam as in configs/rules/ia.yaml (stable at any W step size)
                    extra += ["rule.parameters.feedback_optimizer=adam", "rule.parameters.feedback_lr=1e-3"]
                ips, picked = lrid_run(args.binary, arch, steps, args.batch, args.threads, extra)
                return 1000.0 * args.batch / ips

            # Each rule's run sits between two backprop runs (base, r1, base, r2, ..., base), and
            # its ratio is taken against their geometric mean: this host's speed drifts by up to
            # +-15% between minutes, and a rule run far in time from its backprop run moved its
            # ratio by more than the 10% the target allows. Median of the paired ratios over repeats.
            times = {r: [] for r in rules}  # ms per step
            ratios = {r: [] for r in rules}
            for _ in range(args.repeats):
                before = step_ms(base_rule)
                times[base_rule].append(before)
                ratios[base_rule].append(1.0)
                for r in rules:
                    if r == base_rule:
                        continue
                    t = step_ms(r)
                    after = step_ms(base_rule)
                    times[r].append(t)
                    times[base_rule].append(after)
                    ratios[r].append(t / (before * after) ** 0.5)
                    before = after
            kernels = layer_kernel_ms(arch, args.batch, picked[0], picked[1], args.threads)
            ms = {r: min(times[r]) for r in rules}
            print(f"{arch}, {picked[0]}, {picked[1]}:")
            paired = {r: statistics.median(ratios[r]) for r in rules}
            for r in rules:
                # B's update relative to the measured backprop step, added to both floors.
                extra_b = b_update_ms(arch, r, args.threads) / ms[base_rule]
                ratio = paired[r]
                floor, kfloor = minimum_ratio(macs, r) + extra_b, kernel_minimum_ratio(kernels, r) + extra_b
                verdict = "ok" if ratio <= 1.1 * floor else "ABOVE"
                kverdict = "ok" if ratio <= 1.1 * kfloor else "ABOVE"
                print(f"  {r:<5} {ms[r]:8.1f} ms  {ratio:5.2f}x | MACs {floor:4.2f}x: {ratio / floor:4.2f} {verdict:<5} "
                      f"| kernel time {kfloor:4.2f}x: {ratio / kfloor:4.2f} {kverdict:<5} | floors include B's update "
                      f"+{extra_b:4.2f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

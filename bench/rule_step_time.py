#!/usr/bin/env python3
"""Time per training step of each learning rule against its arithmetic minimum.

`lrid train` on the same synthetic 28x28x1 data, batch 128, same thread count,
per model and precision; each rule is run `--repeats` times, interleaved, and
the best throughput is kept. The arithmetic minimum of a rule, relative to
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

  $LRID_CACHE/venv/bin/python bench/rule_step_time.py [--threads 2] [--precisions fp32,bf16]
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

from train_throughput import ROOT, build, lrid_throughput

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
    print("ms per step, ratio to sgdm / arithmetic minimum (target: ratio <= 1.1 x minimum)")
    for arch in args.models.split(","):
        macs = layer_macs(arch)
        steps = args.steps or (60 if arch.startswith("knet") else 36)
        for precision in args.precisions.split(","):
            best = {r: 0.0 for r in rules}
            for _ in range(args.repeats):
                for r in rules:
                    extra = [f"rule.type={r}", f"run.parameters.precision={precision}",
                             f"run.parameters.memory_format={args.memory_format}"]
                    if r == "ia":  # B by Adam as in configs/rules/ia.yaml (stable at any W step size)
                        extra += ["rule.parameters.feedback_optimizer=adam", "rule.parameters.feedback_lr=1e-3"]
                    best[r] = max(best[r], lrid_throughput(args.binary, arch, steps, args.batch, args.threads, extra))
            ms = {r: 1000.0 * args.batch / best[r] for r in rules}
            base = ms.get("sgdm", ms[rules[0]])
            print(f"{arch} {precision}", flush=True)
            for r in rules:
                ratio, floor = ms[r] / base, minimum_ratio(macs, r)
                verdict = "ok" if ratio <= 1.1 * floor else "ABOVE"
                print(f"  {r:<5} {ms[r]:8.1f} ms  {ratio:5.2f}x / min {floor:4.2f}x  "
                      f"({ratio / floor:4.2f} of min) {verdict}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

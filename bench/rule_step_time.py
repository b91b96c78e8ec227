#!/usr/bin/env python3
"""Time per training step of the alignment rules relative to backprop (sgdm).

`lrid train` on the same synthetic 28x28x1 data, batch 128, same thread count,
for KNet and ResNet-18; each rule is run `--repeats` times, interleaved, and the
best throughput is kept. Targets (issue): FA <= 1.1x backprop, IA <= 1.4x.

  $LRID_CACHE/venv/bin/python bench/rule_step_time.py [--threads 2] [--rules sgdm,fa,ia]
"""
import argparse
import os
import sys

from train_throughput import ROOT, lrid_throughput


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / "build/lrid"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="knet,resnet18")
    ap.add_argument("--rules", default="sgdm,fa,ia,sa,aa,wm,kp")
    args = ap.parse_args()
    rules = args.rules.split(",")
    print(f"threads {args.threads}, batch {args.batch}, input 28x28x1, CPU; ms per step (ratio to sgdm)")
    print(f"{'model':<10}" + "".join(f"{r:>16}" for r in rules))
    for arch in args.models.split(","):
        steps = 60 if arch == "knet" else 12
        best = {r: 0.0 for r in rules}
        for _ in range(args.repeats):
            for r in rules:
                extra = [f"rule.type={r}"]
                if r == "ia":  # B by Adam as in configs/rules/ia.yaml (stable at any W step size)
                    extra += ["rule.parameters.feedback_optimizer=adam", "rule.parameters.feedback_lr=1e-3"]
                best[r] = max(best[r], lrid_throughput(args.binary, arch, steps, args.batch, args.threads, extra))
        ms = {r: 1000.0 * args.batch / best[r] for r in rules}
        base = ms.get("sgdm", ms[rules[0]])
        print(f"{arch:<10}" + "".join(f"{ms[r]:>8.1f} ({ms[r] / base:4.2f}x)" for r in rules), flush=True)


if __name__ == "__main__":
    sys.exit(main())

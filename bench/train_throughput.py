#!/usr/bin/env python3
"""Training throughput: `lrid train` against an equivalent PyTorch (Python) loop.

Same wheel (LibTorch inside lrid is the PyPI torch wheel's), same model
structure, batch size 128, 28x28x1 inputs, SGD with momentum 0.9 and coupled
L2, same intra-op thread count. Both sides time only training steps (data
batching, forward, backward, optimizer step), not start-up or evaluation.

  $LRID_CACHE/venv/bin/python bench/train_throughput.py [--steps 40] [--threads 2]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[1]


def same_pad(size, k, s):
    out = (size + s - 1) // s
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def tf_max_pool(x, k=3, s=2):
    ph, pw = same_pad(x.shape[2], k, s), same_pad(x.shape[3], k, s)
    x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]), value=float("-inf"))
    return F.max_pool2d(x, k, s)


def tf_avg_pool(x, k=3, s=2):
    ph, pw = same_pad(x.shape[2], k, s), same_pad(x.shape[3], k, s)
    pad = (pw[0], pw[1], ph[0], ph[1])
    total = F.avg_pool2d(F.pad(x, pad), k, s) * (k * k)
    count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pad), k, s) * (k * k)
    return total / count


class KNet(nn.Module):
    """KNet, batch-norm variant (learning-rules.md §9.5), as lrid builds it."""

    def __init__(self, in_ch=1, size=28, classes=10):
        super().__init__()
        w = [32, 32, 64]
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        c = in_ch
        for o in w:
            self.convs.append(nn.Conv2d(c, o, 5, padding=2))
            self.bns.append(nn.BatchNorm2d(o, momentum=0.1))
            c = o
            size = (size + 1) // 2
        self.fc = nn.Linear(c * size * size, classes)

    def forward(self, x):
        h = tf_max_pool(self.convs[0](x))
        h = F.relu(self.bns[0](h))
        for i in (1, 2):
            h = self.bns[i](tf_avg_pool(F.relu(self.convs[i](h))))
        return self.fc(h.flatten(1))


class BlockV1(nn.Module):
    def __init__(self, cin, cout, stride, projection):
        super().__init__()
        self.stride = stride
        self.proj = nn.Conv2d(cin, cout, 1, stride, bias=False) if projection else None
        self.bn0 = nn.BatchNorm2d(cout) if projection else None
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, padding=0 if stride > 1 else 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        nn.init.zeros_(self.bn2.weight)

    def forward(self, x):
        sc = self.bn0(self.proj(x)) if self.proj is not None else x
        h = F.pad(x, (1, 1, 1, 1)) if self.stride > 1 else x
        h = F.relu(self.bn1(self.conv1(h)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + sc)


class ResNet18(nn.Module):
    """ResNet-18 v1 with the TF-TPU details (learning-rules.md §9.2)."""

    def __init__(self, in_ch=1, classes=10):
        super().__init__()
        self.conv0 = nn.Conv2d(in_ch, 64, 7, 2, bias=False)
        self.bn0 = nn.BatchNorm2d(64)
        blocks, c = [], 64
        for g, (width, stride) in enumerate(zip([64, 128, 256, 512], [1, 2, 2, 2])):
            for b in range(2):
                blocks.append(BlockV1(c, width, stride if b == 0 else 1, b == 0))
                c = width
        self.blocks = nn.Sequential(*blocks)
        self.dense = nn.Linear(512, classes)

    def forward(self, x):
        h = F.relu(self.bn0(self.conv0(F.pad(x, (3, 3, 3, 3)))))
        h = self.blocks(tf_max_pool(h))
        return self.dense(h.mean((2, 3)))


def python_throughput(arch, steps, batch, threads, wd):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = KNet() if arch == "knet" else ResNet18()
    decay = [p for n, p in model.named_parameters() if "bn" not in n]
    other = [p for n, p in model.named_parameters() if "bn" in n]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": wd}, {"params": other, "weight_decay": 0.0}],
                          lr=0.01, momentum=0.9)
    n = steps * batch
    images = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (n,))
    perm = torch.randperm(n)
    model.train()
    start = time.perf_counter()
    for s in range(steps):
        idx = perm[s * batch:(s + 1) * batch]
        x = (images.index_select(0, idx).float() / 255.0 - 0.5) / 0.25
        y = labels.index_select(0, idx)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return steps * batch / (time.perf_counter() - start)


def lrid_throughput(binary, arch, steps, batch, threads, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "run"
        cmd = [str(binary), "train", str(ROOT / "tests/fixtures/configs/good.yaml"), "--quiet", "--out", str(out),
               f"model.type={arch}", "rule.type=sgdm", "optimizer.parameters.lr=0.01",
               "data.parameters={num_classes: 10, channels: 1, image_size: 28, input_size: 28, "
               f"train_size: {steps * batch}, test_size: {batch}}}",
               "schedule.type=constant", "schedule.parameters.epochs=1",
               f"run.parameters.batch_size={batch}", f"run.parameters.threads={threads}",
               "run.parameters.eval_every=0", "run.parameters.checkpoint_every=0", "run.parameters.device=cpu",
               *extra]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        status = json.loads((out / "status.json").read_text())
        return float(status["train_images_per_s"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / "build/lrid"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=0, help="steps per measurement (default: per model)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--models", default="knet,resnet18")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, threads {args.threads}, batch {args.batch}, input 28x28x1, CPU")
    print("interleaved repeats; best and median of each side (this host's speed drifts by ~10% between runs)")
    print(f"{'model':<10} {'lrid best':>10} {'python best':>12} {'ratio':>6} {'lrid med':>9} {'python med':>11} {'ratio':>6}")
    for arch in args.models.split(","):
        steps = args.steps or (60 if arch == "knet" else 12)
        wd = 1e-5 if arch == "knet" else 1e-4
        ours, theirs = [], []
        for _ in range(args.repeats):  # interleaved, best of N for each side
            ours.append(lrid_throughput(args.binary, arch, steps, args.batch, args.threads))
            theirs.append(python_throughput(arch, steps, args.batch, args.threads, wd))
        o, t = max(ours), max(theirs)
        om, tm = statistics.median(ours), statistics.median(theirs)
        print(f"{arch:<10} {o:>10.1f} {t:>12.1f} {o / t:>5.2f}x {om:>9.1f} {tm:>11.1f} {om / tm:>5.2f}x", flush=True)


if __name__ == "__main__":
    sys.exit(main())

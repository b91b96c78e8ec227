#!/usr/bin/env python3
"""Training throughput: `lrid train` against an equivalent PyTorch (Python) loop.

Same wheel (LibTorch inside lrid is the PyPI torch wheel's), same model
structure, batch size 128, 28x28x1 inputs, SGD with momentum 0.9 and coupled
L2, same intra-op thread count. Both sides time only training steps (data
batching, forward, backward, optimizer step), not start-up or evaluation.
Each of fp32/bf16 x NCHW/channels-last is run on both sides with the same
setting, and each side's default is compared too: lrid's `auto` (the setting
it resolves to is printed) against PyTorch's fp32 NCHW.

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
    """KNet (3 convs) or KNetC4 (4), batch-norm variant (learning-rules.md §9.5), as lrid builds it."""

    def __init__(self, n_conv=3, in_ch=1, size=28, classes=10):
        super().__init__()
        w = [32, 32, 64, 128][:n_conv]
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
        for i in range(1, len(self.convs)):
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


# (precision, memory format) pairs measured on both sides.
SETTINGS = [("fp32", "contiguous"), ("fp32", "channels_last"), ("bf16", "contiguous"), ("bf16", "channels_last")]


def build(arch):
    if arch == "knet":
        return KNet(3)
    if arch == "knetc4":
        return KNet(4)
    return ResNet18()


def python_throughput(arch, steps, batch, threads, wd, precision="fp32", memory_format="contiguous"):
    """PyTorch's own recipe for each setting: model.to(channels_last), inputs
    in channels-last, forward and loss under torch.autocast (backward outside)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(arch)
    fmt = torch.channels_last if memory_format == "channels_last" else torch.contiguous_format
    model = model.to(memory_format=fmt)
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
        x = ((images.index_select(0, idx).float() / 255.0 - 0.5) / 0.25).contiguous(memory_format=fmt)
        y = labels.index_select(0, idx)
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return steps * batch / (time.perf_counter() - start)


def lrid_run(binary, arch, steps, batch, threads, extra=()):
    """Images per second of training steps, and the run's resolved (precision, memory_format)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "run"
        cmd = [str(binary), "train", str(ROOT / "tests/fixtures/configs/good.yaml"), "--quiet", "--out", str(out),
               f"model.type={arch}", "rule.type=sgdm", "optimizer.parameters.lr=0.01",
               "data.parameters={num_classes: 10, channels: 1, image_size: 28, input_size: 28, "
               f"train_size: {steps * batch}, test_size: {batch}}}",
               "schedule.type=constant", "schedule.parameters.epochs=1",
               f"run.parameters.batch_size={batch}", f"run.parameters.threads={threads}",
               "run.parameters.eval_every=0", "run.parameters.checkpoint_every=0", "run.parameters.device=cpu",
               # No recorder: its time is not training time (bench/observables_overhead.sh measures it),
               # and its probe passes between steps would only evict the steps' working set.
               "observables.type=none", *extra]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        status = json.loads((out / "status.json").read_text())
        config = (out / "config.yaml").read_text()
        picked = tuple(line.split(":", 1)[1].strip() for line in config.splitlines()
                       if line.strip().startswith(("precision:", "memory_format:")))
        return float(status["train_images_per_s"]), picked


def lrid_throughput(binary, arch, steps, batch, threads, extra=()):
    return lrid_run(binary, arch, steps, batch, threads, extra)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / "build/lrid"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=0, help="steps per measurement (default: per model)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="knet,knetc4,resnet18")
    ap.add_argument("--settings", default="all", help="all, or e.g. bf16/channels_last,fp32/contiguous")
    args = ap.parse_args()
    settings = SETTINGS if args.settings == "all" else [tuple(s.split("/")) for s in args.settings.split(",")]
    print(f"torch {torch.__version__}, threads {args.threads}, batch {args.batch}, input 28x28x1, CPU")
    print(f"images/s, best of {args.repeats} interleaved repeats per side; ratio = lrid / PyTorch")
    print(f"{'model':<9} {'setting':<22} {'lrid':>8} {'PyTorch':>8} {'ratio':>6}")
    for arch in args.models.split(","):
        steps = args.steps or (60 if arch.startswith("knet") else 12)
        wd = 1e-5 if arch.startswith("knet") else 1e-4
        rows = [("default", None)] + [(f"{p}/{m}", (p, m)) for p, m in settings]
        for label, setting in rows:
            ours, theirs, picked = [], [], None
            for _ in range(args.repeats):  # interleaved, best of N for each side
                extra = [] if setting is None else [f"run.parameters.precision={setting[0]}",
                                                    f"run.parameters.memory_format={setting[1]}"]
                ips, picked = lrid_run(args.binary, arch, steps, args.batch, args.threads, extra)
                ours.append(ips)
                p, m = setting or ("fp32", "contiguous")  # PyTorch's default: fp32 NCHW
                theirs.append(python_throughput(arch, steps, args.batch, args.threads, wd, p, m))
            if setting is None:
                label = f"auto={picked[0]}/{picked[1]}"[:22]
            o, t = max(ours), max(theirs)
            note = "  (lrid auto vs PyTorch fp32/contiguous)" if setting is None else ""
            print(f"{arch:<9} {label:<22} {o:>8.1f} {t:>8.1f} {o / t:>5.2f}x{note}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

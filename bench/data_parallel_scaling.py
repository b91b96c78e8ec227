#!/usr/bin/env python3
"""Data-parallel scaling on one machine: lrid against PyTorch's DDP, same wheel.

Same global batch (128) and model (KNet, fp32, NCHW, SGD with momentum), two ways
to spend the cores: 1 process x N threads, and N ranks x 1 thread (lrid: `lrid
train --nproc N`, Gloo, c10d's Reducer; PyTorch: DistributedDataParallel over
Gloo, torch.multiprocessing). Also the per-step data-parallel overhead: a rank's
step at the global batch / N, with and without the other ranks (the all-reduce
of the gradients and the waits it brings). Throughput counts training steps
only (status.json's train_images_per_s on lrid's side).

  $LRID_CACHE/venv/bin/python bench/data_parallel_scaling.py [--ranks 2] [--steps 60] [--repeats 3]
"""
import os
import pathlib
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_args  # noqa: E402
import train_throughput as tt  # noqa: E402

FP32 = ["run.parameters.precision=fp32", "run.parameters.memory_format=contiguous"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddp_rank(rank, world, port, steps, batch, out):
    """One PyTorch DDP rank: KNet on its shard (batch / world) of each global batch."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(tt.build("knet"))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-5)
    local = batch // world
    n = steps * batch
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    dist.barrier()
    start = time.perf_counter()
    for s in range(steps):
        lo = s * batch + rank * local
        x = (images[lo:lo + local].float() / 255.0 - 0.5) / 0.25
        opt.zero_grad()
        F.cross_entropy(model(x), labels[lo:lo + local]).backward()
        opt.step()
    dist.barrier()
    if rank == 0:
        out.put(steps * batch / (time.perf_counter() - start))
    dist.destroy_process_group()


def ddp_throughput(world, steps, batch):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    mp.start_processes(ddp_rank, args=(world, free_port(), steps, batch, q), nprocs=world, join=True,
                       start_method="spawn")
    return q.get()


def main():
    ap = bench_args.parser(__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n, b, s = a.ranks, a.batch, a.steps
    if b % n:
        sys.exit(f"--batch {b} must split evenly over --ranks {n}")
    print(f"torch {torch.__version__}, KNet fp32 NCHW, global batch {b}, {s} steps, {os.cpu_count()} cores; "
          f"images/s, best of {a.repeats} interleaved repeats; ratio = lrid / PyTorch")
    rows = {k: ([], []) for k in ("1x", "Nx1", "rank_alone")}
    for _ in range(a.repeats):
        rows["1x"][0].append(tt.lrid_throughput(a.lrid, "knet", s, b, n, FP32))
        rows["1x"][1].append(tt.python_throughput("knet", s, b, n, 1e-5))
        rows["Nx1"][0].append(tt.lrid_throughput(a.lrid, "knet", s, b, 1, FP32 + ["--nproc", str(n)]))
        rows["Nx1"][1].append(ddp_throughput(n, s, b))
        # One rank's share of the work, without the other ranks (batch b / n, 1 thread).
        rows["rank_alone"][0].append(tt.lrid_throughput(a.lrid, "knet", s, b // n, 1, FP32))
        rows["rank_alone"][1].append(tt.python_throughput("knet", s, b // n, 1, 1e-5))
    best = {k: (max(v[0]), max(v[1])) for k, v in rows.items()}
    labels = {"1x": f"1 process x {n} threads", "Nx1": f"{n} ranks x 1 thread",
              "rank_alone": f"1 rank's share alone (batch {b // n}, 1 thread)"}
    print(f"{'setting':<42} {'lrid':>8} {'PyTorch':>8} {'ratio':>6}")
    for k, (ours, theirs) in best.items():
        print(f"{labels[k]:<42} {ours:>8.1f} {theirs:>8.1f} {ours / theirs:>5.2f}x")
    for side, i in (("lrid", 0), ("PyTorch", 1)):
        scaling = best["Nx1"][i] / best["1x"][i]
        # Step time of a rank among N against the same rank's step alone: the all-reduce and its waits.
        overhead = (b / best["Nx1"][i]) / ((b // n) / best["rank_alone"][i])
        print(f"{side}: {n} ranks x 1 thread / 1 process x {n} threads = {scaling:.2f}x; "
              f"data-parallel step / the rank's step alone = {overhead:.2f}x")


if __name__ == "__main__":
    sys.exit(main())

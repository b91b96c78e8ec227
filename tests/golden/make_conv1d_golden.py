#!/usr/bin/env python3
"""Golden values for tests/classifiers/conv1d_mlp_test.cpp: one Adam step of the
Conv1D MLP (science.md section 6.6) from an independent PyTorch reference, float32.

Per case: fixed tiny data and fixed (non-Glorot, non-zero-bias) weights, the
regularised loss, its gradients and the parameters after one torch.optim.Adam
step (betas 0.9/0.999, eps 1e-8, no optimizer weight decay: the wd/2 * ||theta||^2
term is part of the loss). Layouts: conv weight [F, C, k], linear weight [K, D];
the `none` flatten is time-major ([B, L, F] -> index l*F + f, as Keras' Flatten).
Regenerate with: /root/.cache/lrid/venv/bin/python tests/golden/make_conv1d_golden.py
"""
import json
import pathlib

import torch
import torch.nn.functional as F

B, T, C, NF, K = 6, 7, 4, 3, 3
LR, WD = 0.01, 0.1
CASES = [
    {"name": "none_k3_s2", "pooling": "none", "kernel": 3, "stride": 2},
    {"name": "max_k2_s1", "pooling": "max", "kernel": 2, "stride": 1},
    {"name": "avg_k3_s2", "pooling": "avg", "kernel": 3, "stride": 2},
]


def forward(x, w, b, fw, fb, pooling, stride):
    h = torch.relu(F.conv1d(x.permute(0, 2, 1), w, b, stride=stride))  # [B, F, L]
    if pooling == "max":
        z = h.amax(dim=2)
    elif pooling == "avg":
        z = h.mean(dim=2)
    else:
        z = h.permute(0, 2, 1).reshape(h.shape[0], -1)  # [B, L*F], l*F + f
    return F.linear(z, fw, fb)


def run(case, gen):
    k, s = case["kernel"], case["stride"]
    L = (T - k) // s + 1
    D = L * NF if case["pooling"] == "none" else NF
    x = torch.randn(B, T, C, generator=gen)
    y = torch.tensor([0, 1, 2, 1, 0, 2])
    params = [
        (0.5 * torch.randn(NF, C, k, generator=gen)).requires_grad_(True),
        (0.1 * torch.randn(NF, generator=gen)).requires_grad_(True),
        (0.5 * torch.randn(K, D, generator=gen)).requires_grad_(True),
        (0.1 * torch.randn(K, generator=gen)).requires_grad_(True),
    ]
    init = [p.detach().clone() for p in params]
    opt = torch.optim.Adam(params, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    logits = forward(x, *params, case["pooling"], s)
    ce = F.cross_entropy(logits, y)
    loss = ce + WD * 0.5 * sum((p * p).sum() for p in params)
    opt.zero_grad()
    loss.backward()
    grads = [p.grad.detach().clone() for p in params]
    opt.step()
    names = ["conv_weight", "conv_bias", "fc_weight", "fc_bias"]
    flat = lambda t: t.flatten().tolist()
    return {
        **case,
        "x": flat(x), "y": y.tolist(),
        "logits": flat(logits.detach()), "ce": ce.item(), "loss": loss.item(),
        "init": {n: flat(t) for n, t in zip(names, init)},
        "shapes": {n: list(t.shape) for n, t in zip(names, init)},
        "grad": {n: flat(g) for n, g in zip(names, grads)},
        "after": {n: flat(p.detach()) for n, p in zip(names, params)},
    }


gen = torch.Generator().manual_seed(20240611)
out = {
    "B": B, "T": T, "C": C, "filters": NF, "num_classes": K, "lr": LR, "weight_decay": WD,
    "torch_version": torch.__version__,
    "cases": [run(c, gen) for c in CASES],
}
path = pathlib.Path(__file__).with_name("conv1d_step.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)

#!/usr/bin/env python3
"""Golden values for tests/training/optimizer_test.cpp, from torch.optim (float64).

Two parameter groups (decayed W, not-decayed BN gamma) receive a fixed sequence
of gradients; the learning rate changes between steps as a schedule would.
Regenerate with: $LRID_CACHE/venv/bin/python tests/golden/make_optimizer_golden.py
"""
import json
import pathlib

import torch

torch.manual_seed(1234)
W0 = torch.randn(3, 4, dtype=torch.float64)
G0 = torch.randn(4, dtype=torch.float64)
GRADS = [(torch.randn(3, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)) for _ in range(4)]
LRS = [0.1, 0.05, 0.2, 0.01]
WD = 0.01

CASES = {
    "sgd": dict(cls=torch.optim.SGD, kw=dict(momentum=0.9, nesterov=False, dampening=0.0),
                params=dict(momentum=0.9, nesterov=False)),
    "sgd_nesterov": dict(cls=torch.optim.SGD, kw=dict(momentum=0.9, nesterov=True, dampening=0.0),
                         params=dict(momentum=0.9, nesterov=True)),
    "adam": dict(cls=torch.optim.Adam, kw=dict(betas=(0.9, 0.999), eps=1e-8),
                 params=dict(beta1=0.9, beta2=0.999, eps=1e-8)),
}


def run(case):
    w = W0.clone().requires_grad_(True)
    g = G0.clone().requires_grad_(True)
    opt = case["cls"]([{"params": [w], "weight_decay": WD}, {"params": [g], "weight_decay": 0.0}],
                      lr=LRS[0], **case["kw"])
    after = []
    for lr, (gw, gg) in zip(LRS, GRADS):
        for group in opt.param_groups:
            group["lr"] = lr
        w.grad = gw.clone()
        g.grad = gg.clone()
        opt.step()
        after.append({"w": w.detach().flatten().tolist(), "gamma": g.detach().tolist()})
    return after


out = {
    "w0": W0.flatten().tolist(), "w_shape": list(W0.shape), "gamma0": G0.tolist(),
    "grads": [{"w": gw.flatten().tolist(), "gamma": gg.tolist()} for gw, gg in GRADS],
    "lrs": LRS, "weight_decay": WD, "torch_version": torch.__version__,
    "cases": {name: {"params": c["params"], "after": run(c)} for name, c in CASES.items()},
}
path = pathlib.Path(__file__).with_name("optimizer_steps.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)

#!/usr/bin/env python3
"""Golden values for tests/training/task_test.cpp and tests/images/contrastive_views_test.cpp.

1. NT-Xent (learning-rules.md section 10) written out with explicit loops in
   float64 from SimCLR's contrastive_loss.py: L2-normalise, logits
   [h1 h2^T | h1 h1^T - 1e9 I] / tau (mask after the division), the same for
   view 2, loss = mean CE(view 1 rows) + mean CE(view 2 rows). The gradient with
   respect to z comes from torch.autograd on that reference.
2. Hue shifts from the Python standard library's colorsys (RGB <-> HSV), an
   implementation independent of torchvision's tensor formulas that lrid follows.
Regenerate with: /root/.cache/lrid/venv/bin/python tests/golden/make_simclr_golden.py
"""
import colorsys
import json
import math
import pathlib

import numpy as np
import torch


def nt_xent(z, tau):
    n = z.shape[0] // 2
    h = z / z.norm(dim=1, keepdim=True)
    h1, h2 = h[:n], h[n:]
    total = z.new_zeros(())
    correct = 0
    for a, b in ((h1, h2), (h2, h1)):
        part = z.new_zeros(())
        for i in range(n):
            logits = []
            for j in range(n):
                logits.append(torch.dot(a[i], b[j]) / tau)
            for j in range(n):
                logits.append(torch.dot(a[i], a[j]) / tau - (1e9 if i == j else 0.0))
            row = torch.stack(logits)
            part = part + (torch.logsumexp(row, 0) - row[i])
            correct += int(int(torch.argmax(row)) == i)
        total = total + part / n
    return total, correct


def main():
    rng = np.random.default_rng(20201)
    cases = []
    for n, p, tau in ((3, 5, 0.1), (4, 8, 1.0), (1, 3, 0.5)):
        z = torch.tensor(rng.normal(size=(2 * n, p)), dtype=torch.float64, requires_grad=True)
        loss, correct = nt_xent(z, tau)
        loss.backward()
        cases.append({"n": n, "p": p, "temperature": tau, "z": z.detach().flatten().tolist(),
                      "loss": float(loss.detach()), "correct": correct, "grad": z.grad.flatten().tolist()})
    hue = []
    for _ in range(12):
        rgb = rng.uniform(size=3).tolist()
        shift = float(rng.uniform(-0.3, 0.3))
        h, s, v = colorsys.rgb_to_hsv(*rgb)
        out = colorsys.hsv_to_rgb(math.fmod(h + shift + 1.0, 1.0), s, v)
        hue.append({"rgb": rgb, "shift": shift, "out": list(out)})
    path = pathlib.Path(__file__).with_name("simclr.json")
    path.write_text(json.dumps({"nt_xent": cases, "hue": hue}, indent=1) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()

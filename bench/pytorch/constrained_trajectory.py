#!/usr/bin/env python3
"""Trains clgrad's small MLP in PyTorch from clgrad's initial weights with max-norm and an L2 kernel
penalty, Keras's formulas, and writes the final weights: the reference of clgrad's trajectory
(src/test/java/dev/clgrad/train/ConstraintTorchParityTest.java).

    /usr/bin/python3 bench/pytorch/constrained_trajectory.py DIR OPT LR MOMENTUM C L2 STEPS B I H O

DIR holds raw little-endian float32 files: w1 (I, H), b1 (H), w2 (H, O), b2 (O) in clgrad's layout
(Dense kernels (I, O): y = x·W + b, so no transpose), x (STEPS, B, I) and y (STEPS, B, O). OPT is
"sgd" (PyTorch's SGD with MOMENTUM) or "adam" (defaults but LR). Each step:
    loss = mean((relu(x·w1 + b1)·w2 + b2 - y)^2) + L2·sum(w1^2)      (Keras's L2(l2) on dense_1's kernel)
    loss.backward(); opt.step()
    w *= clamp(n, 0, C) / (1e-7 + n), n the column norms, for w1 and w2 (Keras's MaxNorm(C), axis 0)
Writes DIR/out: w1, b1, w2, b2 concatenated, float32.
"""
import sys

import numpy as np
import torch


def main():
    d, opt_name = sys.argv[1], sys.argv[2]
    lr, momentum, c, l2 = (float(v) for v in sys.argv[3:7])
    steps, b, i, h, o = (int(v) for v in sys.argv[7:12])
    torch.set_num_threads(1)

    def load(name, shape):
        return torch.from_numpy(np.fromfile(f"{d}/{name}", dtype="<f4").reshape(shape).copy())

    params = [load("w1", (i, h)), load("b1", (h,)), load("w2", (h, o)), load("b2", (o,))]
    for p in params:
        p.requires_grad_()
    w1, b1, w2, b2 = params
    x, y = load("x", (steps, b, i)), load("y", (steps, b, o))
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum) if opt_name == "sgd" else torch.optim.Adam(params, lr=lr)
    for s in range(steps):
        opt.zero_grad()
        pred = torch.relu(x[s] @ w1 + b1) @ w2 + b2
        loss = torch.mean((pred - y[s]) ** 2) + l2 * torch.sum(w1 * w1)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for w in (w1, w2):
                n = w.norm(dim=0, keepdim=True)
                w.mul_(torch.clamp(n, 0, c) / (1e-7 + n))
    np.concatenate([p.detach().numpy().ravel() for p in params]).astype("<f4").tofile(f"{d}/out")


if __name__ == "__main__":
    main()

"""Runs clgrad optimizer configs in PyTorch 1.13 on an MLP, for the trajectory parity test.

usage: optimizer_trajectory.py DIR
DIR/manifest.json: {"layers": [[kernel, bias, I, O], ...], "rows": R, "features": F, "batch": B,
                    "cases": {name: clgrad optimizer config (Optimizer.config()), ...}}
DIR/x.f32 (R, F) and DIR/y.f32 (R) raw little-endian float32; DIR/init/<param>.f32 the initial
weights in clgrad's layout (Dense kernels (I, O), so torch's Linear.weight is their transpose).
Writes DIR/out/<case>/<param>.f32 after R / B steps of sparse softmax cross-entropy (mean over
the batch), batches in order. Schedules go through LambdaLR with base lr 1 (the lambda returns the
learning rate itself); a momentum schedule sets the group's momentum before each step; clipping
is clip_grad_value_ / clip_grad_norm_ per parameter / clip_grad_norm_ over all, before step().
"""
import json
import math
import os
import sys

import numpy as np
import torch


def schedule(c):
    """The step -> value function of a clgrad schedule config, Keras's formulas."""
    t = c["type"]
    if t == "exponential_decay":
        def f(s):
            p = s / c["decaySteps"]
            return c["initialLearningRate"] * c["decayRate"] ** (math.floor(p) if c["staircase"] else p)
    elif t == "inverse_time_decay":
        def f(s):
            p = s / c["decaySteps"]
            return c["initialLearningRate"] / (1 + c["decayRate"] * (math.floor(p) if c["staircase"] else p))
    elif t == "piecewise_constant_decay":
        def f(s):
            for b, v in zip(c["boundaries"], c["values"]):
                if s <= b:
                    return v
            return c["values"][-1]
    elif t == "cosine_decay":
        def cos(s, frm):
            return frm * ((1 - c["alpha"]) * 0.5 * (1 + math.cos(math.pi * s / c["decaySteps"])) + c["alpha"])

        def f(s):
            if "warmupTarget" not in c:
                return cos(min(s, c["decaySteps"]), c["initialLearningRate"])
            w = c["warmupSteps"]
            s = min(s, c["decaySteps"] + w)
            if s < w:
                return (c["warmupTarget"] - c["initialLearningRate"]) * (s / w) + c["initialLearningRate"]
            return cos(s - w, c["warmupTarget"])
    elif t == "linear_ramp":
        def f(s):
            return c["initial"] + (c["final"] - c["initial"]) * min(s, c["steps"]) / c["steps"]
    else:
        raise ValueError("unknown schedule " + t)
    return f


def value(v):
    return schedule(v) if isinstance(v, dict) else (lambda s: v)


def optimizer(c, params):
    lr = value(c["learningRate"])
    t = c["type"]
    if t == "sgd":
        m = value(c["momentum"])
        opt = torch.optim.SGD(params, lr=1.0, momentum=m(0), nesterov=c["nesterov"], weight_decay=c["weightDecay"])
        return opt, lr, m
    if t == "rmsprop":
        return torch.optim.RMSprop(params, lr=1.0, alpha=c["rho"], eps=c["epsilon"], centered=c["centered"]), lr, None
    if t == "adagrad":
        return torch.optim.Adagrad(params, lr=1.0, initial_accumulator_value=c["initialAccumulatorValue"],
                                   eps=c["epsilon"]), lr, None
    if t == "adam":
        return torch.optim.Adam(params, lr=1.0, betas=(c["beta1"], c["beta2"]), eps=c["epsilon"]), lr, None
    raise ValueError("unknown optimizer " + t)


def main(d):
    man = json.load(open(os.path.join(d, "manifest.json")))
    rows, features, batch = man["rows"], man["features"], man["batch"]
    x = torch.from_numpy(np.fromfile(os.path.join(d, "x.f32"), "<f4").reshape(rows, features))
    y = torch.from_numpy(np.fromfile(os.path.join(d, "y.f32"), "<f4").astype(np.int64))
    init = {}
    for kernel, bias, i, o in man["layers"]:
        init[kernel] = np.fromfile(os.path.join(d, "init", kernel + ".f32"), "<f4").reshape(i, o)
        init[bias] = np.fromfile(os.path.join(d, "init", bias + ".f32"), "<f4")
    for name, c in man["cases"].items():
        linears = []
        for kernel, bias, i, o in man["layers"]:
            lin = torch.nn.Linear(i, o)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(init[kernel].T.copy()))
                lin.bias.copy_(torch.from_numpy(init[bias].copy()))
            linears.append(lin)
        params = [p for lin in linears for p in (lin.weight, lin.bias)]
        opt, lr, momentum = optimizer(c, params)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr)
        for step in range(rows // batch):
            if momentum is not None:
                opt.param_groups[0]["momentum"] = momentum(step)
            h = x[step * batch:(step + 1) * batch]
            for k, lin in enumerate(linears):
                h = lin(h)
                if k + 1 < len(linears):
                    h = torch.relu(h)
            loss = torch.nn.functional.cross_entropy(h, y[step * batch:(step + 1) * batch])
            opt.zero_grad()
            loss.backward()
            if c.get("clipvalue"):
                torch.nn.utils.clip_grad_value_(params, c["clipvalue"])
            if c.get("clipnorm"):
                for p in params:
                    torch.nn.utils.clip_grad_norm_([p], c["clipnorm"])
            if c.get("globalClipnorm"):
                torch.nn.utils.clip_grad_norm_(params, c["globalClipnorm"])
            opt.step()
            sched.step()
        out = os.path.join(d, "out", name)
        os.makedirs(out, exist_ok=True)
        for (kernel, bias, i, o), lin in zip(man["layers"], linears):
            lin.weight.detach().numpy().T.astype("<f4").tofile(os.path.join(out, kernel + ".f32"))
            lin.bias.detach().numpy().astype("<f4").tofile(os.path.join(out, bias + ".f32"))


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""PyTorch peer for `clgrad bench train`: the same models, optimizer and batch sizes, timed the same way
(one warm-up epoch, then the median of timed epochs over shuffled mini-batches).

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/pytorch/train_bench.py seed
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/pytorch/train_bench.py mnist [--data DIR]

Prints one JSON object per run: samplesPerSec, usPerStep, medianEpochMs, threads, torch version.
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import time

import numpy as np
import torch
from torch import nn


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def seed_data():
    g = np.random.default_rng(42)
    return (torch.tensor(g.standard_normal((1000, 20)), dtype=torch.float32),
            torch.tensor(g.standard_normal((1000, 1)), dtype=torch.float32))


def mnist_data(folder):
    x = idx(f"{folder}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    y = idx(f"{folder}/train-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def epoch(model, opt, loss_fn, x, y, batch, gen):
    order = torch.randperm(x.shape[0], generator=gen)
    for s in range(0, x.shape[0], batch):
        i = order[s:s + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[i]), y[i])
        loss.backward()
        opt.step()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=["seed", "mnist"])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: every CPU)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    if a.model == "seed":
        x, y = seed_data()
        model = nn.Sequential(nn.Linear(20, 10), nn.ReLU(), nn.Dropout(0.5), nn.Linear(10, 1))
        loss_fn, batch = nn.MSELoss(), 32
    else:
        x, y = mnist_data(a.data)
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(),
                              nn.Dropout(0.5), nn.Linear(512, 10))
        loss_fn, batch = nn.CrossEntropyLoss(), 128
    if a.rows:
        x, y = x[:a.rows], y[:a.rows]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    gen = torch.Generator().manual_seed(42)
    epoch(model, opt, loss_fn, x, y, batch, gen)
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        epoch(model, opt, loss_fn, x, y, batch, gen)
        times.append(time.perf_counter() - t0)
    ms = statistics.median(times) * 1e3
    steps = (x.shape[0] + batch - 1) // batch
    print(json.dumps({"peer": "pytorch", "model": a.model, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "rows": x.shape[0], "batch": batch, "medianEpochMs": ms,
                      "samplesPerSec": x.shape[0] / (ms / 1e3), "usPerStep": ms * 1e3 / steps}))


if __name__ == "__main__":
    main()

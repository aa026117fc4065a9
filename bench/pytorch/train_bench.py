#!/usr/bin/env python3
"""PyTorch peer for `clgrad bench train`: the same models, optimizer and batch sizes, timed the same way
(one warm-up epoch, then the median of timed epochs over shuffled mini-batches), at every thread
configuration that is reasonable on this machine, each in its own process (OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS take effect only when set before torch and OpenBLAS load).

    /usr/bin/python3 bench/pytorch/train_bench.py seed  [--repeats 101]
    /usr/bin/python3 bench/pytorch/train_bench.py mnist [--rows 20000] [--data DIR]
    /usr/bin/python3 bench/pytorch/train_bench.py mnist --config intra1-blas1  # one configuration
    /usr/bin/python3 bench/pytorch/train_bench.py mnist --list-configs       # their names and settings
    /usr/bin/python3 bench/pytorch/train_bench.py cnn [--rows 10000]          # samples/fashion-mnist-cnn.json
    /usr/bin/python3 bench/pytorch/train_bench.py cnn-bn --accuracy 10 --threads 1  # test accuracy after 10 epochs

Without --config it runs every configuration and prints one JSON object per configuration
(samplesPerSec, usPerStep, medianEpochMs, the configuration, the intra-op, OpenMP and OpenBLAS
threads and the OpenBLAS kernel that actually ran, from threadpoolctl when it is installed), the best
one marked "best": true, then a summary on stderr. --threads N runs once, in this process, with
torch.set_num_threads(N) and the environment as it is. --accuracy E (with --threads) trains E epochs
on the full training set instead and reports the test accuracy after each, the reference figure for
clgrad's `train` on the same model.

Models: seed (samples/seed-simplenet.json), mnist (samples/fashion-mnist-mlp.json), cnn
(samples/fashion-mnist-cnn.json: Keras's mnist_convnet, Conv2D(32, 3, relu) → MaxPooling2D(2) →
Conv2D(64, 3, relu) → MaxPooling2D(2) → Flatten → Dropout(0.5) → Dense(10)) and cnn-bn
(samples/fashion-mnist-cnn-bn.json: two blocks of Conv2D("same" padding) → BatchNormalization → ReLU →
SpatialDropout2D(0.1) (nn.Dropout2d) → MaxPooling2D(2) with 32 and 64 filters, then Flatten →
Dense(128) → BatchNormalization → ReLU → Dropout(0.5) → Dense(10)). Layers use Keras's defaults
(glorot-uniform kernels, zero biases, batch-norm momentum 0.99 = PyTorch's 0.01, epsilon 1e-3). The CNNs
train as their samples do: Adam with epsilon 1e-7 and the learning rate 5e-3 decayed to 0 by Keras's
CosineDecay over 4,690 steps (10 epochs of 60,000 rows), stepped after each update; --lr and
--decay-steps (0: a constant rate) replace these, --warmup-steps and --warmup-target add Keras's linear
warm-up; --weight-decay (AdamW), --label-smoothing, --flip (each training image mirrored left-right with
probability 1/2), --shift N (each moved by up to N pixels), --standardize (inputs to zero mean and unit
variance), --ema M... (also test moving averages of the weights) and --seed are the recipe trials of
docs/BENCHMARKS.md.

Configurations (N = the CPU count; on a 1-CPU machine only default and intra1-blas1):
    default       nothing set: what a plain PyTorch script gets
    intraT-blasB  for T and B in {1, N}: OMP_NUM_THREADS=T and torch.set_num_threads(T) (ATen's
                  intra-op threads), OPENBLAS_NUM_THREADS=B (OpenBLAS's own thread pool)
Use /usr/bin/python3 (Debian's python3-torch); OPENBLAS_CORETYPE and other variables set outside pass
through to every configuration.
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import subprocess
import sys
import time

MARK = "CLGRAD_PEER_CONFIG"
# model -> (Adam's starting learning rate, cosine-decay steps or 0): the samples' "optimizer" objects
# (the CNNs: 5e-3 decayed to 0 over 10 epochs of 469 steps, Keras's epsilon 1e-7).
RECIPES = {"cnn": (5e-3, 4690), "cnn-bn": (5e-3, 4690)}


def configs():
    """name -> (environment to set, intra-op threads or None for torch's default)."""
    n = os.cpu_count() or 1
    out = {"default": ({}, None)}
    for t in sorted({1, n}):
        for b in sorted({1, n}):
            out[f"intra{t}-blas{b}"] = ({"OMP_NUM_THREADS": str(t), "OPENBLAS_NUM_THREADS": str(b)}, t)
    return out


def idx(path):
    import numpy as np
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def seed_data():
    import numpy as np
    import torch
    g = np.random.default_rng(42)
    return (torch.tensor(g.standard_normal((1000, 20)), dtype=torch.float32),
            torch.tensor(g.standard_normal((1000, 1)), dtype=torch.float32))


def mnist_data(folder, split="train", images=False):
    """x as (N, 784), or as (N, 1, 28, 28) images (PyTorch's NCHW) when images; y as class indices."""
    import numpy as np
    import torch
    prefix = "train" if split == "train" else "t10k"
    x = idx(f"{folder}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    x = x.reshape(-1, 1, 28, 28) if images else x.reshape(-1, 784)
    y = idx(f"{folder}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def cnn(batch_norm):
    """The CNN samples' model in PyTorch, initialised as Keras initialises it."""
    from torch import nn

    if not batch_norm:
        layers = [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Dropout(0.5), nn.Linear(5 * 5 * 64, 10)]
    else:
        layers = []
        for c_in, c_out in ((1, 32), (32, 64)):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01), nn.ReLU(),
                       nn.Dropout2d(0.1), nn.MaxPool2d(2)]
        layers += [nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.BatchNorm1d(128, eps=1e-3, momentum=0.01), nn.ReLU(),
                   nn.Dropout(0.5), nn.Linear(128, 10)]
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def recipe(a):
    """(starting learning rate, cosine decay steps or 0 for a constant rate): the sample's optimizer,
    or --lr and --decay-steps where given."""
    lr, steps = RECIPES.get(a.model, (1e-3, 0))
    return (a.lr if a.lr is not None else lr), (a.decay_steps if a.decay_steps is not None else steps)


def cosine_decay(opt, decay_steps, warmup_steps=0, warmup_factor=1.0):
    """Keras's CosineDecay with alpha 0, stepped once per update: lr0 · ½(1 + cos(π min(t, T) / T)); with a
    warm-up, first linear from lr0 to lr0 · warmup_factor (Keras's warmup_target) over warmup_steps, then the
    cosine from there."""
    import math
    import torch

    def factor(t):
        if t < warmup_steps:
            return 1 + (warmup_factor - 1) * t / warmup_steps
        s = min(t - warmup_steps, decay_steps)
        return warmup_factor * 0.5 * (1 + math.cos(math.pi * s / decay_steps))
    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def shifted(xb, pixels, gen):
    """Each image moved by its own (dy, dx), each uniform in [-pixels, pixels], zeros shifted in."""
    import torch
    n, _, h, w = xb.shape
    padded = torch.nn.functional.pad(xb, (pixels, pixels, pixels, pixels))
    d = torch.randint(0, 2 * pixels + 1, (n, 2), generator=gen)
    return torch.stack([padded[j, :, d[j, 0]:d[j, 0] + h, d[j, 1]:d[j, 1] + w] for j in range(n)])


def epoch(model, opt, sched, loss_fn, x, y, batch, gen, flip=False, shift=0, ema=None):
    """One pass over shuffled mini-batches; with flip, each image mirrored left-right with probability ½;
    with shift, each image moved by up to that many pixels; ema: (momentum, copy) pairs updated after each step."""
    import torch
    order = torch.randperm(x.shape[0], generator=gen)
    for s in range(0, x.shape[0], batch):
        i = order[s:s + batch]
        xb = x[i]
        if flip:
            m = torch.rand(xb.shape[0], generator=gen) < 0.5
            xb = torch.where(m.view(-1, 1, 1, 1), xb.flip(3), xb)
        if shift:
            xb = shifted(xb, shift, gen)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), y[i])
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        with torch.no_grad():
            for momentum, copy in ema or ():
                for e, p in zip(copy.parameters(), model.parameters()):
                    e.mul_(momentum).add_(p, alpha=1 - momentum)


def pools():
    """The thread pools that actually ran (threadpoolctl), or {} when it is not installed."""
    try:
        import threadpoolctl
    except ImportError:
        return {}
    out = {}
    for p in threadpoolctl.threadpool_info():
        if p.get("internal_api") == "openblas":
            out.update(blasThreads=p.get("num_threads"), blasCoretype=p.get("architecture"),
                       blas="openblas-" + str(p.get("version")))
        elif p.get("user_api") == "blas":
            out.update(blasThreads=p.get("num_threads"), blas=str(p.get("internal_api")))
        elif p.get("user_api") == "openmp":
            out.setdefault("ompThreads", p.get("num_threads"))
    return out


def measure(a, threads):
    """Trains in this process and returns the result object."""
    import torch
    from torch import nn
    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(a.seed)
    if a.model == "seed":
        x, y = seed_data()
        model = nn.Sequential(nn.Linear(20, 10), nn.ReLU(), nn.Dropout(0.5), nn.Linear(10, 1))
        loss_fn, batch = nn.MSELoss(), 32
    elif a.model in ("cnn", "cnn-bn"):
        x, y = mnist_data(a.data, images=True)
        model, loss_fn, batch = cnn(a.model == "cnn-bn"), nn.CrossEntropyLoss(), 128
    else:
        x, y = mnist_data(a.data)
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(),
                              nn.Dropout(0.5), nn.Linear(512, 10))
        loss_fn, batch = nn.CrossEntropyLoss(), 128
    if a.rows:
        x, y = x[:a.rows], y[:a.rows]
    lr, decay_steps = recipe(a)
    eps = 1e-7 if a.model.startswith("cnn") else 1e-8
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, eps=eps, weight_decay=a.weight_decay) if a.weight_decay
           else torch.optim.Adam(model.parameters(), lr=lr, eps=eps))
    if a.label_smoothing:
        loss_fn = nn.CrossEntropyLoss(label_smoothing=a.label_smoothing)
    sched = (cosine_decay(opt, decay_steps, a.warmup_steps, a.warmup_target / lr if a.warmup_target else 1.0)
             if decay_steps else None)
    model.train()
    gen = torch.Generator().manual_seed(a.seed)
    if a.accuracy:
        return accuracy_run(a, model, opt, sched, loss_fn, x, y, batch, gen)
    epoch(model, opt, sched, loss_fn, x, y, batch, gen)
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        epoch(model, opt, sched, loss_fn, x, y, batch, gen)
        times.append(time.perf_counter() - t0)
    ms = statistics.median(times) * 1e3
    steps = (x.shape[0] + batch - 1) // batch
    return {"peer": "pytorch", "model": a.model, "torch": torch.__version__, "intraOpThreads": torch.get_num_threads(),
            **pools(), "rows": x.shape[0], "batch": batch, "repeats": a.repeats, "medianEpochMs": ms,
            "samplesPerSec": x.shape[0] / (ms / 1e3), "usPerStep": ms * 1e3 / steps}


def accuracy_run(a, model, opt, sched, loss_fn, x, y, batch, gen):
    """Trains a.accuracy epochs; the test accuracy (and the epoch's seconds) after each."""
    import torch
    import copy
    tx, ty = mnist_data(a.data, "test", images=a.model.startswith("cnn"))
    if a.standardize:
        mean, std = float(x.mean()), float(x.std())
        x, tx = (x - mean) / std, (tx - mean) / std
    ema = [(m, copy.deepcopy(model)) for m in a.ema or ()]
    accuracies, ema_accuracies, seconds = [], [], []

    def tested(m):
        m.eval()
        with torch.no_grad():
            return sum(int((m(tx[s:s + 1000]).argmax(1) == ty[s:s + 1000]).sum())
                       for s in range(0, tx.shape[0], 1000)) / tx.shape[0]

    for _ in range(a.accuracy):
        model.train()
        t0 = time.perf_counter()
        epoch(model, opt, sched, loss_fn, x, y, batch, gen, a.flip, a.shift, ema)
        seconds.append(time.perf_counter() - t0)
        accuracies.append(tested(model))
        ema_accuracies.append([tested(c) for _, c in ema])
        print(f"train_bench.py {a.model}: epoch {len(accuracies)} test accuracy {accuracies[-1]:.4f} "
              + "".join(f"ema {m} {t:.4f} " for (m, _), t in zip(ema, ema_accuracies[-1]))
              + f"({seconds[-1]:.1f} s)", file=sys.stderr, flush=True)
    return {"peer": "pytorch", "model": a.model, "torch": torch.__version__, "intraOpThreads": torch.get_num_threads(),
            "rows": x.shape[0], "batch": batch, "epochs": a.accuracy, "testAccuracy": accuracies,
            **({"emaTestAccuracy": {str(m): [e[j] for e in ema_accuracies] for j, (m, _) in enumerate(ema)}} if ema else {}),
            "epochSeconds": seconds, "samplesPerSec": x.shape[0] / statistics.median(seconds)}


def child_args(a):
    out = [a.model, "--data", a.data, "--repeats", str(a.repeats)]
    out += ["--lr", str(a.lr)] if a.lr is not None else []
    out += ["--decay-steps", str(a.decay_steps)] if a.decay_steps is not None else []
    return out + (["--rows", str(a.rows)] if a.rows else [])


def run_config(a, name):
    """Runs one configuration in a process of its own, with its environment; returns its result."""
    env_add, _ = configs()[name]
    env = {**os.environ, **env_add, MARK: name}
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), *child_args(a), "--config", name],
                          env=env, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"train_bench.py: configuration {name} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", choices=["seed", "mnist", "cnn", "cnn-bn"])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--seed", type=int, default=42, help="the initialisation's and the shuffle's seed")
    p.add_argument("--config", choices=list(configs()), help="run this configuration only")
    p.add_argument("--threads", type=int, help="run once in this process with torch.set_num_threads(N)")
    p.add_argument("--accuracy", type=int, metavar="E", help="with --threads: train E epochs, report test accuracy")
    p.add_argument("--lr", type=float, help="Adam's starting learning rate instead of the sample's")
    p.add_argument("--decay-steps", type=int, help="cosine-decay steps instead of the sample's (0: constant)")
    p.add_argument("--warmup-steps", type=int, default=0, help="linear warm-up steps before the cosine decay")
    p.add_argument("--warmup-target", type=float, help="the learning rate the warm-up reaches (Keras's warmup_target)")
    p.add_argument("--weight-decay", type=float, help="decoupled weight decay (AdamW, Keras's Adam weight_decay)")
    p.add_argument("--label-smoothing", type=float, help="cross-entropy label smoothing")
    p.add_argument("--flip", action="store_true", help="with --accuracy: mirror each training image with probability 1/2")
    p.add_argument("--shift", type=int, default=0, help="with --accuracy: move each training image by up to N pixels")
    p.add_argument("--standardize", action="store_true", help="with --accuracy: inputs to zero mean, unit variance")
    p.add_argument("--ema", type=float, nargs="*", help="with --accuracy: also test moving averages of the weights")
    p.add_argument("--list-configs", action="store_true", help="print the configurations as JSON and exit")
    a = p.parse_args()
    if a.list_configs:
        print(json.dumps({k: {"env": e, "intraOpThreads": t} for k, (e, t) in configs().items()}))
        return
    if a.accuracy and a.threads is None:
        p.error("--accuracy needs --threads N (one process, one configuration)")
    if a.threads is not None:
        print(json.dumps({"config": f"threads{a.threads}", **measure(a, a.threads)}))
        return
    if a.config:
        env_add, threads = configs()[a.config]
        if os.environ.get(MARK) != a.config:
            # Called directly: start again with the configuration's environment, before torch loads.
            os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]],
                      {**os.environ, **env_add, MARK: a.config})
        print(json.dumps({"config": a.config, "env": env_add, **measure(a, threads)}))
        return
    results = [run_config(a, name) for name in configs()]
    best = max(results, key=lambda r: r["samplesPerSec"])
    for r in results:
        r["best"] = r is best
        print(json.dumps(r), flush=True)
    for r in results:
        print(f"train_bench.py {a.model}: {r['config']:<14} intra-op {r['intraOpThreads']}  OpenBLAS threads "
              f"{r.get('blasThreads', '?')} ({r.get('blasCoretype', '?')})  {r['samplesPerSec']:10.1f} samples/s  "
              f"{r['usPerStep']:9.1f} us/step{'  <- best' if r['best'] else ''}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch peer for `clgrad bench conv`: torch.nn.functional.conv2d on the same shape, forward, backward-data
(the input gradient) and backward-filter (the weight gradient), each timed alone as the median of repeats
after warm-up, at every intra-op thread count from 1 to the CPU count, each in its own process (oneDNN's
and OpenMP's threads are fixed when torch loads). FLOPs as clgrad counts them: 2·B·OH·OW·KH·KW·C_in·C_out
per pass.

    /usr/bin/python3 bench/pytorch/conv_bench.py --batch 128 --h 28 --w 28 --cin 1 --cout 32 --kernel 3
    /usr/bin/python3 bench/pytorch/conv_bench.py --batch 128 --h 13 --w 13 --cin 32 --cout 64 --kernel 3

Prints one JSON object per thread count (forwardMedianMs, forwardGflops, backwardDataMedianMs, …), the best
forward+backward total marked "best": true, then a summary on stderr. The layout is PyTorch's own NCHW: each
engine is timed in its native layout, as a user of it would run it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MARK = "CLGRAD_CONV_THREADS"


def median_ms(fn, repeats):
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def measure(a, threads):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    pad = (a.kernel - 1) // 2 if a.padding == "same" else 0
    x = torch.randn(a.batch, a.cin, a.h, a.w)
    w = torch.randn(a.cout, a.cin, a.kernel, a.kernel)
    y = F.conv2d(x, w, stride=a.stride, padding=pad)
    dy = torch.randn_like(y)
    flops = 2.0 * a.batch * y.shape[2] * y.shape[3] * a.kernel * a.kernel * a.cin * a.cout
    with torch.no_grad():
        fwd = median_ms(lambda: F.conv2d(x, w, stride=a.stride, padding=pad), a.repeats)
    bwd_data = median_ms(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=a.stride, padding=pad), a.repeats)
    bwd_filter = median_ms(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=a.stride, padding=pad),
                           a.repeats)
    out = {"peer": "pytorch", "op": "conv", "torch": torch.__version__, "intraOpThreads": torch.get_num_threads(),
           "batch": a.batch, "h": a.h, "w": a.w, "cin": a.cin, "cout": a.cout, "kernel": a.kernel,
           "stride": a.stride, "padding": a.padding, "oh": y.shape[2], "ow": y.shape[3], "flops": flops,
           "repeats": a.repeats}
    for name, ms in (("forward", fwd), ("backwardData", bwd_data), ("backwardFilter", bwd_filter)):
        out[name + "MedianMs"] = ms
        out[name + "Gflops"] = flops / (ms * 1e6)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in (("batch", 128), ("h", 28), ("w", 28), ("cin", 1), ("cout", 32), ("kernel", 3),
                          ("stride", 1), ("repeats", 10)):
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--padding", choices=["valid", "same"], default="valid")
    p.add_argument("--threads", type=int, help="one process, this many intra-op threads")
    a = p.parse_args()
    if a.padding == "same" and (a.kernel % 2 == 0 or a.stride != 1):
        p.error("--padding same here takes an odd kernel and stride 1 (symmetric padding)")
    if a.threads is not None:
        print(json.dumps(measure(a, a.threads)))
        return
    results = []
    for t in range(1, (os.cpu_count() or 1) + 1):
        env = {**os.environ, "OMP_NUM_THREADS": str(t), MARK: str(t)}
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--threads", str(t)],
                              env=env, stdout=subprocess.PIPE, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    total = lambda r: r["forwardMedianMs"] + r["backwardDataMedianMs"] + r["backwardFilterMedianMs"]
    best = min(results, key=total)
    for r in results:
        r["best"] = r is best
        print(json.dumps(r), flush=True)
        print(f"conv_bench.py {a.h}x{a.w}x{a.cin} -> {a.cout}: {r['intraOpThreads']} threads  forward "
              f"{r['forwardMedianMs']:.2f} ms ({r['forwardGflops']:.1f} GFLOP/s)  backward-data "
              f"{r['backwardDataMedianMs']:.2f} ms  backward-filter {r['backwardFilterMedianMs']:.2f} ms"
              f"{'  <- best' if r['best'] else ''}", file=sys.stderr)


if __name__ == "__main__":
    main()

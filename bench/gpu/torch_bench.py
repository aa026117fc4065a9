"""PyTorch peers of clgrad's GPU benchmarks, on the same GPU in the same run (bench/gpu/run.sh).

    python3 torch_bench.py [--device cuda|cpu|auto] [--gemm 1024,2048] [--n N] [--data DIR]
                           [--epochs E] [--batch B] [--repeats R]

Prints one JSON line per measurement on stdout ({"tool": "torch", "bench": ...}); a part that fails
prints {"tool": "torch", "bench": ..., "error": ...} and the others still run.
- gemm: C = A·B, float32 (TF32 off: torch.backends.cuda.matmul.allow_tf32 = False), the cuBLAS
  peer of `clgrad bench gemm`; gflops = 2·n³ / median time.
- copy, dropout, adamw: n floats; gbps counts bytes as clgrad's bench does (copy and dropout 8·n:
  read once, written once; AdamW 28·n: p, m, v read and written, g read).
- mlp: the Fashion-MNIST MLP of samples/fashion-mnist-mlp.json (784-512-ReLU-Dropout(0.5)-512-ReLU-
  Dropout(0.5)-10, Adam 1e-3, batch 128, cross-entropy), data resident on the device, reshuffled
  every epoch; samplesPerSec over all epochs including the first, as clgrad's History counts it.
Times: CUDA events around each run on a GPU, wall clock on the CPU; the median of the timed runs
after warm-up runs.
"""
import argparse
import json
import os
import statistics
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idx_data import NAMES, read_idx  # noqa: E402


def emit(**fields):
    print(json.dumps({"tool": "torch", **fields}), flush=True)


def median_ms(torch, device, op, repeats, warmup):
    for _ in range(warmup):
        op()
    times = []
    if device.type == "cuda":
        torch.cuda.synchronize()
        for _ in range(repeats):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            op()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    else:
        for _ in range(repeats):
            t0 = time.perf_counter()
            op()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def bench_gemm(torch, device, n, a):
    g = torch.Generator(device=device).manual_seed(n)
    x = torch.rand(n, n, device=device, generator=g) * 2 - 1
    y = torch.rand(n, n, device=device, generator=g) * 2 - 1
    c = torch.empty(n, n, device=device)
    ms = median_ms(torch, device, lambda: torch.mm(x, y, out=c), a.repeats, a.warmup)
    emit(bench="gemm", device=str(device), m=n, n=n, k=n, medianMs=ms, gflops=2.0 * n ** 3 / (ms * 1e6))


def bench_copy(torch, device, n, a):
    x = torch.rand(n, device=device)
    y = torch.empty_like(x)
    ms = median_ms(torch, device, lambda: y.copy_(x), a.repeats, a.warmup)
    emit(bench="copy", device=str(device), n=n, medianMs=ms, gbps=8.0 * n / (ms * 1e6))


def bench_dropout(torch, device, n, a):
    x = torch.rand(n, device=device) * 2 - 1
    ms = median_ms(torch, device, lambda: torch.nn.functional.dropout(x, 0.5, training=True), a.repeats, a.warmup)
    emit(bench="dropout", device=str(device), n=n, p=0.5, medianMs=ms, gbps=8.0 * n / (ms * 1e6))


def bench_adamw(torch, device, n, a):
    p = torch.nn.Parameter(torch.rand(n, device=device) * 2 - 1)
    p.grad = torch.rand(n, device=device) * 2 - 1
    fused = device.type == "cuda"
    try:
        opt = torch.optim.AdamW([p], lr=1e-3, weight_decay=0.01, fused=fused)
    except (TypeError, RuntimeError):  # older torch: no fused AdamW (or no fused argument at all)
        fused = False
        opt = torch.optim.AdamW([p], lr=1e-3, weight_decay=0.01)
    ms = median_ms(torch, device, opt.step, a.repeats, a.warmup)
    emit(bench="adamw", device=str(device), n=n, fused=fused, medianMs=ms, gbps=28.0 * n / (ms * 1e6))


def load(torch, device, data, split):
    dims, images = read_idx(os.path.join(data, NAMES[f"{split}_images"]))
    _, labels = read_idx(os.path.join(data, NAMES[f"{split}_labels"]))
    x = torch.frombuffer(bytearray(images), dtype=torch.uint8).view(dims[0], -1).to(device).float() / 255
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).to(device).long()
    return x, y


def bench_mlp(torch, device, a):
    nn = torch.nn
    x, y = load(torch, device, a.data, "train")
    xt, yt = load(torch, device, a.data, "test")
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(),
                          nn.Dropout(0.5), nn.Linear(512, 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    samples = x.shape[0]
    epoch_s, losses = [], []
    for _ in range(a.epochs):
        model.train()
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        order = torch.randperm(samples, device=device)
        total = torch.zeros((), device=device)
        for i in range(0, samples, a.batch):
            idx = order[i:i + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.detach() * idx.numel()
        if device.type == "cuda":
            torch.cuda.synchronize()
        epoch_s.append(time.perf_counter() - t0)
        losses.append(total.item() / samples)
    model.eval()
    with torch.no_grad():
        logits = model(xt)
        test_loss = loss_fn(logits, yt).item()
        accuracy = (logits.argmax(1) == yt).float().mean().item()
    emit(bench="mlp", device=str(device), samples=samples, epochs=a.epochs, batch=a.batch, trainLoss=losses,
         testLoss=test_loss, testAccuracy=accuracy, epochSeconds=epoch_s,
         samplesPerSec=samples * a.epochs / sum(epoch_s),
         samplesPerSecAfterFirstEpoch=samples * (a.epochs - 1) / sum(epoch_s[1:]) if a.epochs > 1 else None)


def part(name, fn):
    try:
        fn()
    except Exception as e:  # one failing part must not stop the others
        traceback.print_exc()
        emit(bench=name, error=f"{type(e).__name__}: {e}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu", "auto"],
                   help="auto: CUDA when available, else the CPU (default: cuda, which fails without CUDA)")
    p.add_argument("--gemm", default="1024,2048,4096,8192", help="square GEMM sizes, comma-separated ('' for none)")
    p.add_argument("--n", type=int, default=1 << 26, help="floats for copy, dropout and AdamW (0 for none)")
    p.add_argument("--data", help="folder of the Fashion-MNIST IDX files for the MLP (none: skip it)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    a = p.parse_args()
    try:
        import torch
    except ImportError as e:
        emit(bench="setup", error=f"PyTorch is not installed for {sys.executable}: {e}")
        return 3
    cuda = torch.cuda.is_available()
    if a.device == "cuda" and not cuda:
        emit(bench="setup", error=f"no CUDA device: torch {torch.__version__} (CUDA build {torch.version.cuda}) "
                                  f"reports torch.cuda.is_available() == False")
        return 3
    device = torch.device("cuda" if a.device == "cuda" or a.device == "auto" and cuda else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    emit(bench="setup", device=str(device), deviceName=name, torch=torch.__version__, cuda=torch.version.cuda,
         allowTf32=torch.backends.cuda.matmul.allow_tf32,
         note=None if device.type == "cuda" else "no CUDA device: measured on the CPU instead")
    for n in [int(s) for s in a.gemm.split(",") if s.strip()]:
        part("gemm", lambda n=n: bench_gemm(torch, device, n, a))
    if a.n > 0:
        part("copy", lambda: bench_copy(torch, device, a.n, a))
        part("dropout", lambda: bench_dropout(torch, device, a.n, a))
        part("adamw", lambda: bench_adamw(torch, device, a.n, a))
    if a.data:
        part("mlp", lambda: bench_mlp(torch, device, a))
    return 0


if __name__ == "__main__":
    sys.exit(main())

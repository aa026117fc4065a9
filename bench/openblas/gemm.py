#!/usr/bin/env python3
"""SGEMM through numpy's BLAS (OpenBLAS when bench/install-peers.sh installed it), the peer of
`clgrad bench gemm --device java`: C = A·B, float32, square sizes, timed the same way (at least 3
warm-up runs and 1 s, then the median of 10 timed runs), after checking 64 rows against float64.

    /usr/bin/python3 bench/openblas/gemm.py [SIZE ...]                   # every configuration
    /usr/bin/python3 bench/openblas/gemm.py --config auto-t1 1024 2048   # one configuration
    /usr/bin/python3 bench/openblas/gemm.py --list-configs

Configurations, each in its own process (OpenBLAS reads its environment when it loads):
    auto-tT        the core type OpenBLAS detects, OPENBLAS_NUM_THREADS=T
    CORE-tT        OPENBLAS_CORETYPE=CORE (each of Cooperlake, SkylakeX, Haswell that this CPU's flags
                   support and that is not what OpenBLAS detects anyway), OPENBLAS_NUM_THREADS=T
for T in {1, the CPU count}. One JSON object per configuration and size (the kernel and threads that
actually ran come from threadpoolctl when it is installed), the fastest configuration per size
marked "best": true, then a summary on stderr.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MARK = "CLGRAD_PEER_CONFIG"
# OpenBLAS core types worth forcing on x86-64, newest first, with the CPU flags each one's kernels need.
CORETYPES = [("Cooperlake", {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"}),
             ("SkylakeX", {"avx512f", "avx512bw", "avx512vl", "avx512dq"}),
             ("Haswell", {"avx2", "fma"})]


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def blas_info():
    """What OpenBLAS runs with in this process: {blasCoretype, blasThreads, blas} (threadpoolctl), or {}."""
    try:
        import threadpoolctl
    except ImportError:
        return {}
    for p in threadpoolctl.threadpool_info():
        if p.get("user_api") == "blas":
            return {"blasCoretype": p.get("architecture"), "blasThreads": p.get("num_threads"),
                    "blas": f"{p.get('internal_api')}-{p.get('version')}"}
    return {}


def detected_coretype():
    """The core type OpenBLAS picks by itself, asked of a fresh process without OPENBLAS_CORETYPE."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    try:
        out = subprocess.run([sys.executable, "-c", "import numpy, threadpoolctl, json; print(json.dumps("
                              "[p.get('architecture') for p in threadpoolctl.threadpool_info() "
                              "if p.get('user_api') == 'blas']))"], env=env, capture_output=True, text=True,
                             timeout=60)
        found = json.loads(out.stdout)
        return found[0] if found else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def configs():
    """name -> environment to set."""
    n = os.cpu_count() or 1
    flags = cpu_flags()
    detected = (detected_coretype() or "").lower()
    cores = [c for c, need in CORETYPES if need <= flags and c.lower() != detected]
    out = {}
    for core in ["auto"] + cores:
        for t in sorted({1, n}):
            env = {"OPENBLAS_NUM_THREADS": str(t)}
            if core != "auto":
                env["OPENBLAS_CORETYPE"] = core
            out[f"{core}-t{t}"] = env
    return out


def measure(sizes, warmup_seconds):
    import numpy as np
    results = []
    for n in sizes:
        rng = np.random.default_rng(0)
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        c = np.empty((n, n), dtype=np.float32)
        np.matmul(a, b, out=c)
        rows = np.linspace(0, n - 1, min(n, 64)).astype(int)
        ref = a[rows].astype(np.float64) @ b.astype(np.float64)
        err = float(np.max(np.abs(c[rows] - ref)) / np.max(np.abs(ref)))
        t_start, i = time.perf_counter(), 0
        while i < 3 or time.perf_counter() - t_start < warmup_seconds:
            np.matmul(a, b, out=c)
            i += 1
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            times.append(time.perf_counter() - t0)
        ms = statistics.median(times) * 1e3
        results.append({"op": "gemm", "peer": "openblas", "numpy": np.__version__, **blas_info(),
                        "m": n, "n": n, "k": n, "repeats": 10, "medianMs": ms, "gflops": 2.0 * n ** 3 / ms / 1e6,
                        "maxRelError": err})
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sizes", type=int, nargs="*", default=[1024, 2048])
    p.add_argument("--config", help="run this configuration only (a name from --list-configs)")
    p.add_argument("--list-configs", action="store_true", help="print the configurations as JSON and exit")
    p.add_argument("--warmup-seconds", type=float, default=1.0)
    a = p.parse_args()
    if a.list_configs:
        print(json.dumps(configs()))
        return
    if a.config:
        if os.environ.get(MARK) != a.config:
            all_configs = configs()
            if a.config not in all_configs:
                raise SystemExit(f"gemm.py: unknown configuration {a.config}; expected one of {', '.join(all_configs)}")
            os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]],
                      {**os.environ, **all_configs[a.config], MARK: a.config})
        env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS") if k in os.environ}
        for r in measure(a.sizes, a.warmup_seconds):
            print(json.dumps({"config": a.config, "env": env, **r}), flush=True)
        return
    results = []
    for name, env in configs().items():
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--config", name,
                               "--warmup-seconds", str(a.warmup_seconds), *map(str, a.sizes)],
                              env={**os.environ, **env, MARK: name}, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"gemm.py: configuration {name} failed with exit code {proc.returncode}")
        results += [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    for n in a.sizes:
        same = [r for r in results if r["m"] == n]
        best = max(same, key=lambda r: r["gflops"])
        for r in same:
            r["best"] = r is best
    for r in results:
        print(json.dumps(r))
    for r in results:
        print(f"gemm.py {r['m']}^3: {r['config']:<14} kernel {r.get('blasCoretype', '?'):<11} threads "
              f"{r.get('blasThreads', '?')}  {r['gflops']:7.1f} GFLOP/s  maxRelError {r['maxRelError']:.2g}"
              f"{'  <- best' if r['best'] else ''}", file=sys.stderr)


if __name__ == "__main__":
    main()

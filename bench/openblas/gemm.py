#!/usr/bin/env python3
"""SGEMM through numpy's BLAS (OpenBLAS when bench/install-peers.sh installed it), the peer of
`clgrad bench gemm --device java`: C = A·B, float32, square sizes, median of 10 timed runs after one
warm-up, printed in the same key=value form.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/openblas/gemm.py 1024 2048
"""
import os
import statistics
import sys
import time

import numpy as np


def main(sizes):
    for n in sizes:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), dtype=np.float32)
        np.matmul(a, b, out=c)
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            times.append(time.perf_counter() - t0)
        ms = statistics.median(times) * 1e3
        print(f"op=gemm  peer=numpy-{np.__version__}  coretype={os.environ.get('OPENBLAS_CORETYPE', '-')}  "
              f"m={n}  n={n}  k={n}  repeats=10  medianMs={ms:.3f}  gflops={2.0 * n ** 3 / ms / 1e6:.1f}")


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [1024, 2048])

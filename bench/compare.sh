#!/usr/bin/env bash
# One comparison command: clgrad on every CPU path (the Java backend with and without the Vector API
# module, OpenCL on PoCL) next to every peer at each of its configurations (PyTorch, Deeplearning4j,
# OpenBLAS through numpy, CLBlast), back to back in alternating rounds, on the same data and models.
#
#   bench/compare.sh [--quick] [--out DIR] [--rounds N] [--only mnist,seed,gemm,coldstart] [--no-build]
#
# Writes DIR/results.json, DIR/results.md and DIR/logs/ (default DIR: bench/out/DATE-TIME, git-ignored).
# --quick: 5,000 rows, fewer repeats, 1 round (a few minutes); the default: 20,000 rows, 2 rounds.
# Peers come from bench/install-peers.sh; a missing one is recorded as missing. Method: docs/BENCHMARKS.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Debian's python3 has the peers' packages (python3-torch, python3-numpy); another python3 on PATH may not.
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3 || true)
[[ -n $py ]] || { echo "compare.sh: no python3 found" >&2; exit 1; }
exec "$py" "$here/compare.py" "$@"

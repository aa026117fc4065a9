#!/usr/bin/env bash
# Installs the benchmark peers (not needed to build or test clgrad): PyTorch 1.13 CPU and numpy from
# Debian, OpenBLAS as the system BLAS (without it Debian's numpy and torch fall back to the slow
# reference BLAS), and CLBlast for the OpenCL GEMM comparison. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread libclblast-dev ocl-icd-opencl-dev gcc

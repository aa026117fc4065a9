#!/usr/bin/env bash
# Installs the benchmark peers (not needed to build or test clgrad): PyTorch 1.13 CPU and numpy from
# Debian, OpenBLAS as the system BLAS (without it Debian's numpy and torch fall back to the slow
# reference BLAS), threadpoolctl (to report which OpenBLAS kernel and how many threads a peer ran
# with), CLBlast for the OpenCL GEMM comparison and its tuners (clblast-utils), and gcc to build the
# CLBlast peer. The DL4J peer (bench/dl4j/) needs only Maven, which the build needs anyway; its first
# run downloads Deeplearning4j from Maven Central. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-torch python3-numpy python3-threadpoolctl libopenblas0-pthread \
    libclblast-dev clblast-utils ocl-icd-opencl-dev gcc

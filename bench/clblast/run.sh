#!/bin/sh
# Builds and runs the CLBlast SGEMM benchmark peer (Debian: libclblast-dev, from bench/install-peers.sh),
# then, when clgrad-cli/target/clgrad exists, clgrad's own `bench gemm` on the same OpenCL device at the same sizes.
# Usage: bench/clblast/run.sh [--params FILE] [SIZE ...]   (default 1024 2048); one JSON line per measurement.
# --params FILE: CLBlast's kernel parameters from bench/clblast/tune.sh (default: CLBlast's database).
# bench/compare.sh runs both configurations (database and tuned) next to every other engine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TMPDIR:-/tmp}/clgrad-clblast-sgemm
cc -O2 -o "$bin" "$here/clblast_sgemm.c" -lclblast -lOpenCL -lm
params=""
if [ "${1:-}" = "--params" ]; then
    params=$2
    shift 2
fi
[ $# -gt 0 ] || set -- 1024 2048
if [ -n "$params" ]; then
    "$bin" --params "$params" "$@"
else
    "$bin" "$@"
fi
if [ -x "$root/clgrad-cli/target/clgrad" ]; then
    for s in "$@"; do
        "$root/clgrad-cli/target/clgrad" bench gemm --device opencl --m "$s" --n "$s" --k "$s" --json
    done
fi

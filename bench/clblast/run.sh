#!/bin/sh
# Builds and runs the CLBlast SGEMM benchmark peer (Debian: apt-get install -y libclblast-dev),
# then, when target/clgrad.jar exists, clgrad's own `bench gemm` at the same sizes in the same run.
# Usage: bench/clblast/run.sh [SIZE ...]   (default 1024 2048); one JSON line per measurement.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TMPDIR:-/tmp}/clgrad-clblast-sgemm
cc -O2 -o "$bin" "$here/clblast_sgemm.c" -lclblast -lOpenCL -lm
[ $# -gt 0 ] || set -- 1024 2048
"$bin" "$@"
if [ -f "$root/target/clgrad.jar" ]; then
    for s in "$@"; do
        java -jar "$root/target/clgrad.jar" bench gemm --device opencl --m "$s" --n "$s" --k "$s" --json
    done
fi

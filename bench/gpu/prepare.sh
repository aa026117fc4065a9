#!/usr/bin/env bash
# Prepares the GPU run on this machine (issue 7): builds clgrad-cli/target/clgrad.jar, packs .gpu/ with
# ../shared/device/pack.sh (Java runtime, ICD loader, jar), then adds .gpu/data: the first
# TRAIN_SAMPLES (default 20000) Fashion-MNIST training samples and all 10000 test samples, gzipped,
# because the GPU machine has no datasets and a device run carries at most 64 MiB.
#   bench/gpu/prepare.sh        then run, carrying ".gpu":   bash bench/gpu/run.sh
# Env: PACK (path of pack.sh), DATASET (default /usr/share/datasets/fashion-mnist), TRAIN_SAMPLES,
#      SKIP_BUILD=1 (use the jar already in clgrad-cli/target/).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
pack=${PACK:-$root/../shared/device/pack.sh}
dataset=${DATASET:-/usr/share/datasets/fashion-mnist}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    mvn -q -B package -DskipTests
fi
"$pack" clgrad-cli/target/clgrad.jar
python3 "$here/idx_data.py" subset "$dataset" "$(git rev-parse --show-toplevel)/.gpu/data" \
    --train "${TRAIN_SAMPLES:-20000}"
size=$(du -sm "$(git rev-parse --show-toplevel)/.gpu" | cut -f1)
echo "prepare: .gpu is ${size} MiB (a device run carries at most 64 MiB)"
[ "$size" -le 64 ] || { echo "prepare: .gpu is too large to carry; lower TRAIN_SAMPLES" >&2; exit 1; }

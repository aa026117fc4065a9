#!/usr/bin/env bash
# Deeplearning4j peer for `clgrad bench train samples/fashion-mnist-mlp.json`: builds this bench-only
# project (its own pom, not part of the library build) and trains the same MLP on Fashion-MNIST.
#   bench/dl4j/run.sh [--data DIR] [--rows R] [--repeats N]
# Prints one JSON object (samplesPerSec, usPerStep, medianEpochMs) on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [[ ! -f target/classpath.txt || ! -d target/classes || src -nt target/classes || pom.xml -nt target/classpath.txt ]]; then
  mvn -q -B package -DskipTests >&2
fi
exec java -cp "target/classes:$(cat target/classpath.txt)" dev.clgrad.bench.dl4j.TrainBench "$@"

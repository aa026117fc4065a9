#!/usr/bin/env bash
# Deeplearning4j peer for `clgrad bench train samples/fashion-mnist-mlp.json`: builds this bench-only
# project (its own pom, not part of the library build) and trains the same MLP on Fashion-MNIST.
#   bench/dl4j/run.sh [--data DIR] [--rows R] [--repeats N] [--config default|omp1|ompN | --list-configs]
# Without --config: every thread configuration (nothing set; OMP_NUM_THREADS=1; =N), each in its own
# JVM, one JSON object each on stdout (samplesPerSec, usPerStep, medianEpochMs), the fastest "best":true.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [[ ! -f target/classpath.txt || ! -d target/classes || src -nt target/classes || pom.xml -nt target/classpath.txt ]]; then
  mvn -q -B package -DskipTests >&2
fi
exec java -cp "target/classes:$(cat target/classpath.txt)" dev.clgrad.bench.dl4j.TrainBench "$@"

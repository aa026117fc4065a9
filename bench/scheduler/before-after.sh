#!/usr/bin/env bash
# Training throughput before and after a change, measured back to back and alternating:
#   bench/scheduler/before-after.sh BEFORE.jar BEFORE_SAMPLES_DIR AFTER.jar [ROUNDS]
# BEFORE_SAMPLES_DIR holds the configs as the old jar reads them (samples/ of that commit). Runs
# `bench train` of the seed SimpleNet (µs per step, 101 timed epochs) and of the Fashion-MNIST MLP
# (samples/s, 20,000 rows) on java (Vector API) and opencl:0:0, the old jar then the new one, for
# ROUNDS rounds (default 3), and prints one JSON line per run and the medians per (model, device, jar).
set -euo pipefail
before=$1; before_samples=$2; after=$3; rounds=${4:-3}
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
run() {  # jar samples model device
  local args
  if [ "$3" = seed ]; then args="$2/seed-simplenet.json --repeats 101"; else args="$2/fashion-mnist-mlp.json --rows 20000"; fi
  java --add-modules jdk.incubator.vector -jar "$1" bench train $args --device "$4" --json 2>/dev/null
}
for r in $(seq 1 "$rounds"); do
  for model in seed mlp; do
    for device in java opencl:0:0; do
      for which in before after; do
        if [ $which = before ]; then line=$(run "$before" "$before_samples" $model $device); else line=$(run "$after" "$here/samples" $model $device); fi
        echo "{\"round\":$r,\"model\":\"$model\",\"device\":\"$device\",\"jar\":\"$which\",\"result\":$line}" | tee -a "$out"
      done
    done
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("model device jar median(samples/s) median(us/step)")
for model in ("seed", "mlp"):
    for device in ("java", "opencl:0:0"):
        for jar in ("before", "after"):
            rs = [r["result"] for r in rows if (r["model"], r["device"], r["jar"]) == (model, device, jar)]
            sps = statistics.median(x["samplesPerSec"] for x in rs)
            us = statistics.median(x["usPerStep"] for x in rs)
            print(f"{model} {device} {jar} {sps:.0f} {us:.1f}")
PY

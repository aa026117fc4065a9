#!/usr/bin/env bash
# The GPU run of issue 7 in one go, from the project root, after bench/gpu/prepare.sh has packed
# .gpu/ (Java runtime, ICD loader, jar, data) and with ".gpu" carried to the GPU machine:
#   bash bench/gpu/run.sh
# 1. the devices; 2. `clgrad selftest` on the GPU; 3. `bench gemm` at 1024..8192 and PyTorch's
# float32 matmul (TF32 off); 4. `bench dropout` and `bench adam` with the copy bandwidth of clgrad
# and of PyTorch; 5. Fashion-MNIST MLP training samples/s, clgrad and PyTorch, and the plan of its
# training step (`explain`: launches, fused ops, peak workspace); 6. a summary with
# the ratios (bench/gpu/summary.py). Every result is one JSON line in $OUT/results.jsonl; the log is
# $OUT/run.log, the summary $OUT/summary.txt. A missing or failing piece (no torch, no CUDA, a
# failed check, a timeout) is recorded as {"error": ...} and the run goes on; the exit code is 0
# only when every piece produced a result and the selftest passed.
# Env: DEVICE (default opencl:gpu); QUICK=1 (small sizes; PyTorch falls back to the CPU without
# CUDA); GEMM_SIZES, MEM_N, EPOCHS override the sizes; PYTHON (default python3); OUT (default: a
# new temporary folder); STEP_TIMEOUT seconds per clgrad step (default 240; PyTorch gets twice that).
set -uo pipefail
export PYTHONDONTWRITEBYTECODE=1
bench_dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$bench_dir/../.." && pwd)
cd "$root"
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
results=$out/results.jsonl
device=${DEVICE:-opencl:gpu}
python=${PYTHON:-python3}
step_timeout=${STEP_TIMEOUT:-240}
if [ "${QUICK:-0}" = 1 ]; then
    gemm_sizes=${GEMM_SIZES:-128 256}
    mem_n=${MEM_N:-1048576}
    epochs=${EPOCHS:-1}
    torch_device=auto
else
    gemm_sizes=${GEMM_SIZES:-1024 2048 4096 8192}
    mem_n=${MEM_N:-67108864}
    epochs=${EPOCHS:-5}
    torch_device=cuda
fi
failures=0

# A JSON string literal of stdin (control characters other than tab and newline dropped).
json_str() {
    printf '"%s"' "$(tr -d '\000-\010\013-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' \
        | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }')"
}

# note TOOL BENCH MESSAGE: records a missing piece and goes on.
note() {
    echo "run.sh: $1 $2: $3" >&2
    printf '{"tool":"%s","bench":"%s","error":%s}\n' "$1" "$2" "$(printf '%s' "$3" | json_str)" >>"$results"
    failures=$((failures + 1))
}

# clgrad BENCH ARGS...: runs `java -jar clgrad.jar ARGS --json` under the step timeout and records
# {"tool":"clgrad","bench":BENCH,"args":...,"exit":RC,"result":{...}} or, without a JSON result,
# {"tool":"clgrad","bench":BENCH,"args":...,"exit":RC,"error":"<the end of stderr>"}.
clgrad() {
    local bench=$1
    shift
    if [ -z "$jar" ]; then
        note clgrad "$bench" "no Java or no clgrad.jar: run bench/gpu/prepare.sh and carry .gpu"
        return
    fi
    local so se rc line
    so=$(mktemp)
    se=$(mktemp)
    echo "== clgrad $*" >&2
    timeout "$step_timeout" java -jar "$jar" "$@" --json >"$so" 2>"$se"
    rc=$?
    sed 's/^/   /' "$se" >&2
    line=$(tail -n 1 "$so")
    local args
    args=$(printf '%s' "$*" | json_str)
    if [ "${line:0:1}" = "{" ]; then
        printf '{"tool":"clgrad","bench":"%s","args":%s,"exit":%d,"result":%s}\n' "$bench" "$args" "$rc" "$line" \
            >>"$results"
        [ "$rc" = 0 ] || failures=$((failures + 1))
    else
        local why
        why=$( ( [ "$rc" = 124 ] && echo "timed out after ${step_timeout}s"
            grep -m 3 '^clgrad: ' "$se" || tail -n 5 "$se") | json_str)
        printf '{"tool":"clgrad","bench":"%s","args":%s,"exit":%d,"error":%s}\n' "$bench" "$args" "$rc" "$why" \
            >>"$results"
        failures=$((failures + 1))
    fi
    rm -f "$so" "$se"
}

main() {
    : >"$results"
    echo "run.sh: device $device, gemm sizes $gemm_sizes, n $mem_n, epochs $epochs; results in $out"
    if [ -f .gpu/gpu-env.sh ]; then
        # shellcheck disable=SC1091
        source .gpu/gpu-env.sh
    else
        note env gpu-env ".gpu/gpu-env.sh missing: using the java on PATH and the system ICD loader"
    fi
    jar=""
    for j in .gpu/jars/clgrad.jar clgrad-cli/target/clgrad.jar; do
        if [ -f "$j" ] && command -v java >/dev/null; then
            jar=$j
            break
        fi
    done
    echo "run.sh: java $(command -v java || echo none), jar ${jar:-none}, python $(command -v "$python" || echo none)"

    if [ -n "$jar" ]; then
        java -jar "$jar" devices || true
    fi
    clgrad devices devices
    clgrad selftest selftest --device "$device"

    for s in $gemm_sizes; do
        clgrad gemm bench gemm --device "$device" --m "$s" --n "$s" --k "$s"
    done
    clgrad dropout bench dropout --device "$device" --n "$mem_n"
    clgrad adam bench adam --device "$device" --n "$mem_n"

    local data=.gpu/data
    if [ ! -f "$data/train-images-idx3-ubyte.gz" ]; then
        data=$(mktemp -d)
        note data fashion-mnist ".gpu/data missing: training on synthetic data of the same shape in $data"
        "$python" "$bench_dir/idx_data.py" synthetic "$data" || note data synthetic "could not generate data"
    fi
    clgrad train train samples/fashion-mnist-mlp.json --device "$device" --data "$data" --epochs "$epochs" \
        --batch 128
    clgrad explain explain samples/fashion-mnist-mlp.json --device "$device" --data "$data" --batch 128

    if command -v "$python" >/dev/null; then
        echo "== torch ($python)" >&2
        local tout
        tout=$(mktemp)
        timeout $((2 * step_timeout)) "$python" "$bench_dir/torch_bench.py" --device "$torch_device" \
            --gemm "$(echo "$gemm_sizes" | tr ' ' ',')" --n "$mem_n" --data "$data" --epochs "$epochs" --batch 128 \
            >"$tout"
        local rc=$?
        sed 's/^/   /' "$tout" >&2
        grep '^{' "$tout" >>"$results"
        grep -q '"error"' "$tout" && failures=$((failures + 1))
        [ "$rc" = 0 ] || note torch run "torch_bench.py exited $rc"
        rm -f "$tout"
        echo
        echo "== summary"
        "$python" "$bench_dir/summary.py" "$results" | tee "$out/summary.txt"
    else
        note torch run "no $python: no PyTorch peer and no summary"
        cat "$results"
    fi
    echo "run.sh: $failures missing or failed pieces; results in $results"
    [ "$failures" = 0 ]
}

main 2>&1 | tee "$out/run.log"
exit "${PIPESTATUS[0]}"

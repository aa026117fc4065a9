#!/usr/bin/env bash
# Tunes CLBlast's SGEMM kernels for the first OpenCL device (PoCL here) with CLBlast's own tuners
# (Debian: clblast-utils, from bench/install-peers.sh) within a time budget, and writes the best
# parameters of each kernel as DIR/params.txt, which `clblast_sgemm --params FILE` applies through
# CLBlastOverrideParameters and bench/compare.sh uses for its "clblast tuned" configuration.
#
#   bench/clblast/tune.sh [--budget SECONDS] [--out DIR]   (default 1800 s, bench/out/clblast-tuning)
#
# Why a budget: CLBlast's GEMM tuner compiles and times every candidate, and on PoCL each compile
# takes 0.1-0.8 s; its four searches (two with GEMMK=0, two with GEMMK=1) at the default 1024^3 and
# fraction 1 would take many hours on 2 cores. Here the main kernel is tuned at 512^3 on a random 1 %
# of each search space (578 candidates in the first search, ~8 min on a busy 2-core machine), each
# tuner under `timeout`. A search that finishes writes its JSON file; one cut short still printed
# each candidate it timed, so the best of both (results matching the reference) is used.
# Shares of the budget: Xgemm 60 %, XgemmDirect 20 %, the four copy/pad/transpose kernels 5 % each;
# then the direct/indirect threshold (below), a minute or two.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
budget=1800
out="$root/bench/out/clblast-tuning"
while [[ $# -gt 0 ]]; do
    case $1 in
        --budget) budget=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "tune.sh: unknown argument $1; expected --budget SECONDS, --out DIR" >&2; exit 2 ;;
    esac
done
command -v clblast_tuner_xgemm >/dev/null || { echo "tune.sh: clblast_tuner_xgemm not found (apt-get install clblast-utils)" >&2; exit 1; }
mkdir -p "$out"
cd "$out"
rm -f clblast_*.json params.txt
tune() {  # NAME SECONDS ARGS...
    local name=$1 seconds=$2
    shift 2
    echo "tune.sh: clblast_tuner_$name for at most $seconds s" >&2
    local t0=$SECONDS
    # Line-buffered, so that a search cut short by timeout leaves every row it printed.
    timeout "$seconds" stdbuf -oL "clblast_tuner_$name" -precision 32 "$@" >"$name.log" 2>&1 || true
    echo "tune.sh: clblast_tuner_$name: $((SECONDS - t0)) s" >&2
}
tune xgemm $((budget * 60 / 100)) -m 512 -n 512 -k 512 -fraction 0.01 -runs 1
tune xgemm_direct $((budget * 20 / 100)) -m 256 -n 256 -k 256 -fraction 0.01 -runs 1
for t in copy_fast copy_pad transpose_fast transpose_pad; do
    tune "$t" $((budget * 5 / 100))
done
python3 - "$out" <<'PY'
import glob, json, os, re, sys
out = sys.argv[1]
# CLBlast's database names for the kernel families its tuners write, and for each tuner's log.
names = {"xgemm": "Xgemm", "xgemm_direct": "XgemmDirect", "copy": "Copy", "pad": "Pad", "transpose": "Transpose",
         "padtranspose": "Padtranspose"}
logs = {"xgemm": "Xgemm", "xgemm_direct": "XgemmDirect", "copy_fast": "Copy", "copy_pad": "Pad",
        "transpose_fast": "Transpose", "transpose_pad": "Padtranspose"}
best = {}
device = None


def offer(kernel, ms, source, params):
    if kernel not in best or ms < best[kernel][0]:
        best[kernel] = (ms, source, params)


# A search that finished wrote its JSON file.
for path in sorted(glob.glob(os.path.join(out, "clblast_*_32.json"))):
    with open(path) as f:
        d = json.load(f)
    family = d["kernel_family"]
    base = family.rstrip("0123456789").rstrip("_") if family.startswith("xgemm") else family
    kernel = names.get(base)
    if kernel is None or not d.get("results"):
        continue
    device = d.get("device")
    r = min(d["results"], key=lambda r: r["time"])
    offer(kernel, r["time"], family, r["parameters"])
# A search cut short by its budget still printed every candidate it timed: the rows whose results
# matched the reference, under the "Parameters explored" line that names the columns.
ansi = re.compile(r"\x1b\[[0-9;]*m")
for tuner, kernel in logs.items():
    path = os.path.join(out, tuner + ".log")
    if not os.path.exists(path):
        continue
    columns = None
    with open(path, errors="replace") as f:
        for line in f:
            line = ansi.sub("", line)
            if line.startswith("* Parameters explored:"):
                columns = line.split(":", 1)[1].split()
                continue
            cells = [c.strip() for c in line.split("|")]
            if columns is None or len(cells) < 10 or "results match" not in cells[9] or not cells[1].isdigit():
                continue
            values = cells[3].split()
            ms = re.match(r"([0-9.]+) ms", cells[7])
            if len(values) == len(columns) and ms:
                offer(kernel, float(ms.group(1)), tuner + ".log", dict(zip(columns, map(int, values))))
if not best:
    sys.exit("tune.sh: no tuner timed a candidate within its budget; nothing written (try a larger --budget)")
with open(os.path.join(out, "params.txt"), "w") as f:
    f.write(f"# CLBlast tuned parameters for {device or 'the first OpenCL device'}, by bench/clblast/tune.sh; "
            "KERNEL NAME=VALUE ...\n")
    for kernel, (ms, source, params) in sorted(best.items()):
        f.write(kernel + " " + " ".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "PRECISION") + "\n")
        print(f"tune.sh: {kernel}: {ms:.2f} ms ({source})", file=sys.stderr)
missing = sorted(set(names.values()) - set(best))
if missing:
    print(f"tune.sh: not tuned (CLBlast's database values stay): {', '.join(missing)}", file=sys.stderr)
PY
# The size from which CLBlast's GEMM routine takes the indirect kernel (Xgemm, with copy/pad/transpose
# around it) rather than XgemmDirect. CLBlast's own tuner for it (clblast_tuner_routine_xgemm) printed
# nothing within 5 minutes on PoCL; here both are timed with the tuned parameters at 256, 512, 1024
# and 2048, and the threshold is the one (one of those sizes, or never) that loses least over them:
# the sum over the sizes of the chosen kernel's time relative to the faster one.
cc -O2 -o "$out/clblast_sgemm" "$here/clblast_sgemm.c" -lclblast -lOpenCL -lm
cp params.txt p-indirect.txt && echo "GemmRoutine XGEMM_MIN_INDIRECT_SIZE=1" >>p-indirect.txt
cp params.txt p-direct.txt && echo "GemmRoutine XGEMM_MIN_INDIRECT_SIZE=1048576" >>p-direct.txt
: >routine.txt
for s in 256 512 1024 2048; do
    ind=$("$out/clblast_sgemm" --params p-indirect.txt "$s" | sed -n 's/.*"medianMs":\([0-9.]*\).*/\1/p')
    dir=$("$out/clblast_sgemm" --params p-direct.txt "$s" | sed -n 's/.*"medianMs":\([0-9.]*\).*/\1/p')
    echo "tune.sh: ${s}^3: indirect $ind ms, direct $dir ms" >&2
    echo "$s $ind $dir" >>routine.txt
done
rm -f p-indirect.txt p-direct.txt
threshold=$(awk '{ s[NR] = $1; ind[NR] = $2; dir[NR] = $3; n = NR }
    END {
        best = -1
        for (t = 1; t <= n + 1; t++) {
            limit = t <= n ? s[t] : 1048576
            cost = 0
            for (i = 1; i <= n; i++) {
                low = ind[i] < dir[i] ? ind[i] : dir[i]
                cost += (s[i] >= limit ? ind[i] : dir[i]) / low
            }
            if (best < 0 || cost < best) { best = cost; pick = limit }
        }
        print pick
    }' routine.txt)
echo "GemmRoutine XGEMM_MIN_INDIRECT_SIZE=$threshold" >>params.txt
echo "tune.sh: GemmRoutine: indirect kernel from $threshold" >&2
echo "$out/params.txt"

"""Summarises bench/gpu/run.sh's results.jsonl: clgrad next to PyTorch on the same device, with the
ratios issue 7 sets targets for (GEMM >= 70 % of cuBLAS FP32 at 4096; dropout and Adam >= 70 % of
copy bandwidth; MLP training samples/s >= PyTorch at batch 128). Standard library only.

    python3 summary.py RESULTS.jsonl    # prints the table; appends one {"tool": "summary", ...} line
"""
import json
import sys

GEMM_TARGET_SIZE = 4096
TARGET = {"gemm": 0.70, "memory": 0.70, "mlp": 1.0}


def fmt(v, digits=1):
    return "-" if v is None else f"{v:,.{digits}f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(r, target):
    return "" if r is None else ("target met" if r >= target else f"below target {target:.2f}")


def main(path):
    lines = []
    with open(path) as f:
        for raw in f:
            raw = raw.strip()
            if raw.startswith("{"):
                try:
                    lines.append(json.loads(raw))
                except json.JSONDecodeError as e:
                    print(f"summary: skipping a bad line ({e}): {raw[:120]}")
    clgrad = {}
    torch = {}
    errors = []
    for r in lines:
        key = r.get("bench")
        if "error" in r:
            what = " ".join(str(w) for w in (r.get("tool"), key, r.get("args")) if w)
            errors.append(f"{what}: {r['error']}")
        if r.get("tool") == "clgrad" and "result" in r:
            res = r["result"]
            if key == "gemm":
                clgrad[("gemm", res.get("m"))] = res
            else:
                clgrad[key] = res
        elif r.get("tool") == "torch" and "error" not in r:
            torch[("gemm", r.get("m")) if key == "gemm" else key] = r
    out = {"tool": "summary"}
    dev = clgrad.get("selftest", {})
    setup = torch.get("setup", {})
    print(f"clgrad device: {dev.get('device', '?')} ({dev.get('deviceName', '?')});  "
          f"torch: {setup.get('deviceName', 'not run')} (torch {setup.get('torch', '-')}, CUDA {setup.get('cuda', '-')})"
          + (f"  NOTE: {setup['note']}" if setup.get("note") else ""))
    if dev:
        failed = [c["name"] for c in dev.get("checks", []) if not c.get("passed")]
        total = len(dev.get("checks", []))
        print(f"selftest: {'PASSED' if dev.get('passed') else 'FAILED'} {total - len(failed)} of {total} checks"
              + (": failed " + "; ".join(failed[:8]) + (" ..." if len(failed) > 8 else "") if failed else ""))
        out["selftestPassed"] = dev.get("passed")
        out["selftestFailed"] = failed
    else:
        print("selftest: no result")

    print(f"\nGEMM float32 (TF32 off)  {'clgrad GFLOPS':>14} {'maxRelErr':>10} {'torch GFLOPS':>13} {'clgrad/torch':>13}")
    gemm = {}
    sizes = sorted({k[1] for k in list(clgrad) + list(torch) if isinstance(k, tuple) and k[1] is not None})
    for s in sizes:
        c = clgrad.get(("gemm", s), {})
        t = torch.get(("gemm", s), {})
        r = ratio(c.get("gflops"), t.get("gflops"))
        gemm[s] = r
        print(f"  {s:>5}^3                {fmt(c.get('gflops')):>14} {c.get('maxRelError', float('nan')):>10.2e} "
              f"{fmt(t.get('gflops')):>13} {fmt(r, 3):>13}  "
              + (verdict(r, TARGET["gemm"]) if s == GEMM_TARGET_SIZE else ""))
    out["gemmRatio"] = gemm

    copy_t = torch.get("copy", {}).get("gbps")
    print(f"\nmemory-bound ops        {'clgrad GB/s':>12} {'clgrad copy':>12} {'torch copy':>11} "
          f"{'/ best copy':>12} {'torch op GB/s':>14}")
    for op, peer in (("dropout", "dropout"), ("adam", "adamw")):
        c = clgrad.get(op, {})
        best = max([v for v in (c.get("copyGbps"), copy_t) if v is not None], default=None)
        r = ratio(c.get("gbps"), best)
        out[f"{op}FractionOfCopy"] = r
        print(f"  {op:<8} n={c.get('n', '-'):<11} {fmt(c.get('gbps')):>12} {fmt(c.get('copyGbps')):>12} "
              f"{fmt(copy_t):>11} {fmt(r, 3):>12} {fmt(torch.get(peer, {}).get('gbps')):>14}  "
              f"{verdict(r, TARGET['memory'])}")

    c = clgrad.get("train", {})
    t = torch.get("mlp", {})
    r = ratio(c.get("samplesPerSec"), t.get("samplesPerSec"))
    out["mlpRatio"] = r
    print(f"\nMLP training, batch 128  {'samples/s':>12} {'test acc':>9} {'epochs':>7}")
    print(f"  clgrad                 {fmt(c.get('samplesPerSec'), 0):>12} {fmt(c.get('testAccuracy'), 4):>9} "
          f"{c.get('epochs', '-'):>7}")
    print(f"  torch                  {fmt(t.get('samplesPerSec'), 0):>12} {fmt(t.get('testAccuracy'), 4):>9} "
          f"{t.get('epochs', '-'):>7}   (after the first epoch: {fmt(t.get('samplesPerSecAfterFirstEpoch'), 0)})")
    print(f"  clgrad/torch           {fmt(r, 3):>12}   {verdict(r, TARGET['mlp'])}")
    plan = clgrad.get("explain")
    if plan:
        print(f"  the step's plan: {len(plan.get('launches', []))} fused ops, {plan.get('kernelLaunches')} kernel "
              f"launches, peak workspace {plan.get('peakWorkspaceBytes')} bytes (per-layer buffers "
              f"{plan.get('perLayerBytes')})")
        out["mlpPlan"] = {k: plan.get(k) for k in ("kernelLaunches", "peakWorkspaceBytes", "perLayerBytes")}

    out["errors"] = errors
    if errors:
        print("\nmissing or failed pieces:")
        for e in errors:
            print("  " + e[:300])
    with open(path, "a") as f:
        f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])

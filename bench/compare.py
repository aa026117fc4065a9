#!/usr/bin/env python3
"""clgrad on every CPU path next to every peer at each of its configurations, back to back, in
alternating rounds, on the same data and models. Run it as bench/compare.sh (docs/BENCHMARKS.md
describes the method); standard library only.

    bench/compare.sh [--quick] [--out DIR] [--rounds N] [--only mnist,seed,gemm,coldstart] [--no-build]

Writes DIR/results.json (every measurement: bench, engine, configuration, round, value, unit, and
the raw output), DIR/results.md (the medians, each peer's best configuration and the ratios of the
best clgrad path to it, headed by the machine and the versions) and DIR/logs/ (each command's output).
A peer that is not installed is recorded as missing and a command that fails as failed; the run goes on.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "clgrad-cli", "target", "clgrad.jar")
LAUNCHER = os.path.join(ROOT, "clgrad-cli", "target", "clgrad")
MLP = "samples/fashion-mnist-mlp.json"
SEED = "samples/seed-simplenet.json"
DATA = "/usr/share/datasets/fashion-mnist"
CLBLAST_PARAMS = os.path.join(ROOT, "bench", "out", "clblast-tuning", "params.txt")

# bench -> (metric, unit, which way is better)
BENCHES = {
    "mnist": ("Fashion-MNIST MLP training throughput", "samples/s", "higher"),
    "seed": ("seed SimpleNet training step", "us/step", "lower"),
    "gemm1024": ("SGEMM 1024^3", "GFLOP/s", "higher"),
    "gemm2048": ("SGEMM 2048^3", "GFLOP/s", "higher"),
    "coldstart-mlp": ("cold start to the first step, Fashion-MNIST MLP", "s", "lower"),
    "coldstart-seed": ("cold start to the first step, seed SimpleNet", "s", "lower"),
}
GROUPS = {"mnist": ["mnist"], "seed": ["seed"], "gemm": ["gemm1024", "gemm2048"],
          "coldstart": ["coldstart-mlp", "coldstart-seed"]}
CLGRAD_PATHS = {
    "java-vector": "Java backend, Vector API kernels (clgrad-cli/target/clgrad launcher)",
    "java-plain": "Java backend, auto-vectorised loops (java -jar, no module)",
    "pocl": "OpenCL on PoCL",
}


# Thread and kernel settings a caller may have exported; every configuration starts without them.
CLEARED = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "GOTO_NUM_THREADS", "MKL_NUM_THREADS",
           "CLGRAD_JAVA_OPTS", "CLGRAD_PEER_CONFIG")


def base_env():
    return {k: v for k, v in os.environ.items() if k not in CLEARED}


def log(msg):
    print(f"compare: {msg}", file=sys.stderr, flush=True)


def sh(cmd, timeout=60, env=None):
    """stdout of a short command, or None when it fails."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        return p.stdout if p.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def last_json(text):
    """The last line of text that parses as a JSON object, or None."""
    for line in reversed((text or "").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def json_lines(text):
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class Run:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.out = args.out
        self.logs = os.path.join(self.out, "logs")
        self.cache = os.path.join(self.out, "cache")
        os.makedirs(self.logs, exist_ok=True)
        os.makedirs(self.cache, exist_ok=True)
        self.rows = args.rows or (5000 if self.quick else 20000)
        self.seed_repeats = 21 if self.quick else 101
        self.train_repeats = 2 if self.quick else 3
        self.gemm_repeats = 5 if self.quick else 10
        self.warmup_seconds = 0.5 if self.quick else 1.0
        self.timeout = args.timeout
        self.measurements = []
        self.problems = []  # {bench, engine, config, status: missing|failed, reason}
        self.java = self.find_java()
        self.python = None
        self.pocl = None
        self.clblast_bin = None
        self.clblast_params = None

    # ---- set-up -------------------------------------------------------------------------------

    @staticmethod
    def find_java():
        home = os.environ.get("JAVA_HOME")
        if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
            return os.path.join(home, "bin", "java")
        return shutil.which("java")

    def problem(self, benches, engine, config, status, reason):
        for b in benches:
            self.problems.append({"bench": b, "engine": engine, "config": config, "status": status,
                                  "reason": reason})
        log(f"{status}: {engine}{' ' + config if config else ''} ({', '.join(benches)}): {reason}")

    def build(self):
        if self.args.no_build and os.path.exists(JAR):
            return True
        sources = [os.path.join(ROOT, d) for d in ("clgrad/src/main", "clgrad-cli/src/main", "opencl-kernels", "native-config")]
        newest = os.path.getmtime(os.path.join(ROOT, "pom.xml"))
        for top in sources:
            for folder, _, files in os.walk(top):
                for f in files:
                    newest = max(newest, os.path.getmtime(os.path.join(folder, f)))
        if os.path.exists(JAR) and os.path.exists(LAUNCHER) and os.path.getmtime(JAR) >= newest:
            return True
        log("building clgrad: mvn -q -B package -DskipTests")
        p = subprocess.run(["mvn", "-q", "-B", "package", "-DskipTests"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0 or not os.path.exists(JAR):
            log("the build failed:\n" + p.stderr[-3000:])
            return False
        return True

    def find_python(self):
        """A python3 that imports torch and numpy (Debian's /usr/bin/python3 first), or one with numpy."""
        candidates = [self.args.python] if self.args.python else ["/usr/bin/python3", shutil.which("python3"),
                                                                    sys.executable]
        seen = []
        for c in candidates:
            if c and c not in seen and os.path.exists(c):
                seen.append(c)
        for need in ("import torch, numpy", "import numpy"):
            for c in seen:
                if sh([c, "-c", need], timeout=120) is not None:
                    return c, need == "import torch, numpy"
        return None, False

    def peer_blas(self):
        """True when numpy (and torch) run on an optimised BLAS, else why not: Debian's numpy and torch
        use whatever libblas.so.3 the system selects, the reference BLAS (40x slower) unless OpenBLAS is
        installed."""
        code = ("import numpy, threadpoolctl\n" + ("import torch\n" if self.has_torch else "")
                + "apis = {p['internal_api'] for p in threadpoolctl.threadpool_info()}\n"
                + "print('ok' if apis & {'openblas', 'mkl', 'blis'} else 'reference')")
        out = sh([self.python, "-c", code], timeout=120, env=base_env())
        if out is None:
            return "threadpoolctl is missing, so which BLAS the peers use is unknown"
        return True if out.strip() == "ok" else "numpy and torch run on the reference BLAS"

    def find_pocl(self):
        """The id of the first OpenCL CPU device clgrad sees (PoCL here), or None."""
        if self.args.pocl_device:
            return self.args.pocl_device
        out = sh(self.clgrad_cmd("java-vector", ["devices", "--json"]), timeout=120, env=self.clgrad_env("java-vector"))
        info = last_json(out)
        for d in (info or {}).get("devices", []):
            if d.get("backend") == "opencl" and d.get("type") == "CPU":
                return d["id"]
        return None

    def build_clblast(self):
        """Compiles the CLBlast peer; returns the binary or None (and why)."""
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            return None, "no C compiler (cc/gcc)"
        binary = os.path.join(self.cache, "clblast_sgemm")
        p = subprocess.run([cc, "-O2", "-o", binary, os.path.join(ROOT, "bench/clblast/clblast_sgemm.c"),
                            "-lclblast", "-lOpenCL", "-lm"], capture_output=True, text=True)
        if p.returncode != 0:
            return None, "cannot build bench/clblast/clblast_sgemm.c (libclblast-dev missing?): " + p.stderr.strip()[-300:]
        return binary, None

    # ---- commands ------------------------------------------------------------------------------

    def clgrad_cmd(self, path, args):
        if path == "java-plain":
            return [self.java, f"-Dclgrad.cache={self.cache}/clgrad", "-jar", JAR] + args
        return [LAUNCHER] + args

    def clgrad_env(self, path, clgrad_cache=None, pocl_cache=None):
        env = base_env()
        env["CLGRAD_JAVA_OPTS"] = f"-Dclgrad.cache={clgrad_cache or self.cache + '/clgrad'}"
        env["POCL_CACHE_DIR"] = pocl_cache or os.path.join(self.cache, "pocl")
        if self.java and not os.environ.get("JAVA_HOME"):
            env["PATH"] = os.path.dirname(os.path.realpath(self.java)) + os.pathsep + env.get("PATH", "")
        return env

    def device(self, path):
        return self.pocl if path == "pocl" else "java"

    def items(self, bench):
        """Everything to run for a bench: (engine, config, cmd, env, parse) with parse(stdout) -> [(bench, value, raw)]."""
        out = []
        q = self.quick
        if bench in ("mnist", "seed"):
            for path in CLGRAD_PATHS:
                if path == "pocl" and not self.pocl:
                    continue
                if bench == "mnist":
                    args = ["bench", "train", MLP, "--rows", str(self.rows), "--repeats", str(self.train_repeats)]
                    key = "samplesPerSec"
                else:
                    args = ["bench", "train", SEED, "--repeats", str(self.seed_repeats)]
                    key = "usPerStep"
                args += ["--warmup-seconds", str(self.warmup_seconds), "--device", self.device(path), "--json"]
                out.append(("clgrad", path, self.clgrad_cmd(path, args), self.clgrad_env(path),
                            self.parse_one(bench, key)))
            if self.python and self.has_torch:
                for config in self.torch_configs:
                    if bench == "mnist":
                        args = ["mnist", "--rows", str(self.rows), "--repeats", str(self.train_repeats)]
                        key = "samplesPerSec"
                    else:
                        args = ["seed", "--repeats", str(self.seed_repeats)]
                        key = "usPerStep"
                    out.append(("pytorch", config, [self.python, os.path.join(ROOT, "bench/pytorch/train_bench.py"),
                                                    *args, "--data", DATA, "--config", config], base_env(),
                                self.parse_one(bench, key)))
            if bench == "mnist" and self.dl4j_ok:
                for config in self.dl4j_configs:
                    out.append(("dl4j", config, [os.path.join(ROOT, "bench/dl4j/run.sh"), "--rows", str(self.rows),
                                                 "--repeats", str(self.train_repeats), "--data", DATA, "--config", config],
                                self.java_env(), self.parse_one(bench, "samplesPerSec")))
        elif bench == "gemm":
            for size in (1024, 2048):
                for path in CLGRAD_PATHS:
                    if path == "pocl" and not self.pocl:
                        continue
                    args = ["bench", "gemm", "--m", str(size), "--n", str(size), "--k", str(size),
                            "--repeats", str(self.gemm_repeats), "--warmup-seconds", str(self.warmup_seconds),
                            "--device", self.device(path), "--json"]
                    out.append(("clgrad", path, self.clgrad_cmd(path, args), self.clgrad_env(path),
                                self.parse_one(f"gemm{size}", "gflops")))
            if self.python:
                for config in self.blas_configs:
                    out.append(("openblas", config, [self.python, os.path.join(ROOT, "bench/openblas/gemm.py"),
                                                     "--config", config, "--warmup-seconds", str(self.warmup_seconds),
                                                     "1024", "2048"], base_env(), self.parse_gemm_lines))
            if self.clblast_bin:
                configs = [("default", [])]
                if self.clblast_params:
                    configs.append(("tuned", ["--params", self.clblast_params]))
                for config, extra in configs:
                    env = dict(base_env(), POCL_CACHE_DIR=os.path.join(self.cache, "pocl"))
                    out.append(("clblast", config, [self.clblast_bin, *extra, "1024", "2048"], env,
                                self.parse_gemm_lines))
        return out

    def java_env(self):
        env = base_env()
        if self.java and not os.environ.get("JAVA_HOME"):
            env["PATH"] = os.path.dirname(os.path.realpath(self.java)) + os.pathsep + env.get("PATH", "")
        return env

    @staticmethod
    def parse_one(bench, key):
        def parse(stdout):
            r = last_json(stdout)
            if r is None or key not in r:
                raise ValueError(f"no JSON object with {key} on stdout")
            return [(bench, float(r[key]), r)]
        return parse

    @staticmethod
    def parse_gemm_lines(stdout):
        found = []
        for r in json_lines(stdout):
            if r.get("m") in (1024, 2048) and "gflops" in r:
                found.append((f"gemm{r['m']}", float(r["gflops"]), r))
        if not found:
            raise ValueError("no GEMM result on stdout")
        return found

    # ---- running -------------------------------------------------------------------------------

    def execute(self, rnd, engine, config, cmd, env, label):
        """Runs one command; returns (stdout, seconds) or (None, reason)."""
        logfile = os.path.join(self.logs, f"r{rnd}-{label}-{engine}-{config}.log".replace("/", "_"))
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            with open(logfile, "w") as f:
                f.write(f"$ {' '.join(cmd)}\n(timed out after {self.timeout} s)\n{e.stdout or ''}\n{e.stderr or ''}")
            return None, f"timed out after {self.timeout} s"
        except OSError as e:
            return None, f"cannot run {cmd[0]}: {e}"
        seconds = time.perf_counter() - t0
        with open(logfile, "w") as f:
            f.write(f"$ {' '.join(cmd)}\nexit {p.returncode}, {seconds:.2f} s\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}")
        if p.returncode != 0:
            tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
            return None, f"exit code {p.returncode}: {tail[:300]}"
        return p.stdout, seconds

    def record(self, bench, engine, config, rnd, value, raw):
        _, unit, _ = BENCHES[bench]
        m = {"bench": bench, "engine": engine, "config": config, "round": rnd, "value": value, "unit": unit,
             "raw": raw}
        self.measurements.append(m)
        log(f"round {rnd}: {bench:<15} {engine:<8} {config:<14} {value:12.2f} {unit}")

    def run_items(self, rnd, group, items):
        for engine, config, cmd, env, parse in items:
            stdout, extra = self.execute(rnd, engine, config, cmd, env, group)
            if stdout is None:
                self.problems.append({"bench": group, "engine": engine, "config": config, "round": rnd,
                                      "status": "failed", "reason": extra})
                log(f"round {rnd}: {group} {engine} {config} failed: {extra}")
                continue
            try:
                for bench, value, raw in parse(stdout):
                    self.record(bench, engine, config, rnd, value, raw)
            except (ValueError, KeyError, TypeError) as e:
                self.problems.append({"bench": group, "engine": engine, "config": config, "round": rnd,
                                      "status": "failed", "reason": str(e)})
                log(f"round {rnd}: {group} {engine} {config} failed: {e}")

    def coldstart(self, rnd, reverse):
        """profile CONFIG --steps 1, the wall time of the whole process, with fresh caches and then again."""
        models = [("coldstart-mlp", MLP), ("coldstart-seed", SEED)]
        paths = [p for p in CLGRAD_PATHS if p != "pocl" or self.pocl]
        if reverse:
            models.reverse()
            paths.reverse()
        for bench, model in models:
            for path in paths:
                fresh = os.path.join(self.cache, f"cold-r{rnd}-{bench}-{path}")
                shutil.rmtree(fresh, ignore_errors=True)
                os.makedirs(fresh)
                env = self.clgrad_env(path, clgrad_cache=os.path.join(fresh, "clgrad"),
                                      pocl_cache=os.path.join(fresh, "pocl"))
                args = ["profile", model, "--steps", "1", "--device", self.device(path),
                        "--trace", os.path.join(fresh, "trace.json")]
                cmd = self.clgrad_cmd(path, args)
                if path == "java-plain":
                    cmd = [self.java, f"-Dclgrad.cache={fresh}/clgrad", "-jar", JAR] + args
                for config in ("cold", "warm"):
                    stdout, extra = self.execute(rnd, "clgrad", f"{path}-{config}", cmd, env, bench)
                    if stdout is None:
                        self.problems.append({"bench": bench, "engine": "clgrad", "config": f"{path}-{config}",
                                              "round": rnd, "status": "failed", "reason": extra})
                        log(f"round {rnd}: {bench} {path}-{config} failed: {extra}")
                        continue
                    self.record(bench, "clgrad", f"{path}-{config}", rnd, extra, {"wallSeconds": extra})

    def main(self):
        started = datetime.datetime.now(datetime.timezone.utc)
        only = [g for g in self.args.only.split(",") if g] if self.args.only else list(GROUPS)
        for g in only:
            if g not in GROUPS:
                raise SystemExit(f"compare: unknown bench group {g}; expected some of {', '.join(GROUPS)}")
        if self.java is None:
            raise SystemExit("compare: no Java found (JAVA_HOME or java on PATH)")
        if not self.build():
            raise SystemExit("compare: cannot build clgrad; see the message above")
        all_benches = [b for g in only for b in GROUPS[g]]
        self.pocl = self.find_pocl()
        if not self.pocl:
            self.problem(all_benches, "clgrad", "pocl", "missing", "no OpenCL CPU device (PoCL not installed?)")
        self.python, self.has_torch = self.find_python()
        self.torch_configs, self.blas_configs, self.dl4j_configs = [], [], []
        blas = self.python and self.peer_blas()
        if self.python and blas is not True:
            self.problem([b for b in all_benches if b in ("mnist", "seed", "gemm1024", "gemm2048")], "pytorch/openblas",
                         "", "missing", f"{self.python}: {blas}; a peer there would not run at its best "
                         "(bench/install-peers.sh installs OpenBLAS as the system BLAS and threadpoolctl)")
            self.python = None
        elif self.python is None:
            self.problem([b for b in all_benches if b in ("mnist", "seed", "gemm1024", "gemm2048")], "pytorch/openblas",
                         "", "missing", "no python3 with numpy (bench/install-peers.sh)")
        else:
            if self.has_torch:
                self.torch_configs = list(json.loads(sh([self.python, os.path.join(ROOT, "bench/pytorch/train_bench.py"),
                                                         "seed", "--list-configs"], env=base_env()) or "{}"))
            else:
                self.problem([b for b in all_benches if b in ("mnist", "seed")], "pytorch", "", "missing",
                             f"{self.python} cannot import torch (bench/install-peers.sh)")
            self.blas_configs = list(json.loads(sh([self.python, os.path.join(ROOT, "bench/openblas/gemm.py"),
                                                    "--list-configs"], timeout=120, env=base_env()) or "{}"))
        if "mnist" in only:
            self.dl4j_ok = shutil.which("mvn") is not None and os.path.isdir(DATA)
            if self.dl4j_ok:
                log("building the DL4J peer (bench/dl4j, its own Maven project)")
                listed = sh([os.path.join(ROOT, "bench/dl4j/run.sh"), "--list-configs"], timeout=900, env=self.java_env())
                self.dl4j_configs = list(json.loads(listed)) if listed else []
                if not self.dl4j_configs:
                    self.dl4j_ok = False
                    self.problem(["mnist"], "dl4j", "", "missing", "bench/dl4j/run.sh --list-configs failed "
                                 "(Maven could not fetch Deeplearning4j?)")
            else:
                self.problem(["mnist"], "dl4j", "", "missing", "needs mvn and the Fashion-MNIST data in " + DATA)
        else:
            self.dl4j_ok = False
        if not os.path.isdir(DATA) and "mnist" in only:
            self.problem(["mnist"], "all", "", "missing", f"no Fashion-MNIST data in {DATA} (apt-get install dataset-fashion-mnist)")
        if "gemm" in only:
            self.clblast_bin, why = self.build_clblast()
            if self.clblast_bin is None:
                self.problem(["gemm1024", "gemm2048"], "clblast", "", "missing", why)
            params = self.args.clblast_params or CLBLAST_PARAMS
            if self.clblast_bin and self.args.tune_clblast and not self.args.clblast_params:
                log(f"tuning CLBlast: bench/clblast/tune.sh --budget {self.args.tune_clblast}")
                p = subprocess.run([os.path.join(ROOT, "bench/clblast/tune.sh"), "--budget", str(self.args.tune_clblast),
                                    "--out", os.path.dirname(CLBLAST_PARAMS)], stdout=subprocess.DEVNULL)
                if p.returncode != 0:
                    log("bench/clblast/tune.sh failed; CLBlast runs with its database only")
            if os.path.exists(params):
                self.clblast_params = params
            else:
                self.problem(["gemm1024", "gemm2048"], "clblast", "tuned", "missing",
                             f"no tuning file {os.path.relpath(params, ROOT)} (bench/clblast/tune.sh writes it, "
                             "or compare.sh --tune-clblast SECONDS)")
        self.path_names = {}
        for path in CLGRAD_PATHS:
            if path == "pocl" and not self.pocl:
                continue
            info = last_json(sh(self.clgrad_cmd(path, ["devices", "--json", "--device", self.device(path)]), timeout=120,
                                env=self.clgrad_env(path))) or {}
            self.path_names[path] = (info.get("devices") or [{}])[0].get("name")
        meta = self.meta(started)
        rounds = self.args.rounds or (1 if self.quick else 2)
        for rnd in range(1, rounds + 1):
            reverse = rnd % 2 == 0
            log(f"round {rnd} of {rounds}{' (reversed order)' if reverse else ''}")
            for g in only:
                if g == "coldstart":
                    self.coldstart(rnd, reverse)
                    continue
                items = self.items(g)
                if reverse:
                    items.reverse()
                self.run_items(rnd, g, items)
        meta["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        meta["loadAverageAtEnd"] = os.getloadavg()
        meta["rounds"] = rounds
        results = {"meta": meta, "measurements": self.measurements, "problems": self.problems}
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        md = report(results)
        with open(os.path.join(self.out, "results.md"), "w") as f:
            f.write(md)
        print(md)
        log(f"wrote {self.out}/results.json and results.md")

    # ---- what ran on what ----------------------------------------------------------------------

    def meta(self, started):
        lscpu = sh(["lscpu"]) or ""
        model = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
        threads_per_core = re.search(r"^Thread\(s\) per core:\s*(\d+)", lscpu, re.M)
        os_name = None
        try:
            with open("/etc/os-release") as f:
                os_name = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M).group(1)
        except (OSError, AttributeError):
            pass
        java_version = subprocess.run([self.java, "-version"], capture_output=True, text=True).stderr.splitlines()
        devices = last_json(sh(self.clgrad_cmd("java-vector", ["devices", "--json"]), timeout=120,
                               env=self.clgrad_env("java-vector"))) or {}
        pocl = next((d for d in devices.get("devices", []) if d.get("id") == self.pocl), None)
        java_dev = next((d for d in devices.get("devices", []) if d.get("id") == "java"), None)
        versions = {}
        if self.python:
            v = sh([self.python, "-c", "import json, numpy\nout = {'numpy': numpy.__version__}\n"
                    "try:\n import threadpoolctl\n out['blas'] = [(p.get('internal_api'), p.get('version'), "
                    "p.get('architecture')) for p in threadpoolctl.threadpool_info() if p.get('user_api') == 'blas']\n"
                    "except ImportError: pass\ntry:\n import torch; out['torch'] = torch.__version__\n"
                    "except ImportError: pass\nprint(json.dumps(out))"], timeout=120)
            versions.update(json.loads(v) if v else {})
        for pkg in ("libpocl2", "libclblast1", "libopenblas0-pthread", "python3-torch"):
            v = sh(["dpkg-query", "-W", "-f", "${Version}", pkg])
            if v:
                versions["deb:" + pkg] = v
        commit = (sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]) or "?").strip()
        dirty = bool((sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]) or "").strip())
        return {
            "started": started.isoformat(timespec="seconds"),
            "command": "bench/compare.sh " + " ".join(sys.argv[1:]),
            "mode": "quick" if self.quick else "full",
            "cpuModel": model.group(1).strip() if model else platform.processor(),
            "cpus": os.cpu_count(),
            "threadsPerCore": int(threads_per_core.group(1)) if threads_per_core else None,
            "loadAverageAtStart": os.getloadavg(),
            "os": os_name, "kernel": platform.release(),
            "jdk": java_version[1] if len(java_version) > 1 else (java_version or ["?"])[0],
            "javaBackend": java_dev.get("name") if java_dev else None,
            "clgradPaths": {p: {"what": CLGRAD_PATHS[p], "device": self.device(p), "name": n}
                            for p, n in self.path_names.items()},
            "pocl": {"id": self.pocl, "name": pocl.get("name"), "version": pocl.get("version")} if pocl else None,
            "versions": versions, "dl4j": "1.0.0-M2.1 (bench/dl4j/pom.xml)",
            "clgradCommit": commit + ("+dirty" if dirty else ""),
            "python": self.python,
            "settings": {"rows": self.rows, "trainRepeats": self.train_repeats, "seedRepeats": self.seed_repeats,
                         "gemmRepeats": self.gemm_repeats, "warmupSeconds": self.warmup_seconds},
            "configs": {"pytorch": self.torch_configs, "openblas": self.blas_configs, "dl4j": self.dl4j_configs,
                        "clblast": ["default"] + (["tuned"] if self.clblast_params else [])},
        }


# ---- the report ---------------------------------------------------------------------------------

def fmt(v, unit):
    if v is None:
        return "–"
    if unit == "samples/s":
        return f"{v:,.0f}"
    if unit == "s":
        return f"{v:.2f}"
    return f"{v:,.1f}"


def report(results):
    meta, ms, problems = results["meta"], results["measurements"], results["problems"]
    v = meta.get("versions", {})
    blas = ", ".join(f"{b} (detects {c})" for a, b, c in v.get("blas", [])) or "?"
    torch = v.get("torch", "missing") + (f" (Debian {v['deb:python3-torch']})" if "deb:python3-torch" in v else "")
    lines = [f"# clgrad vs peers, {meta['started'][:10]} ({meta['mode']} mode, {meta['rounds']} round"
             f"{'s' if meta['rounds'] != 1 else ''})", ""]
    lines += [f"- CPU: {meta['cpuModel']}, {meta['cpus']} CPUs ({meta.get('threadsPerCore')} thread(s) per core); "
              f"{meta.get('os')}, Linux {meta.get('kernel')}; load average at the start "
              f"{', '.join(f'{x:.2f}' for x in meta.get('loadAverageAtStart', []))}, at the end "
              f"{', '.join(f'{x:.2f}' for x in meta.get('loadAverageAtEnd', []))}",
              f"- JDK: {meta['jdk']}; clgrad {meta['clgradCommit']}, Java backend: {meta.get('javaBackend')}",
              f"- PoCL: {(meta.get('pocl') or {}).get('version', 'missing')} ({v.get('deb:libpocl2', '?')}), "
              f"device {(meta.get('pocl') or {}).get('id', '–')}",
              f"- Peers: PyTorch {torch}, numpy {v.get('numpy', 'missing')}, OpenBLAS {blas}, "
              f"CLBlast {v.get('deb:libclblast1', 'missing')}, Deeplearning4j {meta.get('dl4j')}",
              f"- Command: `{meta['command']}`, {meta['started']} to {meta.get('finished')}; settings "
              f"{json.dumps(meta['settings'])}", ""]
    load = (meta.get("loadAverageAtStart") or [0])[0]
    if meta["mode"] == "quick":
        lines += ["**Quick mode: fewer rows and repeats, 1 round. It checks the machinery; its figures are not results.**", ""]
    if load > 0.5 * (meta.get("cpus") or 1):
        lines += [f"**The machine was busy at the start (load average {load:.2f} on {meta.get('cpus')} CPUs): "
                  "these figures are not results.**", ""]
    by = {}
    for m in ms:
        by.setdefault((m["bench"], m["engine"], m["config"]), []).append(m["value"])
    medians = {k: statistics.median(vals) for k, vals in by.items()}

    def better(bench, a, b):
        return a > b if BENCHES[bench][2] == "higher" else a < b

    def best_of(bench, engine, exclude=()):
        cands = [(c, v) for (b, e, c), v in medians.items() if b == bench and e == engine and c not in exclude]
        best = None
        for c, val in cands:
            if best is None or better(bench, val, best[1]):
                best = (c, val)
        return best

    peers = ["pytorch", "dl4j", "openblas", "clblast"]
    lines += ["## Summary: the best clgrad path against each peer's best configuration", "",
              "Ratio = clgrad / peer in the bench's unit (for samples/s and GFLOP/s above 1 means clgrad is faster; "
              "for µs/step below 1 means clgrad is faster).", "",
              "| bench | unit | best clgrad path | median | peer (best configuration) | median | ratio |",
              "|---|---|---|---|---|---|---|"]
    for bench, (title, unit, _) in BENCHES.items():
        if bench.startswith("coldstart"):
            continue
        cl = best_of(bench, "clgrad")
        for peer in peers:
            pb = best_of(bench, peer)
            if pb is None:
                continue
            ratio = f"{cl[1] / pb[1]:.2f}×" if cl and pb[1] else "–"
            lines.append(f"| {title} | {unit} | {cl[0] if cl else '–'} | {fmt(cl[1], unit) if cl else '–'} | "
                         f"{peer} ({pb[0]}) | {fmt(pb[1], unit)} | {ratio} |")
    lines += ["", "Every clgrad path against each peer's best:", "",
              "| bench | clgrad path | median | " + " | ".join(f"vs {p}" for p in peers) + " |",
              "|---|---|---|" + "---|" * len(peers)]
    for bench, (title, unit, _) in BENCHES.items():
        if bench.startswith("coldstart"):
            continue
        for path in CLGRAD_PATHS:
            val = medians.get((bench, "clgrad", path))
            if val is None:
                continue
            cells = []
            for peer in peers:
                pb = best_of(bench, peer)
                cells.append(f"{val / pb[1]:.2f}×" if pb and pb[1] else "")
            lines.append(f"| {title} | {path} | {fmt(val, unit)} {unit} | " + " | ".join(cells) + " |")
    cold = [(b, path) for b in ("coldstart-mlp", "coldstart-seed") for path in CLGRAD_PATHS
            if (b, "clgrad", f"{path}-cold") in medians or (b, "clgrad", f"{path}-warm") in medians]
    if cold:
        lines += ["", "Cold start, process start to the end of `profile CONFIG --steps 1` (s; caches empty, then warm):", "",
                  "| model | clgrad path | cold | warm |", "|---|---|---|---|"]
        for b, path in cold:
            lines.append(f"| {BENCHES[b][0].split(', ')[1]} | {path} | {fmt(medians.get((b, 'clgrad', path + '-cold')), 's')} | "
                         f"{fmt(medians.get((b, 'clgrad', path + '-warm')), 's')} |")
    lines += ["", "## Every configuration (median over rounds; each round's value in brackets; ★ the engine's best)", ""]
    for bench, (title, unit, way) in BENCHES.items():
        keys = sorted(k for k in medians if k[0] == bench)
        if not keys:
            continue
        lines += [f"### {title} ({unit}, {way} is better)", "", "| engine | configuration | median | rounds | ran with |",
                  "|---|---|---|---|---|"]
        bests = {} if bench.startswith("coldstart") else {e: (best_of(bench, e) or (None,))[0] for _, e, _ in keys}
        for _, engine, config in keys:
            raws = [m["raw"] for m in ms if (m["bench"], m["engine"], m["config"]) == (bench, engine, config)]
            lines.append(f"| {engine} | {config}{' ★' if bests.get(engine) == config else ''} | "
                         f"{fmt(medians[(bench, engine, config)], unit)} | "
                         f"{' / '.join(fmt(x, unit) for x in by[(bench, engine, config)])} | "
                         f"{ran_with(engine, config, raws[-1], meta)} |")
        lines.append("")
    if problems:
        lines += ["## Missing or failed", "", "| bench | engine | configuration | round | status | reason |",
                  "|---|---|---|---|---|---|"]
        for p in problems:
            reason = str(p["reason"]).replace("|", "\\|")
            lines.append(f"| {p['bench']} | {p['engine']} | {p['config'] or '–'} | {p.get('round', '–')} | "
                         f"{p['status']} | {reason} |")
        lines.append("")
    return "\n".join(lines)


def ran_with(engine, config, raw, meta):
    """What a measurement says it ran with: threads, kernels, device."""
    if engine == "clgrad":
        path = re.sub(r"-(cold|warm)$", "", config)
        known = meta.get("clgradPaths", {}).get(path, {})
        return f"{known.get('device', raw.get('device', ''))}: {raw.get('deviceName') or known.get('name') or ''}"
    parts = []
    for key, label in (("intraOpThreads", "intra-op"), ("ompThreads", "OpenMP"), ("blasThreads", "BLAS threads"),
                       ("blasCoretype", "kernel"), ("env", "env")):
        if raw.get(key) not in (None, {}, ""):
            val = raw[key]
            if isinstance(val, dict):
                val = " ".join(f"{k}={x}" for k, x in val.items())
            parts.append(f"{label} {val}")
    if engine == "clblast":
        parts.append("tuned parameters" if raw.get("tuned") else "CLBlast's database")
    return ", ".join(parts)


def main():
    p = argparse.ArgumentParser(description="clgrad next to its peers, every configuration, alternating rounds.")
    p.add_argument("--quick", action="store_true", help="fewer rows and repeats, 1 round: a few minutes")
    p.add_argument("--out", help="output folder (default bench/out/DATE-TIME)")
    p.add_argument("--rounds", type=int, help="rounds (default 2, quick 1); even rounds run in reverse order")
    p.add_argument("--rows", type=int, help="Fashion-MNIST rows per epoch (default 20000, quick 5000)")
    p.add_argument("--only", help="comma-separated groups: " + ",".join(GROUPS))
    p.add_argument("--no-build", action="store_true", help="use clgrad-cli/target/clgrad.jar as it is")
    p.add_argument("--pocl-device", help="the OpenCL CPU device id (default: the first OpenCL CPU device)")
    p.add_argument("--clblast-params", help="CLBlast tuning file (default bench/out/clblast-tuning/params.txt)")
    p.add_argument("--tune-clblast", type=int, metavar="SECONDS",
                   help="first run bench/clblast/tune.sh with this budget (writes the default tuning file)")
    p.add_argument("--python", help="the python3 for the PyTorch and OpenBLAS peers (default: /usr/bin/python3, "
                                    "else python3 on PATH, whichever imports torch)")
    p.add_argument("--timeout", type=int, default=900, help="seconds per command (default 900)")
    p.add_argument("--report", metavar="RESULTS.json", help="only print the markdown table of an earlier run")
    a = p.parse_args()
    if a.report:
        with open(a.report) as f:
            print(report(json.load(f)))
        return
    if a.out is None:
        a.out = os.path.join(ROOT, "bench", "out",
                             datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S") + ("-quick" if a.quick else ""))
    a.out = os.path.abspath(a.out)
    Run(a).main()


if __name__ == "__main__":
    main()

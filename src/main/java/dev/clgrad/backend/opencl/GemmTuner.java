package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.Config;
import dev.clgrad.backend.GemmShape;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Searches gemm.cl's tunables (GEMM_MWG/NWG tile, GEMM_KWG local-memory K step, GEMM_MDIMC/NDIMC
 * work-items, GEMM_VWN vector width) for one device. Each candidate is compiled as one program of
 * the plain tiled kernels (gemm_nn, gemm_nt, gemm_tn), validated against the float64
 * {@link RefOps#gemm} on an awkward shape and on the MLP shapes, then timed (median of 3 after a
 * warm-up) on {@link #SHAPES}; the score is the geometric mean GFLOP/s. The best candidate is
 * written to the device's {@link TuningFile}, which every later {@link OpenClBackend} of the device
 * uses. The search stops trying new candidates when the time budget is spent.
 */
public final class GemmTuner {
    /** A timed problem: name, transposes and sizes. */
    record Problem(String name, boolean transA, boolean transB, int m, int n, int k) {
        String kernel() {
            return "gemm_" + (transA ? 't' : 'n') + (transB ? 't' : 'n');
        }
    }

    /** 1024², 2048², and the Fashion-MNIST MLP's layer-1 forward, layer-2 input gradient and layer-1 weight gradient. */
    static final List<Problem> SHAPES = List.of(new Problem("1024x1024x1024", false, false, 1024, 1024, 1024),
            new Problem("2048x2048x2048", false, false, 2048, 2048, 2048),
            new Problem("128x512x784", false, false, 128, 512, 784),
            new Problem("128x512x512 NT", false, true, 128, 512, 512),
            new Problem("784x512x128 TN", true, false, 784, 512, 128));
    private static final List<Problem> VALIDATE = List.of(new Problem("67x131x45", false, false, 67, 131, 45),
            new Problem("67x131x45 NT", false, true, 67, 131, 45), new Problem("67x131x45 TN", true, false, 67, 131, 45));
    private static final String[] NAMES = {"GEMM_MWG", "GEMM_NWG", "GEMM_KWG", "GEMM_MDIMC", "GEMM_NDIMC", "GEMM_VWN"};
    /** (MWG, NWG, KWG, MDIMC, NDIMC, VWN) tried on CPUs: register blocks of 8-16 AVX-512 vectors. */
    private static final int[][] CPU = {{64, 128, 32, 8, 4, 16}, {64, 128, 16, 8, 4, 16}, {64, 128, 64, 8, 4, 16},
            {32, 128, 32, 4, 4, 16}, {64, 64, 32, 8, 2, 16}, {128, 128, 32, 16, 4, 16}, {64, 128, 32, 16, 8, 16},
            {32, 64, 32, 4, 2, 16}, {64, 128, 32, 8, 4, 8}, {64, 256, 32, 8, 8, 16}, {128, 64, 32, 16, 2, 16},
            {32, 256, 32, 4, 8, 16}};
    /** Candidates tried on GPUs and other devices: 8x8 to 16x16 work-groups with float2/float4 vectors. */
    private static final int[][] GPU = {{64, 64, 16, 16, 16, 4}, {64, 64, 32, 16, 16, 4}, {128, 128, 16, 16, 16, 4},
            {128, 64, 16, 16, 16, 4}, {64, 128, 16, 16, 16, 4}, {32, 32, 16, 8, 8, 4}, {64, 64, 16, 8, 8, 4},
            {128, 128, 32, 16, 16, 8}, {64, 64, 16, 16, 16, 2}, {128, 128, 16, 32, 8, 4}};

    private final OpenClBackend cl;
    private final Consumer<String> progress;
    private final double budgetSeconds;

    /** @param progress receives one line per candidate */
    public GemmTuner(OpenClBackend cl, double budgetSeconds, Consumer<String> progress) {
        this.cl = cl;
        this.budgetSeconds = budgetSeconds;
        this.progress = progress;
    }

    /** Runs the search, stores the best candidate, and returns a report (best defines, scores, file). */
    public ObjectNode run() throws IOException {
        long t0 = System.nanoTime();
        ObjectMapper mapper = new ObjectMapper();
        Map<Problem, float[][]> inputs = new LinkedHashMap<>();
        Map<Problem, double[]> refs = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(7);
        for (Problem p : concat(VALIDATE, SHAPES)) {
            float[] a = random(rng, p.m() * p.k());
            float[] b = random(rng, p.k() * p.n());
            inputs.put(p, new float[][] {a, b});
            if ((long) p.m() * p.n() * p.k() <= 128L * 512 * 784) {
                refs.put(p, RefOps.gemm(p.transA(), p.transB(), p.m(), p.n(), p.k(), 1, doubles(a), doubles(b), 0, null));
            }
        }
        List<Map<String, String>> candidates = candidates();
        ObjectNode tried = mapper.createObjectNode();
        Map<String, String> best = null;
        double bestScore = 0;
        Map<String, Double> bestGflops = null;
        int done = 0;
        for (Map<String, String> c : candidates) {
            if (done > 0 && (System.nanoTime() - t0) / 1e9 > budgetSeconds) {
                progress.accept("time budget of " + budgetSeconds + " s spent; " + (candidates.size() - done)
                        + " candidates left untried");
                break;
            }
            done++;
            String label = label(c);
            try {
                Map<String, Double> gflops = measure(c, inputs, refs);
                double score = geomean(gflops.values());
                ObjectNode entry = tried.putObject(label);
                entry.put("score", score);
                gflops.forEach(entry::put);
                progress.accept(String.format("%-40s %7.1f GFLOP/s (geometric mean) %s", label, score, gflops));
                if (score > bestScore) {
                    best = c;
                    bestScore = score;
                    bestGflops = gflops;
                }
            } catch (RuntimeException e) {
                tried.put(label, "rejected: " + e.getMessage());
                progress.accept(label + " rejected: " + e.getMessage());
            }
        }
        if (best == null) {
            throw new IllegalStateException("tune gemm: no candidate passed validation on " + cl.info().name());
        }
        ObjectNode root = mapper.createObjectNode();
        root.put("device", cl.info().name()).put("driver", cl.info().driverVersion());
        ObjectNode defines = root.putObject("defines");
        best.forEach((k, v) -> defines.put(k, Integer.parseInt(v)));
        root.put("score", bestScore);
        ObjectNode g = root.putObject("gflops");
        bestGflops.forEach(g::put);
        root.put("seconds", (System.nanoTime() - t0) / 1e9);
        root.set("candidates", tried);
        Path file = TuningFile.store(Config.cacheDir(), root);
        root.put("file", file.toString());
        return root;
    }

    /** The profile's current defines first, then the device family's grid, valid ones only, no repeats. */
    List<Map<String, String>> candidates() {
        List<Map<String, String>> out = new ArrayList<>();
        Map<String, String> current = new TreeMap<>();
        int[] defaults = {64, 64, 16, 16, 16, 4};
        for (int i = 0; i < NAMES.length; i++) {
            current.put(NAMES[i], Integer.toString(cl.define(NAMES[i], defaults[i])));
        }
        out.add(current);
        for (int[] v : "CPU".equals(cl.info().type()) ? CPU : GPU) {
            Map<String, String> c = new TreeMap<>();
            for (int i = 0; i < NAMES.length; i++) {
                c.put(NAMES[i], Integer.toString(v[i]));
            }
            if (valid(v) && !out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    private boolean valid(int[] v) {
        int mwg = v[0], nwg = v[1], kwg = v[2], mdimc = v[3], ndimc = v[4], vwn = v[5];
        return mwg % mdimc == 0 && nwg % (ndimc * vwn) == 0 && mwg % 4 == 0 && nwg % 4 == 0 && kwg % 4 == 0
                && (long) mdimc * ndimc <= cl.maxWorkGroupSize();
    }

    /** Builds the candidate, validates it, and returns GFLOP/s per timed shape. */
    private Map<String, Double> measure(Map<String, String> c, Map<Problem, float[][]> inputs,
                                        Map<Problem, double[]> refs) {
        KernelLibrary lib = cl.library();
        ClApi api = cl.api();
        String options = KernelLibrary.oneKernelOptions(lib.profile().withDefines(c).buildOptions(),
                "gemm_nn", "gemm_nt", "gemm_tn");
        ClApi.Program program = lib.build("gemm.cl (tuning " + label(c) + ")", KernelLibrary.source(GemmRoutine.FILE),
                options);
        Map<String, ClApi.Kernel> kernels = new LinkedHashMap<>();
        try {
            for (String k : List.of("gemm_nn", "gemm_nt", "gemm_tn")) {
                kernels.put(k, api.createKernel(program, k));
            }
            int[] v = Arrays.stream(NAMES).mapToInt(n -> Integer.parseInt(c.get(n))).toArray();
            Map<String, Double> gflops = new LinkedHashMap<>();
            for (Map.Entry<Problem, float[][]> e : inputs.entrySet()) {
                Problem p = e.getKey();
                boolean timed = SHAPES.contains(p);
                double ms = run(kernels.get(p.kernel()), p, v, e.getValue(), refs.get(p), timed ? 3 : 0);
                if (timed) {
                    gflops.put(p.name(), 2.0 * p.m() * p.n() * p.k() / (ms * 1e6));
                }
            }
            return gflops;
        } finally {
            kernels.values().forEach(api::release);
            api.release(program);
        }
    }

    /** Runs p once (checked against ref when given), then {@code repeats} timed runs; the median ms. */
    private double run(ClApi.Kernel kernel, Problem p, int[] v, float[][] ab, double[] ref, int repeats) {
        try (Tensor a = Tensor.of(cl, ab[0], p.transA() ? p.k() : p.m(), p.transA() ? p.m() : p.k());
             Tensor b = Tensor.of(cl, ab[1], p.transB() ? p.n() : p.k(), p.transB() ? p.k() : p.n());
             Tensor c = Tensor.of(cl, nans(p.m() * p.n()), p.m(), p.n())) {
            GemmShape s = GemmShape.of(p.transA(), p.transB(), a, b, c);
            long[] global = GemmRoutine.global(s, v[0], v[1], v[3], v[4]);
            long[] local = {v[4], v[3]};
            Runnable launch = () -> cl.launch(kernel, p.kernel(), global, local, s.m(), s.n(), s.k(), 1f, a, b, 0f, c);
            launch.run();
            if (ref != null) {
                float[] got = c.toArray();
                double err = 0;
                double norm = 0;
                for (int i = 0; i < got.length; i++) {
                    err += (got[i] - ref[i]) * (got[i] - ref[i]);
                    norm += ref[i] * ref[i];
                }
                double rel = Math.sqrt(err / norm);
                if (!(rel < 1e-4)) {
                    throw new IllegalStateException(p.name() + " relative error " + rel + " against the float64 reference");
                }
            }
            cl.finish();
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t = System.nanoTime();
                launch.run();
                cl.finish();
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(ms);
            return repeats == 0 ? 0 : ms[repeats / 2];
        }
    }

    static String label(Map<String, String> c) {
        StringBuilder sb = new StringBuilder();
        for (String n : NAMES) {
            sb.append(sb.length() == 0 ? "" : " ").append(n.substring(5)).append('=').append(c.get(n));
        }
        return sb.toString();
    }

    private static double geomean(Iterable<Double> xs) {
        double s = 0;
        int n = 0;
        for (double x : xs) {
            s += Math.log(x);
            n++;
        }
        return Math.exp(s / n);
    }

    private static List<Problem> concat(List<Problem> a, List<Problem> b) {
        List<Problem> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static float[] nans(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    private static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}

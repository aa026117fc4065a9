package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.Config;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.GemmShape;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Shape;
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
 * work-items, GEMM_VWN vector width, GEMM_DIRECT: operands of the non-transposed-B kernels straight
 * from global memory rather than local tiles) for one device. Each candidate is compiled as one program of
 * the tiled kernels training launches (gemm_nn, gemm_nt, gemm_tn and the fused Dense kernels
 * gemm_nn_bias, gemm_nt_mask) and the packed products (gemm_pack_b or gemm_pack_bt, then
 * gemm_nn_packed, gemm_tn_packed or gemm_nt_mask_packed: a plain or masked product that
 * {@link GemmRoutine#packs} with the device's thresholds is validated and timed as the pack then the
 * product, as it runs), validated against the float64 {@link MatMul#reference} on awkward shapes
 * and on the MLP's training shapes (epilogues set to the identity: zero bias, no ReLU, no dropout,
 * an all-positive mask), then timed, median of 3 after a warm-up, with the real epilogues. It is
 * scored on what the tuning file will be used for: a third of the weight goes to {@link #STEP}, the
 * tiled launches of one Fashion-MNIST MLP training step (their total FLOPs over their total time), a
 * third to {@link #CNN}, those of the issue-13 CNN's step (its convolutions are im2col and these
 * products), a sixth each to the 1024² and 2048² products ({@link #SQUARES}); the score is that
 * weighted geometric mean of GFLOP/s. The CNN and square products are timed only (their float64
 * references would take longer than the search). The search stops trying new candidates when the
 * time budget is spent; the best few and the profile's current defines are then measured twice
 * more, and the highest median score is written to the device's {@link TuningFile}, which every
 * later {@link OpenClBackend} of the device uses.
 */
public final class GemmTuner {
    /**
     * A launch of one tiled kernel: name, transposes, sizes, the epilogue suffix ("", "_bias", "_mask",
     * "_packed": gemm_pack_b or gemm_pack_bt then gemm_nn_packed or gemm_tn_packed, or "_mask_packed":
     * gemm_pack_bt then gemm_nt_mask_packed)
     * and, for "_bias", whether a dropout mask follows the ReLU (the MLP's hidden layers) or not (a
     * convolution's).
     */
    record Problem(String name, boolean transA, boolean transB, int m, int n, int k, String epilogue, boolean dropout) {
        static final String PACKED = "_packed";

        /** A problem whose "_bias" epilogue has the dropout of the MLP's hidden layers. */
        Problem(String name, boolean transA, boolean transB, int m, int n, int k, String epilogue) {
            this(name, transA, transB, m, n, k, epilogue, epilogue.equals("_bias"));
        }

        String kernel() {
            return epilogue.equals(PACKED) ? "gemm_" + (transA ? 't' : 'n') + "n" + PACKED
                    : "gemm_" + (transA ? 't' : 'n') + (transB ? 't' : 'n') + epilogue;
        }

        double flops() {
            return 2.0 * m * n * k;
        }

        /** This problem as the device runs it: a plain one that packs B with "_packed" (gemm_pack_b first). */
        Problem asRun(OpenClBackend cl) {
            boolean packs = (epilogue.isEmpty() || epilogue.equals("_mask"))
                    && GemmRoutine.packs(cl, new GemmShape(m, n, k), transB);
            return packs ? new Problem(name, transA, transB, m, n, k, epilogue + PACKED, false) : this;
        }
    }

    /** The 1024² and 2048² products. */
    static final List<Problem> SQUARES = List.of(new Problem("1024x1024x1024", false, false, 1024, 1024, 1024, ""),
            new Problem("2048x2048x2048", false, false, 2048, 2048, 2048, ""));
    /**
     * The tiled launches of a Fashion-MNIST MLP step (784-512-512-10, batch 128): both fused hidden
     * forwards, the masked input gradients of the second and third layers, both hidden weight
     * gradients (the 10-wide layer's forward and weight gradient run the naive kernels, which no
     * tunable changes).
     */
    static final List<Problem> STEP = List.of(new Problem("dense1 forward 128x512x784", false, false, 128, 512, 784,
                    "_bias"),
            new Problem("dense2 forward 128x512x512", false, false, 128, 512, 512, "_bias"),
            new Problem("dense3 dX 128x512x10 NT", false, true, 128, 512, 10, "_mask"),
            new Problem("dense2 dX 128x512x512 NT", false, true, 128, 512, 512, "_mask"),
            new Problem("dense2 dW 512x512x128 TN", true, false, 512, 512, 128, ""),
            new Problem("dense1 dW 784x512x128 TN", true, false, 784, 512, 128, ""));
    /**
     * The tiled launches of the CNN's step (Conv2D(32, 3, relu) on 28x28x1, MaxPool 2, Conv2D(64, 3,
     * relu) on 13x13x32, batch 128; each convolution is cols (B·OH·OW, KH·KW·C) times the kernel
     * (KH·KW·C, F)): both fused forwards and the second layer's dCols = dZ·Wᵀ (whose reader is
     * col2im, so it has no gate). Both weight gradients (K = B·OH·OW) split K
     * ({@code gemm_splitk_wgrad}, which no tile tunable changes), and the first layer computes no
     * input gradient; its forward (K = 9) is tiled on the GPU tiles and runs {@code gemm_smallk_bias}
     * on the CPU's, where K = 9 is mostly padding of a K step.
     */
    static final List<Problem> CNN = List.of(new Problem("conv1 forward 86528x32x9", false, false, 86528, 32, 9,
                    "_bias", false),
            new Problem("conv2 forward 15488x64x288", false, false, 15488, 64, 288, "_bias", false),
            new Problem("conv2 dCols 15488x288x64 NT", false, true, 15488, 288, 64, ""));
    private static final List<Problem> VALIDATE = List.of(new Problem("67x131x45", false, false, 67, 131, 45, ""),
            new Problem("67x131x45 NT", false, true, 67, 131, 45, ""),
            new Problem("67x131x45 TN", true, false, 67, 131, 45, ""),
            new Problem("67x131x45 bias", false, false, 67, 131, 45, "_bias"),
            new Problem("67x131x45 NT mask", false, true, 67, 131, 45, "_mask"),
            new Problem("67x131x45 packed", false, false, 67, 131, 45, Problem.PACKED),
            new Problem("67x131x45 NT packed", false, true, 67, 131, 45, Problem.PACKED),
            new Problem("67x131x45 NT mask packed", false, true, 67, 131, 45, "_mask" + Problem.PACKED));
    private static final List<String> KERNELS = List.of("gemm_nn", "gemm_nt", "gemm_tn", "gemm_nn_bias",
            "gemm_nt_mask", "gemm_pack_b", "gemm_pack_bt", "gemm_nn_packed", "gemm_tn_packed", "gemm_nt_mask_packed");
    /** Candidates measured again at the end, besides the profile's current defines. */
    private static final int FINALISTS = 3;
    /** Extra passes over the finalists. */
    private static final int ROUNDS = 2;
    /** The dropout rate of the timed forward epilogues. */
    private static final float P = 0.5f;
    private static final String[] NAMES = {"GEMM_MWG", "GEMM_NWG", "GEMM_KWG", "GEMM_MDIMC", "GEMM_NDIMC", "GEMM_VWN",
        "GEMM_DIRECT"};
    /**
     * (MWG, NWG, KWG, MDIMC, NDIMC, VWN, DIRECT) tried on CPUs: register blocks of 12 AVX2 vectors
     * (6 x 16 floats per work-item, in work-groups of 4 to 16 of them) and of 8-28 AVX-512 vectors,
     * mostly read straight from global memory (DIRECT = 1; the transposed-B kernels keep local tiles
     * of the same shape), a few with local tiles throughout.
     */
    private static final int[][] CPU = {{48, 16, 32, 8, 1, 16, 1}, {24, 16, 32, 4, 1, 16, 1},
            {96, 16, 32, 16, 1, 16, 1}, {48, 32, 32, 8, 2, 16, 1}, {48, 64, 32, 8, 1, 16, 1}, {128, 32, 32, 16, 1, 16, 1},
            {128, 64, 32, 16, 2, 16, 1}, {96, 48, 32, 16, 1, 16, 1}, {64, 32, 32, 8, 1, 16, 1}, {96, 32, 32, 8, 1, 16, 1},
            {40, 64, 32, 8, 1, 16, 1}, {56, 64, 32, 8, 1, 16, 1}, {48, 64, 16, 8, 1, 16, 1}, {64, 128, 32, 8, 4, 16, 1},
            {64, 128, 32, 8, 4, 16, 0}, {128, 64, 32, 16, 2, 16, 0}, {64, 64, 32, 8, 2, 16, 0}};
    /** Candidates tried on GPUs and other devices: 8x8 to 16x16 work-groups with float2/float4 vectors. */
    private static final int[][] GPU = {{64, 64, 16, 16, 16, 4, 0}, {64, 64, 32, 16, 16, 4, 0},
            {128, 128, 16, 16, 16, 4, 0}, {128, 64, 16, 16, 16, 4, 0}, {64, 128, 16, 16, 16, 4, 0},
            {32, 32, 16, 8, 8, 4, 0}, {64, 64, 16, 8, 8, 4, 0}, {128, 128, 32, 16, 16, 8, 0}, {64, 64, 16, 16, 16, 2, 0},
            {128, 128, 16, 32, 8, 4, 0}};

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
        for (Problem p : concat(VALIDATE, concat(STEP, concat(CNN, SQUARES)))) {
            float[] a = random(rng, p.m() * p.k());
            float[] b = random(rng, p.k() * p.n());
            inputs.put(p, new float[][] {a, b});
            if (VALIDATE.contains(p) || STEP.contains(p)) {
                refs.put(p, MatMul.reference(p.transA(), p.transB(), p.m(), p.n(), p.k(), 1, doubles(a), doubles(b), 0, null));
            }
        }
        List<Map<String, String>> candidates = candidates();
        ObjectNode tried = mapper.createObjectNode();
        List<Scored> passed = new ArrayList<>();
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
                double score = score(gflops);
                ObjectNode entry = tried.putObject(label);
                entry.put("score", score);
                gflops.forEach(entry::put);
                progress.accept(String.format("%-40s score %7.1f GFLOP/s %s", label, score, rounded(gflops)));
                passed.add(new Scored(c, new ArrayList<>(List.of(score)), gflops));
            } catch (RuntimeException e) {
                tried.put(label, "rejected: " + e.getMessage());
                progress.accept(label + " rejected: " + e.getMessage());
            }
        }
        if (passed.isEmpty()) {
            throw new IllegalStateException("tune gemm: no candidate passed validation on " + cl.info().name());
        }
        Scored best = confirm(passed, inputs);
        ObjectNode root = TuningFile.current(Config.cacheDir(), cl.info().name(), cl.info().driverVersion(), progress);
        root.put("device", cl.info().name()).put("driver", cl.info().driverVersion());
        ObjectNode defines = root.get("defines") instanceof ObjectNode kept ? kept : root.putObject("defines");
        best.defines().forEach((k, v) -> defines.put(k, Integer.parseInt(v)));
        root.put("score", best.median());
        ObjectNode g = root.putObject("gflops");
        best.gflops().forEach(g::put);
        root.put("seconds", (System.nanoTime() - t0) / 1e9);
        root.set("candidates", tried);
        Path file = TuningFile.store(Config.cacheDir(), root);
        root.put("file", file.toString());
        return root;
    }

    /** A candidate that passed validation: its defines, every score it got, and its first GFLOP/s figures. */
    private record Scored(Map<String, String> defines, List<Double> scores, Map<String, Double> gflops) {
        double median() {
            List<Double> sorted = scores.stream().sorted().toList();
            int n = sorted.size();
            return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        }
    }

    /**
     * One pass's ranking is at the mercy of whatever else the machine did meanwhile, so the
     * {@link #FINALISTS} best and the first candidate that passed (the profile's current defines,
     * unless they failed validation) are measured {@link #ROUNDS} more times, in turn; the highest
     * median score wins. The report's GFLOP/s per problem are the winner's first pass.
     */
    private Scored confirm(List<Scored> passed, Map<Problem, float[][]> inputs) {
        List<Scored> finalists = new ArrayList<>(passed.stream()
                .sorted((x, y) -> Double.compare(y.scores().get(0), x.scores().get(0))).limit(FINALISTS).toList());
        if (!finalists.contains(passed.get(0))) {
            finalists.add(passed.get(0));
        }
        if (finalists.size() > 1) {
            for (int round = 0; round < ROUNDS; round++) {
                for (Scored f : finalists) {
                    f.scores().add(score(measure(f.defines(), inputs, Map.of())));
                }
            }
        }
        Scored best = finalists.get(0);
        for (Scored f : finalists) {
            progress.accept(String.format("%-40s median score %7.1f GFLOP/s over %d passes", label(f.defines()),
                    f.median(), f.scores().size()));
            if (f.median() > best.median()) {
                best = f;
            }
        }
        return best;
    }

    /** The profile's current defines first, then the device family's grid, valid ones only, no repeats. */
    List<Map<String, String>> candidates() {
        List<Map<String, String>> out = new ArrayList<>();
        Map<String, String> current = new TreeMap<>();
        int[] defaults = {64, 64, 16, 16, 16, 4, 0};
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
                && GemmRoutine.tileProblem(cl.maxWorkGroupSize(), cl.localMemBytes(), mwg, nwg, kwg, mdimc, ndimc)
                == null;
    }

    /**
     * Builds the candidate, validates it, and returns GFLOP/s per timed problem, plus {@code "step"}
     * and {@code "cnn"}: the STEP and the CNN launches' total FLOPs over their total time.
     */
    private Map<String, Double> measure(Map<String, String> c, Map<Problem, float[][]> inputs,
                                        Map<Problem, double[]> refs) {
        KernelLibrary lib = cl.library();
        ClApi api = cl.api();
        String options = KernelLibrary.oneKernelOptions(lib.profile().withDefines(c).buildOptions(),
                KERNELS.toArray(String[]::new));
        ClApi.Program program = lib.build("gemm.cl (tuning " + label(c) + ")", KernelLibrary.source(GemmRoutine.FILE),
                options);
        Map<String, ClApi.Kernel> kernels = new LinkedHashMap<>();
        try {
            for (String k : KERNELS) {
                kernels.put(k, api.createKernel(program, k));
            }
            int[] v = Arrays.stream(NAMES).mapToInt(n -> Integer.parseInt(c.get(n))).toArray();
            Map<String, Double> gflops = new LinkedHashMap<>();
            double stepFlops = 0;
            double stepMs = 0;
            double cnnFlops = 0;
            double cnnMs = 0;
            for (Map.Entry<Problem, float[][]> e : inputs.entrySet()) {
                Problem p = e.getKey();
                boolean timed = !VALIDATE.contains(p);
                Problem q = p.asRun(cl);
                double ms = run(kernels.get(q.kernel()), kernels.get(q.transB() ? "gemm_pack_bt" : "gemm_pack_b"), q, v,
                        e.getValue(), refs.get(p),
                        timed ? 3 : 0);
                if (timed) {
                    gflops.put(p.name(), p.flops() / (ms * 1e6));
                }
                if (STEP.contains(p)) {
                    stepFlops += p.flops();
                    stepMs += ms;
                } else if (CNN.contains(p)) {
                    cnnFlops += p.flops();
                    cnnMs += ms;
                }
            }
            gflops.put("step", stepFlops / (stepMs * 1e6));
            gflops.put("cnn", cnnFlops / (cnnMs * 1e6));
            return gflops;
        } finally {
            kernels.values().forEach(api::release);
            api.release(program);
        }
    }

    /**
     * A third of the weight on each training step (the MLP's, the CNN's), a sixth on each square
     * product (weighted geometric mean).
     */
    static double score(Map<String, Double> gflops) {
        return Math.exp((Math.log(gflops.get("step")) + Math.log(gflops.get("cnn"))) / 3
                + (Math.log(gflops.get(SQUARES.get(0).name())) + Math.log(gflops.get(SQUARES.get(1).name()))) / 6);
    }

    /**
     * Runs p once with the identity epilogue (checked against ref when given), then {@code repeats}
     * timed runs with the real one (ReLU, and dropout P where the problem has it, for "_bias"; a mask
     * of random sign for "_mask"); the median ms. A "_packed" problem runs {@code pack} (B into
     * panels) before each product, inside the timing.
     */
    private double run(ClApi.Kernel kernel, ClApi.Kernel pack, Problem p, int[] v, float[][] ab, double[] ref,
                       int repeats) {
        boolean bias = p.epilogue().equals("_bias");
        boolean mask = p.epilogue().startsWith("_mask");
        boolean packed = p.epilogue().endsWith(Problem.PACKED);
        float[] hValues = new float[mask ? p.m() * p.n() : 1];
        float[] onesValues = new float[hValues.length];
        SplittableRandom rng = new SplittableRandom(11);
        for (int i = 0; i < hValues.length; i++) {
            hValues[i] = (float) (rng.nextDouble() - 0.5);
            onesValues[i] = 1f;
        }
        try (Tensor a = Tensor.of(cl, ab[0], p.transA() ? p.k() : p.m(), p.transA() ? p.m() : p.k());
             Tensor b = Tensor.of(cl, ab[1], p.transB() ? p.n() : p.k(), p.transB() ? p.k() : p.n());
             Tensor c = Tensor.of(cl, nans(p.m() * p.n()), p.m(), p.n());
             Tensor biasZeros = Tensor.zeros(cl, Shape.of(bias ? p.n() : 1));
             Tensor ones = Tensor.of(cl, onesValues, mask ? p.m() : 1, mask ? p.n() : 1);
             Tensor h = Tensor.of(cl, hValues, mask ? p.m() : 1, mask ? p.n() : 1);
             Tensor panels = Tensor.zeros(cl, Shape.of(packed ? Math.toIntExact(GemmRoutine.panelFloats(
                     new GemmShape(p.m(), p.n(), p.k()), v[1])) : 1))) {
            GemmShape s = GemmShape.of(p.transA(), p.transB(), a, b, c);
            Call.Kernel packCall = GemmRoutine.pack(s, p.transB(), b, panels.shape().size() / s.k(), panels);
            Runnable packB = () -> {
                if (packed) {
                    cl.launch(pack, packCall.name(), packCall.global(), packCall.local(), packCall.args());
                }
            };
            long[] global = GemmRoutine.global(s, v[0], v[1], v[3], v[4]);
            long[] local = {v[4], v[3]};
            Tensor bOrPanels = packed ? panels : b;
            Object[] identity = bias ? new Object[] {s.m(), s.n(), s.k(), 1f, a, b, biasZeros,
                    Activation.LINEAR.code(), 0f, Philox.threshold(0f), 1f, 0L, 0L, c, 0, c}
                    : mask ? new Object[] {s.m(), s.n(), s.k(), 1f, a, bOrPanels, ones, c}
                    : new Object[] {s.m(), s.n(), s.k(), 1f, a, bOrPanels, 0f, c};
            Object[] real = bias ? new Object[] {s.m(), s.n(), s.k(), 1f, a, b, biasZeros, Activation.RELU.code(), 0f,
                    Philox.threshold(p.dropout() ? P : 0f), p.dropout() ? Philox.keepScale(P) : 1f, 42L, 0L, c, 0, c}
                    : mask ? new Object[] {s.m(), s.n(), s.k(), Philox.keepScale(P), a, bOrPanels, h, c}
                    : identity;
            packB.run();
            cl.launch(kernel, p.kernel(), global, local, identity);
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
            packB.run();
            cl.launch(kernel, p.kernel(), global, local, real);
            cl.finish();
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t = System.nanoTime();
                packB.run();
                cl.launch(kernel, p.kernel(), global, local, real);
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

    private static Map<String, String> rounded(Map<String, Double> gflops) {
        Map<String, String> out = new LinkedHashMap<>();
        gflops.forEach((k, x) -> out.put(k, String.format("%.1f", x)));
        return out;
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

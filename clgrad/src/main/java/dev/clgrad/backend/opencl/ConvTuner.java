package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.Config;
import dev.clgrad.backend.Backend;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Chooses how a device runs the CNN samples' convolutions ({@link #SHAPES}: both conv layers of
 * samples/fashion-mnist-cnn.json and samples/fashion-mnist-cnn-bn.json at batch 128, each with its
 * bias and ReLU): conv.cl's {@code CONV_VW} and {@code CONV_WG} (scored on im2col plus col2im, the
 * copies a training step runs), conv_implicit.cl's tile ({@link ConvRoutine#TILE_NAMES}, scored on
 * the implicit GEMM), and then the algorithm per program kind and shape class
 * ({@link ConvRoutine#shapeClass}: C a multiple of CI_KWG or not) from the best of each: inference
 * runs a class implicit when its implicit GEMMs take less than its im2col plus gemm.cl's products, a
 * training step (whose filter gradient reads cols, so im2col runs either way) when they take less
 * than the products alone. Each candidate opens the device afresh with its defines (a tuning file in a scratch cache
 * folder), checks the implicit GEMM against im2col + GEMM at every shape, and is timed, median of
 * {@link #REPEATS} rounds of all four launches in turn after warm-ups; the search stops trying candidates when the budget is spent. The
 * choice is stored in the device's {@link TuningFile} with what it holds already (the GEMM tuning),
 * as {@link ConvRoutine#IMPLICIT_TRAIN} and {@link ConvRoutine#IMPLICIT_INFER}.
 */
public final class ConvTuner {
    /** {B, H, W, C, K, F, same (1) or valid (0)}, with their names. */
    static final Map<String, int[]> SHAPES = shapes();
    static final int REPEATS = 15;
    private static final double MAX_ERROR = 1e-4;
    /** conv.cl's (CONV_VW, CONV_WG) candidates. */
    private static final int[][] COPIES = {{4, 256}, {1, 256}, {2, 256}, {8, 256}, {4, 64}, {8, 64}, {16, 256}};
    /**
     * conv_implicit.cl's (CI_MWG, CI_NWG, CI_KWG, CI_MDIMC, CI_NDIMC, CI_VWN) candidates: GPU-like
     * tiles of many work-items and short vectors, and CPU-like ones (PoCL's gemm.cl profile) of few
     * work-items with vectors of 16.
     */
    private static final int[][] TILES = {{64, 32, 16, 8, 2, 16}, {64, 64, 16, 8, 2, 16}, {128, 32, 16, 16, 1, 16},
            {32, 32, 16, 8, 2, 16}, {64, 32, 16, 16, 8, 4}, {64, 64, 16, 16, 16, 4}, {128, 64, 32, 16, 2, 16}};

    private final OpenClBackend cl;
    private final double budgetSeconds;
    private final Consumer<String> progress;

    public ConvTuner(OpenClBackend cl, double budgetSeconds, Consumer<String> progress) {
        this.cl = cl;
        this.budgetSeconds = budgetSeconds;
        this.progress = progress;
    }

    private static Map<String, int[]> shapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("cnn conv1 128x28x28x1 k3 valid -> 32", new int[] {128, 28, 28, 1, 3, 32, 0});
        m.put("cnn conv2 128x13x13x32 k3 valid -> 64", new int[] {128, 13, 13, 32, 3, 64, 0});
        m.put("cnn-bn conv1 128x28x28x1 k3 same -> 32", new int[] {128, 28, 28, 1, 3, 32, 1});
        m.put("cnn-bn conv2 128x14x14x32 k3 same -> 64", new int[] {128, 14, 14, 32, 3, 64, 1});
        return m;
    }

    /** The median milliseconds of one shape's launches: im2col, the product of cols, the implicit GEMM, col2im. */
    public record Times(double im2col, double gemm, double implicit, double col2im) {
        static Times sum(List<Times> all) {
            return new Times(all.stream().mapToDouble(Times::im2col).sum(), all.stream().mapToDouble(Times::gemm).sum(),
                    all.stream().mapToDouble(Times::implicit).sum(), all.stream().mapToDouble(Times::col2im).sum());
        }
    }

    /**
     * Times every shape of {@link #SHAPES} on {@code backend} (any backend) with what it is set to
     * run, after checking that the implicit GEMM gives im2col + GEMM's result within float32
     * rounding ({@value #MAX_ERROR} of the largest value).
     *
     * @throws IllegalStateException when it does not
     */
    public static Map<String, Times> time(Backend backend) {
        Map<String, Times> out = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : SHAPES.entrySet()) {
            int[] s = e.getValue();
            Window w = Window.keras(s[1], s[2], s[4], s[4], 1, 1, 1, 1, s[6] == 1 ? "same" : "valid");
            int rows = s[0] * w.oh() * w.ow();
            int k = w.taps() * s[3];
            try (Tensor x = Tensor.of(backend, uniform(s[0] * s[1] * s[2] * s[3], 1), s[0], s[1], s[2], s[3]);
                 Tensor kernel = Tensor.of(backend, uniform(k * s[5], 2), k, s[5]);
                 Tensor bias = Tensor.of(backend, uniform(s[5], 3), s[5]);
                 Tensor cols = Tensor.empty(backend, Shape.of(rows, k), "cols");
                 Tensor y = Tensor.empty(backend, Shape.of(rows, s[5]), "y");
                 Tensor yImplicit = Tensor.empty(backend, Shape.of(rows, s[5]), "yImplicit");
                 Tensor dx = Tensor.empty(backend, Shape.of(s[0], s[1], s[2], s[3]), "dX")) {
                Epilogue relu = Epilogue.forward(bias, Activation.RELU, null);
                Backend.Launch im2col = backend.prepare(new Im2Col(x, w, cols));
                Backend.Launch gemm = backend.prepare(new MatMul(false, false, 1f, cols, kernel, 0f, y, relu));
                Backend.Launch implicit = backend.prepare(new ConvGemm(x, w, kernel, yImplicit, relu));
                Backend.Launch col2im = backend.prepare(new Col2Im(cols, w, dx));
                im2col.run();
                gemm.run();
                implicit.run();
                double error = maxRelError(y.toArray(), yImplicit.toArray());
                if (!(error <= MAX_ERROR)) {
                    throw new IllegalStateException("the implicit GEMM differs from im2col + gemm at " + e.getKey()
                            + " on " + backend.id() + ": max relative error " + error + " > " + MAX_ERROR);
                }
                double[] ms = medians(backend, im2col, gemm, implicit, col2im);
                out.put(e.getKey(), new Times(ms[0], ms[1], ms[2], ms[3]));
            }
        }
        return out;
    }

    /**
     * The median milliseconds of each launch over {@link #REPEATS} rounds after two warm-up rounds,
     * each round running every launch once in turn, so that a change of the machine's load falls on
     * all of them alike.
     */
    private static double[] medians(Backend backend, Backend.Launch... launches) {
        double[][] ms = new double[launches.length][REPEATS];
        for (int r = -2; r < REPEATS; r++) {
            for (int i = 0; i < launches.length; i++) {
                long t0 = System.nanoTime();
                launches[i].run();
                backend.finish();
                if (r >= 0) {
                    ms[i][r] = (System.nanoTime() - t0) * 1e-6;
                }
            }
        }
        double[] out = new double[launches.length];
        for (int i = 0; i < launches.length; i++) {
            Arrays.sort(ms[i]);
            out[i] = ms[i][REPEATS / 2];
        }
        return out;
    }

    private static double maxRelError(float[] want, float[] got) {
        double err = 0;
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            err = Math.max(err, Math.abs((double) got[i] - want[i]));
            max = Math.max(max, Math.abs(want[i]));
        }
        return max == 0 ? err : err / max;
    }

    private static float[] uniform(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (2 * r.nextDouble() - 1);
        }
        return x;
    }

    /** A candidate's defines and its timings per shape. */
    private record Measured(Map<String, String> defines, Map<String, Times> times) {
        Times total() {
            return Times.sum(List.copyOf(times.values()));
        }
    }

    /**
     * Runs the search, stores the choice, and returns a report: the defines, each candidate's
     * totals, the best's times per shape and algorithm, the choice per program kind, and the file.
     */
    public ObjectNode run() throws IOException {
        long t0 = System.nanoTime();
        Map<String, String> base = TuningFile.load(Config.cacheDir(), cl.info().name(), cl.info().driverVersion());
        List<Map<String, String>> candidates = candidates();
        List<Measured> measured = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode tried = mapper.createObjectNode();
        Path scratch = Files.createTempDirectory("clgrad-tune-conv");
        try {
            for (Map<String, String> c : candidates) {
                if (!measured.isEmpty() && (System.nanoTime() - t0) / 1e9 > budgetSeconds) {
                    progress.accept("budget spent; " + measured.size() + " of " + candidates.size() + " candidates tried");
                    break;
                }
                String label = c.toString();
                try {
                    Map<String, Times> times = timeWith(scratch, base, c);
                    Measured m = new Measured(c, times);
                    measured.add(m);
                    Times t = m.total();
                    progress.accept(String.format("%s: im2col %.2f + gemm %.2f ms, implicit %.2f ms, col2im %.2f ms",
                            label, t.im2col(), t.gemm(), t.implicit(), t.col2im()));
                    tried.set(label, times(mapper, t));
                } catch (RuntimeException e) {
                    progress.accept(label + " rejected: " + e.getMessage());
                    tried.put(label, "rejected: " + e.getMessage());
                }
            }
        } finally {
            deleteTree(scratch);
        }
        if (measured.isEmpty()) {
            throw new IllegalStateException("tune conv: no candidate ran on " + cl.info().name());
        }
        Measured copies = measured.stream().min(Comparator.comparingDouble(m -> m.total().im2col()
                + m.total().col2im())).orElseThrow();
        Measured tiles = measured.stream().min(Comparator.comparingDouble(m -> m.total().implicit())).orElseThrow();
        double im2col = copies.total().im2col();
        double gemm = tiles.total().gemm();
        double implicit = tiles.total().implicit();
        int kwg = Integer.parseInt(tiles.defines().get(ConvRoutine.TILE_NAMES[2]));
        int inference = 0;
        int training = 0;
        for (int shapeClass : new int[] {ConvRoutine.RUNS, ConvRoutine.GATHERS}) {
            double copy = 0;
            double product = 0;
            double direct = 0;
            for (Map.Entry<String, int[]> e : SHAPES.entrySet()) {
                if ((e.getValue()[3] % kwg == 0 ? ConvRoutine.RUNS : ConvRoutine.GATHERS) == shapeClass) {
                    copy += copies.times().get(e.getKey()).im2col();
                    product += tiles.times().get(e.getKey()).gemm();
                    direct += tiles.times().get(e.getKey()).implicit();
                }
            }
            if (product > 0 && direct < copy + product) {
                inference |= shapeClass;
            }
            if (product > 0 && direct < product) {
                training |= shapeClass;
            }
        }
        Map<String, String> defines = new TreeMap<>(base);
        defines.put("CONV_VW", copies.defines().get("CONV_VW"));
        defines.put("CONV_WG", copies.defines().get("CONV_WG"));
        for (String n : ConvRoutine.TILE_NAMES) {
            defines.put(n, tiles.defines().get(n));
        }
        defines.put(ConvRoutine.IMPLICIT_INFER, Integer.toString(inference));
        defines.put(ConvRoutine.IMPLICIT_TRAIN, Integer.toString(training));

        ObjectNode root = TuningFile.current(Config.cacheDir(), cl.info().name(), cl.info().driverVersion(), progress);
        root.put("device", cl.info().name()).put("driver", cl.info().driverVersion());
        ObjectNode d = root.putObject("defines");
        defines.forEach((k, v) -> d.put(k, Integer.parseInt(v)));
        ObjectNode conv = root.putObject("conv");
        conv.put("inference", choice(inference, kwg)).put("training", choice(training, kwg));
        ObjectNode perShape = conv.putObject("shapes");
        for (String shape : SHAPES.keySet()) {
            Times t = new Times(copies.times().get(shape).im2col(), tiles.times().get(shape).gemm(),
                    tiles.times().get(shape).implicit(), copies.times().get(shape).col2im());
            perShape.set(shape, times(mapper, t));
        }
        conv.set("total", times(mapper, new Times(im2col, gemm, implicit, copies.total().col2im())));
        conv.put("seconds", (System.nanoTime() - t0) / 1e9);
        conv.set("candidates", tried);
        Path file = TuningFile.store(Config.cacheDir(), root);
        ObjectNode report = root.deepCopy();
        report.put("file", file.toString());
        return report;
    }

    /** A flag mask in words: {@code im2col}, {@code implicit}, or which C runs implicit. */
    private static String choice(int mask, int kwg) {
        return switch (mask) {
            case 0 -> "im2col";
            case ConvRoutine.RUNS -> "implicit where C % " + kwg + " == 0, else im2col";
            case ConvRoutine.GATHERS -> "implicit where C % " + kwg + " != 0, else im2col";
            default -> "implicit";
        };
    }

    private static ObjectNode times(ObjectMapper mapper, Times t) {
        ObjectNode n = mapper.createObjectNode();
        n.put("im2colMs", t.im2col()).put("gemmMs", t.gemm()).put("implicitMs", t.implicit())
                .put("col2imMs", t.col2im());
        return n;
    }

    /**
     * The profile's current defines first, then the copy and tile grids zipped (each candidate sets
     * both files' defines: their kernels are timed separately), tiles the device cannot run left out.
     */
    private List<Map<String, String>> candidates() {
        List<Map<String, String>> out = new ArrayList<>();
        int n = Math.max(COPIES.length, TILES.length);
        Map<String, String> current = new TreeMap<>();
        current.put("CONV_VW", Integer.toString(cl.define("CONV_VW", 4)));
        current.put("CONV_WG", Integer.toString(cl.define("CONV_WG", 256)));
        int[] currentTile = new int[ConvRoutine.TILE_NAMES.length];
        for (int i = 0; i < currentTile.length; i++) {
            currentTile[i] = cl.define(ConvRoutine.TILE_NAMES[i], ConvRoutine.TILE_DEFAULTS[i]);
            current.put(ConvRoutine.TILE_NAMES[i], Integer.toString(currentTile[i]));
        }
        out.add(current);
        for (int i = 0; i < n; i++) {
            int[] copy = COPIES[i % COPIES.length];
            int[] tile = TILES[i % TILES.length];
            if (copy[1] > cl.maxWorkGroupSize()
                    || ConvRoutine.tileProblem(cl.maxWorkGroupSize(), cl.localMemBytes(), tile) != null) {
                continue;
            }
            Map<String, String> c = new TreeMap<>();
            c.put("CONV_VW", Integer.toString(copy[0]));
            c.put("CONV_WG", Integer.toString(copy[1]));
            for (int j = 0; j < tile.length; j++) {
                c.put(ConvRoutine.TILE_NAMES[j], Integer.toString(tile[j]));
            }
            if (!out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    /** Opens the device with {@code base} and {@code c} as its tuning (a file under {@code scratch}) and times it. */
    private Map<String, Times> timeWith(Path scratch, Map<String, String> base, Map<String, String> c) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("device", cl.info().name()).put("driver", cl.info().driverVersion());
        ObjectNode d = root.putObject("defines");
        Map<String, String> all = new TreeMap<>(base);
        all.putAll(c);
        all.forEach((k, v) -> d.put(k, Integer.parseInt(v)));
        String before = System.getProperty("clgrad.cache");
        try {
            TuningFile.store(scratch, root);
            System.setProperty("clgrad.cache", scratch.toString());
            try (OpenClBackend candidate = OpenClBackend.open(cl.id(), cl.binding())) {
                if (candidate == null) {
                    throw new IllegalStateException(cl.id() + " is gone");
                }
                return time(candidate);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (before == null) {
                System.clearProperty("clgrad.cache");
            } else {
                System.setProperty("clgrad.cache", before);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

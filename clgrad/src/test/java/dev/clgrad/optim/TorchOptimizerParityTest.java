package dev.clgrad.optim;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Parameter;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.train.Fit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Trajectory parity with PyTorch 1.13: a 20-16-8-3 ReLU MLP (no dropout) trained 20 steps of 8
 * rows with sparse softmax cross-entropy on every backend (Java, OpenCL), from the same initial
 * weights as the same model in PyTorch ({@code bench/pytorch/optimizer_trajectory.py}, which reads
 * each case's {@link Optimizer#config} and maps it to torch.optim, LambdaLR and clip_grad_*), for
 * SGD with Nesterov momentum, RMSprop (plain, centered), Adagrad, each learning-rate schedule, the
 * momentum ramp and the three clippings. Every parameter ends within 1e-5 relative (L2) of
 * PyTorch's, and the clipped runs must differ from the unclipped one (the clip was active).
 */
class TorchOptimizerParityTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int FEATURES = 20;
    private static final int BATCH = 8;
    private static final int STEPS = 20;
    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path dir;

    private static Map<String, Supplier<Optimizer>> cases() {
        Map<String, Supplier<Optimizer>> c = new LinkedHashMap<>();
        c.put("sgd_momentum", () -> new Sgd(0.05, 0.9, 0));
        c.put("sgd_nesterov", () -> new Sgd(0.05, 0.9, 0.01).withNesterov(true));
        c.put("rmsprop", () -> new Rmsprop(0.01, 0.9, 1e-7, false));
        c.put("rmsprop_centered", () -> new Rmsprop(0.005, 0.8, 1e-6, true));
        c.put("adagrad", () -> new Adagrad(0.05, 0.1, 1e-7));
        c.put("exponential_decay", () -> new Sgd(0.1).withLearningRate(new ExponentialDecay(0.2, 5, 0.5, false)));
        c.put("piecewise_constant_decay", () -> new Sgd(0.1).withLearningRate(
                new PiecewiseConstantDecay(new long[] {5, 12}, new double[] {0.2, 0.05, 0.01})));
        c.put("cosine_decay_warmup", () -> new Sgd(0.1, 0.5, 0).withLearningRate(
                new CosineDecay(0.0, 10, 0.1, 0.2, 5)));
        c.put("inverse_time_decay", () -> new Sgd(0.1).withLearningRate(new InverseTimeDecay(0.2, 4, 0.5, true)));
        c.put("momentum_ramp", () -> new Sgd(0.05, 0.5, 0).withMomentum(new LinearRamp(0.5, 0.99, 10)));
        c.put("clipvalue", () -> new Sgd(0.05, 0.9, 0).withClipping(Clipping.value(0.02)));
        c.put("clipnorm", () -> new Sgd(0.05, 0.9, 0).withClipping(Clipping.norm(0.05)));
        c.put("global_clipnorm", () -> new Adagrad(0.05, 0.1, 1e-7).withClipping(Clipping.globalNorm(0.1)));
        return c;
    }

    @Test
    void everyRuleScheduleAndClipFollowsPyTorch() throws Exception {
        boolean torch = hasTorch();
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(torch, PYTHON + " cannot import torch; CI installs python3-torch");
        }
        assumeTrue(torch, PYTHON + " with torch is not installed");
        Random rng = new Random(11);
        int rows = STEPS * BATCH;
        float[][] x = new float[rows][FEATURES];
        float[] labels = new float[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            labels[i] = rng.nextInt(3);
        }
        List<Backend> backends = TestBackends.all();
        Map<String, Map<String, Map<String, float[]>>> got = new LinkedHashMap<>();
        Map<String, Object> configs = new LinkedHashMap<>();
        List<List<Object>> layers = new ArrayList<>();
        for (Map.Entry<String, Supplier<Optimizer>> e : cases().entrySet()) {
            for (Backend b : backends) {
                try (Sequential m = mlp(b)) {
                    Optimizer opt = e.getValue().get();
                    configs.put(e.getKey(), opt.config());
                    m.compile(opt, new SoftmaxCrossEntropy()).build(FEATURES);
                    if (layers.isEmpty()) {
                        writeInitial(m, layers);
                    }
                    m.fit(x, labels, Fit.epochs(1).batchSize(BATCH).withShuffle(false).withQuiet(true));
                    assertEquals(STEPS, opt.iterations());
                    Map<String, float[]> w = new LinkedHashMap<>();
                    for (Parameter p : m.parameterStore().trainable()) {
                        w.put(p.name(), m.parameterStore().value(p.name()).toArray());
                    }
                    got.computeIfAbsent(TestBackends.label(b), k -> new LinkedHashMap<>()).put(e.getKey(), w);
                }
            }
        }
        write(dir.resolve("x.f32"), flatten(x));
        write(dir.resolve("y.f32"), labels);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("layers", layers);
        manifest.put("rows", rows);
        manifest.put("features", FEATURES);
        manifest.put("batch", BATCH);
        manifest.put("cases", configs);
        new ObjectMapper().writeValue(dir.resolve("manifest.json").toFile(), manifest);
        runTorch();
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, Map<String, Map<String, float[]>>> byBackend : got.entrySet()) {
            double worst = 0;
            String worstAt = "";
            for (Map.Entry<String, Map<String, float[]>> c : byBackend.getValue().entrySet()) {
                for (Map.Entry<String, float[]> p : c.getValue().entrySet()) {
                    float[] want = read(dir.resolve("out").resolve(c.getKey()).resolve(p.getKey() + ".f32"));
                    double err = relative(p.getValue(), want);
                    if (err > worst) {
                        worst = err;
                        worstAt = c.getKey() + " " + p.getKey();
                    }
                    if (!(err < TOLERANCE)) {
                        bad.add(byBackend.getKey() + " " + c.getKey() + " " + p.getKey() + ": rel err " + err);
                    }
                }
            }
            System.err.printf("TorchOptimizerParityTest: %s: %d cases, worst parameter rel err %.2e (%s)%n",
                    byBackend.getKey(), byBackend.getValue().size(), worst, worstAt);
            Map<String, float[]> plain = byBackend.getValue().get("sgd_momentum");
            for (String clipped : List.of("clipvalue", "clipnorm")) {
                for (String p : plain.keySet()) {
                    assertTrue(relative(byBackend.getValue().get(clipped).get(p), plain.get(p)) > 1e-3,
                            clipped + " changed nothing in " + p + ": the clip never acted");
                }
            }
        }
        assertEquals(List.of(), bad);
    }

    private static Sequential mlp(Backend b) {
        Sequential m = new Sequential(b, 7);
        return m.add(new Dense(16, "relu")).add(new Dense(8, "relu")).add(new Dense(3));
    }

    private void writeInitial(Sequential m, List<List<Object>> layers) throws IOException {
        List<Parameter> ps = m.parameterStore().trainable();
        for (int k = 0; k < ps.size(); k += 2) {
            Parameter kernel = ps.get(k);
            Parameter bias = ps.get(k + 1);
            layers.add(List.of(kernel.name(), bias.name(), kernel.shape().dim(0), kernel.shape().dim(1)));
        }
        Files.createDirectories(dir.resolve("init"));
        for (Parameter p : ps) {
            write(dir.resolve("init").resolve(p.name() + ".f32"), m.parameterStore().value(p.name()).toArray());
        }
    }

    private void runTorch() throws Exception {
        Process p = new ProcessBuilder(PYTHON, "bench/pytorch/optimizer_trajectory.py", dir.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "optimizer_trajectory.py timed out");
        assertEquals(0, p.exitValue(), log);
    }

    /** ‖a - b‖ / ‖b‖ in double. */
    private static double relative(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            d += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            n += (double) b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }

    private static float[] flatten(float[][] x) {
        float[] out = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, out, i * x[i].length, x[i].length);
        }
        return out;
    }

    private static void write(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        Files.write(file, b.array());
    }

    private static float[] read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }

    private static boolean hasTorch() {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}

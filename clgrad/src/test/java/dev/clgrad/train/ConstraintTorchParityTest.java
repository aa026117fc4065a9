package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.L2;
import dev.clgrad.nn.MSE;
import dev.clgrad.nn.MaxNorm;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.optim.Sgd;
import dev.clgrad.tensor.Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * clgrad's trajectory with max-norm and an L2 kernel penalty is PyTorch 1.13's: a 6-16-3 MLP (ReLU,
 * MSE, no dropout) from clgrad's initial weights over one fixed sequence of {@link #STEPS} batches,
 * with SGD (momentum 0.9) and with Adam, both kernels under MaxNorm(0.6) (binding: the first
 * kernel's largest column ends at the bound) and the first kernel under L2(0.01); PyTorch applies
 * Keras's formulas by hand ({@code bench/pytorch/constrained_trajectory.py}). Every parameter after
 * 20 steps within 1e-5 of PyTorch's, relative (‖clgrad − torch‖ / ‖torch‖), on every backend. Under
 * {@code CI=true} a missing torch is a failure, not a skip.
 */
class ConstraintTorchParityTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int STEPS = 20;
    private static final int B = 8;
    private static final int I = 6;
    private static final int H = 16;
    private static final int O = 3;
    private static final double C = 0.6;
    private static final double L2_FACTOR = 0.01;
    private static final List<String> NAMES = List.of("dense_1.kernel", "dense_1.bias", "dense_2.kernel", "dense_2.bias");
    /** PyTorch's final weights by optimizer: the same for every backend (clgrad initialises on the host). */
    private static final Map<String, float[]> TORCH = new HashMap<>();

    private static Sequential model(Backend backend, Optimizer opt) {
        Sequential m = new Sequential(backend, 17);
        m.add(new Dense(H, "relu").withKernelConstraint(new MaxNorm(C)).withKernelRegularizer(new L2(L2_FACTOR)))
                .add(new Dense(O).withKernelConstraint(new MaxNorm(C)));
        m.compile(opt, new MSE());
        m.build(Shape.of(I), B);
        m.reserve(B);
        return m;
    }

    private static float[] batches(int perRow, long seed, float scale) {
        Random rng = new Random(seed);
        float[] v = new float[STEPS * B * perRow];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian() * scale;
        }
        return v;
    }

    private static Optimizer optimizer(String name) {
        return name.equals("sgd") ? new Sgd(0.1, 0.9, 0) : new Adam(0.05);
    }

    private static double lr(String name) {
        return name.equals("sgd") ? 0.1 : 0.05;
    }

    @BackendTest
    void maxNormAndL2TrainAsInPyTorch(Backend backend) throws Exception {
        boolean torch = hasTorch();
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(torch, PYTHON + " cannot import torch; CI installs python3-torch");
        }
        assumeTrue(torch, PYTHON + " with torch is not installed");
        float[] x = batches(I, 1, 1);
        float[] y = batches(O, 2, 3);
        for (String opt : List.of("sgd", "adam")) {
            try (Sequential m = model(backend, optimizer(opt))) {
                float[] expected = torchWeights(opt, m, x, y);
                for (int s = 0; s < STEPS; s++) {
                    m.trainBatch(java.util.Arrays.copyOfRange(x, s * B * I, (s + 1) * B * I),
                            java.util.Arrays.copyOfRange(y, s * B * O, (s + 1) * B * O), B);
                }
                int at = 0;
                for (String name : NAMES) {
                    float[] got = m.namedParameters().get(name).toArray();
                    double diff = 0;
                    double norm = 0;
                    for (int i = 0; i < got.length; i++) {
                        double t = expected[at + i];
                        diff += (got[i] - t) * (got[i] - t);
                        norm += t * t;
                    }
                    at += got.length;
                    double rel = Math.sqrt(diff / norm);
                    assertTrue(rel < 1e-5, opt + " " + name + " on " + TestBackends.label(backend)
                            + ": relative difference from PyTorch " + rel);
                }
                float[] k = m.namedParameters().get("dense_1.kernel").toArray();
                double max = 0;
                for (int c = 0; c < H; c++) {
                    double s = 0;
                    for (int r = 0; r < I; r++) {
                        s += (double) k[r * H + c] * k[r * H + c];
                    }
                    max = Math.max(max, Math.sqrt(s));
                }
                assertEquals(C, max, 1e-5, opt + ": the constraint binds on dense_1.kernel");
            }
        }
    }

    /** PyTorch's final weights for {@code opt} from m's initial weights (computed once per optimizer). */
    private static synchronized float[] torchWeights(String opt, Sequential m, float[] x, float[] y) throws Exception {
        float[] cached = TORCH.get(opt);
        if (cached != null) {
            return cached;
        }
        Path dir = Files.createTempDirectory("clgrad-torch-parity");
        try {
            String[] files = {"w1", "b1", "w2", "b2"};
            for (int i = 0; i < files.length; i++) {
                write(dir.resolve(files[i]), m.namedParameters().get(NAMES.get(i)).toArray());
            }
            write(dir.resolve("x"), x);
            write(dir.resolve("y"), y);
            Process p = new ProcessBuilder(PYTHON, "bench/pytorch/constrained_trajectory.py", dir.toString(), opt,
                    Double.toString(lr(opt)), "0.9", Double.toString(C), Double.toString(L2_FACTOR),
                    Integer.toString(STEPS), Integer.toString(B), Integer.toString(I), Integer.toString(H),
                    Integer.toString(O)).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "constrained_trajectory.py timed out");
            assertEquals(0, p.exitValue(), log);
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("out"))).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / Float.BYTES];
            b.asFloatBuffer().get(out);
            assertEquals(I * H + H + H * O + O, out.length, "PyTorch's weights");
            TORCH.put(opt, out);
            return out;
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    private static void write(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(file, b.array());
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

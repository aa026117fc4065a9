package dev.clgrad.backend;

import dev.clgrad.model.Sequential;
import dev.clgrad.exec.Planner;
import dev.clgrad.nn.Conv2D;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Flatten;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Window;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The implicit-GEMM convolution ({@link ConvGemm}) on every backend of {@link TestBackends#all()}:
 * against the float64 convolution of {@link RefOps#conv2d} with its bias and ReLU at awkward shapes
 * (H, W in {1, 5, 28, 33}, C in {1, 3, 17}, strides 1 and 2, dilation 2, same padding with odd and
 * even kernels, batch 1 and 33), the output poisoned with NaN first; against the im2col lowering it
 * replaces (Im2Col then the fused MatMul) at the CNN samples' shapes, the same bits on the Java
 * backend and within float32 rounding on OpenCL, whose kernel sums in its own order; and in a model
 * with {@code clgrad.conv=implicit}: the plan's convolution launches carry the bias and ReLU, and
 * predictions and a training step match the im2col model's.
 */
class ConvGemmTest {
    /** {B, H, W, C, KH, KW, SH, SW, DH, DW, same (1) or valid (0), F}. */
    private static final int[][] AWKWARD = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1}, {33, 5, 5, 3, 3, 3, 1, 1, 1, 1, 0, 17},
            {1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 32}, {1, 33, 28, 17, 3, 3, 2, 2, 1, 1, 1, 33},
            {33, 5, 1, 17, 2, 2, 1, 1, 1, 1, 1, 5}, {1, 33, 5, 3, 4, 4, 2, 1, 1, 1, 1, 64},
            {1, 33, 33, 3, 3, 3, 1, 1, 2, 2, 0, 7}, {33, 5, 5, 3, 3, 3, 1, 1, 2, 2, 1, 3},
            {1, 1, 28, 3, 1, 5, 1, 2, 1, 1, 1, 9}, {1, 5, 28, 17, 5, 5, 2, 2, 1, 1, 1, 40},
            {33, 28, 28, 1, 3, 3, 2, 2, 1, 1, 1, 32}, {1, 28, 33, 17, 2, 2, 2, 1, 2, 2, 1, 65}};
    /** The CNN samples' convolutions at batch 128: fashion-mnist-cnn (valid) and fashion-mnist-cnn-bn (same). */
    private static final int[][] CNN = {{128, 28, 28, 1, 3, 3, 1, 1, 1, 1, 0, 32}, {128, 13, 13, 32, 3, 3, 1, 1, 1, 1, 0, 64},
            {128, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 32}, {128, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 64}};

    private static Window window(int[] c) {
        return Window.keras(c[1], c[2], c[4], c[5], c[6], c[7], c[8], c[9], c[10] == 1 ? "same" : "valid");
    }

    private static float[] uniform(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (2 * r.nextDouble() - 1);
        }
        return x;
    }

    private static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    private static float[] nans(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    /** The backend's implicit convolution with bias and ReLU, and the float64 reference of the same. */
    private static float[][] implicitAndReference(Backend backend, int[] c) {
        Window w = window(c);
        int b = c[0];
        int ch = c[3];
        int f = c[11];
        int k = w.taps() * ch;
        int m = b * w.oh() * w.ow();
        float[] x = uniform(b * w.h() * w.w() * ch, 1 + c[1]);
        float[] kernel = uniform(k * f, 2 + c[2]);
        float[] bias = uniform(f, 3);
        try (Tensor tx = Tensor.of(backend, x, b, w.h(), w.w(), ch); Tensor tk = Tensor.of(backend, kernel, k, f);
             Tensor tb = Tensor.of(backend, bias, f); Tensor y = Tensor.of(backend, nans(m * f), m, f)) {
            backend.run(new ConvGemm(tx, w, tk, y, Epilogue.forward(tb, Activation.RELU, null)));
            double[] ref = RefOps.conv2d(doubles(x), b, ch, doubles(kernel), f, doubles(bias), w);
            float[] r = new float[ref.length];
            for (int i = 0; i < ref.length; i++) {
                r[i] = (float) Math.max(0, ref[i]);
            }
            return new float[][] {y.toArray(), r};
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("dev.clgrad.backend.TestBackends#all")
    void matchesTheDefinitionAtAwkwardShapes(Backend backend) {
        for (int[] c : AWKWARD) {
            float[][] got = implicitAndReference(backend, c);
            float[] y = got[0];
            float[] ref = got[1];
            for (int i = 0; i < y.length; i++) {
                double tol = 1e-4 * Math.max(1, Math.abs(ref[i]));
                int at = i;
                assertTrue(Math.abs(y[i] - ref[i]) <= tol, () -> Arrays.toString(c) + " element " + at + ": got "
                        + y[at] + ", expected " + ref[at] + " on " + TestBackends.label(backend));
            }
        }
    }

    /**
     * The implicit GEMM against Im2Col + MatMul with the same bias-ReLU epilogue: the same bits on the
     * Java backend (its bands take the whole product's path through JavaGemm), within float32
     * rounding of the sums on OpenCL (conv_implicit.cl adds k in ascending order, gemm.cl in its
     * tiles' order).
     */
    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("dev.clgrad.backend.TestBackends#all")
    void matchesTheIm2colLoweringAtTheCnnShapes(Backend backend) {
        List<int[]> shapes = new ArrayList<>(List.of(CNN));
        shapes.add(AWKWARD[1]);
        shapes.add(AWKWARD[10]);
        for (int[] c : shapes) {
            Window w = window(c);
            int b = c[0];
            int ch = c[3];
            int f = c[11];
            int k = w.taps() * ch;
            int m = b * w.oh() * w.ow();
            float[] x = uniform(b * w.h() * w.w() * ch, 5);
            try (Tensor tx = Tensor.of(backend, x, b, w.h(), w.w(), ch);
                 Tensor tk = Tensor.of(backend, uniform(k * f, 6), k, f); Tensor tb = Tensor.of(backend, uniform(f, 7), f);
                 Tensor cols = Tensor.of(backend, nans(m * k), m, k); Tensor ref = Tensor.of(backend, nans(m * f), m, f);
                 Tensor y = Tensor.of(backend, nans(m * f), m, f)) {
                Epilogue e = Epilogue.forward(tb, Activation.RELU, null);
                backend.run(new Im2Col(tx, w, cols));
                backend.run(new MatMul(false, false, 1f, cols, tk, 0f, ref, e));
                backend.run(new ConvGemm(tx, w, tk, y, e));
                float[] want = ref.toArray();
                float[] got = y.toArray();
                if (backend instanceof dev.clgrad.backend.java.JavaBackend) {
                    assertArrayEquals(want, got, Arrays.toString(c) + ": the bits of im2col + gemm");
                    continue;
                }
                for (int i = 0; i < got.length; i++) {
                    int at = i;
                    assertTrue(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])) * Math.sqrt(k),
                            () -> Arrays.toString(c) + " element " + at + ": " + got[at] + " against " + want[at]);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("dev.clgrad.backend.TestBackends#all")
    void rejectsMismatchedOperandsNamingTheShapes(Backend backend) {
        Window w = Window.keras(5, 5, 3, 3, 1, 1, 1, 1, "valid");
        try (Tensor x = Tensor.zeros(backend, Shape.of(2, 5, 5, 3)); Tensor k = Tensor.zeros(backend, Shape.of(26, 4));
             Tensor y = Tensor.zeros(backend, Shape.of(18, 4))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.run(new ConvGemm(x, w, k, y, Epilogue.NONE)));
            assertTrue(e.getMessage().contains("kernel is (26, 4)") && e.getMessage().contains("27"), e.getMessage());
        }
    }

    private static Sequential cnn(Backend backend) {
        Sequential m = new Sequential(backend, 5);
        m.add(new Conv2D(8, 3, "relu")).add(new Conv2D(6, 2, "relu").withStrides(2).withPadding("same"))
                .add(new Flatten()).add(new Dense(4));
        m.compile("sgd", "mse");
        m.build(Shape.of(9, 9, 2));
        return m;
    }

    /**
     * With {@code clgrad.conv=implicit}: the training plan's convolution forwards are one
     * {@code convgemm} launch each with the bias and ReLU fused (the im2col stays for the filter
     * gradient), and predictions match the im2col model's within float32 rounding (the same bits on
     * the Java backend).
     */
    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("dev.clgrad.backend.TestBackends#all")
    void aModelRunsItsConvolutionsImplicitWhenAsked(Backend backend) {
        float[][] x = new float[7][];
        for (int i = 0; i < x.length; i++) {
            x[i] = uniform(9 * 9 * 2, 40 + i);
        }
        float[][] im2col;
        try (Sequential m = cnn(backend)) {
            im2col = m.predict(x);
        }
        String before = System.getProperty("clgrad.conv");
        System.setProperty("clgrad.conv", "implicit");
        try (Sequential m = cnn(backend)) {
            Planner.Plan plan = m.plan(16);
            List<Planner.Plan.Launch> conv1 = plan.launches().stream()
                    .filter(l -> l.layers().startsWith("conv2d_1.forward")).toList();
            assertEquals(List.of("im2col", "convgemm"), conv1.stream().map(Planner.Plan.Launch::name).toList(),
                    m.explain(16));
            assertTrue(conv1.get(1).op().endsWith("[+bias relu]"), conv1.get(1).op());
            assertEquals(List.of("matmul", "biasRelu"), conv1.get(1).fuses());
            assertTrue(conv1.get(1).oneLaunch(), conv1.get(1).kernels().toString());
            float[][] implicit = m.predict(x);
            for (int i = 0; i < x.length; i++) {
                for (int j = 0; j < implicit[i].length; j++) {
                    if (backend instanceof dev.clgrad.backend.java.JavaBackend) {
                        assertEquals(im2col[i][j], implicit[i][j], "row " + i);
                    } else {
                        assertEquals(im2col[i][j], implicit[i][j], 1e-5 * Math.max(1, Math.abs(im2col[i][j])), "row " + i);
                    }
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty("clgrad.conv");
            } else {
                System.setProperty("clgrad.conv", before);
            }
        }
    }

    @Test
    void aBadAlgorithmPropertyNamesTheValue() {
        String before = System.getProperty("clgrad.conv");
        System.setProperty("clgrad.conv", "winograd");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, dev.clgrad.Config::convAlgorithm);
            assertTrue(e.getMessage().contains("\"winograd\""), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("clgrad.conv");
            } else {
                System.setProperty("clgrad.conv", before);
            }
        }
    }
}

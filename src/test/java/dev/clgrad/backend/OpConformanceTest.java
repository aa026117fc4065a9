package dev.clgrad.backend;

import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every op of {@link Backend}, forward and backward, on every backend of {@link TestBackends#all()},
 * against {@link RefOps} on fresh seeded inputs at awkward sizes, outputs poisoned with NaN and
 * every operand a view at a non-zero offset. Tolerances (DESIGN.md): relative 1e-5 element-wise,
 * 1e-4 GEMM.
 */
class OpConformanceTest {
    static final double ELEMENTWISE = 1e-5;
    static final double GEMM = 1e-4;
    static final int[] SIZES = {1, 7, 17, 33, 129, 1000, 4099};
    /** (rows, cols) of the matrix-shaped ops. */
    static final int[][] MATRICES = {{1, 1}, {7, 17}, {33, 129}, {1000, 3}, {3, 1000}, {129, 10}};
    /** (M, N, K) of the GEMM cases. */
    static final int[][] GEMMS = {{1, 1, 1}, {1, 1000, 3}, {1000, 3, 1}, {17, 33, 129}, {129, 17, 33},
            {33, 129, 17}, {7, 7, 7}, {64, 2100, 5}, {130, 67, 261}};

    static Stream<Named<Backend>> backends() {
        return TestBackends.all().stream().map(b -> Named.of(TestBackends.label(b), b));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemm(Backend backend) {
        long seed = 11;
        for (int[] mnk : GEMMS) {
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                for (float[] ab : new float[][] {{1f, 0f}, {0.5f, -1.5f}}) {
                    try (OpInputs in = new OpInputs(backend, seed++)) {
                        double[] a = in.uniform(m * k, 1);
                        double[] b = in.uniform(k * n, 1);
                        double[] c = in.uniform(m * n, 1);
                        Tensor ta2 = ta ? in.tensor(a, k, m) : in.tensor(a, m, k);
                        Tensor tb2 = tb ? in.tensor(b, n, k) : in.tensor(b, k, n);
                        Tensor tc = ab[1] == 0f ? in.poisoned(m, n) : in.tensor(c, m, n);
                        backend.gemm(ta, tb, ab[0], ta2, tb2, ab[1], tc);
                        assertClose("gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " alpha="
                                        + ab[0] + " beta=" + ab[1] + " on " + backend.id(),
                                RefOps.gemm(ta, tb, m, n, k, ab[0], a, b, ab[1], c), tc.toArray(), GEMM);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmRejectsBadShapesAndAliasing(Backend backend) {
        try (OpInputs in = new OpInputs(backend, 1)) {
            Tensor a = in.poisoned(3, 4);
            Tensor b = in.poisoned(5, 2);
            Tensor c = in.poisoned(3, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.gemm(false, false, 1f, a, b, 0f, c));
            assertTrue(e.getMessage().contains("(3, 4)") && e.getMessage().contains("(5, 2)"), e.getMessage());
            Tensor sq = in.tensor(in.uniform(4, 1), 2, 2);
            assertThrows(IllegalArgumentException.class, () -> backend.gemm(false, false, 1f, sq, sq, 0f, sq));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void fillAndCopy(Backend backend) {
        for (int n : SIZES) {
            try (OpInputs in = new OpInputs(backend, n)) {
                Tensor x = in.poisoned(n);
                backend.fill(x, 2.5f);
                double[] ref = new double[n];
                java.util.Arrays.fill(ref, 2.5);
                assertClose("fill n=" + n, ref, x.toArray(), ELEMENTWISE);
                double[] v = in.uniform(n, 3);
                Tensor src = in.tensor(v, n);
                Tensor dst = in.poisoned(1, n);
                backend.copy(src, dst);
                assertArrayEquals(OpInputs.floats(v), dst.toArray(), "copy n=" + n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void reluForwardAndBackward(Backend backend) {
        for (int n : SIZES) {
            try (OpInputs in = new OpInputs(backend, 100 + n)) {
                double[] x = in.uniform(n, 2);
                double[] dy = in.uniform(n, 1);
                Tensor tx = in.tensor(x, n);
                Tensor ty = in.poisoned(n);
                backend.reluForward(tx, ty);
                double[] y = RefOps.reluForward(x);
                assertClose("reluForward n=" + n, y, ty.toArray(), ELEMENTWISE);
                Tensor tdy = in.tensor(dy, n);
                Tensor tdx = in.poisoned(n);
                backend.reluBackward(ty, tdy, tdx);
                assertClose("reluBackward n=" + n, RefOps.reluBackward(y, dy), tdx.toArray(), ELEMENTWISE);
                backend.reluForward(tx, tx);
                assertClose("reluForward in place n=" + n, y, tx.toArray(), ELEMENTWISE);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void biasAddAndBiasRelu(Backend backend) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            try (OpInputs in = new OpInputs(backend, 200 + r * 31 + c)) {
                double[] x = in.uniform(r * c, 2);
                double[] bias = in.uniform(c, 1);
                Tensor tx = in.tensor(x, r, c);
                Tensor tb = in.tensor(bias, c);
                Tensor ty = in.poisoned(r, c);
                backend.biasAdd(tx, tb, ty);
                assertClose("biasAdd " + r + "x" + c, RefOps.biasAdd(x, bias, false), ty.toArray(), ELEMENTWISE);
                backend.biasRelu(tx, tb, ty);
                assertClose("biasRelu " + r + "x" + c, RefOps.biasAdd(x, bias, true), ty.toArray(), ELEMENTWISE);
                backend.biasAdd(tx, tb, tx);
                assertClose("biasAdd in place " + r + "x" + c, RefOps.biasAdd(x, bias, false), tx.toArray(),
                        ELEMENTWISE);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dropoutForwardAndBackward(Backend backend) {
        long offset = 0xFFFF_FFFEL;
        for (int n : SIZES) {
            for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
                try (OpInputs in = new OpInputs(backend, 300 + n)) {
                    double[] x = in.uniform(n, 2);
                    double[] dy = in.uniform(n, 1);
                    Tensor tx = in.tensor(x, n);
                    Tensor ty = in.poisoned(n);
                    backend.dropoutForward(tx, p, 42L + n, offset, ty);
                    assertClose("dropoutForward n=" + n + " p=" + p, RefOps.dropout(x, p, 42L + n, offset),
                            ty.toArray(), ELEMENTWISE);
                    Tensor tdy = in.tensor(dy, n);
                    Tensor tdx = in.poisoned(n);
                    backend.dropoutBackward(tdy, p, 42L + n, offset, tdx);
                    assertClose("dropoutBackward n=" + n + " p=" + p, RefOps.dropout(dy, p, 42L + n, offset),
                            tdx.toArray(), ELEMENTWISE);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void adamAndAdamWStep(Backend backend) {
        for (int n : SIZES) {
            for (AdamHyper h : new AdamHyper[] {AdamHyper.adam(1e-2f), AdamHyper.adamW(1e-2f, 0.1f)}) {
                try (OpInputs in = new OpInputs(backend, 400 + n)) {
                    double[] p = in.uniform(n, 1);
                    double[] g = in.uniform(n, 1);
                    double[] m = in.uniform(n, 0.1);
                    double[] v = in.uniform(n, 0.1);
                    for (int i = 0; i < n; i++) {
                        v[i] = Math.abs(v[i]);
                    }
                    Tensor tp = in.tensor(p, n);
                    Tensor tg = in.tensor(g, n);
                    Tensor tm = in.tensor(m, n);
                    Tensor tv = in.tensor(v, n);
                    backend.adamStep(tp, tg, tm, tv, h, 3);
                    RefOps.adamStep(p, g, m, v, h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), 3);
                    String what = "adamStep wd=" + h.weightDecay() + " n=" + n;
                    assertClose(what + " params", p, tp.toArray(), ELEMENTWISE);
                    assertClose(what + " m", m, tm.toArray(), ELEMENTWISE);
                    assertClose(what + " v", v, tv.toArray(), ELEMENTWISE);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sgdStep(Backend backend) {
        for (int n : SIZES) {
            for (float[] mw : new float[][] {{0f, 0f}, {0.9f, 0.01f}}) {
                try (OpInputs in = new OpInputs(backend, 500 + n)) {
                    double[] p = in.uniform(n, 1);
                    double[] g = in.uniform(n, 1);
                    double[] vel = in.uniform(n, 1);
                    Tensor tp = in.tensor(p, n);
                    Tensor tg = in.tensor(g, n);
                    Tensor tv = mw[0] == 0f ? null : in.tensor(vel, n);
                    backend.sgdStep(tp, tg, tv, 0.1f, mw[0], mw[1]);
                    RefOps.sgdStep(p, g, vel, 0.1f, mw[0], mw[1]);
                    assertClose("sgdStep momentum=" + mw[0] + " n=" + n, p, tp.toArray(), ELEMENTWISE);
                    if (tv != null) {
                        assertClose("sgdStep velocity n=" + n, vel, tv.toArray(), ELEMENTWISE);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void mseForwardAndBackward(Backend backend) {
        for (int n : SIZES) {
            try (OpInputs in = new OpInputs(backend, 600 + n)) {
                double[] pred = in.uniform(n, 2);
                double[] target = in.uniform(n, 2);
                Tensor tp = in.tensor(pred, n, 1);
                Tensor tt = in.tensor(target, n, 1);
                Tensor loss = in.poisoned(1);
                backend.mseForward(tp, tt, loss, false);
                double ref = RefOps.mse(pred, target);
                assertClose("mseForward n=" + n, ref, loss.item(), ELEMENTWISE);
                backend.mseForward(tp, tt, loss, true);
                assertClose("mseForward accumulate n=" + n, 2 * ref, loss.item(), ELEMENTWISE);
                Tensor d = in.poisoned(n, 1);
                backend.mseBackward(tp, tt, d);
                assertClose("mseBackward n=" + n, RefOps.mseBackward(pred, target), d.toArray(), ELEMENTWISE);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void softmaxCrossEntropyAndAccuracy(Backend backend) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            for (double scale : new double[] {3, 1e4}) {
                try (OpInputs in = new OpInputs(backend, 700 + r * 7 + c)) {
                    double[] logits = in.uniform(r * c, scale);
                    int[] labels = in.labels(r, c);
                    Tensor tl = in.tensor(logits, r, c);
                    Tensor tlab = in.labelsTensor(labels);
                    Tensor loss = in.poisoned(1);
                    String what = " " + r + "x" + c + " logits ±" + scale;
                    backend.softmaxCrossEntropyForward(tl, tlab, loss, false);
                    double ref = RefOps.softmaxCrossEntropy(logits, c, labels);
                    assertClose("softmaxCrossEntropyForward" + what, ref, loss.item(), ELEMENTWISE);
                    backend.softmaxCrossEntropyForward(tl, tlab, loss, true);
                    assertClose("softmaxCrossEntropyForward accumulate" + what, 2 * ref, loss.item(), ELEMENTWISE);
                    Tensor d = in.poisoned(r, c);
                    backend.softmaxCrossEntropyBackward(tl, tlab, d);
                    assertClose("softmaxCrossEntropyBackward" + what,
                            RefOps.softmaxCrossEntropyBackward(logits, c, labels), d.toArray(), ELEMENTWISE);
                    Tensor count = in.poisoned(1);
                    backend.accuracyCount(tl, tlab, count, false);
                    assertEquals(RefOps.accuracyCount(logits, c, labels), count.item(), "accuracyCount" + what);
                    backend.accuracyCount(tl, tlab, count, true);
                    assertEquals(2 * RefOps.accuracyCount(logits, c, labels), count.item(),
                            "accuracyCount accumulate" + what);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void accuracyCountTakesTheFirstMaximum(Backend backend) {
        try (OpInputs in = new OpInputs(backend, 1)) {
            Tensor logits = in.tensor(new double[] {1, 3, 3, 0, 5, 5, 5, 1}, 2, 4);
            Tensor count = in.poisoned(1);
            backend.accuracyCount(logits, in.tensor(new double[] {1, 0}, 2), count, false);
            assertEquals(2f, count.item());
            backend.accuracyCount(logits, in.tensor(new double[] {2, 1}, 2), count, false);
            assertEquals(0f, count.item());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void reductions(Backend backend) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            try (OpInputs in = new OpInputs(backend, 800 + r * 13 + c)) {
                double[] x = in.uniform(r * c, 1);
                for (int i = 0; i < x.length; i++) {
                    x[i] += 0.25;
                }
                Tensor tx = in.tensor(x, r, c);
                Tensor cols = in.poisoned(c);
                backend.columnSum(tx, cols);
                assertClose("columnSum " + r + "x" + c, RefOps.columnSum(x, c), cols.toArray(), ELEMENTWISE);
                Tensor s = in.poisoned(1);
                backend.sum(tx, s);
                assertClose("sum " + r + "x" + c, RefOps.sum(x), s.item(), ELEMENTWISE);
                backend.mean(tx, s);
                assertClose("mean " + r + "x" + c, RefOps.mean(x), s.item(), ELEMENTWISE);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void shapeMismatchesNameBothShapes(Backend backend) {
        try (OpInputs in = new OpInputs(backend, 1)) {
            Tensor x = in.poisoned(4, 3);
            Tensor y = in.poisoned(3, 4);
            List<Runnable> calls = new ArrayList<>();
            calls.add(() -> backend.reluForward(x, y));
            calls.add(() -> backend.dropoutForward(x, 0.5f, 1, 0, y));
            calls.add(() -> backend.mseBackward(x, x, y));
            calls.add(() -> backend.biasAdd(x, in.poisoned(4), x));
            for (Runnable call : calls) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
                assertTrue(e.getMessage().contains("(4, 3)"), e.getMessage());
            }
        }
    }
}

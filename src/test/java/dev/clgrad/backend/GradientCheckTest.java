package dev.clgrad.backend;

import dev.clgrad.selftest.Conformance;
import dev.clgrad.selftest.OpInputs;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks in float64 of every backward in {@link RefOps} against its forward
 * (scalarised as {@code L = Σ w ⊙ f(x)} with random weights w, central differences), and of each
 * backend's Dense backward GEMMs ({@code dX = dY·Wᵀ}, {@code dW = Xᵀ·dY}) against RefOps. The other
 * backward ops are compared with RefOps on every backend in {@link OpConformanceTest}.
 */
class GradientCheckTest {
    static final double H = 1e-6;
    static final double TOL = 1e-6;

    private final SplittableRandom random = new SplittableRandom(31337);

    static Stream<Named<Backend>> backends() {
        return OpConformanceTest.backends();
    }

    /** ∂f/∂x by central differences. x is restored. */
    static double[] numeric(ToDoubleFunction<double[]> f, double[] x) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + H;
            double up = f.applyAsDouble(x);
            x[i] = keep - H;
            double down = f.applyAsDouble(x);
            x[i] = keep;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    static double dot(double[] w, double[] y) {
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += w[i] * y[i];
        }
        return s;
    }

    double[] uniform(int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (random.nextDouble() * 2 - 1) * scale;
        }
        return x;
    }

    /** Values at least 0.01 away from ReLU's kink. */
    double[] awayFromZero(int n) {
        double[] x = uniform(n, 1);
        for (int i = 0; i < n; i++) {
            x[i] += Math.copySign(0.01, x[i]);
        }
        return x;
    }

    static void check(String what, double[] analytic, double[] numeric) {
        assertClose(what + " (analytic vs finite differences)", numeric, OpInputs.floats(analytic), TOL * 10);
        double num = 0;
        double den = 0;
        for (int i = 0; i < numeric.length; i++) {
            num += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
            den += numeric[i] * numeric[i];
        }
        assertTrue(Math.sqrt(num / den) < TOL, what + ": float64 relative error " + Math.sqrt(num / den));
    }

    @Test
    void reluBackward() {
        double[] x = awayFromZero(57);
        double[] w = uniform(57, 1);
        check("reluBackward", RefOps.reluBackward(RefOps.reluForward(x), w),
                numeric(v -> dot(w, RefOps.reluForward(v)), x));
    }

    @Test
    void biasAddAndBiasReluBackward() {
        int rows = 9;
        int cols = 7;
        double[] x = awayFromZero(rows * cols);
        double[] bias = uniform(cols, 0.005);
        double[] w = uniform(rows * cols, 1);
        check("biasAdd dBias = columnSum(dY)", RefOps.columnSum(w, cols),
                numeric(b -> dot(w, RefOps.biasAdd(x, b, false)), bias));
        double[] y = RefOps.biasAdd(x, bias, true);
        check("biasRelu dBias = columnSum(reluBackward(y, dY))", RefOps.columnSum(RefOps.reluBackward(y, w), cols),
                numeric(b -> dot(w, RefOps.biasAdd(x, b, true)), bias));
        check("biasRelu dX = reluBackward(y, dY)", RefOps.reluBackward(y, w),
                numeric(v -> dot(w, RefOps.biasAdd(v, bias, true)), x));
    }

    @Test
    void dropoutBackward() {
        double[] x = uniform(41, 1);
        double[] w = uniform(41, 1);
        check("dropoutBackward", RefOps.dropout(w, 0.4f, 5, 0xFFFF_FFFEL),
                numeric(v -> dot(w, RefOps.dropout(v, 0.4f, 5, 0xFFFF_FFFEL)), x));
    }

    @Test
    void denseBackwardGemms() {
        int b = 5;
        int i = 4;
        int o = 3;
        double[] x = uniform(b * i, 1);
        double[] wt = uniform(i * o, 1);
        double[] dy = uniform(b * o, 1);
        check("dX = dY·Wᵀ", RefOps.gemm(false, true, b, i, o, 1, dy, wt, 0, null),
                numeric(v -> dot(dy, RefOps.gemm(false, false, b, o, i, 1, v, wt, 0, null)), x));
        check("dW = Xᵀ·dY", RefOps.gemm(true, false, i, o, b, 1, x, dy, 0, null),
                numeric(v -> dot(dy, RefOps.gemm(false, false, b, o, i, 1, x, v, 0, null)), wt));
    }

    @Test
    void mseBackward() {
        double[] pred = uniform(23, 2);
        double[] target = uniform(23, 2);
        check("mseBackward", RefOps.mseBackward(pred, target), numeric(p -> RefOps.mse(p, target), pred));
    }

    @Test
    void softmaxCrossEntropyBackward() {
        int rows = 6;
        int cols = 5;
        double[] logits = uniform(rows * cols, 3);
        int[] labels = {0, 4, 2, 2, 1, 3};
        check("softmaxCrossEntropyBackward", RefOps.softmaxCrossEntropyBackward(logits, cols, labels),
                numeric(l -> RefOps.softmaxCrossEntropy(l, cols, labels), logits));
    }

    @Test
    void meanAndSumGradients() {
        double[] x = uniform(13, 1);
        double[] ones = new double[13];
        Arrays.fill(ones, 1);
        check("sum", ones, numeric(RefOps::sum, x));
        double[] inv = new double[13];
        Arrays.fill(inv, 1.0 / 13);
        check("mean", inv, numeric(RefOps::mean, x));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void backendDenseBackwardMatchesReference(Backend backend) {
        int b = 33;
        int i = 17;
        int o = 129;
        try (OpInputs in = new OpInputs(backend, 99)) {
            double[] x = in.uniform(b * i, 1);
            double[] w = in.uniform(i * o, 1);
            double[] dy = in.uniform(b * o, 1);
            Tensor tx = in.tensor(x, b, i);
            Tensor tw = in.tensor(w, i, o);
            Tensor tdy = in.tensor(dy, b, o);
            Tensor dx = in.poisoned(b, i);
            Tensor dw = in.poisoned(i, o);
            backend.gemm(false, true, 1f, tdy, tw, 0f, dx);
            backend.gemm(true, false, 1f, tx, tdy, 0f, dw);
            assertClose("dX on " + backend.id(), RefOps.gemm(false, true, b, i, o, 1, dy, w, 0, null), dx.toArray(),
                    Conformance.GEMM);
            assertClose("dW on " + backend.id(), RefOps.gemm(true, false, i, o, b, 1, x, dy, 0, null), dw.toArray(),
                    Conformance.GEMM);
        }
    }
}

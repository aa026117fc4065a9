package dev.clgrad.backend;

import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Softmax;
import dev.clgrad.ops.SoftmaxBackward;
import dev.clgrad.ops.Window;
import dev.clgrad.selftest.Conformance;
import dev.clgrad.selftest.OpInputs;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks in float64 of every backward in {@link RefOps} against its forward
 * (scalarised as {@code L = Σ w ⊙ f(x)} with random weights w, central differences), for every
 * {@link Activation}; of each backend's activation backward ({@link BiasAct} forward, then
 * {@link ActBackward} and {@link ColumnSum} for dX and dBias) against finite differences of the
 * float64 forward; of the convolution's references (col2im the adjoint of im2col, the input and
 * kernel gradients of the definition); and of each backend's Dense backward GEMMs
 * ({@code dX = dY·Wᵀ}, {@code dW = Xᵀ·dY}) against RefOps. The other backward ops are compared with RefOps on every
 * backend in {@link OpConformanceTest}.
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

    /** What {@code a}'s backward reads: its input z, or its output y. */
    static double[] saved(Activation a, double[] z, double[] y) {
        return a.savesInput() ? z : y;
    }

    /** Values at least 0.01 away from the kinks at 0 of relu, leaky_relu, elu and selu. */
    private double[] inputs(Activation a, int n) {
        return a == Activation.RELU || a.kind() == Activation.Kind.LEAKY_RELU || a.kind() == Activation.Kind.ELU
                || a == Activation.SELU ? awayFromZero(n) : uniform(n, 3);
    }

    @Test
    void activationBackwards() {
        for (Activation a : Activation.values()) {
            double[] x = inputs(a, 57);
            double[] w = uniform(57, 1);
            check(a.opName() + "Backward", RefOps.actBackward(a, saved(a, x, RefOps.act(a, x)), w),
                    numeric(v -> dot(w, RefOps.act(a, v)), x));
        }
        for (Activation a : List.of(Activation.leakyRelu(0.3), Activation.leakyRelu(0), Activation.elu(0.5))) {
            double[] x = awayFromZero(57);
            double[] w = uniform(57, 1);
            check(a + " backward", RefOps.actBackward(a, saved(a, x, RefOps.act(a, x)), w),
                    numeric(v -> dot(w, RefOps.act(a, v)), x));
        }
    }

    @Test
    void softmaxBackward() {
        int rows = 6;
        int cols = 7;
        double[] x = uniform(rows * cols, 3);
        double[] w = uniform(rows * cols, 1);
        check("softmaxBackward", RefOps.softmaxBackward(RefOps.softmax(x, cols), w, cols),
                numeric(v -> dot(w, RefOps.softmax(v, cols)), x));
    }

    @Test
    void biasActBackwardForEveryActivation() {
        int rows = 9;
        int cols = 7;
        for (Activation a : Activation.values()) {
            double[] x = awayFromZero(rows * cols);
            double[] bias = uniform(cols, a == Activation.RELU ? 0.005 : 1);
            double[] w = uniform(rows * cols, 1);
            double[] y = saved(a, RefOps.biasAct(x, bias, Activation.LINEAR), RefOps.biasAct(x, bias, a));
            String name = "bias" + a.opName();
            check(name + " dBias = columnSum(actBackward(y, dY))", RefOps.columnSum(RefOps.actBackward(a, y, w), cols),
                    numeric(b -> dot(w, RefOps.biasAct(x, b, a)), bias));
            check(name + " dX = actBackward(y, dY)", RefOps.actBackward(a, y, w),
                    numeric(v -> dot(w, RefOps.biasAct(v, bias, a)), x));
        }
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

    /**
     * Convolution's references: col2im is the adjoint of im2col (the gradient of Σ w ⊙ im2col(x)
     * with respect to x is col2im(w)), and the input and kernel gradients of the convolution's
     * definition are those of its forward, at strides, same padding with an even kernel and dilation.
     */
    @Test
    void convolutionBackwards() {
        int b = 2;
        int c = 3;
        int f = 2;
        for (Window w : List.of(Window.keras(5, 4, 3, 3, 1, 1, 1, 1, "valid"),
                Window.keras(6, 5, 2, 3, 2, 1, 1, 2, "same"))) {
            double[] x = uniform(b * w.h() * w.w() * c, 1);
            double[] wc = uniform(b * w.oh() * w.ow() * w.taps() * c, 1);
            check("col2im = im2col's adjoint " + w, RefOps.col2im(wc, b, c, w),
                    numeric(v -> dot(wc, RefOps.im2col(v, b, c, w)), x));
            double[] k = uniform(w.taps() * c * f, 1);
            double[] dy = uniform(b * w.oh() * w.ow() * f, 1);
            check("conv2d dX " + w, RefOps.conv2dBackwardData(dy, b, c, k, f, w),
                    numeric(v -> dot(dy, RefOps.conv2d(v, b, c, k, f, null, w)), x));
            check("conv2d dKernel " + w, RefOps.conv2dBackwardFilter(x, b, c, dy, f, w),
                    numeric(v -> dot(dy, RefOps.conv2d(x, b, c, v, f, null, w)), k));
        }
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
            backend.run(MatMul.of(false, true, 1f, tdy, tw, 0f, dx));
            backend.run(MatMul.of(true, false, 1f, tx, tdy, 0f, dw));
            assertClose("dX on " + backend.id(), RefOps.gemm(false, true, b, i, o, 1, dy, w, 0, null), dx.toArray(),
                    Conformance.GEMM);
            assertClose("dW on " + backend.id(), RefOps.gemm(true, false, i, o, b, 1, x, dy, 0, null), dw.toArray(),
                    Conformance.GEMM);
        }
    }

    /**
     * On each backend, y = f(x + bias) by {@link BiasAct}, then dX = {@link ActBackward}(y, dY)
     * and dBias = {@link ColumnSum}(dX), against central differences of the float64 forward
     * {@code L = Σ dY ⊙ f(x + bias)}: the backend's backward is the gradient of its forward, for
     * every activation (tanh and sigmoid through their saturation).
     */
    @ParameterizedTest
    @MethodSource("backends")
    void backendActivationBackwardsMatchFiniteDifferences(Backend backend) {
        int rows = 13;
        int cols = 11;
        for (Activation a : Activation.values()) {
            try (OpInputs in = new OpInputs(backend, 4242 + a.code())) {
                double[] x = in.uniform(rows * cols, 3);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (x[i] + Math.copySign(0.01, x[i]));
                }
                boolean kinked = a == Activation.RELU || a.kind() == Activation.Kind.LEAKY_RELU
                        || a.kind() == Activation.Kind.ELU || a == Activation.SELU;
                double[] bias = kinked ? new double[cols] : in.uniform(cols, 1);
                double[] dy = in.uniform(rows * cols, 1);
                Tensor y = in.poisoned(rows, cols);
                Tensor dx = in.poisoned(rows, cols);
                Tensor dBias = in.poisoned(cols);
                Tensor tx = in.tensor(x, rows, cols);
                Tensor tb = in.tensor(bias, cols);
                backend.run(new BiasAct(tx, tb, a, y));
                Tensor saved = y;
                if (a.savesInput()) {
                    saved = in.poisoned(rows, cols);
                    backend.run(new BiasAct(tx, tb, Activation.LINEAR, saved));
                }
                backend.run(new ActBackward(a, saved, in.tensor(dy, rows, cols), dx));
                backend.run(new ColumnSum(dx, dBias));
                String what = a + " on " + TestBackends.label(backend);
                assertClose(what + " dX vs finite differences",
                        numeric(v -> dot(dy, RefOps.biasAct(v, bias, a)), x.clone()), dx.toArray(),
                        Conformance.ELEMENTWISE);
                assertClose(what + " dBias vs finite differences",
                        numeric(v -> dot(dy, RefOps.biasAct(x, v, a)), bias.clone()), dBias.toArray(),
                        Conformance.ELEMENTWISE);
            }
        }
    }

    /**
     * On each backend, y = softmax(x) by {@link Softmax}, then dX = {@link SoftmaxBackward}(y, dY),
     * against central differences of the float64 forward {@code L = Σ dY ⊙ softmax(x)}, rows of 1,
     * 10 and 300 (past a work-group).
     */
    @ParameterizedTest
    @MethodSource("backends")
    void backendSoftmaxBackwardMatchesFiniteDifferences(Backend backend) {
        for (int cols : new int[] {1, 10, 300}) {
            int rows = 5;
            try (OpInputs in = new OpInputs(backend, 777 + cols)) {
                double[] x = in.uniform(rows * cols, 3);
                double[] dy = in.uniform(rows * cols, 1);
                Tensor y = in.poisoned(rows, cols);
                Tensor dx = in.poisoned(rows, cols);
                backend.run(new Softmax(in.tensor(x, rows, cols), y));
                backend.run(new SoftmaxBackward(y, in.tensor(dy, rows, cols), dx));
                double[] numeric = numeric(v -> dot(dy, RefOps.softmax(v, cols)), x.clone());
                String what = "softmax " + rows + "x" + cols + " on " + TestBackends.label(backend);
                if (cols == 1) {
                    for (float v : dx.toArray()) {
                        assertEquals(0f, v, what + ": a one-column softmax is constant");
                    }
                } else {
                    assertClose(what + " dX vs finite differences", numeric, dx.toArray(), Conformance.ELEMENTWISE);
                }
            }
        }
    }
}

package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.exec.Planner;
import dev.clgrad.model.Sequential;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Window;
import dev.clgrad.optim.Sgd;
import dev.clgrad.selftest.Conformance;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conv2D and Reshape in models on every backend of {@link TestBackends#all()}: a whole small CNN's
 * gradients (the backends' float32 backward) against central differences in float64 of the
 * convolution's definition ({@link RefOps#conv2d}), with MSE and softmax cross-entropy; the
 * forward against the definition; the plan (bias and activation in the GEMM's epilogue, no im2col
 * for a pointwise kernel); Keras's initialisation and shapes; the config round trip; and the
 * errors, each naming the values.
 */
class Conv2DTest {
    private static final double H = 1e-6;

    /** The CNN of the gradient check: Conv2D(relu) → Conv2D stride 2, same padding → Flatten → Dense. */
    static Sequential strided(Backend backend, int outputs) {
        Sequential m = new Sequential(backend, 17);
        return m.add(new Conv2D(4, 3, "relu")).add(new Conv2D(3, 3).withStrides(2).withPadding("same"))
                .add(new Flatten()).add(new Dense(outputs));
    }

    /**
     * A CNN through the other paths: a dilated tanh convolution with same padding and an even
     * kernel, a pointwise ReLU convolution without bias (x itself is the cols matrix; its input
     * gradient gated by the tanh), then Dense.
     */
    static Sequential dilated(Backend backend, int outputs) {
        Sequential m = new Sequential(backend, 23);
        return m.add(new Conv2D(4, 2, "tanh").withDilation(2).withPadding("same"))
                .add(new Conv2D(3, 1, "relu").withUseBias(false)).add(new Flatten()).add(new Dense(outputs));
    }

    static Stream<Arguments> gradientCases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            for (String loss : List.of("mse", "sparse_categorical_crossentropy")) {
                out.add(Arguments.of(Named.of(TestBackends.label(b), b), loss, "strided"));
                out.add(Arguments.of(Named.of(TestBackends.label(b), b), loss, "dilated"));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}", autoCloseArguments = false)
    @MethodSource("gradientCases")
    void cnnGradientsMatchFiniteDifferencesOfTheDefinition(Backend backend, String loss, String model) {
        int rows = 3;
        int outputs = 3;
        Shape sample = Shape.of(7, 6, 2);
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = new float[rows * (int) sample.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        boolean classes = loss.startsWith("sparse");
        float[] y = new float[classes ? rows : rows * outputs];
        for (int i = 0; i < y.length; i++) {
            y[i] = classes ? rng.nextInt(outputs) : (float) rng.nextGaussian();
        }
        int live = backend.liveBuffers();
        Supplier<Sequential> make = () -> model.equals("strided") ? strided(backend, outputs) : dilated(backend, outputs);
        try (Sequential m = make.get()) {
            m.compile(new Sgd(1e-30), Loss.of(loss));
            m.build(sample);
            m.reserve(rows);
            double[] p = doubles(m.parameters().toArray());
            float[] out = new float[rows * outputs];
            m.predictBatch(x, rows, out, 0);
            assertClose(model + " forward on " + TestBackends.label(backend) + " vs the definition",
                    reference(m, p, x, rows), out, Conformance.GEMM);
            m.resetTotals();
            m.trainBatch(x, y, rows);
            float[] analytic = m.gradients().toArray();
            ToDoubleFunction<double[]> f = q -> loss(classes, reference(m, q, x, rows), y, outputs);
            double[] numeric = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                double keep = p[i];
                p[i] = keep + H;
                double up = f.applyAsDouble(p);
                p[i] = keep - H;
                double down = f.applyAsDouble(p);
                p[i] = keep;
                numeric[i] = (up - down) / (2 * H);
            }
            assertClose(model + " " + loss + " gradients on " + TestBackends.label(backend)
                    + " vs float64 finite differences", numeric, Arrays.copyOf(analytic, numeric.length), Conformance.GEMM);
        }
        assertEquals(live, backend.liveBuffers(), "leaked buffers");
    }

    /** The model's outputs in float64 from parameters p, layer by layer by definition. */
    private static double[] reference(Sequential m, double[] p, float[] x, int rows) {
        double[] h = doubles(x);
        Map<String, long[]> at = offsets(m);
        for (Layer l : m.layers()) {
            Shape in = l.inputShape();
            if (l instanceof Conv2D c) {
                int[] k = c.kernelSize();
                int[] s = c.strides();
                int[] d = c.dilation();
                Window w = Window.keras(in.dim(0), in.dim(1), k[0], k[1], s[0], s[1], d[0], d[1], c.padding());
                double[] bias = c.useBias() ? slice(p, at.get(l.name() + ".bias")) : null;
                h = RefOps.act(Activation.of(c.activation()),
                        RefOps.conv2d(h, rows, in.last(), slice(p, at.get(l.name() + ".kernel")), c.filters(), bias, w));
            } else if (l instanceof Dense dense) {
                int i = (int) in.size();
                double[] z = RefOps.gemm(false, false, rows, dense.units(), i, 1, h,
                        slice(p, at.get(l.name() + ".kernel")), 0, null);
                h = RefOps.biasAct(z, slice(p, at.get(l.name() + ".bias")), Activation.of(dense.activation()));
            }
        }
        return h;
    }

    private static double loss(boolean classes, double[] out, float[] y, int outputs) {
        if (!classes) {
            return RefOps.mse(out, doubles(y));
        }
        int[] labels = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            labels[i] = (int) y[i];
        }
        return RefOps.softmaxCrossEntropy(out, outputs, labels);
    }

    /** Each parameter's {offset, size} in the flat vector, by name. */
    private static Map<String, long[]> offsets(Sequential m) {
        Map<String, long[]> at = new java.util.HashMap<>();
        for (Parameter p : m.parameterList()) {
            at.put(p.name(), new long[] {p.offset(), p.shape().size()});
        }
        return at;
    }

    private static double[] slice(double[] p, long[] at) {
        return Arrays.copyOfRange(p, (int) at[0], (int) (at[0] + at[1]));
    }

    private static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /**
     * On each backend the conv's product is one launch with its bias and ReLU (and the dropout's
     * mask) fused; a pointwise convolution multiplies x itself and fuses its backward as Dense does.
     */
    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("dev.clgrad.backend.TestBackends#all")
    void theConvLaunchFusesBiasReluAndDropout(Backend backend) {
        try (Sequential m = new Sequential(backend, 3)) {
            m.add(new Conv2D(8, 3, "relu")).add(new Dropout(0.25)).add(new Conv2D(16, 1, "relu"))
                    .add(new Flatten()).add(new Dense(10));
            m.compile("adam", "sparse_categorical_crossentropy");
            m.build(Shape.of(12, 12, 1));
            Planner.Plan plan = m.plan(16);
            List<Planner.Plan.Launch> conv1 = plan.launches().stream()
                    .filter(l -> l.layers().startsWith("conv2d_1.forward")).toList();
            assertEquals(List.of("im2col", "matmul"), conv1.stream().map(Planner.Plan.Launch::name).toList(),
                    m.explain(16));
            Planner.Plan.Launch gemm = conv1.get(1);
            assertEquals("matmul NN [+bias relu dropout(0.25)]", gemm.op());
            assertEquals(List.of("matmul", "biasRelu", "dropout"), gemm.fuses());
            assertTrue(gemm.oneLaunch(), gemm.kernels().toString());
            assertFalse(m.explain(16).contains("conv2d_2.cols"), "a 1x1 convolution multiplies x itself:\n"
                    + m.explain(16));
            assertFalse(m.explain(16).contains("col2im"), "the pointwise layer's dX is a product, and the first "
                    + "layer computes none:\n" + m.explain(16));
            assertTrue(plan.launches().stream().anyMatch(l -> l.name().equals("denseBackward")
                    && l.layers().equals("conv2d_2.backward+dropout_1.backward+conv2d_1.backward")
                    && l.fuses().equals(List.of("matmul", "columnSum", "matmul", "dropout", "reluBackward"))),
                    "the pointwise layer's whole backward is one Dense backward, its dX gated by the first layer's "
                    + "ReLU and dropout:\n" + m.explain(16));
        }
    }

    @Test
    void kerasShapesAndInitialisation() {
        try (Sequential m = new Sequential(TestBackends.java(), 5)) {
            m.add(new Conv2D(32, 3, "relu")).add(new Conv2D(64, 3).withStrides(2).withPadding("same"))
                    .add(new Conv2D(8, 2).withPadding("same").withDilation(2).withUseBias(false));
            m.build(Shape.of(28, 28, 1));
            String s = m.summary();
            assertTrue(s.contains(" conv2d_1 (Conv2D)           (None, 26, 26, 32)        320\n"), s);
            assertTrue(s.contains(" conv2d_2 (Conv2D)           (None, 13, 13, 64)        18,496\n"), s);
            assertTrue(s.contains(" conv2d_3 (Conv2D)           (None, 13, 13, 8)         2,048\n"), s);
            Map<String, Tensor> named = m.namedParameters();
            assertEquals(List.of("conv2d_1.kernel", "conv2d_1.bias", "conv2d_2.kernel", "conv2d_2.bias",
                    "conv2d_3.kernel"), List.copyOf(named.keySet()));
            assertEquals(Shape.of(3, 3, 32, 64), named.get("conv2d_2.kernel").shape());
            float[] k = named.get("conv2d_2.kernel").toArray();
            double limit = Math.sqrt(6.0 / (9 * 32 + 9 * 64));
            double sum = 0;
            for (float v : k) {
                assertTrue(Math.abs(v) <= limit, "glorot-uniform bound " + limit + ", got " + v);
                sum += v * v;
            }
            assertEquals(limit * limit / 3, sum / k.length, limit * limit / 30, "variance of U(-l, l)");
            assertEquals(0f, named.get("conv2d_1.bias").toArray()[0]);
        }
    }

    @Test
    void configRoundTripsThroughTheRegistry() {
        Conv2D c = new Conv2D(6, 3, "tanh").withKernelSize(3, 2).withStrides(2, 1).withPadding("SAME").withDilation(1, 2)
                .withUseBias(false);
        Map<String, Object> config = c.config();
        assertEquals(Map.of("filters", 6, "kernelSize", List.of(3, 2), "strides", List.of(2, 1), "padding", "same",
                "dilation", List.of(1, 2), "activation", "tanh", "useBias", false), config);
        Conv2D ruled = c.withKernelConstraint(new MaxNorm()).withBiasConstraint(new NonNeg())
                .withKernelRegularizer(new L2()).withBiasRegularizer(new L1());
        assertEquals(ruled.config().keySet(), LayerTypes.get("conv2d").keys());
        Reshape r = new Reshape(-1, 4);
        assertEquals(Map.of("targetShape", List.of(-1, 4)), r.config());
        assertEquals(r.config().keySet(), LayerTypes.get("reshape").keys());
    }

    @Test
    void reshapeIsAViewWithOneInferredDimension() {
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            m.add(new Reshape(-1, 4, 1)).add(new Conv2D(2, 2)).add(new Reshape(-1));
            m.build(Shape.of(16));
            assertEquals(Shape.of(4, 4, 1), m.layers().get(0).outputShape());
            assertEquals(Shape.of(18), m.layers().get(2).outputShape());
        }
    }

    @Test
    void badSettingsAndInputsNameTheValues() {
        assertEquals("Conv2D: filters must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new Conv2D(0, 3)).getMessage());
        assertEquals("Conv2D: kernelSize must be two integers >= 1 (height, width), got [0, 0]",
                assertThrows(IllegalArgumentException.class, () -> new Conv2D(4, 0)).getMessage());
        assertEquals("Conv2D: padding must be \"valid\" or \"same\", got \"full\"",
                assertThrows(IllegalArgumentException.class, () -> new Conv2D(4, 3).withPadding("full")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Conv2D(4, 3, "mish")).getMessage()
                .startsWith("Conv2D: unknown activation 'mish'"));
        String rank = buildError(new Conv2D(4, 3), Shape.of(784));
        assertEquals("Conv2D: the per-sample input must be (H, W, C) images, channels last, got (784,); declare image "
                + "samples (model.input(28, 28, 1), \"inputShape\": [28, 28, 1] in a config) or put a Reshape before it "
                + "(new Reshape(28, 28, 1), {\"type\": \"reshape\", \"targetShape\": [28, 28, 1]} in a config)", rank);
        assertTrue(buildError(new Conv2D(4, 3), Shape.of(5, 7))
                .contains("got (5, 7); declare image samples (model.input(H, W, C), \"inputShape\": [H, W, C]"));
        assertTrue(buildError(new Conv2D(4, 3), Shape.of(3072)).contains("[32, 32, 3]"));
        assertEquals("Conv2D: per-sample input (2, 5, 1): window: the kernel 3x3 is larger than the input 2x5 with "
                + "padding \"valid\"; use padding \"same\" or a smaller kernel", buildError(new Conv2D(4, 3),
                Shape.of(2, 5, 1)));
        assertTrue(buildError(new Conv2D(4, 3).withDilation(3), Shape.of(6, 6, 1))
                .contains("the kernel 3x3 (dilated to 7x7) is larger than the input 6x6"));
        assertEquals("Reshape: cannot reshape the per-sample input (784,) (784 values) to [28, 27, 1] (756 values); "
                + "the target must hold as many values as the input", buildError(new Reshape(28, 27, 1),
                Shape.of(784)));
        assertTrue(buildError(new Reshape(-1, 5), Shape.of(12)).contains("[-1, 5] (5 values times the -1)"));
        assertEquals("Reshape: targetShape [-1, -1] has more than one -1; at most one dimension can be inferred",
                assertThrows(IllegalArgumentException.class, () -> new Reshape(-1, -1)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Reshape(3, 0)).getMessage()
                .contains("has dimension 0"));
    }

    private static String buildError(Layer layer, Shape in) {
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            m.add(layer);
            return assertThrows(IllegalArgumentException.class, () -> m.build(in)).getMessage();
        }
    }
}

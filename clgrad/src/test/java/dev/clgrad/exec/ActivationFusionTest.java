package dev.clgrad.exec;

import dev.clgrad.model.Sequential;
import dev.clgrad.nn.ActivationLayer;
import dev.clgrad.nn.Conv2D;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.ELU;
import dev.clgrad.nn.GELU;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.LeakyReLU;
import dev.clgrad.nn.Softmax;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.SoftmaxBackward;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The planner fuses every element-wise activation into the preceding Dense or Conv2D product's
 * epilogue — as {@code "activation": name} on the layer and as a standalone activation layer — in
 * training (keeping z for the activations whose backward reads it, which the backward then reads)
 * and in inference; softmax stays its own launch after the product with its bias. Read from the
 * launches a {@link RecordingBackend} records (no arithmetic).
 */
class ActivationFusionTest {
    /** Every element-wise activation name a layer takes. */
    private static final List<String> NAMES = List.of("relu", "tanh", "sigmoid", "leaky_relu", "elu", "selu", "gelu",
            "swish", "silu");

    private static List<Op> trainStep(RecordingBackend b, Sequential m, int rows) {
        m.reserve(rows);
        b.clearRuns();
        m.trainBatch(new float[rows * m.inFeatures()], new float[rows * m.targetColumns()], rows);
        return b.runs().stream().map(RecordingBackend.Run::op).toList();
    }

    private static List<Op> predict(RecordingBackend b, Sequential m, int rows) {
        b.clearRuns();
        m.predictBatch(new float[rows * m.inFeatures()], rows, new float[rows * m.outFeatures()], 0);
        return b.runs().stream().map(RecordingBackend.Run::op).toList();
    }

    private static boolean same(Tensor a, Tensor b) {
        return a != null && b != null && a.buffer() == b.buffer() && a.offset() == b.offset()
                && a.shape().size() == b.shape().size();
    }

    /**
     * The step of in → first → Dense(3), MSE: the first launch is the product with bias and
     * {@code act} in its epilogue (z kept iff act saves its input), no Act runs, and the second
     * layer's input gradient is gated by (or the activation backward reads) that z or y.
     */
    private static void assertFusedStep(String what, Activation act, Supplier<List<Layer>> first) {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = new Sequential(b, 5)) {
            first.get().forEach(m::add);
            m.add(new Dense(3)).compile("adam", "mse").build(6);
            List<Op> ops = trainStep(b, m, 4);
            MatMul fwd = (MatMul) ops.get(0);
            Epilogue e = fwd.epilogue();
            assertEquals(act, e.activation(), what + ": " + PlannerTest.signatures(ops));
            assertNotNull(e.bias(), what);
            assertFalse(ops.stream().anyMatch(op -> op instanceof Act), what + " runs an Act: " + PlannerTest.signatures(ops));
            assertEquals(act.savesInput(), e.z() != null, what + ": z kept iff the backward reads it");
            Tensor saved = act.savesInput() ? e.z() : fwd.c();
            boolean readsSaved = ops.stream().anyMatch(op -> op instanceof MatMul g && g.epilogue().isGate()
                    && g.epilogue().activation().equals(act) && same(g.epilogue().gate(), saved)
                    || op instanceof Composite c && c.parts().stream().anyMatch(p -> p instanceof MatMul g
                    && g.epilogue().isGate() && same(g.epilogue().gate(), saved))
                    || op instanceof ActBackward ab && ab.activation().equals(act) && same(ab.y(), saved));
            assertTrue(readsSaved, what + ": the backward reads the epilogue's " + (act.savesInput() ? "z" : "y")
                    + "; " + PlannerTest.signatures(ops));
            List<Op> inference = predict(b, m, 4);
            MatMul inf = (MatMul) inference.get(0);
            assertEquals(act, inf.epilogue().activation(), what + " inference: " + PlannerTest.signatures(inference));
            assertNull(inf.epilogue().z(), what + ": inference keeps no z");
            assertEquals(2, inference.size(), what + " inference is two products: " + PlannerTest.signatures(inference));
        }
        assertEquals(0, b.liveBuffers());
    }

    @Test
    void everyActivationOnDenseFusesIntoItsProduct() {
        for (String name : NAMES) {
            assertFusedStep("Dense(8, " + name + ")", Activation.of(name), () -> List.of(new Dense(8, name)));
        }
    }

    /** Dense(8) → an activation layer plans as Dense(8, activation) does. */
    @Test
    void standaloneActivationLayersFuseLikeTheDenseActivation() {
        for (String name : NAMES) {
            RecordingBackend b = new RecordingBackend();
            List<String> standalone;
            List<String> inDense;
            try (Sequential m = new Sequential(b, 5)) {
                m.add(new Dense(8)).add(new ActivationLayer(name)).add(new Dense(3)).compile("adam", "mse").build(6);
                standalone = PlannerTest.signatures(trainStep(b, m, 4));
            }
            try (Sequential m = new Sequential(b, 5)) {
                m.add(new Dense(8, name)).add(new Dense(3)).compile("adam", "mse").build(6);
                inDense = PlannerTest.signatures(trainStep(b, m, 4));
            }
            assertEquals(inDense, standalone, "Dense(8) → Activation(" + name + ") vs Dense(8, " + name + ")");
        }
    }

    @Test
    void namedLayersFuseWithTheirParameters() {
        assertFusedStep("LeakyReLU(0.1)", Activation.leakyRelu(0.1), () -> List.of(new Dense(8), new LeakyReLU(0.1)));
        assertFusedStep("LeakyReLU()", Activation.leakyRelu(0.3), () -> List.of(new Dense(8), new LeakyReLU()));
        assertFusedStep("ELU(0.5)", Activation.elu(0.5), () -> List.of(new Dense(8), new ELU(0.5)));
        assertFusedStep("GELU(approximate)", Activation.GELU_TANH, () -> List.of(new Dense(8), new GELU(true)));
        assertFusedStep("GELU()", Activation.GELU, () -> List.of(new Dense(8), new GELU()));
    }

    /** Conv2D's im2col product takes the activation as Dense's does, with a bias and without. */
    @Test
    void conv2dFusesEveryActivation() {
        for (String name : NAMES) {
            for (boolean bias : new boolean[] {true, false}) {
                Activation act = Activation.of(name);
                RecordingBackend b = new RecordingBackend();
                String what = "Conv2D(4, 3, " + name + ")" + (bias ? "" : " without bias");
                try (Sequential m = new Sequential(b, 5)) {
                    m.add(new Conv2D(4, 3, name).withUseBias(bias)).add(new Dense(2)).compile("adam", "mse")
                            .input(6, 6, 1).build();
                    List<Op> ops = trainStep(b, m, 2);
                    MatMul fwd = (MatMul) ops.stream().filter(op -> op instanceof MatMul).findFirst().orElseThrow();
                    assertEquals(act, fwd.epilogue().activation(), what + ": " + PlannerTest.signatures(ops));
                    assertEquals(act.savesInput(), fwd.epilogue().z() != null, what);
                    assertEquals(bias, fwd.epilogue().bias() != null, what);
                    assertFalse(ops.stream().anyMatch(op -> op instanceof Act), what + ": " + PlannerTest.signatures(ops));
                }
                assertEquals(0, b.liveBuffers());
            }
        }
    }

    /** Dense(4, softmax): the product with its bias, then one softmax launch; backward one softmax backward. */
    @Test
    void softmaxRunsAfterTheFusedBias() {
        for (Supplier<List<Layer>> layers : List.<Supplier<List<Layer>>>of(
                () -> List.of(new Dense(4, "softmax")), () -> List.of(new Dense(4), new Softmax()),
                () -> List.of(new Dense(4), new ActivationLayer("softmax")))) {
            RecordingBackend b = new RecordingBackend();
            try (Sequential m = new Sequential(b, 5)) {
                layers.get().forEach(m::add);
                m.compile("adam", "mse").build(6);
                List<Op> ops = trainStep(b, m, 4);
                List<String> s = PlannerTest.signatures(ops);
                assertEquals("matmul NN [+bias]", s.get(0), s.toString());
                assertEquals("softmaxForward", s.get(1), s.toString());
                assertTrue(same(((MatMul) ops.get(0)).c(), ((dev.clgrad.ops.Softmax) ops.get(1)).x()), s.toString());
                SoftmaxBackward sb = (SoftmaxBackward) ops.stream().filter(op -> op instanceof SoftmaxBackward)
                        .findFirst().orElseThrow();
                assertTrue(same(((dev.clgrad.ops.Softmax) ops.get(1)).y(), sb.y()), "the backward reads y");
                assertEquals(List.of("matmul NN [+bias]", "softmaxForward"), PlannerTest.signatures(predict(b, m, 4)));
            }
            assertEquals(0, b.liveBuffers());
        }
    }
}

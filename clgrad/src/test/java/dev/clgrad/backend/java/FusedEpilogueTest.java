package dev.clgrad.backend.java;

import dev.clgrad.backend.ProfileSink;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Java backend's fused {@link MatMul} epilogues against {@link MatMul#decompose} run op by op
 * on the same backend, bit for bit, with and without the Vector API: bias + ReLU + dropout, bias +
 * tanh (+ dropout), sigmoid without bias (+ dropout), dropout alone, the ReLU gate with alpha 2 and
 * the tanh and sigmoid gates. Shapes are awkward (1, primes, N odd or 2 mod 4, so row blocks start
 * inside Philox blocks unless aligned; N wider than a row block; C large enough to split between
 * three threads and into many row blocks; N a multiple of 4 with C split between threads by columns
 * and by rows, where the mask and gate run on each thread's part of C); C is a view at an odd offset in a NaN-poisoned buffer,
 * and the whole buffer is compared, so a write out of range fails too. Dropout counters include one
 * that carries past 2^64 inside C. Any NaN equals any NaN (Java leaves NaN payloads unspecified).
 * Also: tanh and sigmoid are {@link Activation}'s float32 functions exactly, a {@link Composite}
 * runs and is profiled as its parts, and a bad label names its row and value.
 */
class FusedEpilogueTest {
    /** (M, N, K). */
    private static final int[][] SHAPES = {
        {1, 1, 1}, {3, 5, 7}, {7, 13, 5}, {33, 31, 17}, {64, 18, 4}, {100, 20, 3}, {130, 129, 9},
        {5, JavaBackend.EPILOGUE_BLOCK + 3, 2}, {257, 1001, 3}, {1027, 777, 2}, {24, 4100, 12}, {2001, 516, 2},
    };
    private static final int PAD = 5;
    private static final long[] OFFSETS = {5L, -3L};

    private static JavaBackend vector;
    private static JavaBackend scalar;

    @BeforeAll
    static void open() {
        vector = new JavaBackend(3, true, 1);
        scalar = new JavaBackend(3, false);
    }

    @AfterAll
    static void close() {
        vector.close();
        scalar.close();
    }

    /** One epilogue case: a name and the epilogue over the bias (N) and gate (M, N) tensors. */
    private record Case(String name, float alpha, Function<Tensor[], Epilogue> epilogue) {
    }

    @ParameterizedTest(name = "vectorApi={0}")
    @ValueSource(booleans = {true, false})
    void fusedEpiloguesMatchTheirDecomposition(boolean vectorApi) {
        JavaBackend backend = vectorApi ? vector : scalar;
        Random rnd = new Random(vectorApi ? 11 : 12);
        for (int[] s : SHAPES) {
            for (long offset : OFFSETS) {
                long seed = rnd.nextLong();
                Mask mask = Mask.fixed(0.3f, seed, offset);
                List<Case> cases = List.of(
                        new Case("bias relu dropout", 1f, t -> Epilogue.forward(t[0], Activation.RELU, mask)),
                        new Case("bias tanh", 1f, t -> Epilogue.forward(t[0], Activation.TANH, null)),
                        new Case("bias tanh dropout", 1f, t -> Epilogue.forward(t[0], Activation.TANH, mask)),
                        new Case("bias dropout", 1f, t -> Epilogue.forward(t[0], Activation.LINEAR, mask)),
                        new Case("sigmoid", 1f, t -> Epilogue.forward(null, Activation.SIGMOID, null)),
                        new Case("sigmoid dropout", 1f, t -> Epilogue.forward(null, Activation.SIGMOID, mask)),
                        new Case("dropout", 1f, t -> Epilogue.forward(null, Activation.LINEAR, mask)),
                        new Case("gate relu alpha 2", 2f, t -> Epilogue.gate(Activation.RELU, t[1])),
                        new Case("gate tanh", 1f, t -> Epilogue.gate(Activation.TANH, t[1])),
                        new Case("gate sigmoid", 0.5f, t -> Epilogue.gate(Activation.SIGMOID, t[1])));
                for (Case c : cases) {
                    check(backend, vectorApi, s[0], s[1], s[2], offset, c, rnd);
                }
            }
        }
    }

    @Test
    void tanhAndSigmoidAreTheActivationsFloat32Functions() {
        Random rnd = new Random(13);
        int n = 70_007;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * 4);
        }
        for (Activation a : new Activation[] {Activation.TANH, Activation.SIGMOID}) {
            try (Tensor xt = Tensor.of(scalar, x, 7, n / 7); Tensor bias = Tensor.zeros(scalar, Shape.of(n / 7));
                 Tensor y = Tensor.empty(scalar, Shape.of(7, n / 7));
                 Tensor dY = Tensor.of(scalar, x, 7, n / 7); Tensor dX = Tensor.empty(scalar, Shape.of(7, n / 7))) {
                scalar.run(new Act(a, xt, y));
                float[] got = y.toArray();
                scalar.run(new BiasAct(xt, bias, a, y));
                float[] biased = y.toArray();
                scalar.run(new ActBackward(a, xt, dY, dX));
                float[] grad = dX.toArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(a.apply(x[i]), got[i], a + " of " + x[i]);
                    assertEquals(a.apply(x[i] + 0f), biased[i], a + " with bias of " + x[i]);
                    assertEquals(x[i] * a.derivative(x[i]), grad[i], a + "'s backward at " + x[i]);
                }
            }
        }
    }

    @Test
    void compositesRunAndAreProfiledAsTheirParts() {
        Random rnd = new Random(14);
        try (JavaBackend b = new JavaBackend(2); Tensor x = random(b, rnd, 9, 5); Tensor dY = random(b, rnd, 9, 4);
             Tensor dW = Tensor.empty(b, Shape.of(5, 4)); Tensor dBias = Tensor.empty(b, Shape.of(4));
             Tensor wantW = Tensor.empty(b, Shape.of(5, 4)); Tensor wantBias = Tensor.empty(b, Shape.of(4))) {
            Composite grads = Composite.denseWeightGrads(x, dY, dW, dBias);
            assertFalse(b.fuses(grads));
            assertTrue(b.fuses(grads.parts().get(0)));
            assertTrue(b.fuses(MatMul.of(false, false, 1f, x, dW, 0f, dY)
                    .withEpilogue(Epilogue.forward(dBias, Activation.TANH, Mask.fixed(0.5f, 1, 0)))));
            List<String> kernels = new ArrayList<>();
            b.profile(new ProfileSink() {
                @Override
                public void kernel(KernelRecord record) {
                    kernels.add(record.op());
                    assertTrue(record.endNs() >= record.startNs() && record.flops() > 0 && record.bytes() > 0,
                            record.toString());
                }

                @Override
                public void span(HostSpan span) {
                }
            });
            b.run(grads);
            b.profile(null);
            assertEquals(grads.parts().stream().map(Op::name).toList(), kernels);
            Composite.denseWeightGrads(x, dY, wantW, wantBias).parts().forEach(b::run);
            assertArrayEquals(bits(wantW.toArray()), bits(dW.toArray()));
            assertArrayEquals(bits(wantBias.toArray()), bits(dBias.toArray()));
        }
    }

    @Test
    void aBadLabelNamesItsRowAndValue() {
        try (Tensor logits = Tensor.zeros(scalar, Shape.of(3, 4)); Tensor labels = Tensor.of(scalar, new float[] {1, 2.5f, 0}, 3);
             Tensor loss = Tensor.empty(scalar, Shape.of(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> scalar.run(new SoftmaxCrossEntropy(logits, labels, loss, false, null)));
            assertTrue(e.getMessage().contains("labels[1] is 2.5"), e.getMessage());
            labels.copyFrom(new float[] {1, 2, 4});
            e = assertThrows(IllegalArgumentException.class,
                    () -> scalar.run(new SoftmaxCrossEntropy(logits, labels, null, false, logits)));
            assertTrue(e.getMessage().contains("labels[2] is 4.0") && e.getMessage().contains("[0, 4)"), e.getMessage());
        }
    }

    /**
     * Runs the case's MatMul fused and decomposed (each op through {@link JavaBackend#run}) from the
     * same A, B, bias and gate into two NaN-poisoned C buffers, and compares every bit of both.
     */
    private static void check(JavaBackend backend, boolean vectorApi, int m, int n, int k, long offset, Case c,
                              Random rnd) {
        boolean transA = (m + n) % 2 == 0;
        boolean transB = (n + k) % 3 == 0;
        String where = c.name() + (vectorApi ? " vector" : " scalar") + " M=" + m + " N=" + n + " K=" + k
                + (transA ? " transA" : "") + (transB ? " transB" : "") + " offset=" + Long.toUnsignedString(offset);
        try (Tensor a = random(backend, rnd, transA ? k : m, transA ? m : k);
             Tensor b = random(backend, rnd, transB ? n : k, transB ? k : n);
             Tensor bias = random(backend, rnd, n);
             Tensor gate = random(backend, rnd, m, n);
             Tensor fusedC = Tensor.empty(backend, Shape.of(m * n + 2 * PAD + 1));
             Tensor plainC = Tensor.empty(backend, Shape.of(m * n + 2 * PAD + 1))) {
            if (c.name().startsWith("gate tanh") || c.name().startsWith("gate sigmoid")) {
                float[] g = gate.toArray();
                for (int i = 0; i < g.length; i++) {
                    g[i] = c.name().startsWith("gate tanh") ? (float) Math.tanh(g[i]) : 1f / (1f + (float) Math.exp(-g[i]));
                }
                gate.copyFrom(g);
            }
            float[] nan = new float[m * n + 2 * PAD + 1];
            Arrays.fill(nan, Float.NaN);
            fusedC.copyFrom(nan);
            plainC.copyFrom(nan);
            Epilogue e = c.epilogue().apply(new Tensor[] {bias, gate});
            MatMul fused = new MatMul(transA, transB, c.alpha(), a, b, 0f,
                    fusedC.view(PAD, Shape.of(m, n), "c"), e);
            MatMul plain = fused.rebind(t -> t == fused.c() ? plainC.view(PAD, Shape.of(m, n), "c") : t);
            assertTrue(backend.fuses(fused), where);
            backend.run(fused);
            List<Op> parts = plain.decompose();
            assertTrue(parts.size() >= (e.isNone() ? 1 : 2), where + ": " + parts);
            for (Op op : parts) {
                backend.run(op);
            }
            int[] want = bits(plainC.toArray());
            int[] got = bits(fusedC.toArray());
            for (int i = 0; i < want.length; i++) {
                if (want[i] != got[i]) {
                    fail(where + ": element " + (i - PAD) + " of C is " + Float.intBitsToFloat(got[i])
                            + " fused, " + Float.intBitsToFloat(want[i]) + " decomposed");
                }
            }
        }
    }

    private static Tensor random(JavaBackend backend, Random rnd, int... dims) {
        Shape shape = Shape.of(dims);
        float[] x = new float[(int) shape.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return Tensor.of(backend, x, dims);
    }

    /** The bits of each element, NaNs canonical. */
    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = Float.floatToIntBits(x[i]);
        }
        return b;
    }
}

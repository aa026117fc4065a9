package dev.clgrad.backend.java;

import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Fill;
import dev.clgrad.ops.Mask;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Java backend's Vector API ops ({@link VectorOps}, {@link VectorDropout}) against its scalar
 * loops, bit for bit: Adam and AdamW, bias with and without ReLU (also in place), ReLU's backward,
 * the column sum (each column framed by ±2^30..2^39 in its first and last rows, so that a change
 * of summation order or precision shows after rounding to float), and dropout (also in place),
 * including counters that carry past 2^64 inside a call. Sizes reach every tail (1, below one
 * vector, odd, not a multiple of the vector length or of a Philox block) and split between three
 * threads (the largest above the vector ops' 2^18-element grain), so vector runs also start inside
 * the arrays, at multiples of 16; every tensor is a view at an odd offset in a NaN-poisoned buffer,
 * and the whole buffer is compared, so a write out of range fails too. Inputs include ±0, NaN, ±∞ and subnormals. Any NaN equals any NaN: Java
 * leaves NaN payloads unspecified, and C2 may swap the operands of a commutative add, which picks
 * which NaN's payload survives. The vector backend here takes its Vector API paths at every size
 * (the default leaves ops under {@link JavaBackend#VECTOR_MIN} elements to the scalar loops).
 */
class VectorOpsTest {
    /** Element counts: tails around 16-lane vectors and 4-element blocks, and multi-thread splits. */
    private static final int[] SIZES = {1, 3, 4, 5, 15, 16, 17, 31, 33, 100, 1001, 65_536 + 7, 3 * 32_768 + 13,
        3 * (1 << 18) + 29};
    /** (rows, cols) of the row-wise and column-wise ops. */
    private static final int[][] MATRICES = {
        {1, 1}, {3, 7}, {5, 16}, {4, 17}, {128, 10}, {17, 33}, {128, 512}, {2, 1000}, {257, 129}, {2000, 333},
    };
    private static final int PAD = 5;
    private static final float[] SPECIAL = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e30f, -1e-30f};

    private static JavaBackend vector;
    private static JavaBackend scalar;

    /** Runs ops on tensors of a backend; the tensors are views of the given shapes. */
    @FunctionalInterface
    private interface Run {
        void run(JavaBackend backend, Tensor[] t);
    }

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

    @Test
    void vectorPathsAreUsed() {
        assertTrue(JavaGemm.VECTOR_API, "surefire's argLine must add --add-modules jdk.incubator.vector");
    }

    @Test
    void adamIsBitIdentical() {
        Random rnd = new Random(1);
        for (int n : SIZES) {
            for (AdamHyper h : new AdamHyper[] {AdamHyper.adam(1e-3f), AdamHyper.adamW(3e-2f, 0.1f)}) {
                for (long step : new long[] {1, 7, 1000}) {
                    float[] v = random(rnd, n, false);
                    for (int i = 0; i < n; i++) {
                        v[i] = Math.abs(v[i]);
                    }
                    float[][] data = {random(rnd, n, true), random(rnd, n, true), random(rnd, n, true), v};
                    compare("adamStep n=" + n + " " + h + " step=" + step, data, shapes(4, n),
                            (b, t) -> b.run(new AdamUpdate(t[0], t[1], t[2], t[3], h, Counter.of(step))));
                }
            }
        }
    }

    @Test
    void reluBackwardIsBitIdentical() {
        Random rnd = new Random(2);
        for (int n : SIZES) {
            float[][] data = {random(rnd, n, true), random(rnd, n, true), new float[n]};
            compare("reluBackward n=" + n, data, shapes(3, n), (b, t) -> b.run(new ActBackward(Activation.RELU, t[0], t[1], t[2])));
            compare("reluBackward in place n=" + n, data, shapes(3, n), (b, t) -> b.run(new ActBackward(Activation.RELU, t[0], t[1], t[1])));
        }
    }

    @Test
    void biasIsBitIdentical() {
        Random rnd = new Random(3);
        for (int[] m : MATRICES) {
            int rows = m[0];
            int cols = m[1];
            float[][] data = {random(rnd, rows * cols, true), random(rnd, cols, true), new float[rows * cols]};
            int[][] shapes = {{rows, cols}, {cols}, {rows, cols}};
            String shape = " " + rows + "x" + cols;
            compare("biasRelu" + shape, data, shapes, (b, t) -> b.run(new BiasAct(t[0], t[1], Activation.RELU, t[2])));
            compare("biasRelu in place" + shape, data, shapes, (b, t) -> b.run(new BiasAct(t[0], t[1], Activation.RELU, t[0])));
            compare("biasAdd" + shape, data, shapes, (b, t) -> b.run(new BiasAct(t[0], t[1], Activation.LINEAR, t[2])));
        }
    }

    @Test
    void columnSumIsBitIdentical() {
        Random rnd = new Random(4);
        for (int[] m : MATRICES) {
            int rows = m[0];
            int cols = m[1];
            float[] x = random(rnd, rows * cols, false);
            for (int c = 0; rows > 2 && c < cols; c++) {
                x[c] = Math.scalb(rnd.nextBoolean() ? 1f : -1f, 30 + rnd.nextInt(10));
                x[(rows - 1) * cols + c] = -x[c];
            }
            for (int i = 0; i < 3; i++) {
                x[rnd.nextInt(x.length)] = SPECIAL[rnd.nextInt(SPECIAL.length)];
            }
            float[][] data = {x, new float[cols]};
            compare("columnSum " + rows + "x" + cols, data, new int[][] {{rows, cols}, {cols}},
                    (b, t) -> b.run(new ColumnSum(t[0], t[1])));
        }
    }

    @Test
    void dropoutIsBitIdentical() {
        Random rnd = new Random(5);
        long[] offsets = {0L, 5L, 0xFFFF_FFF0L, -8L, -1L, -1000L, -40_000L, Long.MIN_VALUE - 3};
        for (int n : SIZES) {
            for (long offset : offsets) {
                for (float p : new float[] {0f, 0.1f, 0.5f, 0.73f}) {
                    long seed = rnd.nextLong();
                    float[][] data = {random(rnd, n, true), new float[n]};
                    Mask mask = Mask.fixed(p, seed, offset);
                    String what = " n=" + n + " offset=" + Long.toUnsignedString(offset) + " p=" + p + " seed=" + seed;
                    compare("dropout" + what, data, shapes(2, n), (b, t) -> b.run(new ApplyMask(t[0], mask, t[1])));
                    compare("dropout in place" + what, data, shapes(2, n),
                            (b, t) -> b.run(new ApplyMask(t[0], mask, t[0])));
                }
            }
        }
    }

    /** Runs op on both backends from the same data and compares every bit of every buffer afterwards. */
    private static void compare(String what, float[][] data, int[][] shapes, Run op) {
        int[][] want = run(scalar, data, shapes, op);
        int[][] got = run(vector, data, shapes, op);
        for (int k = 0; k < want.length; k++) {
            for (int i = 0; i < want[k].length; i++) {
                if (want[k][i] != got[k][i]) {
                    fail(what + ": tensor " + k + " element " + (i - PAD) + " is "
                            + Float.intBitsToFloat(got[k][i]) + " (0x" + Integer.toHexString(got[k][i])
                            + ") on the vector path, " + Float.intBitsToFloat(want[k][i]) + " (0x"
                            + Integer.toHexString(want[k][i]) + ") on the scalar path");
                }
            }
        }
    }

    /**
     * Uploads each data array into a view at offset {@link #PAD} of a NaN-filled buffer 2·PAD+1
     * floats longer, runs op on the views, and returns each whole buffer's bits, NaNs canonical.
     */
    private static int[][] run(JavaBackend backend, float[][] data, int[][] shapes, Run op) {
        Tensor[] parents = new Tensor[data.length];
        Tensor[] views = new Tensor[data.length];
        try {
            for (int k = 0; k < data.length; k++) {
                parents[k] = Tensor.empty(backend, Shape.of(data[k].length + 2 * PAD + 1));
                backend.run(new Fill(parents[k], Float.NaN));
                views[k] = parents[k].view(PAD, Shape.of(shapes[k]), "t" + k);
                views[k].copyFrom(data[k]);
            }
            op.run(backend, views);
            int[][] bits = new int[data.length][];
            for (int k = 0; k < data.length; k++) {
                float[] all = parents[k].toArray();
                bits[k] = new int[all.length];
                for (int i = 0; i < all.length; i++) {
                    bits[k][i] = Float.floatToIntBits(all[i]);
                }
            }
            return bits;
        } finally {
            for (Tensor p : parents) {
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    private static int[][] shapes(int count, int n) {
        int[][] s = new int[count][];
        for (int k = 0; k < count; k++) {
            s[k] = new int[] {n};
        }
        return s;
    }

    /** Gaussian values over several magnitudes, one in eight replaced by a special value when asked. */
    private static float[] random(Random rnd, int n, boolean specials) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = specials && rnd.nextInt(8) == 0 ? SPECIAL[rnd.nextInt(SPECIAL.length)]
                    : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
        }
        return x;
    }
}

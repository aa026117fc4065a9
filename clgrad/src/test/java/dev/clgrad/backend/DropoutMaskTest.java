package dev.clgrad.backend;

import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.ApplyGaussianNoise;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Fill;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Philox;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dropout masks across backends: bit-identical to {@link Philox#keep} on every backend for many
 * (seed, offset, p, n), including counters that carry past 2^32 and 2^64, through {@link ApplyMask}
 * and through a matmul's epilogue (element m·N + n of the product); the kept fraction; p = 0;
 * invalid rates; backward regenerating the forward's mask from the same counter; spatial dropout's
 * masks, one element {@code b·C + c} per (sample, channel), through {@link ApplyChannelMask}; the
 * variants' noise (Gaussian, alpha) bit for bit across backends at large n, and their statistics.
 */
class DropoutMaskTest {
    static final long[] SEEDS = {0L, 1L, 0x0123_4567_89AB_CDEFL, -1L};
    static final long[] OFFSETS = {0L, 5L, 0xFFFF_FFF0L, 0xFFFF_FFFFL, -8L, -1L, Long.MIN_VALUE - 3};
    static final int[] SIZES = {1, 3, 4, 5, 17, 130, 1001};
    static final float[] RATES = {0.1f, 0.5f, 0.73f};

    /** The keep bits of a forward pass over ones: kept elements are 1/(1-p) > 0, dropped ones 0. */
    static boolean[] mask(Backend b, int n, float p, long seed, long offset) {
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        try (Tensor x = Tensor.of(b, ones, n); Tensor y = Tensor.of(b, new float[n], n)) {
            b.run(new ApplyMask(x, Mask.fixed(p, seed, offset), y));
            return kept(y.toArray());
        }
    }

    /** The keep bits of a matmul's forward epilogue {@code c = mask(ones(rows, 1)·ones(1, cols))}. */
    static boolean[] epilogueMask(Backend b, int rows, int cols, Mask mask) {
        float[] ones = new float[cols];
        Arrays.fill(ones, 1f);
        float[] column = new float[rows];
        Arrays.fill(column, 1f);
        try (Tensor a = Tensor.of(b, column, rows, 1); Tensor w = Tensor.of(b, ones, 1, cols);
             Tensor c = Tensor.empty(b, Shape.of(rows, cols))) {
            b.run(new MatMul(false, false, 1f, a, w, 0f, c, Epilogue.forward(null, Activation.LINEAR, mask)));
            return kept(c.toArray());
        }
    }

    private static boolean[] kept(float[] out) {
        boolean[] keep = new boolean[out.length];
        for (int i = 0; i < out.length; i++) {
            keep[i] = out[i] != 0f;
        }
        return keep;
    }

    @Test
    void masksAreBitIdenticalAcrossBackendsAndMatchTheSpec() {
        List<Backend> backends = TestBackends.all();
        for (long seed : SEEDS) {
            for (long offset : OFFSETS) {
                for (int n : SIZES) {
                    for (float p : RATES) {
                        boolean[] spec = RefOps.dropoutMask(n, p, seed, offset);
                        for (Backend b : backends) {
                            assertArrayEquals(spec, mask(b, n, p, seed, offset), "mask on " + TestBackends.label(b)
                                    + " seed=" + seed + " offset=" + Long.toUnsignedString(offset) + " n=" + n + " p=" + p);
                        }
                    }
                }
            }
        }
    }

    @Test
    void epilogueMasksMatchTheSpecRowMajor() {
        for (Backend b : TestBackends.all()) {
            for (long offset : new long[] {0L, 0xFFFF_FFF0L, -3L}) {
                for (int[] rc : new int[][] {{1, 1}, {3, 5}, {17, 33}, {130, 67}}) {
                    int n = rc[0] * rc[1];
                    boolean[] spec = RefOps.dropoutMask(n, 0.5f, 0x5EED, offset);
                    assertArrayEquals(spec, epilogueMask(b, rc[0], rc[1], Mask.fixed(0.5f, 0x5EED, offset)),
                            "epilogue mask on " + TestBackends.label(b) + " " + rc[0] + "x" + rc[1] + " offset="
                                    + Long.toUnsignedString(offset));
                }
            }
        }
    }

    /**
     * Spatial dropout over (B, H, W, C) ones: position (b, h, w, c) is kept exactly when element
     * {@code b·C + c} of the spec's mask over B·C elements is, on every backend, for counters that
     * carry past 2^32 and 2^64.
     */
    @Test
    void channelMasksAreBitIdenticalAcrossBackendsAndMatchTheSpec() {
        for (long seed : SEEDS) {
            for (long offset : OFFSETS) {
                for (int[] d : new int[][] {{1, 1, 1, 1}, {3, 2, 5, 7}, {33, 4, 1, 3}}) {
                    int n = d[0] * d[1] * d[2] * d[3];
                    int channels = d[3];
                    boolean[] spec = RefOps.dropoutMask(d[0] * channels, 0.5f, seed, offset);
                    boolean[] expected = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        expected[i] = spec[i / (n / d[0]) * channels + i % channels];
                    }
                    float[] ones = new float[n];
                    Arrays.fill(ones, 1f);
                    for (Backend b : TestBackends.all()) {
                        try (Tensor x = Tensor.of(b, ones, d); Tensor y = Tensor.of(b, new float[n], d)) {
                            b.run(new ApplyChannelMask(x, Mask.fixed(0.5f, seed, offset), y));
                            assertArrayEquals(expected, kept(y.toArray()), "channel mask on " + TestBackends.label(b)
                                    + " seed=" + seed + " offset=" + Long.toUnsignedString(offset) + " shape "
                                    + Arrays.toString(d));
                        }
                    }
                }
            }
        }
    }

    @Test
    void counterCarryChangesTheMask() {
        boolean[] below = RefOps.dropoutMask(64, 0.5f, 7, -1L);
        boolean[] wrapped = RefOps.dropoutMask(64, 0.5f, 7, 0L);
        boolean differs = false;
        for (int i = 4; i < 64; i++) {
            differs |= below[i] != wrapped[i - 4];
        }
        assertTrue(differs, "blocks past 2^64 carry into c2, so they differ from the blocks at offset 0");
    }

    @Test
    void keptFractionIsWithinFiveSigma() {
        int n = 200_003;
        for (Backend b : TestBackends.all()) {
            for (float p : new float[] {0.05f, 0.5f, 0.9f}) {
                boolean[] keep = mask(b, n, p, 12345, 1L << 40);
                int kept = 0;
                for (boolean k : keep) {
                    kept += k ? 1 : 0;
                }
                double mean = n * (1.0 - p);
                double sigma = Math.sqrt(n * p * (1.0 - p));
                assertTrue(Math.abs(kept - mean) < 5 * sigma, "kept " + kept + " of " + n + " at p=" + p
                        + " on " + TestBackends.label(b) + "; expected " + mean + " ± " + 5 * sigma);
            }
        }
    }

    @Test
    void zeroRateIsTheIdentity() {
        float[] x = {1.5f, -2f, 0f, 3e-7f, -1e30f, 7f, 8f};
        for (Backend b : TestBackends.all()) {
            try (Tensor tx = Tensor.of(b, x, x.length); Tensor ty = Tensor.of(b, new float[x.length], x.length)) {
                b.run(new ApplyMask(tx, Mask.fixed(0f, 99, 123), ty));
                assertArrayEquals(x, ty.toArray(), "p=0 forward on " + TestBackends.label(b));
                b.run(new Fill(ty, Float.NaN));
                b.run(new ApplyMask(tx, Mask.fixed(0f, 99, 123), ty));
                assertArrayEquals(x, ty.toArray(), "p=0 backward on " + TestBackends.label(b));
            }
        }
    }

    @Test
    void ratesOutsideZeroOneAreRejected() {
        for (Backend b : TestBackends.all()) {
            try (Tensor x = Tensor.of(b, new float[4], 4)) {
                for (float p : new float[] {1f, -0.25f, 1.5f, Float.NaN}) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> b.run(new ApplyMask(x, Mask.fixed(p, 1, 0), x)));
                    assertTrue(e.getMessage().contains(String.valueOf(p)), e.getMessage());
                    assertThrows(IllegalArgumentException.class,
                            () -> b.run(new ApplyMask(x, new Mask(p, 1, Counter.of(0)), x)));
                }
            }
        }
    }

    @Test
    void backwardRegeneratesTheForwardMask() {
        int n = 1003;
        float p = 0.3f;
        for (Backend b : TestBackends.all()) {
            float[] ones = new float[n];
            Arrays.fill(ones, 1f);
            Counter counter = Counter.of(0xFFFF_FFFDL);
            Mask mask = new Mask(p, 77, counter);
            try (Tensor dy = Tensor.of(b, ones, n); Tensor dx = Tensor.of(b, new float[n], n)) {
                boolean[] forward = epilogueMask(b, 1, n, mask);
                b.run(new ApplyMask(dy, mask, dx));
                float[] grad = dx.toArray();
                assertArrayEquals(mask(b, n, p, 77, 0xFFFF_FFFDL), forward, "the epilogue's mask is ApplyMask's on "
                        + TestBackends.label(b));
                for (int i = 0; i < n; i++) {
                    assertEquals(forward[i] ? Philox.keepScale(p) : 0f, grad[i], "element " + i + " on "
                            + TestBackends.label(b));
                }
                counter.getAndAdd(Philox.blocks(n));
                assertArrayEquals(RefOps.dropoutMask(n, p, 77, 0xFFFF_FFFDL + Philox.blocks(n)),
                        epilogueMask(b, 1, n, mask), "the next call draws from the advanced counter on "
                                + TestBackends.label(b));
            }
        }
    }
    // ---- the dropout variants: Gaussian noise and alpha dropout ----------------------------------

    /** y = op(ones) on {@code b}: Gaussian factors (gaussian) or alpha-dropout outputs. */
    private static float[] variant(Backend b, int n, float p, long seed, long offset, boolean gaussian) {
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        try (Tensor x = Tensor.of(b, ones, n); Tensor y = Tensor.of(b, new float[n], n)) {
            b.run(gaussian ? new ApplyGaussianNoise(x, GaussianNoise.fixed(p, seed, offset), y)
                    : new ApplyAlphaMask(x, Mask.fixed(p, seed, offset), false, y));
            return y.toArray();
        }
    }

    /**
     * Gaussian-dropout factors {@code 1 + σ·z(i)} and alpha-dropout outputs, bit for bit the same on
     * every backend as on Java, at a large n (2^20 + 3, so every Philox word pattern the 24-bit
     * turns and uniforms take is well sampled) and at counters that carry past 2^32 and 2^64; and the
     * Java backend's factors are {@link GaussianNoise#factor}, the spec.
     */
    @Test
    void variantNoiseIsBitIdenticalAcrossBackendsOnLargeN() {
        int n = (1 << 20) + 3;
        Backend java = TestBackends.java();
        for (long[] so : new long[][] {{0x0123_4567_89AB_CDEFL, 0xFFFF_FFF0L}, {7L, -5L}}) {
            for (boolean gaussian : new boolean[] {true, false}) {
                float[] want = variant(java, n, 0.3f, so[0], so[1], gaussian);
                for (Backend b : TestBackends.all()) {
                    float[] got = variant(b, n, 0.3f, so[0], so[1], gaussian);
                    for (int i = 0; i < n; i++) {
                        if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                            throw new AssertionError((gaussian ? "gaussian" : "alpha") + " element " + i + " on "
                                    + TestBackends.label(b) + ": " + got[i] + ", Java gives " + want[i]);
                        }
                    }
                }
                if (gaussian) {
                    GaussianNoise spec = GaussianNoise.fixed(0.3f, so[0], so[1]);
                    for (int i : new int[] {0, 1, 2, 3, 4097, n - 1}) {
                        assertEquals(spec.factor(so[1], i), want[i], "spec factor " + i);
                    }
                }
            }
        }
    }

    /** The factors' z = (f − 1)/σ over 2^20 elements: mean 0, variance 1, tails as a normal's, within sampling error. */
    @Test
    void gaussianNoiseIsStandardNormal() {
        int n = 1 << 20;
        float p = 0.5f;
        float[] f = variant(TestBackends.java(), n, p, 99, 0, true);
        double sigma = Math.sqrt(p / (1.0 - p));
        double sum = 0;
        double sq = 0;
        int beyond2 = 0;
        for (float v : f) {
            double z = (v - 1) / sigma;
            sum += z;
            sq += z * z;
            beyond2 += Math.abs(z) > 2 ? 1 : 0;
        }
        double mean = sum / n;
        double var = sq / n - mean * mean;
        assertEquals(0, mean, 5 / Math.sqrt(n), "mean of z");
        assertEquals(1, var, 5 * Math.sqrt(2.0 / n), "variance of z");
        double tail = 0.0455003;
        assertEquals(tail, beyond2 / (double) n, 5 * Math.sqrt(tail * (1 - tail) / n), "P(|z| > 2)");
    }

    /**
     * Alpha dropout keeps exactly dropout's mask: kept elements are {@code a·x + b}, dropped ones
     * {@code a·α' + b}; at p = 0 it is the identity; a zero-mean unit-variance input keeps mean 0
     * and variance 1 (what the affine correction is for).
     */
    @Test
    void alphaDropoutUsesTheDropoutMaskAndKeepsMeanAndVariance() {
        int n = 200_003;
        float p = 0.2f;
        boolean[] spec = RefOps.dropoutMask(n, p, 5, 1L << 33);
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian());
        }
        for (Backend b : TestBackends.all()) {
            try (Tensor tx = Tensor.of(b, x, n); Tensor ty = Tensor.of(b, new float[n], n)) {
                ApplyAlphaMask op = new ApplyAlphaMask(tx, Mask.fixed(p, 5, 1L << 33), false, ty);
                b.run(op);
                float[] y = ty.toArray();
                double sum = 0;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    float want = spec[i] ? op.a() * x[i] + op.b() : op.dropped();
                    assertEquals(want, y[i], "element " + i + " on " + TestBackends.label(b));
                    sum += y[i];
                    sq += (double) y[i] * y[i];
                }
                double mean = sum / n;
                assertEquals(0, mean, 0.01, "mean on " + TestBackends.label(b));
                assertEquals(1, sq / n - mean * mean, 0.02, "variance on " + TestBackends.label(b));
                b.run(new ApplyAlphaMask(tx, Mask.fixed(0f, 5, 0), false, ty));
                assertArrayEquals(x, ty.toArray(), "p = 0 on " + TestBackends.label(b));
            }
        }
    }
}

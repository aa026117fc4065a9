package dev.clgrad.backend.java;

import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Normal;
import dev.clgrad.ops.Philox;

/**
 * The dropout variants on the CPU, each the spec its kernel in {@code dropout.cl} matches bit for
 * bit: Gaussian dropout ({@link GaussianNoise}: one Philox block per two elements, Box–Muller by
 * {@link Normal}) and alpha dropout ({@link ApplyAlphaMask}: dropout's keep mask, then
 * {@code a·x + b}). Scalar float arithmetic only (Java never contracts {@code a·x + b} into a fused
 * multiply-add), split over the threads in runs of {@link PhiloxRun#CAPACITY} blocks.
 */
final class JavaNoise {
    private static final int GRAIN_BLOCKS = 1 << 12;
    private static final ThreadLocal<PhiloxRun> PHILOX = ThreadLocal.withInitial(PhiloxRun::new);

    private JavaNoise() {
    }

    /**
     * x, y: n floats at xo, yo → {@code y[i] = x[i]·(1 + σ·z(i))}, z from the block at
     * {@code offset + i/2}, words {@code 2·(i mod 2)}, {@code 2·(i mod 2) + 1}. x not modified; y
     * modified (may be x).
     */
    static void gaussian(ParallelLoop loop, float[] x, int xo, float[] y, int yo, int n, GaussianNoise noise) {
        long offset = noise.offset().get();
        int[] key = Philox.key(noise.seed());
        float sigma = noise.sigma();
        loop.forRange((int) GaussianNoise.blocks(n), GRAIN_BLOCKS, PhiloxRun.CAPACITY, (from, to) -> {
            PhiloxRun run = PHILOX.get();
            int[] w = run.words;
            for (int blk = from; blk < to; blk += PhiloxRun.CAPACITY) {
                int count = Math.min(PhiloxRun.CAPACITY, to - blk);
                run.generate(offset, blk, count, key);
                int base = 2 * blk;
                int len = Math.min(2 * count, n - base);
                for (int q = 0; q < len; q++) {
                    int word = 4 * (q >> 1) + 2 * (q & 1);
                    float factor = 1f + sigma * Normal.boxMuller(w[word], w[word + 1]);
                    y[yo + base + q] = x[xo + base + q] * factor;
                }
            }
        });
    }

    /**
     * x, y: n floats at xo, yo → {@code y[i] = keep(i) ? a·x[i] + b : dropped} with dropout's mask
     * ({@link ApplyAlphaMask}). x not modified; y modified (may be x).
     */
    static void alpha(ParallelLoop loop, float[] x, int xo, float[] y, int yo, int n, ApplyAlphaMask op) {
        long offset = op.mask().offset().get();
        int[] key = Philox.key(op.mask().seed());
        int t = op.mask().threshold();
        float a = op.a();
        float b = op.b();
        float dropped = op.dropped();
        loop.forRange((int) Philox.blocks(n), GRAIN_BLOCKS, PhiloxRun.CAPACITY, (from, to) -> {
            PhiloxRun run = PHILOX.get();
            int[] w = run.words;
            for (int blk = from; blk < to; blk += PhiloxRun.CAPACITY) {
                int count = Math.min(PhiloxRun.CAPACITY, to - blk);
                run.generate(offset, blk, count, key);
                int base = 4 * blk;
                int len = Math.min(4 * count, n - base);
                for (int q = 0; q < len; q++) {
                    y[yo + base + q] = (w[q] >>> 8) >= t ? a * x[xo + base + q] + b : dropped;
                }
            }
        });
    }
}

package dev.clgrad.data;

import java.util.SplittableRandom;

/**
 * Mini-batches of a {@link Dataset}: ceil(N/B) batches per epoch, the last one holding the
 * remaining {@code N - (ceil(N/B)-1)·B} rows. With shuffling, epoch e visits the rows in a
 * Fisher–Yates permutation drawn from {@code SplittableRandom(seed).split()} e+1 times, so a seed
 * fixes the whole sequence and each epoch's order is independent of how earlier ones were used.
 */
public final class Batches {
    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;

    public Batches(Dataset data, int batchSize, boolean shuffle, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch: ceil(N / B). */
    public int count() {
        return (data.rows() + batchSize - 1) / batchSize;
    }

    /** Rows in batch {@code b}: B, except possibly the last. */
    public int rows(int b) {
        return Math.min(batchSize, data.rows() - b * batchSize);
    }

    /** The row order of epoch {@code epoch} (0-based): the identity without shuffling. */
    public int[] order(int epoch) {
        int n = data.rows();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        if (!shuffle) {
            return idx;
        }
        SplittableRandom root = new SplittableRandom(seed);
        SplittableRandom rng = root.split();
        for (int e = 0; e < epoch; e++) {
            rng = root.split();
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return idx;
    }

    /**
     * Copies batch {@code b} of the epoch whose order is {@code order} into x: (rows·I) and y:
     * (rows·T); returns rows. Modified: x, y (each at least B·I and B·T long).
     */
    public int fill(int[] order, int b, float[] x, float[] y) {
        int rows = rows(b);
        data.gather(order, b * batchSize, rows, x, y);
        return rows;
    }
}

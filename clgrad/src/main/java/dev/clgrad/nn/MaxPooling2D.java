package dev.clgrad.nn;

import dev.clgrad.ops.Pooling;

/**
 * Keras's {@code MaxPooling2D(pool_size=2, strides=None, padding="valid")}: per-sample
 * (H, W, C) → (OH, OW, C), the largest value of each window per channel (the first maximum in scan
 * order; a window holding a NaN gives NaN), its gradient routed to that one tap. See
 * {@link Pooling2D}.
 */
public final class MaxPooling2D extends Pooling2D {
    /** 2x2 windows, strides 2, "valid". */
    public MaxPooling2D() {
        this(2);
    }

    /** Square windows of {@code poolSize}, strides the pool size, "valid". */
    public MaxPooling2D(int poolSize) {
        this(poolSize, poolSize, "valid");
    }

    /** Square windows, equal strides. */
    public MaxPooling2D(int poolSize, int strides, String padding) {
        this(new int[] {poolSize, poolSize}, new int[] {strides, strides}, padding);
    }

    /** @param strides null for the pool size */
    public MaxPooling2D(int[] poolSize, int[] strides, String padding) {
        super(Pooling.MAX, poolSize, strides, padding);
    }

    @Override
    public String type() {
        return "MaxPooling2D";
    }

    @Override
    public String namePrefix() {
        return "max_pooling2d";
    }

    @Override
    public String configType() {
        return "max_pooling2d";
    }

    static MaxPooling2D fromConfig(LayerConfig c) {
        return (MaxPooling2D) Pooling2D.fromConfig(c, MaxPooling2D::new);
    }
}

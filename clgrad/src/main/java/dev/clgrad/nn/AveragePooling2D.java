package dev.clgrad.nn;

import dev.clgrad.ops.Pooling;

/**
 * Keras's {@code AveragePooling2D(pool_size=2, strides=None, padding="valid")}: per-sample
 * (H, W, C) → (OH, OW, C), the mean of each window per channel over its taps inside the image
 * (with "same" padding the border windows average fewer taps, as in Keras and TensorFlow), its
 * gradient spread evenly over those taps. See {@link Pooling2D}.
 */
public final class AveragePooling2D extends Pooling2D {
    /** 2x2 windows, strides 2, "valid". */
    public AveragePooling2D() {
        this(2);
    }

    /** Square windows of {@code poolSize}, strides the pool size, "valid". */
    public AveragePooling2D(int poolSize) {
        this(poolSize, poolSize, "valid");
    }

    /** Square windows, equal strides. */
    public AveragePooling2D(int poolSize, int strides, String padding) {
        this(new int[] {poolSize, poolSize}, new int[] {strides, strides}, padding);
    }

    /** @param strides null for the pool size */
    public AveragePooling2D(int[] poolSize, int[] strides, String padding) {
        super(Pooling.AVERAGE, poolSize, strides, padding);
    }

    @Override
    public String type() {
        return "AveragePooling2D";
    }

    @Override
    public String namePrefix() {
        return "average_pooling2d";
    }

    @Override
    public String configType() {
        return "average_pooling2d";
    }

    static AveragePooling2D fromConfig(LayerConfig c) {
        return (AveragePooling2D) Pooling2D.fromConfig(c, AveragePooling2D::new);
    }
}

package dev.clgrad.data;

import java.util.Arrays;

/**
 * An n-dimensional float array on the host, row-major, as the readers return it: shape (N, …),
 * with {@code rows() = N} and {@code cols()} the product of the other dimensions.
 */
public record HostArray(int[] shape, float[] data) {
    public HostArray {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (shape.length == 0 || n != data.length) {
            throw new IllegalArgumentException("HostArray: shape " + Arrays.toString(shape) + " holds " + n
                    + " values, got " + data.length);
        }
    }

    public int rows() {
        return shape[0];
    }

    public int cols() {
        return shape.length == 1 ? 1 : data.length / Math.max(shape[0], 1);
    }

    @Override
    public String toString() {
        return "HostArray" + Arrays.toString(shape);
    }
}

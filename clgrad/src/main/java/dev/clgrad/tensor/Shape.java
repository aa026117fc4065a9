package dev.clgrad.tensor;

import java.util.Arrays;

/**
 * The dimensions of a float32 tensor, outermost first. Row-major: a 2-D view treats dimension 0 as
 * rows and the product of the others as columns.
 */
public final class Shape {
    private final int[] dims;
    private final long size;

    private Shape(int[] dims) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("shape needs at least one dimension");
        }
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has a negative dimension");
            }
            n *= d;
        }
        this.dims = dims;
        this.size = n;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** Dimension 0 of the 2-D view. */
    public int rows() {
        return dims[0];
    }

    /** Product of dimensions 1.. of the 2-D view (1 for a vector). */
    public int cols() {
        return dims.length == 1 ? 1 : (int) (size / Math.max(dims[0], 1));
    }

    /** (rows, this…): a batch of samples of this shape. */
    public Shape withBatch(int rows) {
        int[] d = new int[dims.length + 1];
        d[0] = rows;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return new Shape(d);
    }

    /** The last dimension. */
    public int last() {
        return dims[dims.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code (32, 784)}, as Python prints a tuple. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(dims[i]);
        }
        return sb.append(dims.length == 1 ? ",)" : ")").toString();
    }
}

package dev.clgrad.data;

import dev.clgrad.tensor.Shape;

/**
 * An in-memory data set: N samples of inputs x: (N, sample…) and targets y: (N, T), row-major
 * float arrays on the host; each sample keeps its shape (an IDX image is (28, 28, 1), channels
 * last), I = the sample's size. For classification T = 1 and y holds class indices. Not modified
 * by anything. Its {@link Origin} says where the rows came from, for messages.
 */
public final class Dataset {
    private final float[] x;
    private final float[] y;
    private final int rows;
    private final int features;
    private final Shape sample;
    private final int targets;
    private final Origin origin;

    /** Wraps (not copies) x: (rows·features) and y: (rows·targets); samples of shape (features). */
    public Dataset(float[] x, float[] y, int rows, int features, int targets) {
        this(x, y, rows, Shape.of(Math.max(features, 0)), targets);
    }

    /** Wraps (not copies) x: (rows, sample…) and y: (rows·targets), made in memory. */
    public Dataset(float[] x, float[] y, int rows, Shape sample, int targets) {
        this(x, y, rows, sample, targets, null);
    }

    private Dataset(float[] x, float[] y, int rows, Shape sample, int targets, Origin origin) {
        long size = sample.size();
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Dataset: samples of shape " + sample + " hold " + size
                    + " values; at most " + Integer.MAX_VALUE + " fit");
        }
        int features = (int) size;
        if (rows < 1 || features < 1 || targets < 1) {
            throw new IllegalArgumentException("Dataset: rows, features and targets must be >= 1, got " + rows
                    + ", " + features + ", " + targets);
        }
        if ((long) rows * features != x.length) {
            throw new IllegalArgumentException("Dataset: x has " + x.length + " values, expected " + rows + " rows × "
                    + features + " features = " + (long) rows * features);
        }
        if ((long) rows * targets != y.length) {
            throw new IllegalArgumentException("Dataset: y has " + y.length + " values, expected " + rows + " rows × "
                    + targets + " targets = " + (long) rows * targets);
        }
        this.x = x;
        this.y = y;
        this.rows = rows;
        this.features = features;
        this.sample = sample;
        this.targets = targets;
        this.origin = origin != null ? origin : Origin.memory(features);
    }

    /** x: (N, I), y: (N, T) as row arrays; copied. */
    public static Dataset of(float[][] x, float[][] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("Dataset: x has " + x.length + " rows but y has " + y.length);
        }
        return new Dataset(flatten("x", x), flatten("y", y), x.length, width("x", x), width("y", y));
    }

    /** x: (N, I) and N class labels; copied. */
    public static Dataset of(float[][] x, float[] labels) {
        if (x.length != labels.length) {
            throw new IllegalArgumentException("Dataset: x has " + x.length + " rows but there are "
                    + labels.length + " labels");
        }
        return new Dataset(flatten("x", x), labels.clone(), x.length, width("x", x), 1);
    }

    /** Inputs and targets from readers: x (N, …) flattened per row, y (N, …). Wrapped, not copied. */
    public static Dataset of(HostArray x, HostArray y) {
        if (x.rows() != y.rows()) {
            throw new IllegalArgumentException("Dataset: x has " + x.rows() + " rows but y has " + y.rows());
        }
        int[] d = x.shape();
        Shape sample = d.length == 1 ? Shape.of(1) : Shape.of(java.util.Arrays.copyOfRange(d, 1, d.length));
        return new Dataset(x.data(), y.data(), x.rows(), sample, y.cols());
    }

    private static int width(String what, float[][] a) {
        if (a.length == 0) {
            throw new IllegalArgumentException("Dataset: " + what + " has no rows");
        }
        return a[0].length;
    }

    private static float[] flatten(String what, float[][] a) {
        int w = width(what, a);
        float[] out = new float[Math.multiplyExact(a.length, w)];
        for (int r = 0; r < a.length; r++) {
            if (a[r].length != w) {
                throw new IllegalArgumentException("Dataset: " + what + "[" + r + "] has " + a[r].length
                        + " values, " + what + "[0] has " + w);
            }
            System.arraycopy(a[r], 0, out, r * w, w);
        }
        return out;
    }

    public int rows() {
        return rows;
    }

    /** Values per sample (the sample shape's size). */
    public int features() {
        return features;
    }

    /** The shape of one sample, such as (20) or (28, 28, 1). */
    public Shape sampleShape() {
        return sample;
    }

    /** The same samples seen with another per-sample shape of the same size. */
    public Dataset withSampleShape(Shape shape) {
        if (shape.size() != features) {
            throw new IllegalArgumentException("Dataset: samples of " + features + " values cannot have shape " + shape);
        }
        return new Dataset(x, y, rows, shape, targets, origin);
    }

    /** The same samples, read from where {@code from} says (for messages). */
    public Dataset withOrigin(Origin from) {
        return new Dataset(x, y, rows, sample, targets, from);
    }

    /** Where the rows came from. */
    public Origin origin() {
        return origin;
    }

    public int targets() {
        return targets;
    }

    /** The inputs, (N·I) row-major; not a copy: do not modify. */
    public float[] x() {
        return x;
    }

    /** The targets, (N·T) row-major; not a copy: do not modify. */
    public float[] y() {
        return y;
    }

    /** Rows [from, to) as a new data set (copied). */
    public Dataset slice(int from, int to) {
        if (from < 0 || to > rows || from >= to) {
            throw new IllegalArgumentException("Dataset.slice: [" + from + ", " + to + ") is not a non-empty range of "
                    + rows + " rows");
        }
        float[] xs = new float[(to - from) * features];
        float[] ys = new float[(to - from) * targets];
        System.arraycopy(x, from * features, xs, 0, xs.length);
        System.arraycopy(y, from * targets, ys, 0, ys.length);
        return new Dataset(xs, ys, to - from, sample, targets, origin.slice(from, to));
    }

    /** Copies rows {@code index[from .. from+count)} into xOut and yOut (row-major, from 0). Modified: xOut, yOut. */
    public void gather(int[] index, int from, int count, float[] xOut, float[] yOut) {
        for (int r = 0; r < count; r++) {
            int src = index[from + r];
            System.arraycopy(x, src * features, xOut, r * features, features);
            System.arraycopy(y, src * targets, yOut, r * targets, targets);
        }
    }
}

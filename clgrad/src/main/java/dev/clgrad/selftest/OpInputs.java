package dev.clgrad.selftest;

import dev.clgrad.backend.Backend;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Check operands on one backend, each a view {@link #PAD} elements into a NaN-filled parent so every
 * op must honour {@link Tensor#offset()}; closes all of them. Values are float32-exact doubles, so
 * {@link RefOps} sees exactly what the backend sees.
 */
public final class OpInputs implements AutoCloseable {
    public static final int PAD = 3;

    private final Backend backend;
    private final SplittableRandom random;
    private final List<Tensor> owned = new ArrayList<>();

    /** Operands on {@code backend}, values drawn from {@code seed}. */
    public OpInputs(Backend backend, long seed) {
        this.backend = backend;
        this.random = new SplittableRandom(seed);
    }

    /** Uniform values in [-scale, scale), rounded to float32. */
    public double[] uniform(int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    /** Class indices in [0, classes). */
    public int[] labels(int n, int classes) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = random.nextInt(classes);
        }
        return l;
    }

    /**
     * A view holding {@code data}, surrounded by NaN: one upload of the framed values (Oclgrind
     * 21.10's uninitialised-value check wrongly flags data written over part of a buffer that was
     * written before).
     */
    public Tensor tensor(double[] data, int... dims) {
        return framed(floats(data), dims);
    }

    /** Class indices stored as floats, as the loss ops take them. */
    public Tensor labelsTensor(int[] labels) {
        double[] d = new double[labels.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = labels[i];
        }
        return tensor(d, labels.length);
    }

    /** A view of NaNs: an output whose old contents must not leak into the result. */
    public Tensor poisoned(int... dims) {
        return framed(null, dims);
    }

    /** A view {@link #PAD} elements into a parent of NaNs, holding {@code data} (NaN when null). */
    private Tensor framed(float[] data, int... dims) {
        Shape shape = Shape.of(dims);
        float[] all = new float[Math.toIntExact(shape.size() + 2 * PAD)];
        Arrays.fill(all, Float.NaN);
        if (data != null) {
            if (data.length != shape.size()) {
                throw new IllegalArgumentException("OpInputs: " + data.length + " values do not fill " + shape);
            }
            System.arraycopy(data, 0, all, PAD, data.length);
        }
        Tensor parent = Tensor.of(backend, all, all.length);
        owned.add(parent);
        return parent.view(PAD, shape, "view");
    }

    public static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    public static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
    }
}

package dev.clgrad.backend.java;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java backend's memory-bound ops of a training step on the Vector API ({@code
 * jdk.incubator.vector}), used when the JVM was started with {@code --add-modules
 * jdk.incubator.vector}: Adam, bias with and without ReLU, ReLU's backward, the column sum and
 * col2im's sums of taps.
 *
 * <p>Each method does the whole vectors of an index range {@code [from, to)} and returns the first
 * index it did not do; {@link JavaBackend}'s (or {@link JavaConv}'s) scalar loop, the spec, does
 * the rest. Every lane computes exactly the scalar expression, operation by operation in the same
 * order (separate multiplies and adds, never fused; IEEE division and square root), so both paths
 * give the same bits: no lane ever reads another lane's element.
 */
final class VectorOps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * Of the same bits as {@link #F}, so half its lanes: one F vector widens into two D vectors. No
     * float vector of another width may appear anywhere in the program: a second float vector class
     * makes the type profile of FloatVector's shared code (intoArray) see two classes, and C2 then
     * compiles whatever it compiles afterwards (the GEMM micro-kernels, once in every few runs) with
     * those calls boxed: the Fashion-MNIST MLP at 17,000–22,000 samples/s instead of 31,000–34,000.
     */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private VectorOps() {
    }

    /**
     * Adam/AdamW ({@link dev.clgrad.ops.AdamUpdate}) on {@code [from, to)}: {@code p = p·decay;
     * m = b1·m + (1-b1)·g; v = b2·v + ((1-b2)·g)·g; p = p - (lr·(m/bc1)) / (sqrt(v/bc2) + eps)}.
     * p, m, v modified; g not modified.
     */
    static int adam(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, float lr, float b1,
                    float b2, float eps, float decay, float bc1, float bc2, int from, int to) {
        FloatVector vDecay = FloatVector.broadcast(F, decay);
        FloatVector vB1 = FloatVector.broadcast(F, b1);
        FloatVector vB2 = FloatVector.broadcast(F, b2);
        FloatVector vC1 = FloatVector.broadcast(F, 1f - b1);
        FloatVector vC2 = FloatVector.broadcast(F, 1f - b2);
        FloatVector vLr = FloatVector.broadcast(F, lr);
        FloatVector vBc1 = FloatVector.broadcast(F, bc1);
        FloatVector vBc2 = FloatVector.broadcast(F, bc2);
        FloatVector vEps = FloatVector.broadcast(F, eps);
        int end = from + F.loopBound(to - from);
        int i = from;
        for (; i < end; i += F.length()) {
            FloatVector pi = FloatVector.fromArray(F, p, po + i).mul(vDecay);
            FloatVector gi = FloatVector.fromArray(F, g, go + i);
            FloatVector mi = vB1.mul(FloatVector.fromArray(F, m, mo + i)).add(vC1.mul(gi));
            FloatVector vi = vB2.mul(FloatVector.fromArray(F, v, vo + i)).add(vC2.mul(gi).mul(gi));
            mi.intoArray(m, mo + i);
            vi.intoArray(v, vo + i);
            FloatVector denom = vi.div(vBc2).lanewise(VectorOperators.SQRT).add(vEps);
            pi.sub(vLr.mul(mi.div(vBc1)).div(denom)).intoArray(p, po + i);
        }
        return i;
    }

    /**
     * Rows {@code [from, to)} of x: (B, O), bias: (O) → {@code y[r, c] = x[r, c] + bias[c]}, then
     * {@code max(0, ·)} when relu; returns the first column of those rows not done. y modified (may be x).
     */
    static int bias(float[] x, int xo, float[] bias, int bo, float[] y, int yo, int cols, boolean relu, int from,
                    int to) {
        int end = F.loopBound(cols);
        FloatVector zero = FloatVector.zero(F);
        for (int r = from; r < to; r++) {
            int xr = xo + r * cols;
            int yr = yo + r * cols;
            for (int c = 0; c < end; c += F.length()) {
                FloatVector s = FloatVector.fromArray(F, x, xr + c).add(FloatVector.fromArray(F, bias, bo + c));
                (relu ? zero.max(s) : s).intoArray(y, yr + c);
            }
        }
        return end;
    }

    /**
     * {@code dX[i] = y[i] > 0 ? dY[i] : (y[i] is NaN ? y[i] : +0)} on {@code [from, to)}. dX modified
     * (may be dY).
     */
    static int reluBackward(float[] y, int yo, float[] dY, int go, float[] dX, int dOff, int from, int to) {
        FloatVector zero = FloatVector.zero(F);
        int end = from + F.loopBound(to - from);
        int i = from;
        for (; i < end; i += F.length()) {
            FloatVector yi = FloatVector.fromArray(F, y, yo + i);
            VectorMask<Float> positive = yi.compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(F, dY, go + i), positive).blend(yi, yi.test(VectorOperators.IS_NAN))
                    .intoArray(dX, dOff + i);
        }
        return i;
    }

    /**
     * x: (R, C) → {@code out[c] = (float) sum_r x[r, c]} for columns in {@code [from, to)}, each sum
     * accumulated in double over r = 0, 1, … in order: two float vectors (four double vectors) or
     * one float vector of columns per pass over the rows, each width its own small method (one method holding all three left
     * C2's inlining budget short of the narrower loops' Vector API calls, which then allocated per
     * row: 16 columns of 86528 rows took 6 ms instead of 0.2). out modified.
     */
    static int columnSum(float[] x, int xo, float[] out, int oo, int rows, int cols, int from, int to) {
        int n = F.length();
        int c = from;
        for (; c + 2 * n <= to; c += 2 * n) {
            columns2(x, xo + c, out, oo + c, rows, cols);
        }
        if (c + n <= to) {
            columns1(x, xo + c, out, oo + c, rows, cols);
            c += n;
        }
        return c;
    }

    /** The column sums of two float vectors of columns from x[xo] (four double vectors), stored at out[oo…]. */
    private static void columns2(float[] x, int xo, float[] out, int oo, int rows, int cols) {
        int n = F.length();
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = DoubleVector.zero(D);
        DoubleVector s2 = DoubleVector.zero(D);
        DoubleVector s3 = DoubleVector.zero(D);
        for (int r = 0, i = xo; r < rows; r++, i += cols) {
            FloatVector f0 = FloatVector.fromArray(F, x, i);
            FloatVector f1 = FloatVector.fromArray(F, x, i + n);
            s0 = s0.add(f0.convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(f0.convertShape(VectorOperators.F2D, D, 1));
            s2 = s2.add(f1.convertShape(VectorOperators.F2D, D, 0));
            s3 = s3.add(f1.convertShape(VectorOperators.F2D, D, 1));
        }
        narrow(s0, s1, out, oo);
        narrow(s2, s3, out, oo + n);
    }

    /** The column sums of one float vector of columns from x[xo] (two double vectors), stored at out[oo…]. */
    private static void columns1(float[] x, int xo, float[] out, int oo, int rows, int cols) {
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = DoubleVector.zero(D);
        for (int r = 0, i = xo; r < rows; r++, i += cols) {
            FloatVector f = FloatVector.fromArray(F, x, i);
            s0 = s0.add(f.convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(f.convertShape(VectorOperators.F2D, D, 1));
        }
        narrow(s0, s1, out, oo);
    }

    /**
     * Stores the sums rounded to float at out[o…], lo's lanes then hi's, as one F vector: each
     * rounded into its half of an F vector whose other half is +0, and the halves added. Adding +0
     * changes no sum: one that starts from +0 is never -0.
     */
    private static void narrow(DoubleVector lo, DoubleVector hi, float[] out, int o) {
        FloatVector low = (FloatVector) lo.convertShape(VectorOperators.D2F, F, 0);
        FloatVector high = (FloatVector) hi.convertShape(VectorOperators.D2F, F, -1);
        low.add(high).intoArray(out, o);
    }

    /**
     * {@code y[yo + c] = +0 + x[at[0] + c] + … + x[at[n−1] + c]}, added left to right, for the whole
     * vectors of c in [0, len); returns the first c not done. y modified.
     */
    static int sumAt(float[] x, int[] at, int n, float[] y, int yo, int len) {
        int end = F.loopBound(len);
        for (int c = 0; c < end; c += F.length()) {
            FloatVector sum = FloatVector.zero(F);
            for (int t = 0; t < n; t++) {
                sum = sum.add(FloatVector.fromArray(F, x, at[t] + c));
            }
            sum.intoArray(y, yo + c);
        }
        return end;
    }
}

package dev.clgrad.backend.java;

import dev.clgrad.ops.Pooling;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max pooling's loops over the C channels of one pixel on the Vector API ({@code
 * jdk.incubator.vector}), used when the JVM was started with {@code --add-modules
 * jdk.incubator.vector}: a window's maximum, its argmax, and the backward's gated add. The taps
 * are given as the x offsets of their channel 0 ({@code at[0..n)}, scan order). Each method does
 * the whole vectors of channels from 0 and returns the first channel it did not do;
 * {@link JavaPooling}'s scalar loops, the spec, do the rest. Each lane makes the scalar selection
 * ({@link Pooling#takesMax}: larger, or the first NaN) or the scalar add, so both give the same
 * bits, and no branch depends on the data.
 */
final class VectorPooling {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Ints with F's lane count, for the argmax lanes. */
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private VectorPooling() {
    }

    /** {@code y[yo + c]} = the first maximum of {@code x[at[t] + c]} over t in scan order. y modified. */
    static int max(float[] x, int[] at, int n, float[] y, int yo, int channels) {
        int end = F.loopBound(channels);
        for (int c = 0; c < end; c += F.length()) {
            FloatVector best = FloatVector.fromArray(F, x, at[0] + c);
            for (int t = 1; t < n; t++) {
                FloatVector v = FloatVector.fromArray(F, x, at[t] + c);
                best = best.blend(v, takes(v, best));
            }
            best.intoArray(y, yo + c);
        }
        return end;
    }

    /**
     * {@code argmax[ao + c]} = tap[t] of the first maximum of {@code x[at[t] + c]} over t in scan
     * order. argmax modified.
     */
    static int argmax(float[] x, int[] at, int[] tap, int n, int[] argmax, int ao, int channels) {
        int end = F.loopBound(channels);
        for (int c = 0; c < end; c += F.length()) {
            FloatVector best = FloatVector.fromArray(F, x, at[0] + c);
            IntVector arg = IntVector.broadcast(I, tap[0]);
            for (int t = 1; t < n; t++) {
                FloatVector v = FloatVector.fromArray(F, x, at[t] + c);
                VectorMask<Float> take = takes(v, best);
                best = best.blend(v, take);
                arg = arg.blend(tap[t], take.cast(I));
            }
            arg.intoArray(argmax, ao + c);
        }
        return end;
    }

    /** {@code dx[dxo + c] += dy[go + c]} where {@code argmax[ao + c] == tap}. dx modified. */
    static int addWhere(int[] argmax, int ao, int tap, float[] dy, int go, float[] dx, int dxo, int channels) {
        int end = F.loopBound(channels);
        for (int c = 0; c < end; c += F.length()) {
            VectorMask<Float> hit = IntVector.fromArray(I, argmax, ao + c).compare(VectorOperators.EQ, tap).cast(F);
            FloatVector.fromArray(F, dx, dxo + c).add(FloatVector.fromArray(F, dy, go + c), hit)
                    .intoArray(dx, dxo + c);
        }
        return end;
    }

    /** Per lane, {@link Pooling#takesMax}: v > best, or v is NaN and best is not. */
    private static VectorMask<Float> takes(FloatVector v, FloatVector best) {
        return v.compare(VectorOperators.GT, best)
                .or(v.compare(VectorOperators.NE, v).and(best.compare(VectorOperators.EQ, best)));
    }
}

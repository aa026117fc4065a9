package dev.clgrad.optim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code PiecewiseConstantDecay}: {@code values[0]} while {@code step <= boundaries[0]},
 * {@code values[i]} while {@code boundaries[i-1] < step <= boundaries[i]}, and the last value after
 * the last boundary. boundaries: (K) strictly increasing, values: (K + 1).
 */
public record PiecewiseConstantDecay(long[] boundaries, double[] values) implements Schedule {
    public PiecewiseConstantDecay {
        if (values.length != boundaries.length + 1) {
            throw new IllegalArgumentException("piecewise_constant_decay: values must hold one more entry than "
                    + "boundaries, got " + values.length + " values for " + boundaries.length + " boundaries");
        }
        for (int i = 1; i < boundaries.length; i++) {
            if (boundaries[i] <= boundaries[i - 1]) {
                throw new IllegalArgumentException("piecewise_constant_decay: boundaries must increase strictly, got "
                        + Arrays.toString(boundaries));
            }
        }
        for (double v : values) {
            Schedule.check("piecewise_constant_decay", "every value", v, false);
        }
        boundaries = boundaries.clone();
        values = values.clone();
    }

    @Override
    public String type() {
        return "piecewise_constant_decay";
    }

    @Override
    public double value(long step) {
        int i = 0;
        while (i < boundaries.length && step > boundaries[i]) {
            i++;
        }
        return values[i];
    }

    @Override
    public long[] boundaries() {
        return boundaries.clone();
    }

    @Override
    public double[] values() {
        return values.clone();
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("boundaries", boundaries.clone());
        c.put("values", values.clone());
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PiecewiseConstantDecay p && Arrays.equals(boundaries, p.boundaries)
                && Arrays.equals(values, p.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(boundaries) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "PiecewiseConstantDecay[boundaries=" + Arrays.toString(boundaries) + ", values=" + Arrays.toString(values)
                + "]";
    }
}

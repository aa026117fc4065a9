package dev.clgrad.nn;

import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A constraint on a parameter, Keras's {@code kernel_constraint} / {@code bias_constraint}: applied
 * to the parameter in place right after each optimizer update, one launch per constrained
 * parameter (the planner emits it after the updates). The norm constraints run over the units of
 * the parameter as {@link #units} views it: the columns of a Dense kernel (I, O) (Keras's
 * {@code axis=0}: the inputs of each output unit), of a Conv2D kernel (KH, KW, C, F) as the matrix
 * (KH·KW·C, F) (Keras's {@code axis=[0, 1, 2]}, the recommended setting for convolutions), and a
 * vector (a bias) as one unit.
 *
 * <p>Config: {@code {"type": "max_norm", "maxValue": 3}}, or a plain type name for the defaults.
 */
public sealed interface Constraint permits MaxNorm, UnitNorm, NonNeg, MinMaxNorm {
    /** The config type names, Keras's. */
    List<String> TYPES = List.of("max_norm", "unit_norm", "non_neg", "min_max_norm");

    /** The Keras name, such as {@code max_norm}. */
    String configType();

    /** The config object: {@code type} and the settings. */
    Map<String, Object> config();

    /** The op applying this constraint to w (a parameter's view, its declared shape), in place. */
    Op op(Tensor w);

    /** w: (…, O) as (size / O, O), whose columns are the units; a vector (n) stays one column. */
    static Tensor units(Tensor w) {
        int last = w.shape().last();
        return w.shape().rank() <= 1 ? w : w.reshape((int) (w.shape().size() / last), last);
    }

    /** The constraint {@code c} describes: {@code type} one of {@link #TYPES}, then that type's keys. */
    static Constraint fromConfig(LayerConfig c) {
        String type = c.string("type", null);
        if (type == null || !TYPES.contains(type)) {
            throw c.error("type", "unknown constraint " + (type == null ? "(no type)" : "'" + type + "'")
                    + "; expected one of " + TYPES);
        }
        double max = Float.MAX_VALUE;
        return switch (type) {
            case "max_norm" -> {
                c.onlyKeys(Set.of("type", "maxValue"));
                yield new MaxNorm(c.number("maxValue", 0, max, false, MaxNorm.DEFAULT));
            }
            case "unit_norm" -> {
                c.onlyKeys(Set.of("type"));
                yield new UnitNorm();
            }
            case "non_neg" -> {
                c.onlyKeys(Set.of("type"));
                yield new NonNeg();
            }
            default -> {
                c.onlyKeys(Set.of("type", "minValue", "maxValue", "rate"));
                double lo = c.number("minValue", 0, max, false, 0);
                double hi = c.number("maxValue", 0, max, false, 1);
                if (lo > hi) {
                    throw c.error("minValue", "minValue " + lo + " is above maxValue " + hi);
                }
                yield new MinMaxNorm(lo, hi, c.number("rate", 0, 1, false, 1));
            }
        };
    }
}

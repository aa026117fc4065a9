package dev.clgrad.nn;

import dev.clgrad.ops.Op;
import dev.clgrad.ops.Regularize;
import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A weight penalty, Keras's {@code kernel_regularizer} / {@code bias_regularizer}:
 * {@code l1·Σ|w| + l2·Σw²} added to the loss of every batch (so reported losses include it, as
 * Keras reports them) and {@code l1·sign(w) + 2·l2·w} to the parameter's gradient each step.
 *
 * <p>Config: {@code {"type": "l2", "l2": 0.01}}, or a plain type name for Keras's defaults
 * ({@code l1} and {@code l2} 0.01; {@code l1_l2} 0 and 0, as Keras 3's {@code L1L2()}).
 */
public sealed interface Regularizer permits L1, L2, L1L2 {
    /** The config type names, Keras's. */
    List<String> TYPES = List.of("l1", "l2", "l1_l2");
    /** Keras's default factor of {@code L1()} and {@code L2()}. */
    double DEFAULT = 0.01;

    double l1();

    double l2();

    /** The Keras name, such as {@code l2}. */
    String configType();

    /** The config object: {@code type} and the factors. */
    Map<String, Object> config();

    /**
     * The op adding this penalty of w to {@code loss[0]} and, unless grad is null (evaluation), its
     * gradient to grad.
     */
    default Op op(Tensor w, Tensor grad, Tensor loss) {
        return new Regularize(w, grad, (float) l1(), (float) l2(), loss, true);
    }

    /** Checks a factor: finite, >= 0. */
    static double factor(String type, String what, double v) {
        if (!(v >= 0 && v <= Float.MAX_VALUE)) {
            throw new IllegalArgumentException(type + ": " + what + " must be a finite number >= 0, got " + v);
        }
        return v;
    }

    /** The regularizer {@code c} describes: {@code type} one of {@link #TYPES}, then its factors. */
    static Regularizer fromConfig(LayerConfig c) {
        String type = c.string("type", null);
        if (type == null || !TYPES.contains(type)) {
            throw c.error("type", "unknown regularizer " + (type == null ? "(no type)" : "'" + type + "'")
                    + "; expected one of " + TYPES);
        }
        double max = Float.MAX_VALUE;
        return switch (type) {
            case "l1" -> {
                c.onlyKeys(Set.of("type", "l1"));
                yield new L1(c.number("l1", 0, max, false, DEFAULT));
            }
            case "l2" -> {
                c.onlyKeys(Set.of("type", "l2"));
                yield new L2(c.number("l2", 0, max, false, DEFAULT));
            }
            default -> {
                c.onlyKeys(Set.of("type", "l1", "l2"));
                yield new L1L2(c.number("l1", 0, max, false, 0), c.number("l2", 0, max, false, 0));
            }
        };
    }
}

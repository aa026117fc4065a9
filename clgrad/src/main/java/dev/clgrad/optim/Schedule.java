package dev.clgrad.optim;

import java.util.Map;

/**
 * A hyperparameter as a function of the optimizer's step count, as Keras's
 * {@code LearningRateSchedule}: step is the number of updates done before this one (0 for the
 * first), so the first update uses {@code value(0)}. The optimizer evaluates it on the host in
 * {@link Optimizer#beginStep} (double, then rounded to float) and sets the op's run-time
 * {@link dev.clgrad.ops.Scalar}: nothing is recompiled. A checkpoint saves the step count, so a
 * resumed run continues the same curve.
 */
public sealed interface Schedule permits ExponentialDecay, PiecewiseConstantDecay, CosineDecay, InverseTimeDecay,
        LinearRamp {

    /** The Keras name, such as {@code exponential_decay}. */
    String type();

    /** The value at {@code step} (>= 0). */
    double value(long step);

    /** The schedule's config as JSON-ready values, {@code type} first (Keras's {@code get_config}). */
    Map<String, Object> config();

    /** Throws a clear error unless {@code x} is finite and > 0 ({@code strict}) or >= 0. */
    static void check(String schedule, String what, double x, boolean strict) {
        if (!Double.isFinite(x) || (strict ? !(x > 0) : !(x >= 0))) {
            throw new IllegalArgumentException(schedule + ": " + what + " must be " + (strict ? "> 0" : ">= 0")
                    + " and finite, got " + x);
        }
    }
}

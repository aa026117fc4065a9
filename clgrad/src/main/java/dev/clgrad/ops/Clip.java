package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.function.UnaryOperator;

/**
 * Gradient clipping applied inside an update launch, to each gradient element g before the rule
 * uses it (Keras's {@code clipvalue}, {@code clipnorm} and {@code global_clipnorm}):
 * {@code value > 0}: {@code g = clamp(g, -value, value)};
 * {@code norm > 0}: {@code g = g · norm / max(sqrt(sumSquares[0]), norm)}, that is
 * {@code g · min(1, norm / ‖g‖)}, with {@code ‖g‖²} written to sumSquares: (1) by a
 * {@link SumSquares} before the update runs (read on the device, no host round trip). A NaN norm
 * leaves the gradients unscaled (the NaN elements stay NaN). At most one of the two is set.
 *
 * @param sumSquares the squared norm, (1); null unless {@code norm > 0}
 */
public record Clip(float value, float norm, Tensor sumSquares) {
    /** No clipping. */
    public static final Clip NONE = new Clip(0f, 0f, null);

    public Clip {
        if (!(value >= 0) || !(norm >= 0) || Float.isInfinite(value) || Float.isInfinite(norm)) {
            throw new IllegalArgumentException("clip: value and norm must be >= 0 and finite, got value " + value
                    + ", norm " + norm);
        }
        if (value > 0 && norm > 0) {
            throw new IllegalArgumentException("clip: at most one of value (" + value + ") and norm (" + norm
                    + ") may be set");
        }
        if ((norm > 0) != (sumSquares != null)) {
            throw new IllegalArgumentException("clip: norm " + norm + " needs a sumSquares tensor exactly when > 0, got "
                    + (sumSquares == null ? "none" : sumSquares.shape()));
        }
    }

    /** Clamps every element to [-value, value]. */
    public static Clip value(float value) {
        return new Clip(value, 0f, null);
    }

    /** Scales by {@code min(1, norm / sqrt(sumSquares[0]))}. */
    public static Clip norm(float norm, Tensor sumSquares) {
        return new Clip(0f, norm, sumSquares);
    }

    /** The clip with its sumSquares tensor mapped by {@code f} (the planner's binding). */
    Clip rebind(UnaryOperator<Tensor> f) {
        return sumSquares == null ? this : new Clip(value, norm, f.apply(sumSquares));
    }

    /** Checks sumSquares is a scalar (op names the update). */
    void validate(String op) {
        if (sumSquares != null) {
            Shapes.scalar(op, "sumSquares", sumSquares);
        }
    }

    /** {@code g} clipped, as the kernels compute it; {@code scale} is {@link #scale}'s value. */
    public float apply(float g, float scale) {
        if (value > 0f) {
            return g > value ? value : (g < -value ? -value : g);
        }
        return norm > 0f ? g * scale : g;
    }

    /** {@code norm / max(sqrt(sq), norm)} in float, as the kernels compute it; 1 without norm clipping. */
    public static float scale(float norm, float sq) {
        if (!(norm > 0f)) {
            return 1f;
        }
        float n = (float) Math.sqrt(sq);
        return norm / (n > norm ? n : norm);
    }
}

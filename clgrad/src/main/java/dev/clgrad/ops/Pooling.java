package dev.clgrad.ops;

/**
 * What a pooling window computes over its taps inside the input (padding taps are never read):
 * <ul>
 *   <li>{@code MAX}: the largest tap, the first one in scan order (kh, then kw) on ties; a window
 *       holding a NaN gives NaN, the first NaN in scan order (IEEE and PyTorch propagate NaN
 *       through max pooling; NumPy's {@code max} does too). The backward routes each output's
 *       gradient to that one tap.</li>
 *   <li>{@code AVERAGE}: the sum of the taps over their count, padding excluded from the count
 *       (Keras and TensorFlow "same"; PyTorch's {@code count_include_pad=False}). The backward
 *       spreads each output's gradient evenly over the same taps.</li>
 * </ul>
 */
public enum Pooling {
    MAX("max"),
    AVERAGE("avg");

    private final String prefix;

    Pooling(String prefix) {
        this.prefix = prefix;
    }

    /** The prefix of the op names: {@code maxPool}, {@code avgPool}. */
    String prefix() {
        return prefix;
    }

    /**
     * Whether tap value {@code v} (seen after {@code best} in scan order) becomes the maximum:
     * it is larger, or it is the first NaN. Not a new maximum on ties, so the first one stays.
     */
    public static boolean takesMax(float v, float best) {
        return v > best || (v != v && best == best);
    }
}

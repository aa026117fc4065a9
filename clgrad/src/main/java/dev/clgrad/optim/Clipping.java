package dev.clgrad.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's gradient clipping options, at most one set (0: unset), applied to the raw gradients
 * before the update rule (and before SGD's weight decay), as Keras 3 does:
 * {@code clipvalue}: each element clamped to [-clipvalue, clipvalue];
 * {@code clipnorm}: each parameter variable scaled by {@code min(1, clipnorm / ‖g_var‖)} (its own L2 norm);
 * {@code globalClipnorm}: every gradient scaled by {@code min(1, globalClipnorm / ‖g‖)}, ‖g‖ over all of them.
 * The norms are {@code clip_grad_norm_} in PyTorch, per parameter and over all parameters.
 */
public record Clipping(double clipvalue, double clipnorm, double globalClipnorm) {
    public static final Clipping NONE = new Clipping(0, 0, 0);

    public Clipping {
        check("clipvalue", clipvalue);
        check("clipnorm", clipnorm);
        check("globalClipnorm", globalClipnorm);
        int set = (clipvalue > 0 ? 1 : 0) + (clipnorm > 0 ? 1 : 0) + (globalClipnorm > 0 ? 1 : 0);
        if (set > 1) {
            throw new IllegalArgumentException("clipping: only one of clipvalue, clipnorm and globalClipnorm may be set,"
                    + " got clipvalue " + clipvalue + ", clipnorm " + clipnorm + ", globalClipnorm " + globalClipnorm);
        }
    }

    private static void check(String what, double x) {
        if (!(x >= 0) || !Double.isFinite(x) || x > Float.MAX_VALUE) {
            throw new IllegalArgumentException("clipping: " + what + " must be > 0 and finite (or 0 for none), got " + x);
        }
    }

    public static Clipping value(double clipvalue) {
        return new Clipping(clipvalue, 0, 0);
    }

    public static Clipping norm(double clipnorm) {
        return new Clipping(0, clipnorm, 0);
    }

    public static Clipping globalNorm(double globalClipnorm) {
        return new Clipping(0, 0, globalClipnorm);
    }

    /** The keys that are set, Keras's names in camelCase. */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        if (clipvalue > 0) {
            c.put("clipvalue", clipvalue);
        }
        if (clipnorm > 0) {
            c.put("clipnorm", clipnorm);
        }
        if (globalClipnorm > 0) {
            c.put("globalClipnorm", globalClipnorm);
        }
        return c;
    }
}

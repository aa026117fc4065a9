package dev.clgrad.backend;

import dev.clgrad.selftest.Comparison;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one comparison every op test uses, {@link Comparison#close}: {@code ‖out − ref‖ / ‖ref‖ < tol}
 * (absolute when ref is all zero) and every output finite. A failure names the first element off by
 * more than {@code tol·max(|ref[i]|, rms(ref))}, the largest error, and a few sample pairs.
 */
public final class TensorAssert {
    private TensorAssert() {
    }

    public static void assertClose(String what, double[] ref, float[] out, double tol) {
        assertPassed(Comparison.close(what, ref, out, tol));
    }

    public static void assertClose(String what, double ref, float out, double tol) {
        assertPassed(Comparison.close(what, ref, out, tol));
    }

    /** Fails with the comparison's detail unless it passed. */
    public static void assertPassed(Comparison c) {
        if (!c.passed()) {
            fail(c.detail());
        }
    }
}

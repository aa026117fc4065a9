package dev.clgrad.selftest;

import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * One output compared with its reference, the verdict every conformance check and op test uses.
 * <ul>
 *   <li>{@link #close}: {@code relError = ‖out − ref‖ / ‖ref‖} (absolute when ref is all zero),
 *       passed when {@code relError < tolerance} and every output is finite;</li>
 *   <li>{@link #exact}: bit for bit; {@code relError} is the fraction of elements that differ and the
 *       tolerance is 0.</li>
 * </ul>
 * A failure's {@code detail} names the first bad element (for close: off by more than
 * {@code tolerance·max(|ref[i]|, rms(ref))}), the largest error and a few sample pairs.
 */
public record Comparison(String what, double relError, double tolerance, boolean passed, String detail) {
    private static final int SAMPLES = 4;

    /** {@code out} against the float64 {@code ref}. Neither is modified. */
    public static Comparison close(String what, double[] ref, float[] out, double tolerance) {
        if (ref.length != out.length) {
            return new Comparison(what, Double.NaN, tolerance, false,
                    what + ": " + out.length + " outputs, expected " + ref.length);
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = out[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        double rms = Math.sqrt(den / Math.max(1, ref.length));
        int firstBad = -1;
        int worst = 0;
        boolean finite = true;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(out[i] - ref[i]);
            finite &= Float.isFinite(out[i]);
            if (firstBad < 0 && (!Float.isFinite(out[i]) || err > tolerance * Math.max(Math.abs(ref[i]), rms) + 1e-30)) {
                firstBad = i;
            }
            if (!(err <= Math.abs(out[worst] - ref[worst]))) {
                worst = i;
            }
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        if (finite && rel < tolerance) {
            return new Comparison(what, rel, tolerance, true, what + ": relative error " + rel + " < " + tolerance);
        }
        StringBuilder sb = new StringBuilder(what).append(": relative error ").append(rel).append(" >= ")
                .append(tolerance).append(finite ? "" : " (non-finite outputs)");
        if (firstBad >= 0) {
            sb.append("; first bad index ").append(firstBad).append(": out ").append(out[firstBad]).append(", ref ")
                    .append(ref[firstBad]);
        }
        sb.append("; max |error| ").append(Math.abs(out[worst] - ref[worst])).append(" at ").append(worst)
                .append("; samples (out, ref):");
        for (int i = 0; i < Math.min(SAMPLES, ref.length); i++) {
            sb.append(" [").append(i).append("] (").append(out[i]).append(", ").append(ref[i]).append(")");
        }
        return new Comparison(what, finite ? rel : Double.NaN, tolerance, false, sb.toString());
    }

    /** A scalar output (a loss, a sum) against its float64 reference. */
    public static Comparison close(String what, double ref, float out, double tolerance) {
        return close(what, new double[] {ref}, new float[] {out}, tolerance);
    }

    /** Bit-for-bit equality of float outputs (copies, counts). Neither array is modified. */
    public static Comparison exact(String what, float[] expected, float[] got) {
        return exact(what, expected.length, got.length,
                i -> Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(got[i]),
                i -> String.valueOf(got[i]), i -> String.valueOf(expected[i]));
    }

    /** Equality of 32-bit words (random-number outputs), printed in hex. Neither array is modified. */
    public static Comparison exact(String what, int[] expected, int[] got) {
        return exact(what, expected.length, got.length, i -> expected[i] == got[i],
                i -> String.format("%08x", got[i]), i -> String.format("%08x", expected[i]));
    }

    private static Comparison exact(String what, int n, int gotLength, IntPredicate same, IntFunction<String> got,
                                    IntFunction<String> expected) {
        if (n != gotLength) {
            return new Comparison(what, Double.NaN, 0, false, what + ": " + gotLength + " outputs, expected " + n);
        }
        int differ = 0;
        int firstBad = -1;
        for (int i = 0; i < n; i++) {
            if (!same.test(i)) {
                differ++;
                firstBad = firstBad < 0 ? i : firstBad;
            }
        }
        double fraction = n == 0 ? 0 : (double) differ / n;
        if (differ == 0) {
            return new Comparison(what, 0, 0, true, what + ": all " + n + " equal");
        }
        StringBuilder sb = new StringBuilder(what).append(": ").append(differ).append(" of ").append(n)
                .append(" differ; first bad index ").append(firstBad).append(": got ").append(got.apply(firstBad))
                .append(", expected ").append(expected.apply(firstBad)).append("; samples (got, expected):");
        for (int i = 0; i < Math.min(SAMPLES, n); i++) {
            sb.append(" [").append(i).append("] (").append(got.apply(i)).append(", ").append(expected.apply(i))
                    .append(")");
        }
        return new Comparison(what, fraction, 0, false, sb.toString());
    }
}

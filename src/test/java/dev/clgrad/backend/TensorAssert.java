package dev.clgrad.backend;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one comparison every op test uses: {@code ‖out − ref‖ / ‖ref‖ < tol} (absolute when ref is
 * all zero) and every output finite. A failure names the first element off by more than
 * {@code tol·max(|ref[i]|, rms(ref))}, the largest error, and a few sample pairs.
 */
public final class TensorAssert {
    private TensorAssert() {
    }

    public static void assertClose(String what, double[] ref, float[] out, double tol) {
        if (ref.length != out.length) {
            fail(what + ": " + out.length + " outputs, expected " + ref.length);
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
            if (firstBad < 0 && (!Float.isFinite(out[i]) || err > tol * Math.max(Math.abs(ref[i]), rms) + 1e-30)) {
                firstBad = i;
            }
            if (!(err <= Math.abs(out[worst] - ref[worst]))) {
                worst = i;
            }
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        if (finite && rel < tol) {
            return;
        }
        StringBuilder sb = new StringBuilder(what).append(": relative error ").append(rel).append(" >= ").append(tol)
                .append(finite ? "" : " (non-finite outputs)");
        if (firstBad >= 0) {
            sb.append("; first bad index ").append(firstBad).append(": out ").append(out[firstBad]).append(", ref ")
                    .append(ref[firstBad]);
        }
        sb.append("; max |error| ").append(Math.abs(out[worst] - ref[worst])).append(" at ").append(worst)
                .append("; samples (out, ref):");
        for (int i = 0; i < Math.min(4, ref.length); i++) {
            sb.append(" [").append(i).append("] (").append(out[i]).append(", ").append(ref[i]).append(")");
        }
        fail(sb.toString());
    }

    public static void assertClose(String what, double ref, float out, double tol) {
        assertClose(what, new double[] {ref}, new float[] {out}, tol);
    }
}

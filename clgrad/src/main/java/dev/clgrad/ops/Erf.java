package dev.clgrad.ops;

/**
 * The complementary error function {@code erfc(x) = 1 − erf(x) = (2/√π) ∫_x^∞ e^(−t²) dt} in
 * float32, for GELU's normal CDF {@code Φ(z) = erfc(−z/√2) / 2}. Java has no erf; OpenCL's
 * {@code erfc} is allowed 16 ulp and differs per vendor, so both backends evaluate this one
 * formula, written the same way in {@code common.cl} ({@code ERFC_OF}).
 *
 * <p>Chebyshev fit of Press et al., <i>Numerical Recipes</i> (2nd ed., §6.2, {@code erfcc}): with
 * {@code t = 1 / (1 + |x|/2)},
 * {@code erfc(|x|) ≈ t·exp(−x² − 1.26551223 + t·(1.00002368 + t·(0.37409196 + … + t·0.17087277)))},
 * relative error under 1.2e-7 for every x (so the tails of Φ stay accurate, unlike {@code 1 + erf}),
 * and {@code erfc(−x) = 2 − erfc(x)}. Hence |erf error| ≤ 2.4e-7 from the fit, plus float32 rounding
 * (at most 3.4e-7 against {@code torch.erf} over 2,000 samples of 3·N(0, 1)). NaN gives NaN, erfc(+∞) = +0,
 * erfc(−∞) = 2.
 */
public final class Erf {
    private Erf() {
    }

    /** {@code erfc(x)} in float32, as {@code ERFC_OF} in common.cl. */
    public static float erfc(float x) {
        float z = Math.abs(x);
        float t = 1f / (1f + 0.5f * z);
        float p = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f
                + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
        float r = t * (float) Math.exp(-z * z + p);
        return x >= 0f ? r : 2f - r;
    }

    /** {@code erf(x) = 1 − erfc(x)} in float32. */
    public static float erf(float x) {
        return x >= 0f ? 1f - erfc(x) : erfc(-x) - 1f;
    }

    /**
     * {@code erfc(x)} in float64 to about 1e-13 relative, the references' (independent of the fit):
     * the Maclaurin series of erf for |x| &lt; 2, the continued fraction
     * {@code erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))} for x ≥ 2, and
     * {@code erfc(−x) = 2 − erfc(x)}.
     */
    public static double erfcReference(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double z = Math.abs(x);
        double r;
        if (z < 2) {
            double term = z;
            double sum = z;
            for (int n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -z * z / n;
                sum += term / (2 * n + 1);
            }
            r = 1 - 2 / Math.sqrt(Math.PI) * sum;
        } else if (z == Double.POSITIVE_INFINITY) {
            r = 0;
        } else {
            double f = z;
            for (int k = 80; k >= 1; k--) {
                f = z + (k / 2.0) / f;
            }
            r = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
        }
        return x >= 0 ? r : 2 - r;
    }
}

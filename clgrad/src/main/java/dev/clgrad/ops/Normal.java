package dev.clgrad.ops;

/**
 * Standard normal draws from Philox words, the same bits on every backend: Box–Muller
 * ({@code z = sqrt(−2·ln u1)·cos(2π·u2)}) with the logarithm and the cosine written out as
 * polynomials, so that only correctly rounded float operations (+, −, ×, ÷, sqrt) run, in this
 * order, with no fused multiply-add. {@code Math.log}/{@code Math.cos} and OpenCL's {@code log}/
 * {@code cos} are not correctly rounded and differ between libraries; these do not.
 * {@code opencl-kernels/dropout.cl} ({@code gaussian_normal}) is the twin and must give the same
 * bits; it is built with {@code FP_CONTRACT OFF} and {@code -cl-fp32-correctly-rounded-divide-sqrt}.
 *
 * <p>Words: {@code u1 = ((w1 >>> 8) + 1)·2^−24} in (0, 1] (so the log is finite) and the top 24
 * bits of w2 as a turn: its top 2 bits pick the quadrant, its low 22 bits the angle
 * {@code θ = f·π/2} in it, {@code f} in [0, 1). Accuracy: |z − exact| under 1e-6 (the polynomials'
 * truncation is below 1e-9; the rest is float rounding).
 */
public final class Normal {
    /** ln 2, √2 and π/2 rounded to float. */
    static final float LN2 = 0x1.62e43p-1f;
    static final float SQRT2 = 0x1.6a09e6p0f;
    static final float HALF_PI = 0x1.921fb6p0f;

    private Normal() {
    }

    /** z ~ N(0, 1) from two Philox words by Box–Muller; see the class comment. */
    public static float boxMuller(int w1, int w2) {
        float u1 = ((w1 >>> 8) + 1) * 0x1p-24f;
        float r = (float) Math.sqrt(-2f * log(u1));
        int turn = w2 >>> 8;
        float theta = (turn & 0x3FFFFF) * 0x1p-22f * HALF_PI;
        return switch (turn >>> 22) {
            case 0 -> r * cos(theta);
            case 1 -> -(r * sin(theta));
            case 2 -> -(r * cos(theta));
            default -> r * sin(theta);
        };
    }

    /**
     * ln u for a normal float u > 0: {@code u = m·2^e} with m in [√2/2, √2), {@code s = (m−1)/(m+1)},
     * {@code ln m = 2·atanh(s) = 2s(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9)} (|s| ≤ 0.172, next term < 1e-9),
     * {@code ln u = e·ln 2 + ln m}.
     */
    static float log(float u) {
        int bits = Float.floatToRawIntBits(u);
        int e = (bits >>> 23) - 127;
        float m = Float.intBitsToFloat((bits & 0x7FFFFF) | 0x3F800000);
        if (m > SQRT2) {
            m = m * 0.5f;
            e = e + 1;
        }
        float s = (m - 1f) / (m + 1f);
        float s2 = s * s;
        float p = s2 * (0x1.555556p-2f + s2 * (0x1.99999ap-3f + s2 * (0x1.24924ap-3f + s2 * 0x1.c71c72p-4f)));
        return e * LN2 + 2f * (s + s * p);
    }

    /** sin θ for θ in [0, π/2]: Taylor to θ¹³ (truncation < 1e-9), Horner in θ². */
    static float sin(float t) {
        float t2 = t * t;
        float p = 0x1.612462p-33f;
        p = p * t2 - 0x1.ae6456p-26f;
        p = p * t2 + 0x1.71de3ap-19f;
        p = p * t2 - 0x1.a01a02p-13f;
        p = p * t2 + 0x1.111112p-7f;
        p = p * t2 - 0x1.555556p-3f;
        return t + t * (t2 * p);
    }

    /** cos θ for θ in [0, π/2]: Taylor to θ¹⁴ (truncation < 2e-10), Horner in θ². */
    static float cos(float t) {
        float t2 = t * t;
        float p = -0x1.93974ap-37f;
        p = p * t2 + 0x1.1eed8ep-29f;
        p = p * t2 - 0x1.27e4fcp-22f;
        p = p * t2 + 0x1.a01a02p-16f;
        p = p * t2 - 0x1.6c16c2p-10f;
        p = p * t2 + 0x1.555556p-5f;
        p = p * t2 - 0.5f;
        return 1f + t2 * p;
    }
}

package dev.clgrad.ops;

import java.util.List;

/**
 * An element-wise activation, as a value: its {@link Kind} and, for two kinds, a parameter α
 * ({@link #alpha()}). Forward {@code y = f(z)}; the backward {@code dZ = dY·f'(z)} reads one saved
 * value v ({@link #derivative}): the output y for the kinds whose derivative is a function of it,
 * the pre-activation z for the others ({@link #savesInput()}), which the layers then keep.
 *
 * <ul>
 *   <li>{@code linear}: y = z; f' = 1 (from y)</li>
 *   <li>{@code relu}: y = max(0, z) (NaN stays NaN, −0 becomes +0); f' = [y > 0] (from y; its
 *       backward is a select, see {@link ActBackward})</li>
 *   <li>{@code tanh}: y = tanh(z); f' = 1 − y² (from y)</li>
 *   <li>{@code sigmoid}: y = 1 / (1 + e^−z); f' = y·(1 − y) (from y)</li>
 *   <li>{@code leaky_relu} (α = negative slope ≥ 0; Keras: 0.2 as an activation name, 0.3 in
 *       {@code LeakyReLU}): y = z > 0 ? z : α·z; f' = y > 0 ? 1 : α (from y; NaN where y is NaN)</li>
 *   <li>{@code elu} (α, Keras 1.0): y = z > 0 ? z : α·(e^z − 1); f' = z > 0 ? 1 : α·e^z (from z)</li>
 *   <li>{@code selu}: y = λ·(z > 0 ? z : α·(e^z − 1)), Keras's α = 1.67326324, λ = 1.05070098
 *       (Klambauer et al., NeurIPS 2017); f' = λ·(z > 0 ? 1 : α·e^z) (from z)</li>
 *   <li>{@code gelu} (exact; Hendrycks and Gimpel, 2016): y = z·Φ(z), Φ(z) = erfc(−z/√2)/2
 *       ({@link Erf}); f' = Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π) (from z)</li>
 *   <li>gelu, tanh approximation (Keras's {@code approximate=True}, PyTorch's
 *       {@code approximate='tanh'}): u = √(2/π)·(z + 0.044715·z³), y = z·(1 + tanh u)/2, computed
 *       as z·σ(2u) (the same function without 1 + tanh's cancellation for z ≪ 0, where device tanh
 *       need not round to −1); f' = s + 2z·s·(1 − s)·√(2/π)·(1 + 3·0.044715·z²), s = σ(2u) (from z)</li>
 *   <li>{@code silu} = {@code swish} (Keras 3 names both; Ramachandran et al., 2017): y = z·σ(z);
 *       f' = σ(z)·(1 + z·(1 − σ(z))) (from z)</li>
 * </ul>
 * Special values follow these formulas as written (so gelu(−∞) and silu(−∞) are NaN, as PyTorch's).
 *
 * <p>{@link #code()} is the value the kernels' {@code ACT_*} constants use ({@code common.cl});
 * the kernels take α as {@code act_alpha}. The kinds without a parameter have one instance each
 * ({@link #RELU}, …), so {@code ==} compares them. Keras names: {@link #of(String)}.
 */
public final class Activation {
    /** What function an activation computes; {@link #code} numbers the kernels' {@code ACT_*}. */
    public enum Kind {
        LINEAR(0), RELU(1), TANH(2), SIGMOID(3), LEAKY_RELU(4), ELU(5), SELU(6), GELU(7), GELU_TANH(8), SILU(9);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** SELU's α and λ, Keras's constants. */
    public static final float SELU_ALPHA = 1.67326324f;
    public static final float SELU_SCALE = 1.05070098f;
    private static final float SQRT1_2 = 0.70710678f;
    private static final float INV_SQRT_2PI = 0.39894228f;
    private static final float SQRT_2_OVER_PI = 0.79788456f;
    private static final float GELU_C = 0.044715f;

    public static final Activation LINEAR = new Activation(Kind.LINEAR, 0f);
    public static final Activation RELU = new Activation(Kind.RELU, 0f);
    public static final Activation TANH = new Activation(Kind.TANH, 0f);
    public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0f);
    /** {@code leaky_relu} with Keras's activation default, negative slope 0.2. */
    public static final Activation LEAKY_RELU = new Activation(Kind.LEAKY_RELU, 0.2f);
    /** {@code elu} with α = 1. */
    public static final Activation ELU = new Activation(Kind.ELU, 1f);
    public static final Activation SELU = new Activation(Kind.SELU, 0f);
    public static final Activation GELU = new Activation(Kind.GELU, 0f);
    public static final Activation GELU_TANH = new Activation(Kind.GELU_TANH, 0f);
    public static final Activation SILU = new Activation(Kind.SILU, 0f);

    private static final List<Activation> VALUES = List.of(LINEAR, RELU, TANH, SIGMOID, LEAKY_RELU, ELU, SELU, GELU,
            GELU_TANH, SILU);

    private final Kind kind;
    private final float alpha;

    private Activation(Kind kind, float alpha) {
        this.kind = kind;
        this.alpha = alpha;
    }

    /** {@code leaky_relu} with {@code negativeSlope}, finite and >= 0 (Keras's rule). */
    public static Activation leakyRelu(double negativeSlope) {
        if (!(negativeSlope >= 0) || Double.isInfinite(negativeSlope)) {
            throw new IllegalArgumentException("leaky_relu: negativeSlope must be a finite number >= 0, got "
                    + negativeSlope);
        }
        return new Activation(Kind.LEAKY_RELU, (float) negativeSlope);
    }

    /** {@code elu} with {@code alpha}, finite. */
    public static Activation elu(double alpha) {
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("elu: alpha must be a finite number, got " + alpha);
        }
        return new Activation(Kind.ELU, (float) alpha);
    }

    /** Exact gelu, or its tanh approximation ({@code approximate}). */
    public static Activation gelu(boolean approximate) {
        return approximate ? GELU_TANH : GELU;
    }

    /** One activation of each kind, with its default parameter. */
    public static List<Activation> values() {
        return VALUES;
    }

    public Kind kind() {
        return kind;
    }

    /** The kernels' activation code. */
    public int code() {
        return kind.code;
    }

    /** The parameter: leaky_relu's negative slope, elu's α; 0 for the other kinds. */
    public float alpha() {
        return alpha;
    }

    /** Whether the backward reads the pre-activation z rather than the output y. */
    public boolean savesInput() {
        return switch (kind) {
            case ELU, SELU, GELU, GELU_TANH, SILU -> true;
            default -> false;
        };
    }

    /** The Keras name, such as {@code relu}; {@code gelu} for both gelus, {@code silu} for swish. */
    public String kerasName() {
        return switch (kind) {
            case LINEAR -> "linear";
            case RELU -> "relu";
            case TANH -> "tanh";
            case SIGMOID -> "sigmoid";
            case LEAKY_RELU -> "leaky_relu";
            case ELU -> "elu";
            case SELU -> "selu";
            case GELU, GELU_TANH -> "gelu";
            case SILU -> "silu";
        };
    }

    /**
     * The name ops and checks take ({@code reluForward}, {@code biasGeluTanh}): the kind in camel
     * case, {@code leakyRelu}, {@code geluTanh}, ….
     */
    public String opName() {
        return switch (kind) {
            case LEAKY_RELU -> "leakyRelu";
            case GELU_TANH -> "geluTanh";
            default -> kerasName();
        };
    }

    /** {@code y = f(z)} in float32, the function every backend computes. */
    public float apply(float z) {
        return switch (kind) {
            case LINEAR -> z;
            case RELU -> Math.max(0f, z);
            case TANH -> (float) Math.tanh(z);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-z)));
            case LEAKY_RELU -> z > 0f ? z : z * alpha;
            case ELU -> z > 0f ? z : alpha * (float) Math.expm1(z);
            case SELU -> SELU_SCALE * (z > 0f ? z : SELU_ALPHA * (float) Math.expm1(z));
            case GELU -> 0.5f * z * Erf.erfc(-z * SQRT1_2);
            case GELU_TANH -> z * sigmoid(2f * (SQRT_2_OVER_PI * (z + GELU_C * z * z * z)));
            case SILU -> z * sigmoid(z);
        };
    }

    /**
     * {@code f'(z)} in float32 from the saved value v: the output y, or the input z where
     * {@link #savesInput()}.
     */
    public float derivative(float v) {
        return switch (kind) {
            case LINEAR -> 1f;
            case RELU -> v > 0f ? 1f : 0f;
            case TANH -> 1f - v * v;
            case SIGMOID -> v * (1f - v);
            case LEAKY_RELU -> v > 0f ? 1f : v <= 0f ? alpha : v;
            case ELU -> v > 0f ? 1f : alpha * (float) Math.exp(v);
            case SELU -> SELU_SCALE * (v > 0f ? 1f : SELU_ALPHA * (float) Math.exp(v));
            case GELU -> 0.5f * Erf.erfc(-v * SQRT1_2) + v * (INV_SQRT_2PI * (float) Math.exp(-0.5f * v * v));
            case GELU_TANH -> {
                float v2 = v * v;
                float s = sigmoid(2f * (SQRT_2_OVER_PI * (v + GELU_C * v2 * v)));
                yield s + 2f * v * s * (1f - s) * (SQRT_2_OVER_PI * (1f + 3f * GELU_C * v2));
            }
            case SILU -> {
                float s = sigmoid(v);
                yield s * (1f + v * (1f - s));
            }
        };
    }

    /** σ(z) in float32 as SIGMOID_OF computes it. */
    private static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    /** The float64 reference of {@link #apply}. */
    public double reference(double z) {
        return switch (kind) {
            case LINEAR -> z;
            case RELU -> Math.max(0, z);
            case TANH -> Math.tanh(z);
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-z));
            case LEAKY_RELU -> z > 0 ? z : z * alpha;
            case ELU -> z > 0 ? z : alpha * Math.expm1(z);
            case SELU -> SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
            case GELU -> 0.5 * z * Erf.erfcReference(-z / Math.sqrt(2));
            case GELU_TANH -> 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + GELU_C * z * z * z)));
            case SILU -> z / (1 + Math.exp(-z));
        };
    }

    /** The float64 reference of {@link #derivative}, from the same saved value. */
    public double referenceDerivative(double v) {
        return switch (kind) {
            case LINEAR -> 1;
            case RELU -> v > 0 ? 1 : 0;
            case TANH -> 1 - v * v;
            case SIGMOID -> v * (1 - v);
            case LEAKY_RELU -> v > 0 ? 1 : v <= 0 ? alpha : v;
            case ELU -> v > 0 ? 1 : alpha * Math.exp(v);
            case SELU -> SELU_SCALE * (v > 0 ? 1 : SELU_ALPHA * Math.exp(v));
            case GELU -> 0.5 * Erf.erfcReference(-v / Math.sqrt(2)) + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
            case GELU_TANH -> {
                double k = Math.sqrt(2 / Math.PI);
                double t = Math.tanh(k * (v + GELU_C * v * v * v));
                yield 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * GELU_C * v * v);
            }
            case SILU -> {
                double s = 1 / (1 + Math.exp(-v));
                yield s * (1 + v * (1 - s));
            }
        };
    }

    /**
     * The activation of a Keras name: {@code linear} (or null), {@code relu}, {@code tanh},
     * {@code sigmoid}, {@code leaky_relu} (slope 0.2), {@code elu} (α 1), {@code selu},
     * {@code gelu} (exact), {@code silu} or {@code swish}.
     */
    public static Activation of(String name) {
        if (name == null) {
            return LINEAR;
        }
        if (name.equals("swish")) {
            return SILU;
        }
        for (Activation a : VALUES) {
            if (a.kind != Kind.GELU_TANH && a.kerasName().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of " + NAMES + " or null");
    }

    /** The names {@link #of} takes. */
    public static final List<String> NAMES = List.of("linear", "relu", "tanh", "sigmoid", "leaky_relu", "elu", "selu",
            "gelu", "silu", "swish");

    @Override
    public boolean equals(Object o) {
        return o instanceof Activation a && a.kind == kind && Float.floatToIntBits(a.alpha) == Float.floatToIntBits(alpha);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Float.hashCode(alpha);
    }

    /** The Keras name, with the tanh approximation and a non-default parameter written out. */
    @Override
    public String toString() {
        return switch (kind) {
            case GELU_TANH -> "gelu_tanh";
            case LEAKY_RELU -> alpha == 0.2f ? "leaky_relu" : "leaky_relu(" + alpha + ")";
            case ELU -> alpha == 1f ? "elu" : "elu(" + alpha + ")";
            default -> kerasName();
        };
    }
}

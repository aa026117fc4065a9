package dev.clgrad.ops;

import java.util.Arrays;

/**
 * An element-wise activation, as a value: forward {@code y = f(z)} and the derivative written in
 * terms of the output, {@code f'(z) = g(y)}, so a backward needs only the saved output.
 *
 * <ul>
 *   <li>{@code linear}: y = z; g = 1</li>
 *   <li>{@code relu}: y = max(0, z) (NaN stays NaN, −0 becomes +0); g = [y > 0] (its backward is a
 *       select, see {@link ActBackward})</li>
 *   <li>{@code tanh}: y = tanh(z); g = 1 − y²</li>
 *   <li>{@code sigmoid}: y = 1 / (1 + e^−z); g = y·(1 − y)</li>
 * </ul>
 *
 * <p>{@link #code()} is the value the kernels' {@code ACT_*} constants use ({@code common.cl}).
 * Keras names: {@link #of(String)}.
 */
public enum Activation {
    LINEAR(0, "linear"),
    RELU(1, "relu"),
    TANH(2, "tanh"),
    SIGMOID(3, "sigmoid");

    private final int code;
    private final String kerasName;

    Activation(int code, String kerasName) {
        this.code = code;
        this.kerasName = kerasName;
    }

    /** The kernels' activation code. */
    public int code() {
        return code;
    }

    /** The Keras name, such as {@code relu}. */
    public String kerasName() {
        return kerasName;
    }

    /** {@code y = f(z)} in float32, the function every backend computes. */
    public float apply(float z) {
        return switch (this) {
            case LINEAR -> z;
            case RELU -> Math.max(0f, z);
            case TANH -> (float) Math.tanh(z);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-z)));
        };
    }

    /** {@code f'(z)} from the output {@code y = f(z)}, in float32. */
    public float derivativeFromOutput(float y) {
        return switch (this) {
            case LINEAR -> 1f;
            case RELU -> y > 0f ? 1f : 0f;
            case TANH -> 1f - y * y;
            case SIGMOID -> y * (1f - y);
        };
    }

    /** The float64 reference of {@link #apply}. */
    public double reference(double z) {
        return switch (this) {
            case LINEAR -> z;
            case RELU -> Math.max(0, z);
            case TANH -> Math.tanh(z);
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-z));
        };
    }

    /** The float64 reference of {@link #derivativeFromOutput}. */
    public double referenceDerivative(double y) {
        return switch (this) {
            case LINEAR -> 1;
            case RELU -> y > 0 ? 1 : 0;
            case TANH -> 1 - y * y;
            case SIGMOID -> y * (1 - y);
        };
    }

    /** The activation of a Keras name: {@code linear} (or null), {@code relu}, {@code tanh}, {@code sigmoid}. */
    public static Activation of(String name) {
        if (name == null) {
            return LINEAR;
        }
        for (Activation a : values()) {
            if (a.kerasName.equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of "
                + Arrays.stream(values()).map(a -> "\"" + a.kerasName + "\"").toList() + " or null");
    }

    @Override
    public String toString() {
        return kerasName;
    }
}

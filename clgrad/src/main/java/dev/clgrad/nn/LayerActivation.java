package dev.clgrad.nn;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.Softmax;
import dev.clgrad.ops.SoftmaxBackward;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A layer's activation, lowered after its product (Dense, Conv2D) or on its own (activation
 * layers): an element-wise {@link Activation}, or softmax over the last axis ({@link Softmax}).
 * z: (B, …, C) the product, bias: (C) or null → {@code y = act(z + bias)}: (B, …, C); backward
 * {@code dZ = dY·act'(·)} from what the activation's backward reads, which the forward saves: the
 * output y (linear, relu, leaky_relu, tanh, sigmoid, softmax) or the pre-activation z + bias
 * (elu, selu, gelu, silu: {@link Activation#savesInput}), then kept in its own workspace
 * ({@code preActivation}). The planner fuses the bias and an element-wise activation into the
 * product's epilogue (one that keeps z where it is saved).
 */
final class LayerActivation {
    /** The names {@link #of} takes: the element-wise ones and {@code softmax}. */
    static final List<String> NAMES;

    static {
        List<String> names = new ArrayList<>(Activation.NAMES);
        names.add("softmax");
        NAMES = List.copyOf(names);
    }

    private final Activation elementwise;

    private LayerActivation(Activation elementwise) {
        this.elementwise = elementwise;
    }

    /** An element-wise activation. */
    static LayerActivation of(Activation a) {
        return new LayerActivation(a);
    }

    /**
     * The activation of a Keras name ({@link Activation#of}, or {@code softmax}); null is linear.
     *
     * @throws IllegalArgumentException listing the names for any other
     */
    static LayerActivation of(String name) {
        if ("softmax".equals(name)) {
            return new LayerActivation(null);
        }
        try {
            return new LayerActivation(Activation.of(name));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of " + NAMES
                    + " or null", e);
        }
    }

    /** The Keras name: {@code softmax}, or the element-wise activation's. */
    String name() {
        return elementwise == null ? "softmax" : elementwise.kerasName();
    }

    /** The element-wise activation, or null for softmax. */
    Activation elementwise() {
        return elementwise;
    }

    boolean linear() {
        return elementwise == Activation.LINEAR;
    }

    /** Whether the backward reads the pre-activation rather than the output. */
    private boolean savesInput() {
        return elementwise != null && elementwise.savesInput();
    }

    /** t: (B, …, C) as the matrix (B·…, C). */
    private static Tensor matrix(Tensor t) {
        Shape s = t.shape();
        return s.rank() == 2 ? t : t.reshape((int) (s.size() / s.last()), s.last());
    }

    /**
     * Emits {@code y = act(z + bias)} for {@code owner}, z: (B, out…), bias: (C) or null, and saves
     * what {@link #backward} reads. Returns y (z itself when linear without a bias). Not modified: z.
     */
    Tensor forward(Lowering g, Layer owner, Tensor z, Tensor bias, Shape out) {
        if (elementwise != null && !elementwise.savesInput()) {
            Tensor y = z;
            if (bias != null) {
                y = g.workspace(owner, "y", out);
                g.emit(owner, new BiasAct(matrix(z), bias, elementwise, matrix(y)));
            } else if (!linear()) {
                y = g.workspace(owner, "y", out);
                g.emit(owner, new Act(elementwise, z, y));
            }
            g.save(owner, "activation", y);
            return y;
        }
        Tensor pre = z;
        if (bias != null) {
            pre = g.workspace(owner, "preActivation", out);
            g.emit(owner, new BiasAct(matrix(z), bias, Activation.LINEAR, matrix(pre)));
        }
        Tensor y = g.workspace(owner, "y", out);
        if (elementwise == null) {
            g.emit(owner, new Softmax(pre, y));
        } else {
            g.emit(owner, new Act(elementwise, pre, y));
        }
        g.save(owner, "activation", savesInput() ? pre : y);
        return y;
    }

    /**
     * z: (B, …, C) → {@code y = act(z)} as ONNX nodes for {@code owner}; returns y's name (z's when
     * linear). Relu, Tanh, Sigmoid, LeakyRelu(α), Elu(α), Selu(α, λ) and Softmax(axis −1) are ONNX
     * ops; opset 17 has no Gelu (opset 20 does) nor Swish, so gelu is {@code 0.5·z·(1 + erf(z/√2))}
     * (Erf), the tanh approximation {@code z·σ(2u)}, {@code u = √(2/π)·(z + 0.044715·z³)} (the
     * same function as {@code z·(1 + tanh u)/2}, written as clgrad computes it), and silu
     * {@code z·σ(z)}.
     */
    String exportOnnx(OnnxGraph g, Layer owner, String z) {
        if (elementwise == null) {
            return g.node(owner, "Softmax", List.of(z), "axis", -1);
        }
        return switch (elementwise.kind()) {
            case LINEAR -> z;
            case RELU -> g.node(owner, "Relu", List.of(z));
            case TANH -> g.node(owner, "Tanh", List.of(z));
            case SIGMOID -> g.node(owner, "Sigmoid", List.of(z));
            case LEAKY_RELU -> g.node(owner, "LeakyRelu", List.of(z), "alpha", elementwise.alpha());
            case ELU -> g.node(owner, "Elu", List.of(z), "alpha", elementwise.alpha());
            case SELU -> g.node(owner, "Selu", List.of(z), "alpha", Activation.SELU_ALPHA, "gamma",
                    Activation.SELU_SCALE);
            case GELU -> {
                String scaled = g.node(owner, "Mul", List.of(z, g.constant(owner, "sqrt1_2", new float[] {0.70710678f})));
                String erf = g.node(owner, "Erf", List.of(scaled));
                String onePlus = g.node(owner, "Add", List.of(erf, g.constant(owner, "one", new float[] {1f})));
                String half = g.node(owner, "Mul", List.of(z, g.constant(owner, "half", new float[] {0.5f})));
                yield g.node(owner, "Mul", List.of(half, onePlus));
            }
            case GELU_TANH -> {
                String z2 = g.node(owner, "Mul", List.of(z, z));
                String z3 = g.node(owner, "Mul", List.of(z2, z));
                String cubic = g.node(owner, "Mul", List.of(z3, g.constant(owner, "gelu_c", new float[] {0.044715f})));
                String inner = g.node(owner, "Add", List.of(z, cubic));
                String twoU = g.node(owner, "Mul", List.of(inner, g.constant(owner, "two_sqrt_2_over_pi",
                        new float[] {2f * 0.79788456f})));
                yield g.node(owner, "Mul", List.of(z, g.node(owner, "Sigmoid", List.of(twoU))));
            }
            case SILU -> g.node(owner, "Mul", List.of(z, g.node(owner, "Sigmoid", List.of(z))));
        };
    }

    /**
     * Emits {@code dZ = dY·act'(·)} for {@code owner} into a workspace named {@code what}, dY: (B,
     * out…); returns dZ, or dY itself when linear. Not modified: dY.
     */
    Tensor backward(Lowering g, Layer owner, Tensor dY, Shape out, String what) {
        if (linear()) {
            return dY;
        }
        Tensor dZ = g.workspace(owner, what, out);
        Tensor saved = g.saved(owner, "activation");
        if (elementwise == null) {
            g.emit(owner, new SoftmaxBackward(saved, dY, dZ));
        } else {
            g.emit(owner, new ActBackward(elementwise, saved, dY, dZ));
        }
        return dZ;
    }
}

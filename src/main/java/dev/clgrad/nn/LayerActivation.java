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

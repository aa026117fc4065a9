package dev.clgrad.backend;

import dev.clgrad.tensor.Tensor;

/**
 * The shape contract of the element-wise, loss and reduction ops, checked the same way by every
 * backend before it computes: messages name the op, the operand and both shapes.
 */
public final class OpShapes {
    private OpShapes() {
    }

    /** x and y have the same shape. */
    public static void same(String op, String xName, Tensor x, String yName, Tensor y) {
        if (!x.shape().equals(y.shape())) {
            throw new IllegalArgumentException(op + ": " + xName + " is " + x.shape() + " but " + yName + " is "
                    + y.shape() + "; expected equal shapes");
        }
    }

    /** x: (B, O), bias: (O), y: (B, O). */
    public static void bias(String op, Tensor x, Tensor bias, Tensor y) {
        same(op, "x", x, "y", y);
        if (bias.shape().size() != x.shape().cols()) {
            throw new IllegalArgumentException(op + ": bias is " + bias.shape() + " but x is " + x.shape()
                    + "; expected bias of size " + x.shape().cols());
        }
    }

    /** x: (R, C), out: (C). */
    public static void columnSum(Tensor x, Tensor out) {
        if (out.shape().size() != x.shape().cols()) {
            throw new IllegalArgumentException("columnSum: x is " + x.shape() + " but out is " + out.shape()
                    + "; expected out of size " + x.shape().cols());
        }
    }

    /** out holds one element. */
    public static void scalar(String op, Tensor out) {
        if (out.shape().size() != 1) {
            throw new IllegalArgumentException(op + ": out must hold one element, got shape " + out.shape());
        }
    }

    /** logits: (B, C), labels: (B) holding class indices as floats, out/scalar or (B, C). */
    public static void labels(String op, Tensor logits, Tensor labels) {
        if (labels.shape().size() != logits.shape().rows()) {
            throw new IllegalArgumentException(op + ": logits are " + logits.shape() + " but labels are "
                    + labels.shape() + "; expected one label per row (" + logits.shape().rows() + ")");
        }
    }

    /** Dropout rate in [0, 1). */
    public static void dropoutRate(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: rate must be in [0, 1), got " + p);
        }
    }

    /** Adam's state tensors all match the parameters. */
    public static void optimizerState(String op, Tensor params, Tensor... state) {
        for (Tensor s : state) {
            if (s.shape().size() != params.shape().size()) {
                throw new IllegalArgumentException(op + ": params are " + params.shape() + " but "
                        + s.name() + " is " + s.shape() + "; expected the same number of elements");
            }
        }
    }
}

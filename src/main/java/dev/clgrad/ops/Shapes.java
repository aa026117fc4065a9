package dev.clgrad.ops;

import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** The shape checks the ops share: messages name the op, the operand and both shapes. */
final class Shapes {
    private Shapes() {
    }

    /** x and y have the same shape. */
    static void same(String op, String xName, Tensor x, String yName, Tensor y) {
        if (!x.shape().equals(y.shape())) {
            throw new IllegalArgumentException(op + ": " + xName + " is " + x.shape() + " but " + yName + " is "
                    + y.shape() + "; expected equal shapes");
        }
    }

    /** x: (B, O), bias: (O). */
    static void bias(String op, Tensor x, Tensor bias) {
        if (bias.shape().size() != x.shape().cols()) {
            throw new IllegalArgumentException(op + ": bias is " + bias.shape() + " but x is " + x.shape()
                    + "; expected bias of size " + x.shape().cols());
        }
    }

    /**
     * image: (B, H, W, C) with (H, W) the window's input, cols: (B·OH·OW, KH·KW·C) the window's
     * rows, not aliasing the image: the operands of {@link Im2Col} and {@link Col2Im}.
     */
    static void window(String op, String imageName, Tensor image, Window w, Tensor cols) {
        Shape s = image.shape();
        if (s.rank() != 4 || s.dim(1) != w.h() || s.dim(2) != w.w()) {
            throw new IllegalArgumentException(op + ": " + imageName + " is " + s + "; expected (B, " + w.h() + ", "
                    + w.w() + ", C) for the " + w);
        }
        long rows = (long) s.dim(0) * w.oh() * w.ow();
        long taps = (long) w.taps() * s.dim(3);
        Shape c = cols.shape();
        if (c.rank() != 2 || c.dim(0) != rows || c.dim(1) != taps) {
            throw new IllegalArgumentException(op + ": cols is " + c + " but " + imageName + " is " + s
                    + "; expected cols (B·OH·OW, KH·KW·C) = (" + rows + ", " + taps + ") for the " + w);
        }
        if (cols.sharesStorageWith(image)) {
            throw new IllegalArgumentException(op + ": cols " + cols.name() + " must not alias " + imageName + " "
                    + image.name());
        }
    }

    /** out holds one element. */
    static void scalar(String op, String what, Tensor out) {
        if (out.shape().size() != 1) {
            throw new IllegalArgumentException(op + ": " + what + " must hold one element, got shape " + out.shape());
        }
    }

    /** logits: (B, C), labels: (B). */
    static void labels(String op, Tensor logits, Tensor labels) {
        if (labels.shape().size() != logits.shape().rows()) {
            throw new IllegalArgumentException(op + ": logits are " + logits.shape() + " but labels are "
                    + labels.shape() + "; expected one label per row (" + logits.shape().rows() + ")");
        }
    }

    /** Each state tensor holds as many elements as the parameters. */
    static void sameSize(String op, Tensor params, Tensor... state) {
        for (Tensor s : state) {
            if (s.shape().size() != params.shape().size()) {
                throw new IllegalArgumentException(op + ": params are " + params.shape() + " but " + s.name() + " is "
                        + s.shape() + "; expected the same number of elements");
            }
        }
    }

    /** Whether a and b are views of the same elements. */
    static boolean sameStorage(Tensor a, Tensor b) {
        return a != null && b != null && a.buffer() == b.buffer() && a.offset() == b.offset()
                && a.shape().size() == b.shape().size();
    }

    /** An operand that must be present. */
    static Tensor required(String op, String what, Tensor t) {
        return Objects.requireNonNull(t, () -> op + ": " + what + " is null");
    }

    /** The non-null tensors, in order. */
    static List<Tensor> list(Tensor... ts) {
        List<Tensor> out = new ArrayList<>(ts.length);
        Arrays.stream(ts).filter(Objects::nonNull).forEach(out::add);
        return List.copyOf(out);
    }
}

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

    /**
     * A pooling window over NHWC images: image: (B, H, W, C) with (H, W) the window's input,
     * pooled: (B, OH, OW, C) its output, no dilation, and every window holding at least one
     * input tap (a window wholly in the padding has no maximum and no average).
     */
    static void pooled(String op, Window w, String imageName, Tensor image, String pooledName, Tensor pooled) {
        int[] d = image.shape().dims();
        if (d.length != 4 || d[1] != w.h() || d[2] != w.w()) {
            throw new IllegalArgumentException(op + ": " + imageName + " is " + image.shape() + "; expected (B, "
                    + w.h() + ", " + w.w() + ", C) for " + w);
        }
        Shape want = Shape.of(d[0], w.oh(), w.ow(), d[3]);
        if (!pooled.shape().equals(want)) {
            throw new IllegalArgumentException(op + ": " + imageName + " is " + image.shape() + " but " + pooledName
                    + " is " + pooled.shape() + "; expected " + pooledName + " " + want + " for " + w);
        }
        if (w.dh() != 1 || w.dw() != 1) {
            throw new IllegalArgumentException(op + ": pooling takes no dilation, got " + w);
        }
        if (w.padTop() >= w.kh() || w.padLeft() >= w.kw() || (long) (w.oh() - 1) * w.sh() - w.padTop() >= w.h()
                || (long) (w.ow() - 1) * w.sw() - w.padLeft() >= w.w()) {
            throw new IllegalArgumentException(op + ": " + w + " has windows that lie wholly in the padding");
        }
    }

    /** Each per-channel operand holds C elements, C the last dimension of x (null operands are skipped). */
    static void channels(String op, Tensor x, Tensor... perChannel) {
        int c = x.shape().last();
        for (Tensor t : perChannel) {
            if (t != null && t.shape().size() != c) {
                throw new IllegalArgumentException(op + ": x is " + x.shape() + " but " + t.name() + " is "
                        + t.shape() + "; expected " + c + " values, one per channel (the last axis)");
            }
        }
    }

    /** out overlaps none of {@code ins} (null operands are skipped). */
    static void noAlias(String op, Tensor out, Tensor... ins) {
        for (Tensor in : ins) {
            if (out != null && in != null && out.sharesStorageWith(in)) {
                throw new IllegalArgumentException(op + ": " + out.name() + " must not alias " + in.name());
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

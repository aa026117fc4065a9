package dev.clgrad.nn;

import java.util.List;

/**
 * What a layer exports its inference into ({@link Layer#exportOnnx}): an ONNX graph of the default
 * domain at opset {@link #OPSET}, values named by strings. A layer appends the nodes that compute
 * its output from its input's value, x: (B, in…), and returns its output value's name, y: (B, out…);
 * B stays symbolic. Values between layers keep clgrad's layouts (images NHWC, Dense kernels
 * (I, O)), so a layer never knows its neighbours; a layer whose ONNX op wants NCHW transposes in
 * and out ({@link #toNchw}, {@link #toNhwc}), which ONNX Runtime's optimizer cancels between
 * neighbours. The io package implements this over a built model's weights and writes the file.
 */
public interface OnnxGraph {
    /** The opset the nodes are written for: ONNX 1.12's newest, IR version 8. */
    int OPSET = 17;

    /**
     * Appends one node of op type {@code op} reading {@code inputs}, with attributes as name, value
     * pairs (an int or long: INT; a float or double: FLOAT; a String: STRING; int[] or long[]: INTS;
     * float[]: FLOATS). Returns the name of its one output, which names {@code owner}.
     */
    String node(Layer owner, String op, List<String> inputs, Object... attributes);

    /** The initializer holding {@code owner}'s parameter or buffer {@code name}, in its declared shape. */
    String parameter(Layer owner, String name);

    /**
     * The initializer holding {@code owner}'s parameter {@code name} permuted as ONNX's Transpose
     * with {@code perm} would (output axis i is input axis perm[i]): a Conv2D kernel (KH, KW, C, F)
     * with perm (3, 2, 0, 1) is ONNX Conv's weight (F, C, KH, KW).
     */
    String parameter(Layer owner, String name, int... perm);

    /** A float32 initializer of shape {@code dims} (none: a scalar) named for {@code owner} and {@code what}. */
    String constant(Layer owner, String what, float[] values, int... dims);

    /** A 1-D int64 initializer (a shape for Reshape) named for {@code owner} and {@code what}. */
    String int64s(Layer owner, String what, long... values);

    /** x: (B, H, W, C) → (B, C, H, W). */
    default String toNchw(Layer owner, String x) {
        return node(owner, "Transpose", List.of(x), "perm", new int[] {0, 3, 1, 2});
    }

    /** x: (B, C, H, W) → (B, H, W, C). */
    default String toNhwc(Layer owner, String x) {
        return node(owner, "Transpose", List.of(x), "perm", new int[] {0, 2, 3, 1});
    }
}

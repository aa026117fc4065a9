package dev.clgrad.io;

import dev.clgrad.AtomicFile;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.OnnxGraph;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A built model's inference as an ONNX file (opset {@link OnnxGraph#OPSET}, IR version
 * {@value OnnxProto#IR_VERSION}): the graph input {@code input}: (batch, in…) float32, in clgrad's
 * layout (images NHWC, as {@code predict} takes them), each layer's nodes in order
 * ({@link Layer#exportOnnx}), and the graph output {@code output}: (batch, out…), with the symbolic
 * batch dimension {@code batch}. Parameters and buffers are initializers named as in the weights
 * file ({@code dense_1.kernel}; a Conv2D kernel permuted to ONNX's (F, C, KH, KW)); constants a
 * layer adds are named {@code layer/what}, nodes and their outputs {@code layer/Op} (then
 * {@code layer/Op_2}, …). The walk knows no layer type: each layer describes its own nodes.
 */
public final class OnnxExport {
    /** The graph's input and output names. */
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";
    private static final String BATCH = "batch";

    /** What an export wrote: the node and initializer counts and the file's size in bytes. */
    public record Summary(int nodes, int initializers, long bytes) {
    }

    private OnnxExport() {
    }

    /** Writes the ONNX file of {@code parts}' inference to {@code file}, atomically. Not modified: parts. */
    public static Summary write(ModelParts parts, Path file) throws IOException {
        Builder b = new Builder(parts);
        byte[] bytes = b.encode();
        AtomicFile.write(file, bytes);
        return new Summary(b.nodes.size(), b.initializers.size(), bytes.length);
    }

    /** The ONNX ModelProto of {@code parts}' inference. Not modified: parts. */
    public static byte[] encode(ModelParts parts) {
        return new Builder(parts).encode();
    }

    /** The graph being built over one model's weights. */
    private static final class Builder implements OnnxGraph {
        private final ModelParts parts;
        private final List<OnnxProto.Node> nodes = new ArrayList<>();
        private final Map<String, OnnxProto.Initializer> initializers = new LinkedHashMap<>();
        private final Set<String> names = new HashSet<>();
        private final Map<String, Tensor> state;

        Builder(ModelParts parts) {
            if (parts.inputShape() == null || parts.layers().isEmpty()) {
                throw new IllegalStateException("onnx export: the model is not built; build it (or fit) first");
            }
            this.parts = parts;
            this.state = parts.store().stateDict();
            names.add(INPUT);
        }

        byte[] encode() {
            String value = INPUT;
            for (Layer layer : parts.layers()) {
                value = layer.exportOnnx(this, value);
            }
            if (value.equals(INPUT)) {
                nodes.add(new OnnxProto.Node(OUTPUT, "Identity", List.of(INPUT), List.of(OUTPUT), List.of()));
            } else {
                rename(value, OUTPUT);
            }
            Shape out = parts.layers().get(parts.layers().size() - 1).outputShape();
            return OnnxProto.model("clgrad", "clgrad Sequential, inference; tensors in clgrad's layout (images NHWC)",
                    "clgrad", nodes, List.copyOf(initializers.values()),
                    new OnnxProto.Value(INPUT, BATCH, parts.inputShape().dims()),
                    new OnnxProto.Value(OUTPUT, BATCH, out.dims()), OPSET);
        }

        /** Gives the last layer's output value the graph output's name, in every node that names it. */
        private void rename(String from, String to) {
            for (int i = 0; i < nodes.size(); i++) {
                OnnxProto.Node n = nodes.get(i);
                nodes.set(i, new OnnxProto.Node(n.name(), n.op(), swap(n.inputs(), from, to), swap(n.outputs(), from, to),
                        n.attributes()));
            }
        }

        private static List<String> swap(List<String> values, String from, String to) {
            return values.stream().map(v -> v.equals(from) ? to : v).toList();
        }

        /** {@code base}, or {@code base_2}, {@code base_3}, … when taken. */
        private String fresh(String base) {
            String name = base;
            for (int k = 2; names.contains(name); k++) {
                name = base + "_" + k;
            }
            names.add(name);
            return name;
        }

        @Override
        public String node(Layer owner, String op, List<String> inputs, Object... attributes) {
            if (attributes.length % 2 != 0) {
                throw new IllegalArgumentException("onnx export: " + owner.name() + " " + op
                        + ": attributes must be name, value pairs, got " + attributes.length + " values");
            }
            List<OnnxProto.Attribute> attrs = new ArrayList<>();
            for (int i = 0; i < attributes.length; i += 2) {
                attrs.add(new OnnxProto.Attribute((String) attributes[i], attributes[i + 1]));
            }
            String name = fresh(owner.name() + "/" + op);
            nodes.add(new OnnxProto.Node(name, op, inputs, List.of(name), attrs));
            return name;
        }

        @Override
        public String parameter(Layer owner, String name) {
            return parameter(owner, name, (int[]) null);
        }

        @Override
        public String parameter(Layer owner, String name, int... perm) {
            String key = owner.name() + "." + name;
            if (initializers.containsKey(key)) {
                return key;
            }
            Tensor t = state.get(key);
            if (t == null) {
                throw new IllegalArgumentException("onnx export: " + owner.name() + " has no parameter " + name
                        + "; the model's parameters are " + state.keySet());
            }
            int[] dims = t.shape().dims();
            float[] values = t.toArray();
            if (perm != null) {
                values = permute(values, dims, perm, key);
                int[] permuted = new int[dims.length];
                for (int i = 0; i < dims.length; i++) {
                    permuted[i] = dims[perm[i]];
                }
                dims = permuted;
            }
            names.add(key);
            initializers.put(key, new OnnxProto.Initializer(key, dims, values, null));
            return key;
        }

        @Override
        public String constant(Layer owner, String what, float[] values, int... dims) {
            if (Arrays.stream(dims).asLongStream().reduce(1, (a, b) -> a * b) != values.length) {
                throw new IllegalArgumentException("onnx export: " + owner.name() + "/" + what + ": " + values.length
                        + " values for shape " + Arrays.toString(dims));
            }
            String name = fresh(owner.name() + "/" + what);
            initializers.put(name, new OnnxProto.Initializer(name, dims.clone(), values.clone(), null));
            return name;
        }

        @Override
        public String int64s(Layer owner, String what, long... values) {
            String name = fresh(owner.name() + "/" + what);
            initializers.put(name, new OnnxProto.Initializer(name, new int[] {values.length}, null, values.clone()));
            return name;
        }
    }

    /**
     * Row-major {@code values} of shape {@code dims} permuted as Transpose with {@code perm}: out
     * axis i is in axis perm[i]. Not modified: values.
     */
    static float[] permute(float[] values, int[] dims, int[] perm, String what) {
        int rank = dims.length;
        int[] sorted = perm.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < rank; i++) {
            if (perm.length != rank || sorted[i] != i) {
                throw new IllegalArgumentException("onnx export: " + what + ": perm " + Arrays.toString(perm)
                        + " is not a permutation of the axes of " + Arrays.toString(dims));
            }
        }
        int[] inStrides = new int[rank];
        for (int i = rank - 1, s = 1; i >= 0; s *= dims[i], i--) {
            inStrides[i] = s;
        }
        int[] outDims = new int[rank];
        for (int i = 0; i < rank; i++) {
            outDims[i] = dims[perm[i]];
        }
        float[] out = new float[values.length];
        int[] index = new int[rank];
        for (int o = 0; o < out.length; o++) {
            int from = 0;
            for (int i = 0; i < rank; i++) {
                from += index[i] * inStrides[perm[i]];
            }
            out[o] = values[from];
            for (int i = rank - 1; i >= 0 && ++index[i] == outDims[i]; i--) {
                index[i] = 0;
            }
        }
        return out;
    }
}

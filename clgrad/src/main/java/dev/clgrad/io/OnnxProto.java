package dev.clgrad.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The few ONNX messages an export needs, written with {@link ProtoWriter} at the field numbers of
 * {@code onnx.proto} (ONNX 1.12, IR version 8): {@code ModelProto} (ir_version 1, producer_name 2,
 * doc_string 6, graph 7, opset_import 8), {@code OperatorSetIdProto} (domain 1, version 2),
 * {@code GraphProto} (node 1, name 2, initializer 5, input 11, output 12), {@code NodeProto}
 * (input 1, output 2, name 3, op_type 4, attribute 5), {@code AttributeProto} (name 1, f 2, i 3,
 * s 4, floats 7, ints 8, type 20), {@code TensorProto} (dims 1, data_type 2, name 8, raw_data 9
 * little-endian), {@code ValueInfoProto} (name 1, type 2), {@code TypeProto} (tensor_type 1:
 * elem_type 1, shape 2) and {@code TensorShapeProto} (dim 1: dim_value 1, dim_param 2).
 */
final class OnnxProto {
    /** The IR version of ONNX 1.12, whose newest default-domain opset is 17. */
    static final long IR_VERSION = 8;

    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    private OnnxProto() {
    }

    /**
     * A node attribute: {@code value} an Integer or Long (INT), a Float or Double (FLOAT), a String
     * (STRING), an int[] or long[] (INTS), or a float[] (FLOATS).
     */
    record Attribute(String name, Object value) {
        Attribute {
            if (!(value instanceof Integer || value instanceof Long || value instanceof Float || value instanceof Double
                    || value instanceof String || value instanceof int[] || value instanceof long[]
                    || value instanceof float[])) {
                throw new IllegalArgumentException("onnx: attribute " + name + " has a value of type "
                        + (value == null ? "null" : value.getClass().getSimpleName())
                        + "; expected an integer, a number, a string, int[], long[] or float[]");
            }
        }
    }

    /** One node: op_type {@code op} of the default domain, named {@code name}. */
    record Node(String name, String op, List<String> inputs, List<String> outputs, List<Attribute> attributes) {
        Node {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = List.copyOf(attributes);
        }
    }

    /** A constant tensor of shape {@code dims}: float32 {@code floats} or, when that is null, int64 {@code longs}. */
    record Initializer(String name, int[] dims, float[] floats, long[] longs) {
    }

    /** A float32 graph input or output (B, dims…) whose first dimension is the symbol {@code batch}. */
    record Value(String name, String batch, int[] dims) {
    }

    /** The ModelProto of one graph in the default domain at {@code opset}. */
    static byte[] model(String producer, String doc, String graphName, List<Node> nodes, List<Initializer> initializers,
                        Value input, Value output, int opset) {
        ProtoWriter graph = new ProtoWriter();
        for (Node n : nodes) {
            graph.message(1, node(n));
        }
        graph.string(2, graphName);
        for (Initializer t : initializers) {
            graph.message(5, tensor(t));
        }
        graph.message(11, value(input));
        graph.message(12, value(output));
        return new ProtoWriter()
                .varint(1, IR_VERSION)
                .string(2, producer)
                .string(6, doc)
                .message(7, graph)
                .message(8, new ProtoWriter().string(1, "").varint(2, opset))
                .toByteArray();
    }

    private static ProtoWriter node(Node n) {
        ProtoWriter w = new ProtoWriter();
        n.inputs().forEach(s -> w.string(1, s));
        n.outputs().forEach(s -> w.string(2, s));
        w.string(3, n.name()).string(4, n.op());
        n.attributes().forEach(a -> w.message(5, attribute(a)));
        return w;
    }

    /** AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7. */
    private static ProtoWriter attribute(Attribute a) {
        ProtoWriter w = new ProtoWriter().string(1, a.name());
        Object v = a.value();
        if (v instanceof Integer || v instanceof Long) {
            w.varint(3, ((Number) v).longValue()).varint(20, 2);
        } else if (v instanceof Float || v instanceof Double) {
            w.float32(2, ((Number) v).floatValue()).varint(20, 1);
        } else if (v instanceof String s) {
            w.string(4, s).varint(20, 3);
        } else if (v instanceof int[] ints) {
            for (int i : ints) {
                w.varint(8, i);
            }
            w.varint(20, 7);
        } else if (v instanceof long[] longs) {
            for (long i : longs) {
                w.varint(8, i);
            }
            w.varint(20, 7);
        } else {
            for (float f : (float[]) v) {
                w.float32(7, f);
            }
            w.varint(20, 6);
        }
        return w;
    }

    private static ProtoWriter tensor(Initializer t) {
        ProtoWriter w = new ProtoWriter();
        for (int d : t.dims()) {
            w.varint(1, d);
        }
        ByteBuffer raw;
        if (t.floats() != null) {
            raw = ByteBuffer.allocate(t.floats().length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(t.floats());
            w.varint(2, FLOAT);
        } else {
            raw = ByteBuffer.allocate(t.longs().length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            raw.asLongBuffer().put(t.longs());
            w.varint(2, INT64);
        }
        return w.string(8, t.name()).bytes(9, raw.array());
    }

    private static ProtoWriter value(Value v) {
        ProtoWriter shape = new ProtoWriter().message(1, new ProtoWriter().string(2, v.batch()));
        for (int d : v.dims()) {
            shape.message(1, new ProtoWriter().varint(1, d));
        }
        ProtoWriter tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, v.name()).message(2, new ProtoWriter().message(1, tensorType));
    }
}

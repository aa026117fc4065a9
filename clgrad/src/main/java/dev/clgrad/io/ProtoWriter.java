package dev.clgrad.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One protocol-buffers message being written in the wire format (protobuf.dev, "Encoding"): each
 * field is a tag {@code (field << 3) | wireType} as a varint, then its value: wire type 0 a varint
 * (int32, int64, enum; a negative value as its 64-bit two's complement, ten bytes), 1 eight bytes
 * little-endian (double), 2 a varint length and that many bytes (string, bytes, a nested message,
 * a packed repeated scalar), 5 four bytes little-endian (float). Fields are written in the order the
 * caller writes them; repeated scalars are written one tag per value (unpacked), which every
 * parser accepts whether the schema declares them packed or not. Enough of protobuf for the ONNX
 * messages {@link OnnxProto} writes; there is no reader.
 */
final class ProtoWriter {
    private static final int VARINT = 0;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A varint field (int32, int64, enum). Returns this. */
    ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    /** A float field. Returns this. */
    ProtoWriter float32(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        return this;
    }

    /** A string field, UTF-8. Returns this. */
    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A bytes field. Returns this. Not modified: value. */
    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    /** A nested message field. Returns this. Not modified: message. */
    ProtoWriter message(int field, ProtoWriter message) {
        return bytes(field, message.toByteArray());
    }

    /** The message's bytes so far. */
    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        rawVarint(((long) field << 3) | wireType);
    }

    /** Seven bits a byte, low bits first, the high bit set on every byte but the last. */
    private void rawVarint(long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}

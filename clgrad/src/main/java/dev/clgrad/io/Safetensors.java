package dev.clgrad.io;

import dev.clgrad.AtomicFile;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.data.HostArray;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (Hugging Face), float32 only: an 8-byte little-endian header length n,
 * n bytes of JSON {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
 * "__metadata__": {"key": "value", …}}} padded with spaces to a multiple of 8, then the
 * little-endian data, each tensor at [begin, end) relative to the end of the header, contiguous in
 * header order. Metadata values are strings, as the format requires.
 *
 * <p>Reading checks every declared size against the file before allocating anything, so a
 * corrupt or hostile file costs at most its own length in memory; every problem is an
 * {@link IOException} naming the file.
 */
public final class Safetensors {
    private static final long MAX_HEADER = 100L << 20;

    /** The tensors of a file, in header order, and its {@code __metadata__}. */
    public record Contents(Map<String, HostArray> tensors, Map<String, String> metadata) {
    }

    private Safetensors() {
    }

    /** Writes the tensors in map order, atomically (see {@link AtomicFile}). Not modified: tensors. */
    public static void write(Path file, Map<String, HostArray> tensors) throws IOException {
        write(file, tensors, Map.of("format", "clgrad"));
    }

    /** Writes the tensors and string metadata atomically. Not modified: tensors, metadata. */
    public static void write(Path file, Map<String, HostArray> tensors, Map<String, String> metadata)
            throws IOException {
        AtomicFile.write(file, encode(tensors, metadata));
    }

    /** The file's bytes for these tensors and metadata. Not modified: tensors, metadata. */
    static byte[] encode(Map<String, HostArray> tensors, Map<String, String> metadata) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, HostArray> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("safetensors: __metadata__ is reserved and cannot name a tensor");
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = (long) e.getValue().data().length * Float.BYTES;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        byte[] h;
        try {
            h = json.writeValueAsBytes(header);
        } catch (JacksonException e) {
            throw new IllegalStateException("safetensors: cannot serialise the header: " + e.getOriginalMessage(), e);
        }
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (HostArray a : tensors.values()) {
            out.asFloatBuffer().put(a.data());
            out.position(out.position() + a.data().length * Float.BYTES);
        }
        return out.array();
    }

    /** Reads every tensor, in header order; a malformed file is an IOException naming it and the problem. */
    public static Map<String, HostArray> read(Path file) throws IOException {
        return readContents(file).tensors();
    }

    /** Reads every tensor and the metadata. */
    public static Contents readContents(Path file) throws IOException {
        return decode(Files.readAllBytes(file), file.toString());
    }

    /** Parses a whole file held in {@code bytes}; {@code source} names it in errors. Not modified: bytes. */
    static Contents decode(byte[] bytes, String source) throws IOException {
        if (bytes.length < 8) {
            throw new IOException(source + ": truncated: " + bytes.length + " bytes, a safetensors file starts with an "
                    + "8-byte header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        if (n < 2 || n > MAX_HEADER || 8 + n > bytes.length) {
            throw new IOException(source + ": header length " + n + " does not fit the file of " + bytes.length
                    + " bytes (truncated or not a safetensors file?)");
        }
        JsonNode header;
        try {
            header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw new IOException(source + ": malformed safetensors header: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new IOException(source + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataLen = bytes.length - dataStart;
        Map<String, HostArray> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = header.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                metadata(source, e.getValue(), metadata);
            } else {
                tensors.put(e.getKey(), tensor(source, e.getKey(), e.getValue(), buf, dataStart, dataLen));
            }
        }
        return new Contents(tensors, metadata);
    }

    private static void metadata(String source, JsonNode m, Map<String, String> out) throws IOException {
        if (!m.isObject()) {
            throw new IOException(source + ": __metadata__ is not a JSON object of strings");
        }
        Iterator<Map.Entry<String, JsonNode>> it = m.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new IOException(source + ": __metadata__." + e.getKey() + " is not a string: " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
    }

    private static HostArray tensor(String source, String name, JsonNode t, ByteBuffer buf, long dataStart,
                                    long dataLen) throws IOException {
        String where = source + ": tensor " + name + ": ";
        if (!t.path("dtype").asText().equals("F32")) {
            throw new IOException(where + "dtype " + t.path("dtype") + " is not supported; expected \"F32\"");
        }
        JsonNode shape = t.path("shape");
        JsonNode offs = t.path("data_offsets");
        if (!shape.isArray() || !offs.isArray() || offs.size() != 2) {
            throw new IOException(where + "expected \"shape\": [..] and \"data_offsets\": [begin, end]");
        }
        int[] dims = new int[Math.max(shape.size(), 1)];
        dims[0] = 1;
        long count = 1;
        for (int i = 0; i < shape.size(); i++) {
            JsonNode d = shape.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.asInt() < 0) {
                throw new IOException(where + "bad dimension " + d + " in shape " + shape);
            }
            dims[i] = d.asInt();
            count *= dims[i];
            if (count * Float.BYTES > dataLen) {
                throw new IOException(where + "shape " + shape + " needs more than the " + dataLen
                        + " data bytes in the file (truncated file?)");
            }
        }
        if (!offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber()) {
            throw new IOException(where + "data_offsets " + offs + " are not integers");
        }
        long begin = offs.get(0).asLong();
        long end = offs.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new IOException(where + "data_offsets [" + begin + ", " + end + "] fall outside the " + dataLen
                    + " data bytes (truncated file?)");
        }
        if (end - begin != count * Float.BYTES) {
            throw new IOException(where + "data_offsets span " + (end - begin) + " bytes, shape " + shape + " of F32 needs "
                    + count * Float.BYTES);
        }
        float[] data = new float[(int) count];
        buf.slice((int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new HostArray(dims, data);
    }
}

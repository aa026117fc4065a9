package dev.clgrad.io;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (Hugging Face), float32 only: an 8-byte little-endian header length n,
 * n bytes of JSON {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
 * "__metadata__": {…}}} padded with spaces to a multiple of 8, then the little-endian data, each
 * tensor at [begin, end) relative to the end of the header.
 */
public final class Safetensors {
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    /** Writes the tensors in map order, atomically (a temporary file moved into place). Not modified: tensors. */
    public static void write(Path file, Map<String, HostArray> tensors) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, HostArray> e : tensors.entrySet()) {
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
        header.putObject("__metadata__").put("format", "clgrad");
        byte[] h = json.writeValueAsBytes(header);
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
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, out.array());
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads every tensor, in header order; a malformed file is an IOException naming it and the problem. */
    public static Map<String, HostArray> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw new IOException(file + ": truncated: " + bytes.length + " bytes, a safetensors file starts with an "
                    + "8-byte header length");
        }
        long n = buf.getLong(0);
        if (n < 2 || n > MAX_HEADER || 8 + n > bytes.length) {
            throw new IOException(file + ": header length " + n + " does not fit the file of " + bytes.length
                    + " bytes");
        }
        JsonNode header;
        try {
            header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": malformed safetensors header: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new IOException(file + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataLen = bytes.length - dataStart;
        Map<String, HostArray> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = header.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            out.put(e.getKey(), tensor(file, e.getKey(), e.getValue(), buf, dataStart, dataLen));
        }
        return out;
    }

    private static HostArray tensor(Path file, String name, JsonNode t, ByteBuffer buf, long dataStart, long dataLen)
            throws IOException {
        String where = file + ": tensor " + name + ": ";
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
            if (!shape.get(i).canConvertToInt() || shape.get(i).asInt() < 0) {
                throw new IOException(where + "bad dimension " + shape.get(i));
            }
            dims[i] = shape.get(i).asInt();
            count *= dims[i];
        }
        long begin = offs.get(0).asLong(-1);
        long end = offs.get(1).asLong(-1);
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

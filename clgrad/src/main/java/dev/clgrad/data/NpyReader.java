package dev.clgrad.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads NumPy {@code .npy} files (format versions 1, 2 and 3): the magic {@code \x93NUMPY}, the
 * version, a little-endian header length (2 bytes in v1, 4 after), then a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, C), }} and the raw C-order data.
 * Supported dtypes: float32 {@code <f4}, float64 {@code <f8}, uint8 {@code |u1}, int64 {@code <i8};
 * all are converted to float32 (a finite float64 beyond float32's range is an error, not ∞). Anything else, Fortran order, or a data length that does not match
 * the shape is an {@link IOException} naming the file.
 */
public final class NpyReader {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {
    }

    public static HostArray read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10) {
            throw new IOException(file + ": truncated: " + bytes.length + " bytes is shorter than an .npy preamble");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new IOException(file + ": not an .npy file: the magic string \\x93NUMPY is missing");
            }
        }
        int major = bytes[6];
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new IOException(file + ": truncated .npy preamble");
            }
            headerLen = buf.getInt(8) & 0xffffffffL;
            start = 12;
        } else {
            throw new IOException(file + ": .npy format version " + major + "." + bytes[7]
                    + " is not supported; expected 1, 2 or 3");
        }
        if (start + headerLen > bytes.length) {
            throw new IOException(file + ": truncated: header of " + headerLen + " bytes, file has "
                    + (bytes.length - start) + " after the preamble");
        }
        String header = new String(bytes, start, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = field(DESCR, header, "descr", file);
        if (field(ORDER, header, "fortran_order", file).equals("True")) {
            throw new IOException(file + ": Fortran-order arrays are not supported; save with C order "
                    + "(np.ascontiguousarray)");
        }
        int[] shape = parseShape(field(SHAPE, header, "shape", file), file);
        int width = switch (descr) {
            case "<f4" -> 4;
            case "<f8", "<i8" -> 8;
            case "|u1", "<u1" -> 1;
            default -> throw new IOException(file + ": dtype '" + descr
                    + "' is not supported; expected <f4 (float32), <f8 (float64), |u1 (uint8) or <i8 (int64)");
        };
        int dataStart = start + (int) headerLen;
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n * width > bytes.length) {
                throw new IOException(file + ": truncated: shape " + Arrays.toString(shape) + " of " + descr
                        + " needs more data bytes than the " + (bytes.length - dataStart) + " present");
            }
        }
        long expected = n * width;
        long present = bytes.length - dataStart;
        if (present != expected) {
            throw new IOException(file + ": " + (present < expected ? "truncated" : "trailing bytes") + ": shape "
                    + Arrays.toString(shape) + " of " + descr + " needs " + expected + " data bytes, found "
                    + present);
        }
        float[] out = new float[(int) n];
        buf.position(dataStart);
        for (int i = 0; i < n; i++) {
            out[i] = switch (descr) {
                case "<f4" -> buf.getFloat();
                case "<f8" -> toFloat32(buf.getDouble(), i, shape, file);
                case "<i8" -> (float) buf.getLong();
                default -> buf.get() & 0xff;
            };
        }
        if (shape.length == 0) {
            return new HostArray(new int[]{1}, out);
        }
        return new HostArray(shape, out);
    }

    /**
     * A float64 value as float32; a finite value beyond float32's range would silently become
     * infinite, so it is an error naming the 1-based row and value (CSV rejects such numbers alike).
     */
    private static float toFloat32(double v, int index, int[] shape, Path file) throws IOException {
        float f = (float) v;
        if (Float.isInfinite(f) && !Double.isInfinite(v)) {
            long perRow = 1;
            for (int k = 1; k < shape.length; k++) {
                perRow *= shape[k];
            }
            throw new IOException(file + ": row " + (index / perRow + 1) + ", value " + (index % perRow + 1) + ": " + v
                    + " is beyond the float32 range (largest " + Float.MAX_VALUE + "); store inf for infinity");
        }
        return f;
    }

    private static String field(Pattern p, String header, String name, Path file) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": malformed .npy header, no '" + name + "' entry: " + header.strip());
        }
        return m.group(1);
    }

    private static int[] parseShape(String s, Path file) throws IOException {
        String[] parts = s.split(",");
        int count = 0;
        int[] dims = new int[parts.length];
        for (String p : parts) {
            String t = p.strip();
            if (t.isEmpty()) {
                continue;
            }
            try {
                dims[count] = Integer.parseInt(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
            } catch (NumberFormatException e) {
                throw new IOException(file + ": malformed .npy shape (" + s + ")", e);
            }
            if (dims[count] < 0) {
                throw new IOException(file + ": negative dimension in .npy shape (" + s + ")");
            }
            count++;
        }
        return Arrays.copyOf(dims, count);
    }
}

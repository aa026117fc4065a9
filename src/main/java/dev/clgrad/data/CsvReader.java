package dev.clgrad.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a numeric CSV file (comma-separated, one row per line, optional header line, blank lines
 * skipped, a UTF-8 byte-order mark at the start ignored) into a (rows, cols) {@link HostArray}.
 * A field is a decimal number ({@code -1.5}, {@code .5}, {@code 2e-3}), or {@code NaN},
 * {@code inf}, {@code -inf}, {@code Infinity} (any case) for the special values; Java's extras
 * ({@code 1f}, {@code 2d}, hexadecimal {@code 0x1p3}) are not numbers here, and a finite value
 * beyond float32's range ({@code 1e39}) is an error rather than infinity. A bad field or a row of
 * the wrong width is an {@link IOException} naming the file, the line (1-based) and the column
 * (1-based).
 */
public final class CsvReader {
    private CsvReader() {
    }

    /** The values of a CSV file and, for messages, the 1-based line number of each data row. */
    public record Table(HostArray values, int[] lines) {
    }

    /** @param header whether the first line names the columns (it is skipped) */
    public static HostArray read(Path file, boolean header) throws IOException {
        return readTable(file, header).values();
    }

    /** {@link #read}, keeping the line number of each row. */
    public static Table readTable(Path file, boolean header) throws IOException {
        List<float[]> rows = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        int width = -1;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (header && lineNo == 1 || line.isBlank()) {
                    continue;
                }
                String[] fields = line.split(",", -1);
                if (width < 0) {
                    width = fields.length;
                } else if (fields.length != width) {
                    throw new IOException(file + ":" + lineNo + ": " + fields.length + " fields, expected " + width
                            + " as on the first data row");
                }
                float[] row = new float[width];
                for (int c = 0; c < width; c++) {
                    String f = fields[c].strip();
                    row[c] = parse(f, file, lineNo, c);
                }
                rows.add(row);
                lines.add(lineNo);
            }
        }
        if (rows.isEmpty()) {
            throw new IOException(file + ": no data rows");
        }
        float[] data = new float[rows.size() * width];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, data, r * width, width);
        }
        return new Table(new HostArray(new int[]{rows.size(), width}, data),
                lines.stream().mapToInt(Integer::intValue).toArray());
    }

    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final java.util.regex.Pattern SPECIAL =
            java.util.regex.Pattern.compile("(?i)[+-]?(nan|inf|infinity)");

    /** One field as a float32: decimal, or NaN/±inf spelled out; see the class comment. */
    static float parse(String f, Path file, int lineNo, int col) throws IOException {
        String where = file + ":" + lineNo + ": column " + (col + 1) + ": ";
        if (SPECIAL.matcher(f).matches()) {
            String s = f.toLowerCase(java.util.Locale.ROOT);
            return s.endsWith("nan") ? Float.NaN : s.startsWith("-") ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        if (!DECIMAL.matcher(f).matches()) {
            throw new IOException(where + "'" + f + "' is not a number"
                    + (f.isEmpty() ? " (empty field)" : ""));
        }
        float v = Float.parseFloat(f);
        if (Float.isInfinite(v)) {
            throw new IOException(where + f + " is beyond the float32 range (largest " + Float.MAX_VALUE
                    + "); write inf for infinity");
        }
        return v;
    }

    /**
     * Splits a (N, C) table into a data set: column {@code labelColumn} (0-based) becomes the
     * targets (N, 1), the other columns the inputs (N, C-1).
     */
    public static Dataset toDataset(HostArray table, int labelColumn) {
        int n = table.rows();
        int c = table.cols();
        if (labelColumn < 0 || labelColumn >= c || c < 2) {
            throw new IllegalArgumentException("CSV label column " + labelColumn + " is not one of the " + c
                    + " columns, or no input columns remain");
        }
        float[] x = new float[n * (c - 1)];
        float[] y = new float[n];
        float[] d = table.data();
        for (int r = 0; r < n; r++) {
            int o = 0;
            for (int k = 0; k < c; k++) {
                if (k == labelColumn) {
                    y[r] = d[r * c + k];
                } else {
                    x[r * (c - 1) + o++] = d[r * c + k];
                }
            }
        }
        return new Dataset(x, y, n, c - 1, 1);
    }
}

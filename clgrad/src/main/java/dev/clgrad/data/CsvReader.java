package dev.clgrad.data;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;

import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads a numeric CSV file into a (rows, cols) {@link HostArray}. The file is RFC 4180 CSV as
 * Jackson's CSV parser reads it: comma-separated, fields optionally in double quotes (a quoted
 * field may hold commas, doubled quotes and line breaks), an optional header row naming the
 * columns, blank lines skipped, spaces around a field trimmed, the encoding detected from a
 * byte-order mark (UTF-8 without one). A field is a decimal number ({@code -1.5}, {@code .5},
 * {@code 2e-3}), or {@code NaN}, {@code inf}, {@code -inf}, {@code Infinity} (any case) for the
 * special values; Java's extras ({@code 1f}, {@code 2d}, hexadecimal {@code 0x1p3}) are not
 * numbers here, and a finite value beyond float32's range ({@code 1e39}) is an error rather than
 * infinity. A bad field, a row of the wrong width or broken quoting is an {@link IOException}
 * naming the file, the line (1-based; a row's first line) and the column (1-based).
 */
public final class CsvReader {
    private static final CsvFactory CSV = CsvFactory.builder()
            .enable(CsvParser.Feature.SKIP_EMPTY_LINES)
            .enable(CsvParser.Feature.TRIM_SPACES)
            .build();

    private CsvReader() {
    }

    /**
     * The values of a CSV file, for messages the 1-based line on which each data row starts, and
     * the header's column names (empty without a header).
     */
    public record Table(HostArray values, int[] lines, List<String> columns) {
        public Table {
            columns = List.copyOf(columns);
        }

        /** A table without column names. */
        public Table(HostArray values, int[] lines) {
            this(values, lines, List.of());
        }

        /**
         * The 0-based index of the header column named {@code name} (exact match after trimming);
         * an error names the file and lists the columns.
         */
        public int column(String name, Path file) throws IOException {
            int i = columns.indexOf(name);
            if (i < 0) {
                throw new IOException(file + ": no column named '" + name + "'" + (columns.isEmpty()
                        ? "; the file is read without a header, so columns are numbered (0-based)"
                        : "; the header has " + String.join(", ", columns.stream().map(c -> "'" + c + "'").toList())));
            }
            return i;
        }
    }

    /** @param header whether the first row names the columns (it is not data) */
    public static HostArray read(Path file, boolean header) throws IOException {
        return readTable(file, header).values();
    }

    /** {@link #read}, keeping the line number of each row and the column names. */
    public static Table readTable(Path file, boolean header) throws IOException {
        List<float[]> rows = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        List<String> columns = List.of();
        int width = -1;
        try (InputStream in = Files.newInputStream(file); CsvParser p = CSV.createParser(in)) {
            List<String> fields = new ArrayList<>();
            boolean headerNext = header;
            int line;
            while ((line = row(p, fields, file)) > 0) {
                if (headerNext) {
                    columns = List.copyOf(fields);
                    width = fields.size();
                    headerNext = false;
                    continue;
                }
                if (width < 0) {
                    width = fields.size();
                } else if (fields.size() != width) {
                    throw new IOException(file + ":" + line + ": " + fields.size() + " fields, expected " + width
                            + (header ? " as in the header" : " as on the first data row"));
                }
                float[] row = new float[width];
                for (int c = 0; c < width; c++) {
                    row[c] = parse(fields.get(c), file, line, c);
                }
                rows.add(row);
                lines.add(line);
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
                lines.stream().mapToInt(Integer::intValue).toArray(), columns);
    }

    /**
     * Reads the next row's fields into {@code fields} (cleared first; a row without fields is
     * skipped) and returns the 1-based line it starts on, or 0 at the end of the file. Jackson's parse errors (an unclosed quote,
     * text after a closing quote) become an {@link IOException} naming the file and the row's
     * line (and the line where the parser gave up, when later).
     */
    private static int row(CsvParser p, List<String> fields, Path file) throws IOException {
        fields.clear();
        int line = 0;
        try {
            while (fields.isEmpty()) {
                JsonToken t = p.nextToken();
                if (t == null) {
                    return 0;
                }
                while ((t = p.nextToken()) == JsonToken.VALUE_STRING) {
                    if (line == 0) {
                        line = p.currentTokenLocation().getLineNr();
                    }
                    fields.add(p.getText().strip());
                }
                if (t != JsonToken.END_ARRAY) {
                    throw new IOException(file + ":" + p.currentTokenLocation().getLineNr() + ": unexpected " + t
                            + " in a CSV row");
                }
            }
            return line;
        } catch (StreamReadException e) {
            int at = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            int start = line > 0 ? line : at;
            throw new IOException(file + (start > 0 ? ":" + start : "") + ": " + e.getOriginalMessage()
                    + (at > start ? " (reached line " + at + ")" : ""), e);
        } catch (CharConversionException e) {
            throw new IOException(file + ":" + Math.max(line, p.currentLocation().getLineNr()) + ": not UTF-8 text "
                    + "(nor UTF-16 or UTF-32 after a byte-order mark): " + e.getMessage(), e);
        }
    }

    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern SPECIAL = Pattern.compile("(?i)[+-]?(nan|inf|infinity)");

    /** One field as a float32: decimal, or NaN/±inf spelled out; see the class comment. */
    static float parse(String f, Path file, int lineNo, int col) throws IOException {
        String where = file + ":" + lineNo + ": column " + (col + 1) + ": ";
        if (SPECIAL.matcher(f).matches()) {
            String s = f.toLowerCase(Locale.ROOT);
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

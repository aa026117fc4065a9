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
 * skipped) into a (rows, cols) {@link HostArray}. A non-numeric field or a row of the wrong width
 * is an {@link IOException} naming the file, the line and the column.
 */
public final class CsvReader {
    private CsvReader() {
    }

    /** @param header whether the first line names the columns (it is skipped) */
    public static HostArray read(Path file, boolean header) throws IOException {
        List<float[]> rows = new ArrayList<>();
        int width = -1;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
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
                    try {
                        row[c] = Float.parseFloat(f);
                    } catch (NumberFormatException e) {
                        throw new IOException(file + ":" + lineNo + ": column " + (c + 1) + ": '" + f
                                + "' is not a number", e);
                    }
                }
                rows.add(row);
            }
        }
        if (rows.isEmpty()) {
            throw new IOException(file + ": no data rows");
        }
        float[] data = new float[rows.size() * width];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, data, r * width, width);
        }
        return new HostArray(new int[]{rows.size(), width}, data);
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

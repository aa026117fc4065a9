package dev.clgrad.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where the rows of a {@link Dataset} came from, so that a message can name the file and the
 * 1-based row or line: the inputs' and the targets' files (the same file for a CSV; null for data
 * made in memory), the shape of one input row as the file stores it, the 0-based row of the file
 * that is the data set's first (a slice starts further in), and for CSV the 1-based line of each
 * row and the 0-based label column.
 */
public record Origin(Path x, Path y, int[] sampleShape, int firstRow, int[] lines, int labelColumn) {

    /** Data made in memory: rows of {@code features} values. */
    public static Origin memory(int features) {
        return new Origin(null, null, new int[]{features}, 0, null, -1);
    }

    /** Inputs from file {@code x}, rows of shape {@code sampleShape}, and targets from file {@code y}. */
    public static Origin files(Path x, Path y, int[] sampleShape) {
        return new Origin(x, y, sampleShape.clone(), 0, null, -1);
    }

    /** A CSV file whose row r is on line {@code lines[r]}, its label in column {@code labelColumn} (0-based). */
    public static Origin csv(Path file, int[] lines, int labelColumn, int features) {
        return new Origin(file, file, new int[]{features}, 0, lines.clone(), labelColumn);
    }

    /** Whether the rows came from files. */
    public boolean fromFiles() {
        return x != null;
    }

    /** {@code d.csv}, {@code x.npy and y.npy}; null for data made in memory. */
    public String files() {
        return x == null ? null : x.equals(y) ? x.toString() : x + " and " + y;
    }

    /** The shape of one input row: {@code 784} or {@code 28×28}. */
    public String shapeText() {
        StringBuilder b = new StringBuilder();
        for (int d : sampleShape) {
            b.append(b.length() == 0 ? "" : "×").append(d);
        }
        return b.toString();
    }

    /** Rows [from, to) of this origin's data set. */
    public Origin slice(int from, int to) {
        return new Origin(x, y, sampleShape, firstRow + from, lines == null ? null : Arrays.copyOfRange(lines, from, to),
                labelColumn);
    }

    /**
     * Where input value {@code col} of row {@code row} is (both 0-based), 1-based:
     * {@code d.csv:4: column 3}, {@code x.npy: row 2, value 5}, {@code x row 2, value 5}.
     */
    public String inputAt(int row, int col) {
        if (lines != null) {
            return x + ":" + lines[row] + ": column " + (col + (col >= labelColumn ? 2 : 1));
        }
        return (x == null ? "x" : x + ":") + " row " + (firstRow + row + 1) + ", value " + (col + 1);
    }

    /**
     * Where the target of row {@code row}, column {@code col} is (both 0-based), 1-based:
     * {@code d.csv:4: column 1}, {@code y.npy: row 2}, {@code y row 2, value 3}.
     */
    public String targetAt(int row, int col) {
        if (lines != null) {
            return y + ":" + lines[row] + ": column " + (labelColumn + 1);
        }
        return (y == null ? "y" : y + ":") + " row " + (firstRow + row + 1) + (col > 0 ? ", value " + (col + 1) : "");
    }
}

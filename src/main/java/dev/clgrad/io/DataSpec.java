package dev.clgrad.io;

import dev.clgrad.data.CsvReader;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.HostArray;
import dev.clgrad.tensor.Shape;
import dev.clgrad.data.IdxReader;
import dev.clgrad.data.NpyReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The {@code data} section of a model config: where the training and test sets come from.
 * <ul>
 *   <li>{@code {"type": "random-normal", "train": N, "test": M, "features": I, "targets": T, "seed": S}}:
 *       x and y independent standard normal (the seed example's data; test may be 0).</li>
 *   <li>{@code {"type": "idx", "dir": D, "limit": L}}: MNIST-style files {@code train-images-idx3-ubyte.gz},
 *       {@code train-labels-idx1-ubyte.gz}, {@code t10k-…} in D (names overridable with
 *       {@code trainImages}, {@code trainLabels}, {@code testImages}, {@code testLabels}); pixels scaled
 *       to [0, 1]; L keeps the first L training rows.</li>
 *   <li>{@code {"type": "csv", "train": F, "test": F, "labelColumn": 0, "header": false}}.</li>
 *   <li>{@code {"type": "npy", "xTrain": F, "yTrain": F, "xTest": F, "yTest": F}}.</li>
 * </ul>
 * Relative file names resolve against {@code dir}, or the config file's folder; {@code --data DIR}
 * replaces {@code dir}.
 *
 * @param dir   null for the config's folder
 * @param files type-specific file names (unused entries null)
 */
public record DataSpec(String type, Path dir, Path baseDir, int train, int test, int features, int targets, long seed,
                       int limit, int labelColumn, boolean header, String[] files) {

    /**
     * Training and test sets, test null when the spec has none, each with where it came from (for
     * messages; never null for a set that is present).
     */
    public record Split(Dataset train, Dataset test, Source trainSource, Source testSource) {
        public Split(Dataset train, Dataset test) {
            this(train, test, Source.generated("training set", train), test == null ? null
                    : Source.generated("test set", test));
        }
    }

    /**
     * Where a data set came from, so that a message can name the file and the 1-based row: its role
     * ({@code training set}), the inputs' and the targets' files (the same CSV file for both; null
     * for generated data), the shape of one input row as the file stores it, and for CSV the
     * 1-based line of each row and the 0-based label column.
     */
    public record Source(String role, Path x, Path y, int[] sampleShape, int[] lines, int labelColumn) {
        static Source generated(String role, Dataset d) {
            return new Source(role, null, null, new int[]{d.features()}, null, -1);
        }

        /** {@code training set d.csv}, {@code test set t10k-images… and t10k-labels…}. */
        public String describe() {
            if (x == null) {
                return "the generated " + role;
            }
            return "the " + role + " " + (x.equals(y) ? x.toString() : x + " and " + y);
        }

        /** The shape of one input row: {@code 784} or {@code 28×28}. */
        public String shapeText() {
            StringBuilder b = new StringBuilder();
            for (int d : sampleShape) {
                b.append(b.length() == 0 ? "" : "×").append(d);
            }
            return b.toString();
        }

        /** Where input value {@code col} (0-based) of row {@code row} (0-based) is, 1-based. */
        public String inputAt(int row, int col) {
            if (lines != null) {
                return x + ":" + lines[row] + ": column " + (col + (col >= labelColumn ? 2 : 1));
            }
            return (x == null ? "the generated " + role : x.toString()) + ": row " + (row + 1) + ", value " + (col + 1);
        }

        /** Where the target of row {@code row} (0-based), column {@code col} (0-based) is, 1-based. */
        public String targetAt(int row, int col) {
            if (lines != null) {
                return y + ":" + lines[row] + ": column " + (labelColumn + 1);
            }
            return (y == null ? "the generated " + role : y.toString()) + ": row " + (row + 1)
                    + (col > 0 ? ", value " + (col + 1) : "");
        }
    }

    static DataSpec parse(ConfigNode d, Path baseDir) throws ConfigException {
        String type = d.string("type");
        Path dir = d.has("dir") ? path(d, "dir", d.string("dir")) : null;
        DataSpec spec = switch (type) {
            case "random-normal" -> {
                d.onlyKeys(Set.of("type", "train", "test", "features", "targets", "seed"));
                yield new DataSpec(type, dir, baseDir, d.integer("train", 1, 1 << 26), d.integer("test", 0, 1 << 26, 0),
                        d.integer("features", 1, 1 << 20), d.integer("targets", 1, 1 << 20, 1), d.longValue("seed", 0),
                        0, 0, false, new String[0]);
            }
            case "idx" -> {
                d.onlyKeys(Set.of("type", "dir", "limit", "trainImages", "trainLabels", "testImages", "testLabels"));
                yield new DataSpec(type, dir == null ? Path.of("/usr/share/datasets/fashion-mnist") : dir, baseDir,
                        0, 0, 0, 0, 0, d.integer("limit", 1, Integer.MAX_VALUE, Integer.MAX_VALUE), 0, false,
                        new String[]{d.string("trainImages", "train-images-idx3-ubyte.gz"),
                                d.string("trainLabels", "train-labels-idx1-ubyte.gz"),
                                d.string("testImages", "t10k-images-idx3-ubyte.gz"),
                                d.string("testLabels", "t10k-labels-idx1-ubyte.gz")});
            }
            case "csv" -> {
                d.onlyKeys(Set.of("type", "dir", "train", "test", "labelColumn", "header"));
                yield new DataSpec(type, dir, baseDir, 0, 0, 0, 0, 0, Integer.MAX_VALUE,
                        d.integer("labelColumn", 0, 1 << 20, 0), d.bool("header", false),
                        new String[]{d.string("train"), d.string("test", null)});
            }
            case "npy" -> {
                d.onlyKeys(Set.of("type", "dir", "xTrain", "yTrain", "xTest", "yTest"));
                yield new DataSpec(type, dir, baseDir, 0, 0, 0, 0, 0, Integer.MAX_VALUE, 0, false,
                        new String[]{d.string("xTrain"), d.string("yTrain"), d.string("xTest", null),
                                d.string("yTest", null)});
            }
            default -> throw d.error("type", "unknown data type '" + type + "'; expected one of random-normal, idx, csv, npy");
        };
        for (String f : spec.files) {
            if (f != null) {
                path(d, null, f);
            }
        }
        return spec;
    }

    /** The string as a path; one the OS cannot name (a NUL character, say) is a config error. */
    private static Path path(ConfigNode d, String field, String value) throws ConfigException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw d.error(field, "'" + value + "' is not a valid path: " + e.getReason());
        }
    }

    /** Loads the data; {@code dirOverride} (from {@code --data}) replaces {@code dir} when not null. */
    public Split load(Path dirOverride) throws IOException {
        Path folder = dirOverride != null ? dirOverride : dir != null ? dir : baseDir;
        switch (type) {
            case "random-normal" -> {
                SplittableRandom rng = new SplittableRandom(seed);
                Dataset tr = normal(rng, train);
                return new Split(tr, test > 0 ? normal(rng, test) : null);
            }
            case "idx" -> {
                Path xf = file(folder, files[0]);
                HostArray x = IdxReader.read(xf, 1f / 255);
                Path yf = file(folder, files[1]);
                HostArray y = IdxReader.read(yf, 1f);
                Dataset tr = images(pair(x, xf, y, yf));
                if (limit < tr.rows()) {
                    tr = tr.slice(0, limit);
                }
                Path xt = file(folder, files[2]);
                HostArray xTest = IdxReader.read(xt, 1f / 255);
                Path yt = file(folder, files[3]);
                return new Split(tr, images(pair(xTest, xt, IdxReader.read(yt, 1f), yt)),
                        new Source("training set", xf, yf, sample(x), null, -1),
                        new Source("test set", xt, yt, sample(xTest), null, -1));
            }
            case "csv" -> {
                Path trf = file(folder, files[0]);
                CsvReader.Table t = CsvReader.readTable(trf, header);
                Dataset tr = CsvReader.toDataset(t.values(), labelColumn);
                Source trs = new Source("training set", trf, trf, new int[]{tr.features()}, t.lines(), labelColumn);
                if (files[1] == null) {
                    return new Split(tr, null, trs, null);
                }
                Path tef = file(folder, files[1]);
                CsvReader.Table tt = CsvReader.readTable(tef, header);
                Dataset te = CsvReader.toDataset(tt.values(), labelColumn);
                return new Split(tr, te, trs,
                        new Source("test set", tef, tef, new int[]{te.features()}, tt.lines(), labelColumn));
            }
            default -> {
                Path xf = file(folder, files[0]);
                HostArray x = NpyReader.read(xf);
                Path yf = file(folder, files[1]);
                Dataset tr = pair(x, xf, NpyReader.read(yf), yf);
                Source trs = new Source("training set", xf, yf, sample(x), null, -1);
                if (files[2] == null || files[3] == null) {
                    return new Split(tr, null, trs, null);
                }
                Path xt = file(folder, files[2]);
                HostArray xTest = NpyReader.read(xt);
                Path yt = file(folder, files[3]);
                return new Split(tr, pair(xTest, xt, NpyReader.read(yt), yt), trs,
                        new Source("test set", xt, yt, sample(xTest), null, -1));
            }
        }
    }

    /** Inputs and targets from two files, whose row counts must agree (the error names both). */
    private static Dataset pair(HostArray x, Path xf, HostArray y, Path yf) throws IOException {
        if (x.rows() != y.rows()) {
            throw new IOException(xf + " has " + x.rows() + " rows but " + yf + " has " + y.rows()
                    + "; inputs and targets must pair up row by row");
        }
        return Dataset.of(x, y);
    }

    /** The shape of one row as stored: (N, 28, 28) → [28, 28]; (N) → [1]. */
    private static int[] sample(HostArray a) {
        int[] s = a.shape();
        return s.length == 1 ? new int[]{1} : java.util.Arrays.copyOfRange(s, 1, s.length);
    }

    private Dataset normal(SplittableRandom rng, int rows) {
        float[] x = new float[rows * features];
        float[] y = new float[rows * targets];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        return new Dataset(x, y, rows, features, targets);
    }

    private static Path file(Path folder, String name) throws IOException {
        Path p = folder == null ? Path.of(name) : folder.resolve(name);
        if (Files.isDirectory(p)) {
            throw new IOException(p + ": is a folder; expected a data file");
        }
        if (!Files.isRegularFile(p)) {
            throw new IOException(p + ": no such data file");
        }
        return p;
    }

    /** IDX images (N, H, W) as samples of shape (H, W, 1), channels last as Keras reads them. */
    private static Dataset images(Dataset d) {
        Shape s = d.sampleShape();
        return s.rank() == 2 ? d.withSampleShape(Shape.of(s.dim(0), s.dim(1), 1)) : d;
    }
}

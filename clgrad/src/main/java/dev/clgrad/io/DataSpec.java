package dev.clgrad.io;

import dev.clgrad.data.CsvReader;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.HostArray;
import dev.clgrad.tensor.Shape;
import dev.clgrad.data.IdxReader;
import dev.clgrad.data.NpyReader;
import dev.clgrad.data.Origin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The {@code data} section of a model config: where the training, validation and test sets come
 * from.
 * <ul>
 *   <li>{@code {"type": "random-normal", "train": N, "validation": V, "test": M, "features": I,
 *       "targets": T, "seed": S}}: x and y independent standard normal (the seed example's data;
 *       validation and test may be 0).</li>
 *   <li>{@code {"type": "idx", "dir": D, "limit": L}}: MNIST-style files {@code train-images-idx3-ubyte.gz},
 *       {@code train-labels-idx1-ubyte.gz}, {@code t10k-…} in D (names overridable with
 *       {@code trainImages}, {@code trainLabels}, {@code testImages}, {@code testLabels}); pixels scaled
 *       to [0, 1]; L keeps the first L training rows.</li>
 *   <li>{@code {"type": "csv", "train": F, "validation": F, "test": F, "labelColumn": 0, "header": false}}:
 *       {@code labelColumn} is the 0-based index of the target column, or with {@code "header": true}
 *       its name in the header ({@code "labelColumn": "label"}).</li>
 *   <li>{@code {"type": "npy", "xTrain": F, "yTrain": F, "xVal": F, "yVal": F, "xTest": F, "yTest": F}}.</li>
 * </ul>
 * The validation set is evaluated after every epoch ({@code val_loss}, Keras's
 * {@code validation_data}); the test set once after training. Relative file names resolve
 * against {@code dir}, or the config file's folder; {@code --data DIR} replaces {@code dir}.
 * Each loaded set's {@link Origin} names its files, for messages.
 *
 * @param dir       null for the config's folder
 * @param files     type-specific file names (unused entries null)
 * @param labelName the CSV label column's header name, or null when {@code labelColumn} is its index
 */
public record DataSpec(String type, Path dir, Path baseDir, int train, int validation, int test, int features,
                       int targets, long seed, int limit, int labelColumn, boolean header, String[] files,
                       String labelName) {

    /** The training set, and the validation and test sets (each null when the spec has none). */
    public record Split(Dataset train, Dataset validation, Dataset test) {
    }

    static DataSpec parse(ConfigNode d, Path baseDir) throws ConfigException {
        String type = d.string("type");
        Path dir = d.has("dir") ? path(d, "dir", d.string("dir")) : null;
        DataSpec spec = switch (type) {
            case "random-normal" -> {
                d.onlyKeys(Set.of("type", "train", "validation", "test", "features", "targets", "seed"));
                yield new DataSpec(type, dir, baseDir, d.integer("train", 1, 1 << 26),
                        d.integer("validation", 0, 1 << 26, 0), d.integer("test", 0, 1 << 26, 0),
                        d.integer("features", 1, 1 << 20), d.integer("targets", 1, 1 << 20, 1), d.longValue("seed", 0),
                        0, 0, false, new String[0], null);
            }
            case "idx" -> {
                d.onlyKeys(Set.of("type", "dir", "limit", "trainImages", "trainLabels", "testImages", "testLabels"));
                yield new DataSpec(type, dir == null ? Path.of("/usr/share/datasets/fashion-mnist") : dir, baseDir,
                        0, 0, 0, 0, 0, 0, d.integer("limit", 1, Integer.MAX_VALUE, Integer.MAX_VALUE), 0, false,
                        new String[]{d.string("trainImages", "train-images-idx3-ubyte.gz"),
                                d.string("trainLabels", "train-labels-idx1-ubyte.gz"),
                                d.string("testImages", "t10k-images-idx3-ubyte.gz"),
                                d.string("testLabels", "t10k-labels-idx1-ubyte.gz")}, null);
            }
            case "csv" -> {
                d.onlyKeys(Set.of("type", "dir", "train", "validation", "test", "labelColumn", "header"));
                boolean header = d.bool("header", false);
                String labelName = labelName(d, header);
                yield new DataSpec(type, dir, baseDir, 0, 0, 0, 0, 0, 0, Integer.MAX_VALUE,
                        labelName == null ? d.integer("labelColumn", 0, 1 << 20, 0) : -1, header,
                        new String[]{d.string("train"), d.string("validation", null), d.string("test", null)},
                        labelName);
            }
            case "npy" -> {
                d.onlyKeys(Set.of("type", "dir", "xTrain", "yTrain", "xVal", "yVal", "xTest", "yTest"));
                for (String[] pair : new String[][]{{"xVal", "yVal"}, {"xTest", "yTest"}}) {
                    if (d.has(pair[0]) != d.has(pair[1])) {
                        String given = d.has(pair[0]) ? pair[0] : pair[1];
                        throw d.error(given, "needs " + (given.equals(pair[0]) ? pair[1] : pair[0]) + " as well");
                    }
                }
                yield new DataSpec(type, dir, baseDir, 0, 0, 0, 0, 0, 0, Integer.MAX_VALUE, 0, false,
                        new String[]{d.string("xTrain"), d.string("yTrain"), d.string("xVal", null),
                                d.string("yVal", null), d.string("xTest", null), d.string("yTest", null)}, null);
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

    /**
     * {@code labelColumn} given as a header name, or null when it is absent or an index; a name
     * needs {@code "header": true}.
     */
    private static String labelName(ConfigNode d, boolean header) throws ConfigException {
        if (!d.has("labelColumn") || !d.raw("labelColumn").isTextual()) {
            if (d.has("labelColumn") && !d.raw("labelColumn").isIntegralNumber()) {
                throw d.error("labelColumn", "expected a 0-based column index or a header column name, got "
                        + d.raw("labelColumn"));
            }
            return null;
        }
        String name = d.string("labelColumn").strip();
        if (!header) {
            throw d.error("labelColumn", "'" + name + "' is a column name, which needs \"header\": true; "
                    + "without a header give the column's 0-based index");
        }
        return name;
    }

    /** The string as a path; one the OS cannot name (a NUL character, say) is a config error. */
    private static Path path(ConfigNode d, String field, String value) throws ConfigException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw d.error(field, "'" + value + "' is not a valid path: " + e.getReason());
        }
    }

    /**
     * Loads only the training data (for {@code profile}, {@code bench train} and {@code export},
     * which need nothing else): the test and validation files are not read.
     */
    public Dataset loadTrain(Path dirOverride) throws IOException {
        Path folder = dirOverride != null ? dirOverride : dir != null ? dir : baseDir;
        return switch (type) {
            case "idx" -> {
                Dataset tr = idx(folder, files[0], files[1]);
                yield limit < tr.rows() ? tr.slice(0, limit) : tr;
            }
            case "csv" -> csv(folder, files[0]);
            case "npy" -> npy(folder, files[0], files[1]);
            default -> load(dirOverride).train();
        };
    }

    /** What the training files' headers say: the rows the training set will have and one sample's shape. */
    public record Header(int rows, Shape sampleShape) {
    }

    /**
     * The training set's rows and sample shape from the file headers alone, so that a model can be
     * built while the data loads; null when that takes reading the data (CSV, NPY, generated data)
     * or the header is not a data set's (an IDX file of one dimension). A header that cannot be
     * read is the {@link IOException} {@link #loadTrain} would give.
     */
    public Header trainHeader(Path dirOverride) throws IOException {
        if (!type.equals("idx")) {
            return null;
        }
        Path folder = dirOverride != null ? dirOverride : dir != null ? dir : baseDir;
        int[] dims = IdxReader.dims(file(folder, files[0]));
        if (dims.length < 2) {
            return null;
        }
        Shape sample = dims.length == 3 ? Shape.of(dims[1], dims[2], 1) : Shape.of(Arrays.copyOfRange(dims, 1, dims.length));
        return new Header(Math.min(dims[0], limit), sample);
    }

    /** Loads the data; {@code dirOverride} (from {@code --data}) replaces {@code dir} when not null. */
    public Split load(Path dirOverride) throws IOException {
        Path folder = dirOverride != null ? dirOverride : dir != null ? dir : baseDir;
        switch (type) {
            case "random-normal" -> {
                SplittableRandom rng = new SplittableRandom(seed);
                Dataset tr = normal(rng, train);
                Dataset te = test > 0 ? normal(rng, test) : null;
                return new Split(tr, validation > 0 ? normal(rng, validation) : null, te);
            }
            case "idx" -> {
                return new Split(loadTrain(dirOverride), null, idx(folder, files[2], files[3]));
            }
            case "csv" -> {
                return new Split(loadTrain(dirOverride), files[1] == null ? null : csv(folder, files[1]),
                        files[2] == null ? null : csv(folder, files[2]));
            }
            default -> {
                return new Split(loadTrain(dirOverride), files[2] == null ? null : npy(folder, files[2], files[3]),
                        files[4] == null ? null : npy(folder, files[4], files[5]));
            }
        }
    }

    /** IDX images (N, H, W) as samples of shape (H, W, 1), channels last as Keras reads them, and their labels. */
    private static Dataset idx(Path folder, String images, String labels) throws IOException {
        Path xf = file(folder, images);
        HostArray x = IdxReader.read(xf, 1f / 255);
        Path yf = file(folder, labels);
        Dataset d = pair(x, xf, IdxReader.read(yf, 1f), yf);
        Shape s = d.sampleShape();
        return s.rank() == 2 ? d.withSampleShape(Shape.of(s.dim(0), s.dim(1), 1)) : d;
    }

    private Dataset csv(Path folder, String name) throws IOException {
        Path f = file(folder, name);
        CsvReader.Table t = CsvReader.readTable(f, header);
        int label = labelName == null ? labelColumn : t.column(labelName, f);
        int columns = t.values().cols();
        if (label >= columns || columns < 2) {
            throw new IOException(f + ": " + columns + (columns == 1 ? " column" : " columns") + (columns < 2
                    ? "; a CSV data set needs a label column and at least one input column"
                    : "; labelColumn " + label + " is not one of them (0-based: 0 to " + (columns - 1) + ")"));
        }
        Dataset d = CsvReader.toDataset(t.values(), label);
        return d.withOrigin(Origin.csv(f, t.lines(), label, d.features()));
    }

    private static Dataset npy(Path folder, String xName, String yName) throws IOException {
        Path xf = file(folder, xName);
        HostArray x = NpyReader.read(xf);
        Path yf = file(folder, yName);
        return pair(x, xf, NpyReader.read(yf), yf);
    }

    /**
     * Inputs and targets from two files, each with at least one row of at least one value, whose
     * row counts must agree (the errors name the files).
     */
    private static Dataset pair(HostArray x, Path xf, HostArray y, Path yf) throws IOException {
        nonEmpty(x, xf);
        nonEmpty(y, yf);
        if (x.rows() != y.rows()) {
            throw new IOException(xf + " has " + x.rows() + " rows but " + yf + " has " + y.rows()
                    + "; inputs and targets must pair up row by row");
        }
        int[] s = x.shape();
        int[] sample = s.length == 1 ? new int[]{1} : Arrays.copyOfRange(s, 1, s.length);
        return Dataset.of(x, y).withOrigin(Origin.files(xf, yf, sample));
    }

    private static void nonEmpty(HostArray a, Path file) throws IOException {
        if (a.rows() == 0 || a.data().length == 0) {
            throw new IOException(file + ": shape " + Arrays.toString(a.shape()) + " holds no "
                    + (a.rows() == 0 ? "rows" : "values per row") + "; a data set needs at least one of each");
        }
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
}

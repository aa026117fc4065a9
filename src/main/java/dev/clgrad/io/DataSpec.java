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

    /** Training and test sets; test is null when the spec has none. */
    public record Split(Dataset train, Dataset test) {
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
                HostArray x = IdxReader.read(file(folder, files[0]), 1f / 255);
                HostArray y = IdxReader.read(file(folder, files[1]), 1f);
                Dataset tr = images(Dataset.of(x, y));
                if (limit < tr.rows()) {
                    tr = tr.slice(0, limit);
                }
                return new Split(tr, images(Dataset.of(IdxReader.read(file(folder, files[2]), 1f / 255),
                        IdxReader.read(file(folder, files[3]), 1f))));
            }
            case "csv" -> {
                Dataset tr = CsvReader.toDataset(CsvReader.read(file(folder, files[0]), header), labelColumn);
                Dataset te = files[1] == null ? null
                        : CsvReader.toDataset(CsvReader.read(file(folder, files[1]), header), labelColumn);
                return new Split(tr, te);
            }
            default -> {
                Dataset tr = Dataset.of(NpyReader.read(file(folder, files[0])), NpyReader.read(file(folder, files[1])));
                Dataset te = files[2] == null || files[3] == null ? null
                        : Dataset.of(NpyReader.read(file(folder, files[2])), NpyReader.read(file(folder, files[3])));
                return new Split(tr, te);
            }
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

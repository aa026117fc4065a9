package dev.clgrad.cli;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.data.CsvReader;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.HostArray;
import dev.clgrad.data.NpyReader;
import dev.clgrad.data.Origin;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What {@code predict} and {@code evaluate} share (a picocli mixin): a model config and the
 * weights {@code train --save} wrote, the data to run it on, the batch size and the device. The
 * data is the config's test set (its files found in {@code --data DIR} when given), or the rows of
 * {@code --input FILE}: a CSV (numbers only; {@code --header} skips a first line of names) or an
 * {@code .npy} array (N, …) whose rows are samples. The model is built for the config's
 * {@code inputShape} when it declares one (a flat row of as many values is read row-major as that
 * shape), else for the training set's samples, or with {@code --input} for the file's (a CSV row
 * is a flat sample of its columns, an {@code .npy} (N, H, W, C) gives images). Problems are
 * {@link IllegalArgumentException}s or {@link IOException}s naming the option and the file.
 */
final class TrainedModel {
    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config the weights were trained with "
            + "(see samples/*.json).")
    Path config;

    @Option(names = "--weights", paramLabel = "W.safetensors", required = true,
            description = "Trained weights, as train --save writes them.")
    Path weights;

    @Option(names = "--input", paramLabel = "FILE.csv|FILE.npy",
            description = "Run on the rows of this file instead of the config's test set.")
    Path input;

    @Option(names = "--header", description = "The --input CSV's first line names the columns; skip it.")
    boolean header;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Folder of the config's data files, replacing the config's (default: the config's).")
    Path data;

    @Option(names = "--batch", paramLabel = "B", description = "Rows per batch (default: the config's batchSize).")
    Integer batch;

    @Option(names = "--device", paramLabel = "SPEC",
            description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: auto, or -Dclgrad.device).")
    String device;

    /**
     * A loaded model and the rows to run it on; closing it frees the model and the device.
     *
     * @param built the data set whose samples the model was built for (the training set, or the input)
     */
    record Loaded(ModelConfig config, Backend backend, Sequential model, Dataset data, Dataset built, int batchSize,
                  boolean fromInput)
            implements AutoCloseable {
        @Override
        public void close() {
            try (Backend b = backend) {
                model.close();
            }
        }
    }

    /**
     * Makes the values of the file given with {@code --input} a data set: only its inputs, or with
     * its targets ({@code csvLines}: each row's 1-based line for a CSV, else null).
     */
    interface Reader {
        Dataset read(Path file, HostArray values, int[] csvLines, ModelConfig config) throws IOException;
    }

    /** Checks the arguments that need no work, before anything is loaded. */
    void check(String command) {
        OutputPaths.checkConfig(command, config);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException(command + ": --weights " + weights + ": no such file; expected the "
                    + ".safetensors file train --save wrote");
        }
        if (batch != null && batch < 1) {
            throw new IllegalArgumentException(command + ": --batch must be >= 1, got " + batch);
        }
        if (input != null) {
            format(command, "--input", input);
            if (!Files.isRegularFile(input)) {
                throw new IllegalArgumentException(command + ": --input " + input + ": no such file");
            }
            if (data != null) {
                throw new IllegalArgumentException(command + ": give --input FILE or --data DIR, not both");
            }
        }
        if (header && input == null) {
            throw new IllegalArgumentException(command + ": --header applies to an --input CSV file; none was given");
        }
    }

    /**
     * The model with its weights, and the rows to run: the {@code --input} file as {@code reader}
     * makes it a data set, else the config's test set.
     */
    Loaded load(String command, Reader reader) throws IOException {
        check(command);
        ModelConfig cfg = ModelConfig.read(config);
        Dataset rows;
        Dataset built;
        if (input != null) {
            rows = readInput(command, reader, cfg);
            built = rows;
        } else {
            DataSpec.Split split = cfg.data().load(data);
            rows = split.test();
            if (rows == null) {
                throw new IllegalArgumentException(command + ": " + config + " has no test set; give the rows to "
                        + "run with --input FILE.csv|FILE.npy");
            }
            built = split.train();
        }
        int batchSize = batch != null ? batch : cfg.batchSize();
        Backend backend = Backends.select(device);
        Sequential model = null;
        try {
            model = Sequential.fromConfig(cfg, backend);
            try {
                model.build(built.sampleShape(), Math.min(batchSize, rows.rows()));
            } catch (IllegalArgumentException e) {
                throw input == null ? e : new IllegalArgumentException(command + ": --input " + input + ": "
                        + e.getMessage(), e);
            }
            model.loadWeights(weights);
            return new Loaded(cfg, backend, model, rows, built, batchSize, input != null);
        } catch (IOException | RuntimeException e) {
            try (Backend b = backend) {
                if (model != null) {
                    model.close();
                }
            }
            throw e;
        }
    }

    private Dataset readInput(String command, Reader reader, ModelConfig cfg) throws IOException {
        if (format(command, "--input", input).equals("csv")) {
            CsvReader.Table t = CsvReader.readTable(input, header);
            return reader.read(input, t.values(), t.lines(), cfg);
        }
        return reader.read(input, NpyReader.read(input), null, cfg);
    }

    /** {@code csv} or {@code npy}, from the file name's extension. */
    static String format(String command, String option, Path file) {
        String ext = extension(file);
        if (!ext.equals("csv") && !ext.equals("npy")) {
            throw new IllegalArgumentException(command + ": " + option + " " + file + ": expected a .csv or .npy file");
        }
        return ext;
    }

    /** The file name's extension in lower case, without the dot ({@code ""} when it has none). */
    static String extension(Path file) {
        Path name = file.getFileName();
        String s = name == null ? "" : name.toString();
        int dot = s.lastIndexOf('.');
        return dot < 0 ? "" : s.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** The rows of an input file as samples of their shape, with one zero target each (inputs only). */
    static Dataset inputsOnly(Path file, HostArray x) throws IOException {
        requireRows(file, x);
        int[] s = x.shape();
        int[] sampleDims = s.length == 1 ? new int[] {1} : Arrays.copyOfRange(s, 1, s.length);
        return Dataset.of(x, new HostArray(new int[] {x.rows(), 1}, new float[x.rows()]))
                .withOrigin(Origin.files(file, file, sampleDims));
    }

    static void requireRows(Path file, HostArray a) throws IOException {
        if (a.rows() == 0 || a.data().length == 0) {
            throw new IOException(file + ": shape " + Arrays.toString(a.shape()) + " holds no "
                    + (a.rows() == 0 ? "rows" : "values per row"));
        }
    }
}

package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.data.CsvReader;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.HostArray;
import dev.clgrad.data.NpyReader;
import dev.clgrad.data.Origin;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code clgrad evaluate CONFIG.json --weights W.safetensors [--input FILE.csv|FILE.npy [--header]
 * [--label-column C | --targets FILE.csv|FILE.npy]] [--batch B] [--data DIR] [--device SPEC]
 * [--json]}: the loss and every compiled metric of a config's model with trained weights, as
 * Keras's {@code model.evaluate} reports them (means over the rows, {@link Trainer#evaluate}), on
 * the config's test set or on labelled rows of {@code --input}: a CSV whose column C (0-based;
 * default the config's CSV {@code labelColumn}, else 0) holds the target and whose other columns
 * are the inputs, or inputs in {@code --input} (CSV or .npy) and the targets (N, T) in
 * {@code --targets}. The data is checked against the model first ({@link InputCheck}: widths,
 * target columns, class labels in range). Prints one line per value, or with {@code --json}
 * {@code {"rows": N, "loss": …, "accuracy": …, …, "device": id}}, the metrics under their Keras
 * names ({@code mae}, {@code top_k_categorical_accuracy}); a non-finite value is null.
 */
@Command(name = "evaluate",
        description = "Loss and metrics of trained weights on the config's test set, or on a labelled CSV or .npy file.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    TrainedModel trained;

    @Option(names = "--label-column", paramLabel = "C",
            description = "The --input CSV's target column, 0-based (default: the config's CSV labelColumn, else 0).")
    Integer labelColumn;

    @Option(names = "--targets", paramLabel = "FILE.csv|FILE.npy",
            description = "The targets (N, T) of the --input rows, in their own file (default: in the --input CSV).")
    Path targets;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        trained.check("evaluate");
        if (trained.input == null && (labelColumn != null || targets != null)) {
            throw new IllegalArgumentException("evaluate: " + (targets != null ? "--targets" : "--label-column")
                    + " applies to an --input file; none was given");
        }
        if (labelColumn != null && targets != null) {
            throw new IllegalArgumentException("evaluate: give --label-column or --targets, not both");
        }
        if (labelColumn != null && labelColumn < 0) {
            throw new IllegalArgumentException("evaluate: --label-column must be >= 0, got " + labelColumn);
        }
        if (targets != null) {
            TrainedModel.format("evaluate", "--targets", targets);
            if (!Files.isRegularFile(targets)) {
                throw new IllegalArgumentException("evaluate: --targets " + targets + ": no such file");
            }
        } else if (trained.input != null && TrainedModel.format("evaluate", "--input", trained.input).equals("npy")) {
            throw new IllegalArgumentException("evaluate: --input " + trained.input + " holds the inputs only; give "
                    + "their targets with --targets FILE.npy|FILE.csv");
        }
        try (TrainedModel.Loaded m = trained.load("evaluate", this::labelled)) {
            InputCheck.check("evaluate", m.model(), m.data(), m.fromInput() ? "input" : "test set", m.built(), false);
            Map<String, Double> values = Trainer.evaluate(m.model(), m.data(), Math.min(m.batchSize(), m.data().rows()));
            print(m.data().rows(), values, m.backend().id());
        }
        return 0;
    }

    /** The --input values as inputs and targets: a label column of a CSV, or the --targets file's rows. */
    private Dataset labelled(Path file, HostArray values, int[] lines, ModelConfig cfg) throws IOException {
        TrainedModel.requireRows(file, values);
        if (targets == null) {
            int c = labelColumn != null ? labelColumn : cfg.data().type().equals("csv") ? cfg.data().labelColumn() : 0;
            if (c >= values.cols() || values.cols() < 2) {
                throw new IllegalArgumentException("evaluate: --input " + file + " has " + values.cols() + " columns; "
                        + "the target column " + c + " (0-based) and at least one input column are needed");
            }
            Dataset d = CsvReader.toDataset(values, c);
            return d.withOrigin(Origin.csv(file, lines, c, d.features()));
        }
        HostArray y = TrainedModel.format("evaluate", "--targets", targets).equals("csv")
                ? CsvReader.read(targets, trained.header) : NpyReader.read(targets);
        TrainedModel.requireRows(targets, y);
        if (y.rows() != values.rows()) {
            throw new IOException(file + " has " + values.rows() + " rows but " + targets + " has " + y.rows()
                    + "; inputs and targets must pair up row by row");
        }
        int[] s = values.shape();
        int[] sample = s.length == 1 ? new int[] {1} : Arrays.copyOfRange(s, 1, s.length);
        return Dataset.of(values, y).withOrigin(Origin.files(file, targets, sample));
    }

    private void print(int rows, Map<String, Double> values, String deviceId) throws IOException {
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode().put("rows", rows);
            values.forEach((k, v) -> {
                if (Double.isFinite(v)) {
                    root.put(k, v);
                } else {
                    root.putNull(k);
                }
            });
            root.put("device", deviceId);
            System.out.println(mapper.writeValueAsString(root));
            return;
        }
        System.out.printf(Locale.ROOT, "evaluated %d rows on %s%n", rows, deviceId);
        values.forEach((k, v) -> System.out.printf(Locale.ROOT, "%s: %.4f%n", k, v));
    }
}

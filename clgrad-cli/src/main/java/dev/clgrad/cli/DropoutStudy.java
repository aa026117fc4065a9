package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.AtomicFile;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.StepClass;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.train.Callback;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import dev.clgrad.train.LineChart;
import dev.clgrad.train.TrainingState;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The dropout paper's central experiment (Srivastava et al., JMLR 2014, Figure 4 and Table 2) on
 * Fashion-MNIST: the same MLP, 784-1024-1024-10 with ReLU, trained by SGD on the same batches
 * three ways, and its train and test error after every epoch:
 * <ol>
 *   <li>{@code none}: no dropout;</li>
 *   <li>{@code dropout}: dropout 0.2 on the inputs and 0.5 on each hidden layer;</li>
 *   <li>{@code dropout-maxnorm}: dropout as above, every kernel constrained to column norms ≤ 3
 *       (max-norm), a learning rate four times higher (0.2) decayed exponentially to a hundredth
 *       over the run, and the momentum raised linearly from 0.5 to 0.95 over the first 40 % of the
 *       steps: the paper's recipe, with its final momentum 0.99 lowered because PyTorch-form
 *       momentum (no dampening) multiplies the step by 1/(1 − momentum), and 0.99 lost accuracy or
 *       diverged in trials on 10,000 rows (docs/STUDY-DROPOUT.md).</li>
 * </ol>
 * The test error is measured on the test set after each epoch (not used to choose anything); the
 * train error on a fixed slice of the training rows, evaluated like the test set (dropout off).
 * Each method's config is written next to the results, so {@code clgrad train} reruns any of them.
 * Outputs in the study folder: {@code METHOD.json} (the configs), {@code figure.png} (test error
 * solid, train error dashed, one colour per method), {@code study.json} and {@code study.md} (the
 * final errors and the generalisation gap, test − train).
 */
final class DropoutStudy {
    /** Rows of the training set whose error is tracked (the first ones, the same for every method). */
    static final int TRAIN_ERROR_ROWS = 10_000;

    /** How large a run: full, the 60,000 rows, or quick, a slice for minutes on 2 cores. */
    record Size(int trainRows, int epochs, int batchSize) {
        static Size full(int epochs) {
            return new Size(60_000, epochs, 128);
        }

        static Size quick(int epochs) {
            return new Size(10_000, epochs, 128);
        }
    }

    /** One method's curves, per epoch, as fractions of misclassified rows. */
    record Result(String method, String label, String device, int trainRows, int trainErrorRows,
                  List<Double> trainError, List<Double> testError, double seconds, double samplesPerSec) {
        double finalTrain() {
            return trainError.get(trainError.size() - 1);
        }

        double finalTest() {
            return testError.get(testError.size() - 1);
        }

        double gap() {
            return finalTest() - finalTrain();
        }
    }

    static final List<String> METHODS = List.of("none", "dropout", "dropout-maxnorm");
    private static final Map<String, String> LABELS = Map.of("none", "no dropout", "dropout", "dropout",
            "dropout-maxnorm", "dropout + max-norm + schedules");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path data;
    private final Size size;
    private final long seed;

    DropoutStudy(Path data, Size size, long seed) {
        this.data = data;
        this.size = size;
        this.seed = seed;
    }

    /** The config of {@code method} (one of {@link #METHODS}) as JSON. */
    ObjectNode config(String method) {
        boolean dropout = !method.equals("none");
        boolean recipe = method.equals("dropout-maxnorm");
        ObjectNode c = JSON.createObjectNode();
        c.put("name", "dropout-study-" + method).put("seed", seed);
        ArrayNode layers = c.putArray("layers");
        layers.addObject().put("type", "flatten");
        if (dropout) {
            layers.addObject().put("type", "dropout").put("rate", 0.2);
        }
        for (int i = 0; i < 2; i++) {
            ObjectNode dense = layers.addObject().put("type", "dense").put("units", 1024).put("activation", "relu");
            if (recipe) {
                dense.putObject("kernelConstraint").put("type", "max_norm").put("maxValue", 3.0);
            }
            if (dropout) {
                layers.addObject().put("type", "dropout").put("rate", 0.5);
            }
        }
        ObjectNode out = layers.addObject().put("type", "dense").put("units", 10);
        if (recipe) {
            out.putObject("kernelConstraint").put("type", "max_norm").put("maxValue", 3.0);
        }
        long stepsPerEpoch = (size.trainRows() + size.batchSize() - 1) / size.batchSize();
        long steps = stepsPerEpoch * size.epochs();
        ObjectNode opt = c.putObject("optimizer").put("type", "sgd");
        if (recipe) {
            opt.putObject("learningRate").put("type", "exponential_decay").put("initialLearningRate", 0.2)
                    .put("decaySteps", steps).put("decayRate", 0.01);
            opt.putObject("momentum").put("type", "linear_ramp").put("initial", 0.5).put("final", 0.95)
                    .put("steps", Math.max(1, steps * 2 / 5));
        } else {
            opt.put("lr", 0.05).put("momentum", 0.9);
        }
        c.put("loss", "sparse_categorical_crossentropy");
        c.putArray("metrics").add("accuracy");
        c.put("epochs", size.epochs()).put("batchSize", size.batchSize());
        ObjectNode d = c.putObject("data").put("type", "idx").put("dir", data.toString());
        if (size.trainRows() < 60_000) {
            d.put("limit", size.trainRows());
        }
        return c;
    }

    /**
     * Writes every method's config into {@code out}, trains each in turn on {@code device} and
     * returns the curves. Progress goes to stderr.
     */
    List<Result> run(Path out, String device) throws IOException {
        List<ModelConfig> configs = new ArrayList<>();
        for (String method : METHODS) {
            Path file = out.resolve(method + ".json");
            AtomicFile.write(file, JSON.writeValueAsBytes(config(method)));
            configs.add(ModelConfig.read(file));
        }
        DataSpec.Split split = configs.get(0).data().load(null);
        Dataset train = split.train();
        Dataset slice = train.slice(0, Math.min(TRAIN_ERROR_ROWS, train.rows()));
        List<Result> results = new ArrayList<>();
        for (int m = 0; m < METHODS.size(); m++) {
            String method = METHODS.get(m);
            ModelConfig cfg = configs.get(m);
            System.err.printf(Locale.ROOT, "study: %d/%d %s (%s), %d epochs of %,d rows%n", m + 1, METHODS.size(),
                    method, LABELS.get(method), cfg.epochs(), train.rows());
            StepClass step = StepClass.of(cfg.trainingStepFlops(train.sampleShape(), cfg.batchSize()));
            try (Backend backend = Backends.select(device, step); Sequential model = Sequential.fromConfig(cfg, backend)) {
                List<Double> trainError = new ArrayList<>();
                Callback tracker = new Callback() {
                    @Override
                    public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
                        trainError.add(1 - model.evaluate(slice).get("accuracy"));
                    }
                };
                Fit fit = Fit.epochs(cfg.epochs()).withBatchSize(cfg.batchSize()).withSeed(cfg.seed())
                        .withValidationData(split.test()).withCallbacks(tracker);
                long t0 = System.nanoTime();
                History h = model.fit(train, fit);
                if (h.epochs() < cfg.epochs()) {
                    throw new IllegalStateException("study: " + method + " stopped after " + h.epochs() + " of "
                            + cfg.epochs() + " epochs");
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                List<Double> testError = h.get("val_accuracy").stream().map(a -> 1 - a).toList();
                Result r = new Result(method, LABELS.get(method), backend.id(), train.rows(), slice.rows(), trainError, testError, seconds, h.samplesPerSecond());
                System.err.printf(Locale.ROOT, "study: %s on %s: train error %.2f %%, test error %.2f %% (%.0f s)%n",
                        method, backend.id(), 100 * r.finalTrain(), 100 * r.finalTest(), seconds);
                results.add(r);
            }
        }
        return results;
    }

    /** Draws the paper's Figure 4 style chart: test error solid, train error dashed, in percent. */
    static void plot(List<Result> results, Path png) throws IOException {
        List<LineChart.Series> series = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            var color = LineChart.PALETTE.get(i % LineChart.PALETTE.size());
            series.add(new LineChart.Series(r.label() + " (test)", percent(r.testError()), color, false));
            series.add(new LineChart.Series(r.label() + " (train)", percent(r.trainError()), color, true));
        }
        LineChart.write(List.of(new LineChart.Panel("Fashion-MNIST, 784-1024-1024-10", "error %", series)), png);
    }

    private static List<Double> percent(List<Double> fractions) {
        return fractions.stream().map(f -> 100 * f).toList();
    }

    /** The results as one JSON object. */
    ObjectNode json(List<Result> results, boolean quick) {
        Result first = results.get(0);
        ObjectNode root = JSON.createObjectNode();
        root.put("study", "dropout").put("quick", quick).put("device", first.device()).put("seed", seed)
                .put("trainRows", first.trainRows()).put("epochs", size.epochs()).put("batchSize", size.batchSize())
                .put("trainErrorRows", first.trainErrorRows());
        ArrayNode methods = root.putArray("methods");
        for (Result r : results) {
            ObjectNode o = methods.addObject().put("method", r.method()).put("label", r.label())
                    .put("finalTrainError", r.finalTrain()).put("finalTestError", r.finalTest())
                    .put("gap", r.gap()).put("seconds", r.seconds()).put("samplesPerSec", r.samplesPerSec());
            r.trainError().forEach(o.putArray("trainError")::add);
            r.testError().forEach(o.putArray("testError")::add);
        }
        return root;
    }

    /** The final errors as a markdown table. */
    String markdown(List<Result> results) {
        Result first = results.get(0);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Fashion-MNIST, 784-1024-1024-10 ReLU, SGD, batch %d, %d epochs of %,d rows, "
                + "seed %d, on %s; train error on the first %,d training rows, dropout off.%n%n", size.batchSize(),
                size.epochs(), first.trainRows(), seed, first.device(), first.trainErrorRows()));
        s.append("| method | train error % | test error % | gap (test − train) | time s |\n");
        s.append("|---|---:|---:|---:|---:|\n");
        for (Result r : results) {
            s.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.0f |%n", r.label(), 100 * r.finalTrain(),
                    100 * r.finalTest(), 100 * r.gap(), r.seconds()));
        }
        return s.toString();
    }

    static void writeText(Path file, String text) throws IOException {
        AtomicFile.write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] bytes(ObjectNode node) throws IOException {
        return JSON.writeValueAsBytes(node);
    }
}

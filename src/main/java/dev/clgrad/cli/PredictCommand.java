package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.AtomicFile;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.train.Predict;
import dev.clgrad.train.Prediction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code clgrad predict CONFIG.json --weights W.safetensors [--mc T] [--batch B] [--data DIR]
 * [--out FILE.csv] [--device SPEC] [--json]}: runs the model of a config with trained weights (as
 * {@code train --save} wrote them) on the config's test set. Without {@code --mc}: weight scaling,
 * one deterministic pass (dropout off). With {@code --mc T}: Monte-Carlo dropout, T stochastic
 * passes with every random-mask layer drawing ({@link Predict}), each pass's outputs softmaxed
 * first when the loss is a softmax cross-entropy (the outputs are logits).
 *
 * <p>{@code --out} writes a CSV, one row per test sample: {@code row}, {@code label} and
 * {@code predicted} (the mean's argmax) where the test set has class labels, then {@code mean_j}
 * and with {@code --mc} {@code std_j} for every output j. The summary (stdout; one JSON object
 * with {@code --json}): {@code rows}, {@code passes}, {@code accuracy} (null without labels),
 * {@code meanStdCorrect} and {@code meanStdMisclassified} (the mean over those rows of the std of
 * the predicted output; null without {@code --mc} or labels), {@code device}, {@code out}.
 * Bad arguments and files exit 2 with one line.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict the test set of a JSON config with trained weights (Monte-Carlo dropout with --mc).")
final class PredictCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config (see samples/*.json).")
    Path config;

    @Option(names = "--weights", paramLabel = "W.safetensors", required = true,
            description = "Trained weights, as train --save writes them.")
    Path weights;

    @Option(names = "--mc", paramLabel = "T", description = "Monte-Carlo dropout: T stochastic passes (mean and std).")
    Integer passes;

    @Option(names = "--batch", paramLabel = "B", description = "Input rows per batch (default: the config's batch size).")
    Integer batch;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the data files, replacing the config's.")
    Path data;

    @Option(names = "--out", paramLabel = "FILE.csv", description = "Write the predictions (mean, and std with --mc) as CSV.")
    Path out;

    @Option(names = "--device", paramLabel = "SPEC", description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D.")
    String device;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        OutputPaths.checkConfig("predict", config);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("predict: --weights " + weights + ": no such file; expected the "
                    + ".safetensors file train --save wrote");
        }
        if (passes != null && passes < 1) {
            throw new IllegalArgumentException("predict: --mc must be >= 1, got " + passes);
        }
        if (batch != null && batch < 1) {
            throw new IllegalArgumentException("predict: --batch must be >= 1, got " + batch);
        }
        new OutputPaths("predict").file("--out", out);
        ModelConfig cfg = ModelConfig.read(config);
        DataSpec.Split split = cfg.data().load(data);
        Dataset test = split.test();
        if (test == null) {
            throw new IllegalArgumentException("predict: " + config + " has no test set to predict");
        }
        int batchSize = batch != null ? batch : cfg.batchSize();
        try (Backend backend = Backends.select(device); Sequential model = Sequential.fromConfig(cfg, backend)) {
            model.build(split.train().sampleShape(), Math.min(batchSize, test.rows()));
            InputCheck.check("predict", model, test, "test set", split.train(), false);
            model.loadWeights(weights);
            Predict options = (passes == null ? Predict.weightScaling() : Predict.monteCarlo(passes)).batchSize(batchSize);
            if (model.loss() instanceof SoftmaxCrossEntropy) {
                options = options.softmax();
            }
            Prediction p = model.predict(test, options);
            Summary s = Summary.of(p, model.loss() instanceof SoftmaxCrossEntropy ? test : null);
            if (out != null) {
                writeCsv(out, p, s.labels ? test : null);
            }
            print(s, p, backend.id());
        }
        return 0;
    }

    /** Accuracy and the mean std of the predicted output on correct and misclassified rows. */
    private record Summary(boolean labels, Double accuracy, Double stdCorrect, Double stdWrong) {
        static Summary of(Prediction p, Dataset labelled) {
            if (labelled == null || labelled.targets() != 1) {
                return new Summary(false, null, null, null);
            }
            int correct = 0;
            double stdCorrect = 0;
            double stdWrong = 0;
            for (int r = 0; r < p.rows(); r++) {
                int k = argmax(p.mean(), r * p.outputs(), p.outputs());
                double std = p.std()[r * p.outputs() + k];
                if (k == (int) labelled.y()[r]) {
                    correct++;
                    stdCorrect += std;
                } else {
                    stdWrong += std;
                }
            }
            int wrong = p.rows() - correct;
            boolean mc = p.passes() > 0;
            return new Summary(true, correct / (double) p.rows(), mc && correct > 0 ? stdCorrect / correct : null,
                    mc && wrong > 0 ? stdWrong / wrong : null);
        }
    }

    private static int argmax(float[] v, int at, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            if (v[at + j] > v[at + best]) {
                best = j;
            }
        }
        return best;
    }

    /** The CSV of {@link PredictCommand}'s class comment, written atomically. */
    private static void writeCsv(Path file, Prediction p, Dataset labelled) throws java.io.IOException {
        AtomicFile.write(file, stream -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8));
            StringBuilder header = new StringBuilder("row");
            if (labelled != null) {
                header.append(",label,predicted");
            }
            for (int j = 0; j < p.outputs(); j++) {
                header.append(",mean_").append(j);
            }
            for (int j = 0; p.passes() > 0 && j < p.outputs(); j++) {
                header.append(",std_").append(j);
            }
            w.write(header.append('\n').toString());
            StringBuilder line = new StringBuilder();
            for (int r = 0; r < p.rows(); r++) {
                line.setLength(0);
                line.append(r);
                int at = r * p.outputs();
                if (labelled != null) {
                    line.append(',').append((int) labelled.y()[r]).append(',').append(argmax(p.mean(), at, p.outputs()));
                }
                for (int j = 0; j < p.outputs(); j++) {
                    line.append(',').append(p.mean()[at + j]);
                }
                for (int j = 0; p.passes() > 0 && j < p.outputs(); j++) {
                    line.append(',').append(p.std()[at + j]);
                }
                w.write(line.append('\n').toString());
            }
            w.flush();
        });
    }

    private void print(Summary s, Prediction p, String deviceId) throws Exception {
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            root.put("rows", p.rows());
            root.put("passes", p.passes());
            root.put("accuracy", s.accuracy());
            root.put("meanStdCorrect", s.stdCorrect());
            root.put("meanStdMisclassified", s.stdWrong());
            root.put("device", deviceId);
            root.put("out", out == null ? null : out.toString());
            System.out.println(mapper.writeValueAsString(root));
            return;
        }
        System.out.printf(Locale.ROOT, "predicted %d rows on %s, %s%n", p.rows(), deviceId,
                p.passes() > 0 ? "Monte-Carlo dropout, " + p.passes() + " passes" : "weight scaling");
        if (s.accuracy() != null) {
            System.out.printf(Locale.ROOT, "accuracy: %.4f%n", s.accuracy());
        }
        if (s.stdCorrect() != null || s.stdWrong() != null) {
            System.out.printf(Locale.ROOT, "mean std of the predicted class: correct %s, misclassified %s%n",
                    format(s.stdCorrect()), format(s.stdWrong()));
        }
        if (out != null) {
            System.out.println("wrote " + out);
        }
    }

    private static String format(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }
}

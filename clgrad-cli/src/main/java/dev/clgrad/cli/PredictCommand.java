package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.data.Dataset;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.train.Predict;
import dev.clgrad.train.Prediction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code clgrad predict CONFIG.json --weights W.safetensors [--input FILE.csv|FILE.npy [--header]]
 * [--mc T] [--batch B] [--data DIR] [--out FILE.csv|FILE.npy|FILE.json] [--device SPEC] [--json]}:
 * runs the model of a config with trained weights (as {@code train --save} wrote them) on the
 * config's test set, or on the rows of {@code --input} (inputs only: every CSV column, every
 * .npy value of a row, is an input; see {@link TrainedModel}). Without {@code --mc}: weight
 * scaling, one deterministic pass (dropout off). With {@code --mc T}: Monte-Carlo dropout, T
 * stochastic passes with every random-mask layer drawing ({@link Predict}), each pass's outputs
 * softmaxed first when the loss is a softmax cross-entropy (the outputs are logits).
 *
 * <p>{@code --out} writes the predictions as {@link PredictionFile} describes, in the format of the
 * file's extension. The summary (stdout; one JSON object with {@code --json}): {@code rows},
 * {@code passes}, {@code accuracy} (null without labels: the config's test set of a softmax
 * classifier has them, an {@code --input} file does not), {@code meanStdCorrect} and
 * {@code meanStdMisclassified} (the mean over those rows of the std of the predicted output; null
 * without {@code --mc} or labels), {@code device}, {@code out}. Bad arguments and files exit 2
 * with one line.
 */
@Command(name = "predict",
        description = "Predict the test set of a JSON config, or the rows of a CSV or .npy file, with trained weights "
                + "(Monte-Carlo dropout with --mc); write CSV, .npy or JSON.")
final class PredictCommand implements Callable<Integer> {
    @Mixin
    TrainedModel trained;

    @Option(names = "--mc", paramLabel = "T",
            description = "Monte-Carlo dropout: T stochastic passes, mean and std (default: one pass, weight scaling).")
    Integer passes;

    @Option(names = "--out", paramLabel = "FILE.csv|FILE.npy|FILE.json",
            description = "Write the predictions (mean, and std with --mc) in the format of the extension.")
    java.nio.file.Path out;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        trained.check("predict");
        if (passes != null && passes < 1) {
            throw new IllegalArgumentException("predict: --mc must be >= 1, got " + passes);
        }
        new OutputPaths("predict").file("--out", out);
        if (out != null) {
            PredictionFile.format("predict", out);
        }
        try (TrainedModel.Loaded m = trained.load("predict", (file, values, lines, cfg) -> TrainedModel.inputsOnly(file, values))) {
            Dataset rows = m.data();
            boolean softmax = m.model().loss() instanceof SoftmaxCrossEntropy;
            if (!m.fromInput()) {
                InputCheck.check("predict", m.model(), rows, "test set", m.built(), false);
            }
            Predict options = (passes == null ? Predict.weightScaling() : Predict.monteCarlo(passes)).batchSize(m.batchSize());
            if (softmax) {
                options = options.softmax();
            }
            Prediction p = m.model().predict(rows, options);
            Summary s = Summary.of(p, softmax && !m.fromInput() ? rows : null);
            if (out != null) {
                PredictionFile.write("predict", out, p, s.labels ? rows.y() : null, softmax);
            }
            print(s, p, m.backend().id());
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
                int k = PredictionFile.argmax(p.mean(), r * p.outputs(), p.outputs());
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

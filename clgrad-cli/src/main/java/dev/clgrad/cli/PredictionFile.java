package dev.clgrad.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.AtomicFile;
import dev.clgrad.data.HostArray;
import dev.clgrad.data.NpyWriter;
import dev.clgrad.train.Prediction;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The predictions {@code predict --out FILE} writes, in the format the file's extension names,
 * atomically. N rows, O outputs, T Monte-Carlo passes (0: weight scaling).
 * <ul>
 *   <li>{@code .csv}: a header line, then one line per row: {@code row}, {@code label} (where the
 *       rows have class labels), {@code predicted} (the mean's argmax, for a softmax classifier), then
 *       {@code mean_j} and with {@code --mc} {@code std_j} for every output j.</li>
 *   <li>{@code .npy}: float32, the means (N, O); with {@code --mc} (2, N, O), the means and the
 *       standard deviations ({@code mean, std = numpy.load(FILE)}).</li>
 *   <li>{@code .json}: {@code {"rows": N, "outputs": O, "passes": T, "mean": [[…], …], "std":
 *       [[…], …] (with --mc), "label": […] (with labels), "predicted": […] (a classifier)}};
 *       a non-finite value is null.</li>
 * </ul>
 */
final class PredictionFile {
    private PredictionFile() {
    }

    /** {@code csv}, {@code npy} or {@code json}, from the file name; anything else is an error naming the option. */
    static String format(String command, Path file) {
        String ext = TrainedModel.extension(file);
        if (!ext.equals("csv") && !ext.equals("npy") && !ext.equals("json")) {
            throw new IllegalArgumentException(command + ": --out " + file + ": expected a .csv, .npy or .json file name");
        }
        return ext;
    }

    /**
     * @param labels     the rows' class labels, or null
     * @param classifier whether to write the predicted class (the mean's argmax)
     */
    static void write(String command, Path file, Prediction p, float[] labels, boolean classifier) throws IOException {
        switch (format(command, file)) {
            case "csv" -> csv(file, p, labels, classifier);
            case "npy" -> npy(file, p);
            default -> json(file, p, labels, classifier);
        }
    }

    private static void csv(Path file, Prediction p, float[] labels, boolean classifier) throws IOException {
        AtomicFile.write(file, stream -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8));
            StringBuilder line = new StringBuilder("row");
            line.append(labels != null ? ",label" : "").append(classifier ? ",predicted" : "");
            for (int j = 0; j < p.outputs(); j++) {
                line.append(",mean_").append(j);
            }
            for (int j = 0; p.passes() > 0 && j < p.outputs(); j++) {
                line.append(",std_").append(j);
            }
            w.write(line.append('\n').toString());
            for (int r = 0; r < p.rows(); r++) {
                line.setLength(0);
                line.append(r);
                int at = r * p.outputs();
                if (labels != null) {
                    line.append(',').append((int) labels[r]);
                }
                if (classifier) {
                    line.append(',').append(argmax(p.mean(), at, p.outputs()));
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

    private static void npy(Path file, Prediction p) throws IOException {
        if (p.passes() == 0) {
            NpyWriter.write(file, new HostArray(new int[] {p.rows(), p.outputs()}, p.mean()));
            return;
        }
        float[] both = new float[2 * p.mean().length];
        System.arraycopy(p.mean(), 0, both, 0, p.mean().length);
        System.arraycopy(p.std(), 0, both, p.mean().length, p.std().length);
        NpyWriter.write(file, new HostArray(new int[] {2, p.rows(), p.outputs()}, both));
    }

    private static void json(Path file, Prediction p, float[] labels, boolean classifier) throws IOException {
        AtomicFile.write(file, stream -> {
            JsonGenerator g = new ObjectMapper().getFactory().createGenerator(stream, JsonEncoding.UTF8);
            g.writeStartObject();
            g.writeNumberField("rows", p.rows());
            g.writeNumberField("outputs", p.outputs());
            g.writeNumberField("passes", p.passes());
            matrix(g, "mean", p, p.mean());
            if (p.passes() > 0) {
                matrix(g, "std", p, p.std());
            }
            if (labels != null) {
                g.writeArrayFieldStart("label");
                for (int r = 0; r < p.rows(); r++) {
                    g.writeNumber((int) labels[r]);
                }
                g.writeEndArray();
            }
            if (classifier) {
                g.writeArrayFieldStart("predicted");
                for (int r = 0; r < p.rows(); r++) {
                    g.writeNumber(argmax(p.mean(), r * p.outputs(), p.outputs()));
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeRaw('\n');
            g.flush();
        });
    }

    /** {@code "name": [[row 0's O values], …]}, non-finite values as null. */
    private static void matrix(JsonGenerator g, String name, Prediction p, float[] v) throws IOException {
        g.writeArrayFieldStart(name);
        for (int r = 0; r < p.rows(); r++) {
            g.writeStartArray();
            for (int j = 0; j < p.outputs(); j++) {
                float x = v[r * p.outputs() + j];
                if (Float.isFinite(x)) {
                    g.writeNumber(x);
                } else {
                    g.writeNull();
                }
            }
            g.writeEndArray();
        }
        g.writeEndArray();
    }

    /** The index of the largest of {@code v[at .. at+n)}, the first on ties. */
    static int argmax(float[] v, int at, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            if (v[at + j] > v[at + best]) {
                best = j;
            }
        }
        return best;
    }
}

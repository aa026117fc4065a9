package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.Dataset;
import dev.clgrad.nn.Dense;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.Adam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fit options, callbacks, history and the progress output, on a small two-class problem. */
class FitTest {
    private final Backend java = TestBackends.java();

    /** 400 points, label 1 when x0 + x1 > 0. */
    private static Dataset halfPlanes() {
        Random rng = new Random(5);
        float[] x = new float[800];
        float[] y = new float[400];
        for (int i = 0; i < 400; i++) {
            x[2 * i] = (float) rng.nextGaussian();
            x[2 * i + 1] = (float) rng.nextGaussian();
            y[i] = x[2 * i] + x[2 * i + 1] > 0 ? 1 : 0;
        }
        return new Dataset(x, y, 400, 2, 1);
    }

    private Sequential classifier() {
        Sequential m = new Sequential(java, 3);
        m.add(new Dense(8, "relu")).add(new Dense(2));
        return m.compile(new Adam(0.01), new SoftmaxCrossEntropy(), "accuracy");
    }

    @Test
    void validationSplitGivesValMetricsAndLearns() {
        try (Sequential model = classifier()) {
            History h = model.fit(halfPlanes(), Fit.epochs(8).batchSize(16).withValidationSplit(0.25).withQuiet(true));
            assertEquals(List.of("loss", "accuracy", "val_loss", "val_accuracy"), List.copyOf(h.all().keySet()));
            assertEquals(8, h.get("val_loss").size());
            assertTrue(h.get("val_accuracy").get(7) > 0.9, "val accuracy " + h.get("val_accuracy"));
            assertTrue(h.samplesPerSecond() > 0);
            Map<String, Double> eval = model.evaluate(halfPlanes());
            assertTrue(eval.get("accuracy") > 0.9, eval.toString());
        }
    }

    @Test
    void sameSeedSameHistory() {
        assertArrayEquals(losses(11), losses(11));
        assertTrue(losses(11)[2] != losses(12)[2], "the shuffle seed changes the batches");
    }

    private double[] losses(long shuffleSeed) {
        try (Sequential model = classifier()) {
            return model.fit(halfPlanes(), Fit.epochs(3).batchSize(10).withSeed(shuffleSeed).withQuiet(true))
                    .loss().stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    @Test
    void earlyStoppingStopsAndRestoresTheBestWeights() {
        try (Sequential model = classifier()) {
            EarlyStopping stop = new EarlyStopping("loss", 0, 10.0, true);
            History h = model.fit(halfPlanes(), Fit.epochs(20).withQuiet(true).withCallbacks(stop));
            assertEquals(2, h.epochs(), "no epoch improves by 10, so the second one stops training");
            assertEquals(1, stop.stoppedEpoch());
        }
        try (Sequential model = classifier()) {
            EarlyStopping missing = new EarlyStopping();
            String m = assertThrows(IllegalArgumentException.class,
                    () -> model.fit(halfPlanes(), Fit.epochs(2).withQuiet(true).withCallbacks(missing))).getMessage();
            assertTrue(m.contains("'val_loss' is not among [loss, accuracy]"), m);
        }
    }

    @Test
    void plainProgressPrintsOneLinePerEpoch() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Sequential model = classifier(); PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            model.fit(halfPlanes(), Fit.epochs(2).batchSize(100).withQuiet(true)
                    .withCallbacks(new ProgressBar(out, false)));
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, String.join("\n", lines));
        assertTrue(lines[1].matches("Epoch 2/2 - 4/4 - [0-9.]+s - [0-9,]+ samples/s - loss: [0-9.]+ - accuracy: [0-9.]+"),
                lines[1]);
    }

    @Test
    void liveProgressRedrawsInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Sequential model = classifier(); PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            model.fit(halfPlanes(), Fit.epochs(1).batchSize(100).withQuiet(true).withLossEvery(1)
                    .withCallbacks(new ProgressBar(out, true)));
        }
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\rEpoch 1/1 [") && s.contains("4/4 - ETA 0:00 - loss: ") && s.endsWith("\n"), s);
    }

    @Test
    void badArgumentsAreNamed() {
        assertEquals("fit: batch size must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> Fit.epochs(1).batchSize(0)).getMessage());
        try (Sequential model = classifier()) {
            Dataset wrong = new Dataset(new float[]{1, 2}, new float[]{2}, 1, 2, 1);
            assertEquals("fit: y row 1: label 2.0 is not a class index in [0, 2)", assertThrows(
                    IllegalArgumentException.class, () -> model.fit(wrong, Fit.epochs(1).withQuiet(true))).getMessage());
        }
    }

    @Test
    void plotIsAPng(@TempDir Path dir) throws IOException {
        try (Sequential model = classifier()) {
            History h = model.fit(halfPlanes(), Fit.epochs(3).withValidationSplit(0.2).withQuiet(true));
            Path png = dir.resolve("h.png");
            HistoryPlot.write(h, png);
            int width = ImageIO.read(Files.newInputStream(png)).getWidth();
            assertTrue(width > 2 * 480 && width < 2 * 480 + 400, "loss and accuracy panels, each with its legend: " + width);
        }
    }
}

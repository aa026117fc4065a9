package dev.clgrad.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.data.Dataset;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import dev.clgrad.train.Position;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Files written before the layers → ops → planner redesign still load and mean the same:
 * {@code src/test/resources/compat/v1/} holds a version-1 checkpoint of the seed model taken
 * mid-epoch (epoch 1 from 0, step 2: global step 6 of 4-step epochs) and a saved seed model
 * trained one epoch. Both were written with the Java backend by the engine of commit 9d463c3, the
 * last before the redesign, and {@code expected.json} holds what that engine computed from them.
 * Here the checkpoint is restored into a fresh seed model and training resumed to the end of
 * epoch 2: the History's losses and every parameter must be the old engine's; the saved model,
 * loaded, must predict the old engine's outputs on the first 8 rows. Tolerance: {@link #REL}
 * relative, against max(|old|, |new|), as {@code TrajectoryParityTest}.
 *
 * <p>The epoch loss is now Keras's mean over samples where the old engine reported the mean of
 * batch means; with 64 rows in batches of 16 every batch is full, so the two are the same number,
 * and the version-1 {@code loss_sum} (sum of batch means) is read as a sum over rows (times the
 * batch size).
 */
class CompatibilityTest {
    static final Path DIR = Path.of("clgrad/src/test/resources/compat/v1");
    static final double REL = 1e-6;
    /** Absolute floor of the loss comparison: only for a loss of exactly 0 or a denormal. */
    static final double LOSS_FLOOR = 1e-12;
    /**
     * Absolute floor of the parameter and output comparisons: only for a value of exactly 0 or a
     * denormal. No looser floor is needed: every recorded value is above 1e-3 in magnitude (the
     * smallest parameter 0.00124, the smallest output 0.038), so the bound is 1e-6 relative for all.
     */
    static final double VALUE_FLOOR = 1e-12;

    private static JsonNode expected;
    private static JavaBackend backend;

    @BeforeAll
    static void setUp() throws IOException {
        Path file = DIR.resolve("expected.json");
        assertTrue(Files.isRegularFile(file), file + " is missing");
        expected = new ObjectMapper().readTree(file.toFile());
        assertNull(JavaBackend.missingVectorApi(), "the v1 fixtures were recorded with the Vector API kernels; run "
                + "with --add-modules jdk.incubator.vector (as surefire does)");
        backend = new JavaBackend();
    }

    @AfterAll
    static void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    /** The fixtures' data: x (64, 20) then y (64, 1) from one SplittableRandom(7), as they were written. */
    static Dataset data() {
        SplittableRandom rng = new SplittableRandom(7);
        float[] x = new float[64 * 20];
        float[] y = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        Dataset d = new Dataset(x, y, 64, 20, 1);
        JsonNode e = expected.path("data");
        assertEquals(e.path("x0").floatValue(), x[0], "data: x[0]");
        assertEquals(e.path("yLast").floatValue(), y[63], "data: y[63]");
        assertEquals(e.path("xSum").doubleValue(), sum(x), 1e-9, "data: sum of x");
        assertEquals(e.path("ySum").doubleValue(), sum(y), 1e-9, "data: sum of y");
        return d;
    }

    static Sequential seedModel() {
        Sequential m = new Sequential(backend, 42);
        m.add(new Dense(10, "relu"));
        m.add(new Dropout(0.5));
        m.add(new Dense(1));
        return m.compile("adam", "mse");
    }

    @Test
    void aVersion1CheckpointResumesToTheOldEnginesLossesAndWeights() throws IOException {
        Path ck = DIR.resolve("seed-checkpoint");
        JsonNode meta = expected.path("checkpoint");
        Map<String, String> onDisk = Safetensors.readContents(Checkpoint.file(ck)).metadata();
        assertEquals("1", onDisk.get("version"), "the fixture must be the old engine's version-1 file; was it "
                + "regenerated with the new code?");
        Dataset data = data();
        List<String> bad = new ArrayList<>();
        try (Sequential m = seedModel()) {
            Position at = m.restoreCheckpoint(ck);
            JsonNode p = meta.path("position");
            assertEquals(p.path("epoch").intValue(), at.epoch(), "position epoch");
            assertEquals(p.path("step").intValue(), at.step(), "position step");
            assertEquals(p.path("seed").longValue(), at.seed(), "position seed");
            assertEquals(p.path("batchSize").intValue(), at.batchSize(), "position batch size");
            assertEquals(p.path("shuffle").booleanValue(), at.shuffle(), "position shuffle");
            check(bad, "position loss sum (version 1's sum of " + at.step() + " batch means, times the batch size "
                    + at.batchSize() + ")", p.path("lossSum").doubleValue() * at.batchSize(), at.lossSum(), LOSS_FLOOR);

            History h = m.fit(data, Fit.epochs(expected.path("resume").path("epochs").intValue()).batchSize(16)
                    .withSeed(42).withQuiet(true).resumeFrom(at));
            JsonNode losses = expected.path("resume").path("losses");
            assertEquals(losses.size(), h.loss().size(), "epochs in the resumed History: " + h.loss());
            for (int i = 0; i < losses.size(); i++) {
                check(bad, "resumed History loss[" + i + "] (epoch " + (at.epoch() + i + 1) + ")",
                        losses.get(i).doubleValue(), h.loss().get(i), LOSS_FLOOR);
            }

            JsonNode params = expected.path("resume").path("parameters");
            Map<String, Tensor> now = m.namedParameters();
            List<String> names = new ArrayList<>();
            params.fieldNames().forEachRemaining(names::add);
            assertEquals(names, new ArrayList<>(now.keySet()), "named parameters");
            int count = 0;
            for (String name : names) {
                JsonNode old = params.path(name);
                float[] v = now.get(name).toArray();
                assertEquals(old.size(), v.length, name + ": values");
                count += v.length;
                Iterator<JsonNode> it = old.elements();
                for (int i = 0; it.hasNext(); i++) {
                    check(bad, "after resume, " + name + "[" + i + "]", it.next().doubleValue(), v[i], VALUE_FLOOR);
                }
            }
            assertEquals(expected.path("resume").path("parameterCount").intValue(), count, "parameter values");
        }
        report(bad);
    }

    @Test
    void aVersion1SavedModelPredictsTheOldEnginesOutputs() throws IOException {
        Dataset data = data();
        JsonNode p = expected.path("predict");
        int rows = p.path("rows").intValue();
        float[][] x = new float[rows][data.features()];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data.x(), r * data.features(), x[r], 0, data.features());
        }
        List<String> bad = new ArrayList<>();
        try (Sequential m = Sequential.load(DIR.resolve("seed-model"), backend)) {
            float[][] out = m.predict(x);
            JsonNode old = p.path("outputs");
            assertEquals(old.size(), out.length * out[0].length, "predicted values");
            for (int r = 0; r < rows; r++) {
                check(bad, "predict row " + r, old.get(r).doubleValue(), out[r][0], VALUE_FLOOR);
            }
        }
        report(bad);
    }

    private static void report(List<String> bad) {
        if (!bad.isEmpty()) {
            fail(bad.size() + " values differ from the old engine's (" + DIR.resolve("expected.json") + "); the first "
                    + Math.min(20, bad.size()) + ":\n  " + String.join("\n  ", bad.subList(0, Math.min(20, bad.size()))));
        }
    }

    /** Adds a message when |now − old| > max(REL · max(|old|, |now|), floor). */
    private static void check(List<String> bad, String what, double old, double now, double floor) {
        double diff = Math.abs(now - old);
        double tol = Math.max(REL * Math.max(Math.abs(old), Math.abs(now)), floor);
        if (!(diff <= tol)) {
            bad.add(String.format(Locale.ROOT, "%s: %.9g, old engine %.9g (|diff| %.3g > tolerance %.3g)", what, now,
                    old, diff, tol));
        }
    }

    private static double sum(float[] a) {
        double s = 0;
        for (float v : a) {
            s += v;
        }
        return s;
    }
}

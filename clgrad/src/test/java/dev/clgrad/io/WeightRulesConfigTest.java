package dev.clgrad.io;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.Dataset;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Conv2D;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.L1L2;
import dev.clgrad.nn.L2;
import dev.clgrad.nn.MaxNorm;
import dev.clgrad.nn.MinMaxNorm;
import dev.clgrad.nn.NonNeg;
import dev.clgrad.nn.UnitNorm;
import dev.clgrad.nn.WeightRules;
import dev.clgrad.train.Callback;
import dev.clgrad.train.Fit;
import dev.clgrad.train.ModelCheckpoint;
import dev.clgrad.train.Position;
import dev.clgrad.train.TrainingState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The constraint and regularizer keys of dense and conv2d layers: read from a config (objects and
 * plain names with Keras's defaults), written back by {@code save} and read again the same;
 * bad values named with their key; and a run with them resumed from a checkpoint gives the
 * weights of the run straight through, bit for bit.
 */
class WeightRulesConfigTest {
    private static final String DATA = "\"data\": {\"type\": \"random-normal\", \"train\": 10, \"features\": 12}";

    @TempDir
    Path dir;

    private static ModelConfig parse(String layers) throws ConfigException {
        return ModelConfig.parse("{\"inputShape\": [2, 3, 2], \"layers\": [" + layers + "], \"loss\": \"mse\", "
                + DATA + "}", "m.json", Path.of("."));
    }

    private static String error(String layer) {
        return assertThrows(ConfigException.class, () -> parse(layer)).getMessage();
    }

    @Test
    void configKeysReadAndRoundTripThroughSave() throws IOException {
        ModelConfig c = parse("{\"type\": \"conv2d\", \"filters\": 3, \"kernelSize\": 2, \"kernelConstraint\": "
                + "{\"type\": \"max_norm\", \"maxValue\": 3}, \"biasConstraint\": \"non_neg\", \"kernelRegularizer\": "
                + "\"l2\", \"biasRegularizer\": {\"type\": \"l1_l2\", \"l1\": 0.001, \"l2\": 0.002}}, "
                + "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 2, \"kernelConstraint\": \"max_norm\", "
                + "\"biasConstraint\": {\"type\": \"min_max_norm\", \"minValue\": 0.5, \"rate\": 0.25}, "
                + "\"kernelRegularizer\": {\"type\": \"l1\", \"l1\": 0.05}}, "
                + "{\"type\": \"dense\", \"units\": 1, \"kernelConstraint\": \"unit_norm\"}");
        try (Sequential m = Sequential.fromConfig(c, TestBackends.java())) {
            WeightRules conv = ((Conv2D) m.layers().get(0)).rules();
            assertEquals(new WeightRules(new MaxNorm(3), new NonNeg(), new L2(0.01), new L1L2(0.001, 0.002)), conv);
            WeightRules dense = ((Dense) m.layers().get(2)).rules();
            assertEquals(new MaxNorm(2), dense.kernelConstraint(), "a plain name takes Keras's default");
            assertEquals(new MinMaxNorm(0.5, 1, 0.25), dense.biasConstraint());
            assertEquals(new UnitNorm(), ((Dense) m.layers().get(3)).rules().kernelConstraint());
            m.build(12);
            m.save(dir.resolve("m"));
            String json = Files.readString(dir.resolve("m/model.json"));
            assertTrue(json.contains("\"kernelConstraint\" : {\n      \"type\" : \"max_norm\",\n      \"maxValue\" : 3.0"),
                    json);
            try (Sequential back = Sequential.load(dir.resolve("m"), TestBackends.java())) {
                assertEquals(conv, ((Conv2D) back.layers().get(0)).rules());
                assertEquals(dense, ((Dense) back.layers().get(2)).rules());
                assertEquals(SavedModel.toJson(m.parts()).toString(), SavedModel.toJson(back.parts()).toString());
            }
        }
        try (Sequential plain = Sequential.fromConfig(parse("{\"type\": \"dense\", \"units\": 2}"), TestBackends.java())) {
            plain.build(12);
            assertEquals("{\"type\":\"dense\",\"units\":2,\"activation\":\"linear\"}",
                    SavedModel.toJson(plain.parts()).get("layers").get(0).toString(), "no keys when none is set");
        }
    }

    @Test
    void badValuesNameTheKeyAndTheValue() {
        assertEquals("m.json: $.layers[0].kernelConstraint.maxValue: expected a number in [0.0, 3.4028234663852886E38],"
                + " got -1", error("{\"type\": \"dense\", \"units\": 2, \"kernelConstraint\": {\"type\": \"max_norm\", "
                + "\"maxValue\": -1}}"));
        assertEquals("m.json: $.layers[0].kernelConstraint.type: unknown constraint 'maxnorm'; expected one of "
                + "[max_norm, unit_norm, non_neg, min_max_norm]", error("{\"type\": \"dense\", \"units\": 2, "
                + "\"kernelConstraint\": \"maxnorm\"}"));
        assertEquals("m.json: $.layers[0].kernelRegularizer.l1: unknown key; expected one of [l2, type]",
                error("{\"type\": \"dense\", \"units\": 2, \"kernelRegularizer\": {\"type\": \"l2\", \"l1\": 0.1}}"));
        assertEquals("m.json: $.layers[0].biasRegularizer: expected a type name or an object with a \"type\", got 0.1",
                error("{\"type\": \"conv2d\", \"filters\": 2, \"kernelSize\": 1, \"biasRegularizer\": 0.1}"));
        assertEquals("m.json: $.layers[0].biasConstraint.minValue: minValue 2.0 is above maxValue 1.0",
                error("{\"type\": \"dense\", \"units\": 2, \"biasConstraint\": {\"type\": \"min_max_norm\", "
                        + "\"minValue\": 2}}"));
        assertEquals("m.json: $.layers[0].kernelRegularizer.l2: expected a number in [0.0, 3.4028234663852886E38], "
                + "got \"big\"", error("{\"type\": \"dense\", \"units\": 2, \"kernelRegularizer\": {\"type\": \"l2\", "
                + "\"l2\": \"big\"}}"));
    }

    private static Sequential model(Backend b) {
        Sequential m = new Sequential(b, 21);
        m.add(new Dense(12, "relu").withKernelConstraint(new MaxNorm(0.5)).withKernelRegularizer(new L2(0.01)))
                .add(new Dense(3).withBiasRegularizer(new L1L2(0.01, 0.01)).withBiasConstraint(new MaxNorm(0.1)));
        return m.compile(new dev.clgrad.optim.Adam(0.05), new dev.clgrad.nn.MSE());
    }

    private static Dataset data() {
        Random rng = new Random(2);
        float[] x = new float[60 * 5];
        float[] y = new float[60 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        return new Dataset(x, y, 60, 5, 3);
    }

    /** Stops training by throwing after a given number of steps, as a crash would. */
    private record CrashAt(long step) implements Callback {
        @Override
        public void onBatchEnd(TrainingState state) {
            if (state.globalStep() == step) {
                throw new IllegalStateException("simulated crash at step " + step);
            }
        }
    }

    @BackendTest
    void resumingWithConstraintsGivesTheWeightsOfARunStraightThrough(Backend backend) throws IOException {
        Fit fit = Fit.epochs(3).batchSize(7).withSeed(11).withQuiet(true).withLossEvery(4);
        float[] straight;
        double straightLoss;
        try (Sequential m = model(backend)) {
            straightLoss = m.fit(data(), fit).loss().get(2);
            straight = m.parameters().toArray();
        }
        Path ck = dir.resolve("ck-" + TestBackends.label(backend).replace(':', '_').replace('/', '_'));
        try (Sequential m = model(backend)) {
            Fit crashing = fit.withCallbacks(ModelCheckpoint.everySteps(ck, 5), new CrashAt(23));
            assertThrows(IllegalStateException.class, () -> m.fit(data(), crashing));
        }
        try (Sequential m = model(backend)) {
            Position at = m.restoreCheckpoint(ck);
            double resumedLoss = m.fit(data(), fit.resumeFrom(at)).loss().get(0);
            assertArrayEquals(straight, m.parameters().toArray(), "on " + TestBackends.label(backend));
            assertEquals(straightLoss, resumedLoss, "the resumed epoch reports the same loss, penalties included");
        }
    }
}

package dev.clgrad.nn;

import dev.clgrad.model.Sequential;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.data.Dataset;
import dev.clgrad.ops.Philox;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.optim.Sgd;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Fit;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model wiring on the Java backend: gradients, parameter layout, workspace, summary, errors. */
class SequentialTest {
    private final Backend java = TestBackends.java();

    @Test
    void inputDeclaresTheShapeTheModelIsBuiltFor() {
        try (Sequential model = new Sequential(TestBackends.java(), 1)) {
            model.input(2, 3, 1).add(new Flatten()).add(new Dense(4));
            model.build();
            assertEquals(Shape.of(2, 3, 1), model.inputShape());
            assertEquals(28, model.parameterCount());
            assertSame(model, model.build(6), "six flat values per sample are read as (2, 3, 1)");
            assertThrows(IllegalStateException.class, () -> model.input(6));
        }
        try (Sequential model = new Sequential(TestBackends.java(), 1)) {
            assertEquals("input: every dimension must be >= 1, got [28, 0]",
                    assertThrows(IllegalArgumentException.class, () -> model.input(28, 0)).getMessage());
            assertThrows(IllegalStateException.class, model::build, "no shape declared");
        }
    }

    /** Backprop through Dense(relu) → ReLU → Dense → MSE matches central differences of the loss. */
    @Test
    void gradientsMatchFiniteDifferences() {
        Random rng = new Random(3);
        int rows = 5;
        float[] x = new float[rows * 3];
        float[] y = new float[rows * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        try (Sequential model = new Sequential(java, 9)) {
            model.add(new Dense(4, "relu")).add(new ReLU()).add(new Dense(2));
            model.compile(new Sgd(1e-30), new MSE());
            model.build(3);
            model.reserve(rows);
            float[] p0 = model.parameters().toArray();
            model.resetTotals();
            model.trainBatch(x, y, rows);
            float[] grads = model.gradients().toArray();
            float[] analytic = grads.clone();
            double h = 1e-2;
            double num = 0;
            double den = 0;
            for (Parameter p : model.parameterList()) {
                for (int i = 0; i < p.shape().size(); i++) {
                    int k = (int) p.offset() + i;
                    double up = lossAt(model, p0, k, h, x, y, rows);
                    double down = lossAt(model, p0, k, -h, x, y, rows);
                    double fd = (up - down) / (2 * h);
                    num += (fd - analytic[k]) * (fd - analytic[k]);
                    den += fd * fd;
                }
            }
            assertTrue(Math.sqrt(num / den) < 1e-2, "relative gradient error " + Math.sqrt(num / den));
        }
    }

    private static double lossAt(Sequential model, float[] p0, int k, double h, float[] x, float[] y, int rows) {
        float[] p = p0.clone();
        p[k] += (float) h;
        model.parameters().copyFrom(p);
        model.resetTotals();
        model.testBatch(x, y, rows);
        return model.totals()[0] / rows;
    }

    @Test
    void parametersLiveInOneFlatTensorAndInitialiseAsKeras() {
        try (Sequential model = new Sequential(java, 5)) {
            model.add(new Dense(7, "relu")).add(new Dropout(0.2)).add(new Dense(3));
            model.build(11);
            assertEquals(11 * 7 + 7 + 7 * 3 + 3, model.parameterCount());
            Map<String, Tensor> named = model.namedParameters();
            assertEquals(List.of("dense_1.kernel", "dense_1.bias", "dense_2.kernel", "dense_2.bias"),
                    List.copyOf(named.keySet()));
            for (Tensor t : named.values()) {
                assertSame(model.parameters().buffer(), t.buffer(), t.name() + " is a view of the flat tensor");
            }
            float[] k = named.get("dense_1.kernel").toArray();
            double limit = Math.sqrt(6.0 / (11 + 7));
            double sum = 0;
            for (float v : k) {
                assertTrue(Math.abs(v) <= limit, "glorot-uniform bound " + limit + ", got " + v);
                sum += v * v;
            }
            assertTrue(sum / k.length > limit * limit / 6, "variance near limit²/3, got " + sum / k.length);
            assertArrayEquals(new float[7], named.get("dense_1.bias").toArray());
        }
    }

    @Test
    void sameSeedSameWeightsOtherSeedOthers() {
        float[] a = weights(1);
        assertArrayEquals(a, weights(1));
        assertTrue(!Arrays.equals(a, weights(2)));
    }

    private float[] weights(long seed) {
        try (Sequential model = new Sequential(java, seed)) {
            model.add(new Dense(4)).build(3);
            return model.parameters().toArray();
        }
    }

    /**
     * A step is one optimizer launch over the flat buffer, one upload (x and y packed) and no download;
     * the loss is read only every lossEvery steps and at the epoch's end, and the weights once at the
     * epoch's end (checked for NaN and ±∞).
     */
    @Test
    void oneOptimizerLaunchAndNoCopiesPerStep() {
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        Backend counting = counting(calls);
        float[][][] data = SeedExampleTest.seedData();
        try (Sequential model = SeedExampleTest.seedModel(counting)) {
            model.build(20);
            model.reserve(32);
            String plan = model.explain(32);
            assertEquals(1, plan.split("fuses adamStep;", -1).length - 1, "one optimizer launch per step:\n" + plan);
            calls.clear();
            model.fit(data[0], data[1], Fit.epochs(1).batchSize(32).withQuiet(true).withLossEvery(10));
            assertEquals(32, model.optimizer().iterations());
        }
        int steps = 32;
        assertEquals(steps, calls.get("upload").get(), "one upload of x and y per step");
        assertEquals(steps / 10 + 1 + 1, calls.get("download").get(), "loss read every 10 steps and at epoch end, "
                + "weights at epoch end");
    }

    /** prepareTraining prepares the step a fit of that batch size runs: the fit prepares nothing more. */
    @Test
    void prepareTrainingPreparesTheStepFitRuns() {
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        Backend counting = counting(calls);
        float[][][] data = SeedExampleTest.seedData();
        try (Sequential model = SeedExampleTest.seedModel(counting)) {
            model.build(20);
            model.prepareTraining(40);
            assertTrue(calls.containsKey("prepareAll"), "the step is prepared: " + calls.keySet());
            calls.clear();
            model.fit(data[0], data[1], Fit.epochs(1).batchSize(40).withQuiet(true));
            assertEquals(25, model.optimizer().iterations());
            assertEquals(null, calls.get("prepareAll"), "nothing more prepared");
        }
    }

    /** The Java backend, each call counted in {@code calls} by method name. */
    private Backend counting(Map<String, AtomicInteger> calls) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class},
                (proxy, method, args) -> {
                    calls.computeIfAbsent(method.getName(), n -> new AtomicInteger()).incrementAndGet();
                    try {
                        return method.invoke(java, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void lastPartialBatchUsesViewsOfTheWorkspace() {
        int live = java.liveBuffers();
        float[][][] data = SeedExampleTest.seedData();
        try (Sequential model = SeedExampleTest.seedModel(java)) {
            model.fit(data[0], data[1], Fit.epochs(1).batchSize(300).withQuiet(true));
            int afterFit = java.liveBuffers();
            float[][] pred = model.predict(data[0]);
            assertEquals(1000, pred.length);
            model.fit(data[0], data[1], Fit.epochs(1).batchSize(7).withQuiet(true));
            assertEquals(afterFit, java.liveBuffers(), "smaller batches reuse the workspace");
        }
        assertEquals(live, java.liveBuffers());
    }

    @Test
    void dropoutIsIdentityAtInferenceAndAdvancesItsCounter() {
        float[] x = {1, 2, 3, 4, 5, 6};
        try (Sequential model = new Sequential(java, 3)) {
            Dropout d = new Dropout(0.5);
            model.add(d).compile("sgd", "mse").build(3);
            model.reserve(2);
            float[] out = new float[6];
            model.predictBatch(x, 2, out, 0);
            assertArrayEquals(x, out);
            assertEquals(0, d.offset());
            model.trainBatch(x, x, 2);
            assertEquals(Philox.blocks(6), d.offset());
            model.trainBatch(x, x, 1);
            assertEquals(Philox.blocks(6) + Philox.blocks(3), d.offset());
        }
    }

    @Test
    void summaryListsLayersShapesAndCounts() {
        try (Sequential model = SeedExampleTest.seedModel(java)) {
            assertTrue(model.summary().contains("dense_1 (Dense)             ?"), model.summary());
            model.build(20);
            String s = model.summary();
            assertTrue(s.contains(" dense_1 (Dense)             (None, 10)                210\n"), s);
            assertTrue(s.contains(" dropout_1 (Dropout)         (None, 10)                0\n"), s);
            assertTrue(s.contains(" dense_2 (Dense)             (None, 1)                 11\n"), s);
            assertTrue(s.contains("Total params: 221 (884.00 B)"), s);
        }
    }

    @Test
    void errorsSayWhatWasExpected() {
        assertEquals("Dropout: rate must be in [0, 1), got 1.0",
                assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Dense(3, "mish")).getMessage()
                .contains("unknown activation 'mish'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Loss.of("hinge")).getMessage()
                .contains("unknown loss 'hinge'"));
        try (Sequential model = new Sequential(java)) {
            model.add(new Dense(1));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.compile("adam", "mse", "accuracy"))
                    .getMessage().contains("accuracy needs a classification loss"));
            model.compile("sgd", "mse");
            model.fit(new float[][]{{1, 2}}, new float[][]{{1}}, Fit.epochs(1).withQuiet(true));
            assertEquals("input has 3 features (columns) but the model was built for 2 input features",
                    assertThrows(IllegalArgumentException.class, () -> model.predict(new float[][]{{1, 2, 3}}))
                            .getMessage());
        }
    }

    /**
     * Found by TrainFuzzTest: a model whose output per sample has two axes, (3, 2) from Dense(2) on
     * samples of shape (3, 1), met MSE's flat targets of 6 values per row with an op-level shape
     * error. MSE now compares them value by value, row-major, on every backend.
     */
    @BackendTest
    void mseTakesFlatTargetsForAMultiAxisOutput(Backend backend) {
        Random rng = new Random(5);
        float[] x = new float[8 * 3];
        float[] y = new float[8 * 6];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        Dataset d = new Dataset(x, y, 8, Shape.of(3, 1), 6);
        try (Sequential m = new Sequential(backend, 2)) {
            m.add(new Dense(2)).compile(new Sgd(0.1), new MSE());
            m.fit(d, Fit.epochs(2).batchSize(4).withQuiet(true));
            float[] k = m.parameterStore().value("dense_1.kernel").toArray();
            float[] b = m.parameterStore().value("dense_1.bias").toArray();
            double sum = 0;
            for (int r = 0; r < 8; r++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 2; j++) {
                        double e = x[r * 3 + i] * k[j] + b[j] - y[r * 6 + i * 2 + j];
                        sum += e * e;
                    }
                }
            }
            assertEquals(sum / 48, m.evaluate(d).get("loss"), 1e-5 * sum / 48);
        }
    }
}

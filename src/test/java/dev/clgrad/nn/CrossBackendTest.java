package dev.clgrad.nn;

import dev.clgrad.model.Sequential;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.Batches;
import dev.clgrad.data.Dataset;
import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Philox;
import dev.clgrad.optim.Adam;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Same seed, OpenCL vs Java: the model's dropout masks are identical and the per-step losses of
 * the seed example agree within 1e-4 relative over the first 50 steps; an image model with batch
 * normalisation, pooling and spatial dropout has identical channel masks and per-step losses
 * within 1e-5 relative over 50 steps. One test per OpenCL backend of {@link TestBackends#all()}
 * (none when there is no OpenCL device outside CI).
 */
class CrossBackendTest {
    private static final int STEPS = 50;

    @TestFactory
    Stream<DynamicTest> dropoutMasksMatchJava() {
        return TestBackends.openCl().stream().map(cl -> DynamicTest.dynamicTest(TestBackends.label(cl),
                () -> assertArrayEquals(masks(TestBackends.java()), masks(cl),
                        "dropout outputs of the model's layer, 3 calls, on " + TestBackends.label(cl))));
    }

    @TestFactory
    Stream<DynamicTest> lossTrajectoriesMatchJava() {
        return TestBackends.openCl().stream().map(cl -> DynamicTest.dynamicTest(TestBackends.label(cl), () -> {
            double[] ref = stepLosses(TestBackends.java());
            double[] got = stepLosses(cl);
            for (int s = 0; s < STEPS; s++) {
                double rel = Math.abs(got[s] - ref[s]) / Math.max(Math.abs(ref[s]), 1e-12);
                int step = s;
                assertTrue(rel < 1e-4, () -> "step " + step + ": loss " + got[step] + " on " + TestBackends.label(cl)
                        + " vs " + ref[step] + " on java (relative " + rel + ")\njava " + Arrays.toString(ref)
                        + "\nopencl " + Arrays.toString(got));
            }
        }));
    }

    /** Three training calls of a model's Dropout(0.5) on a (33, 17) tensor of ones, concatenated. */
    private static float[] masks(Backend backend) {
        int live = backend.liveBuffers();
        float[] out = new float[3 * 33 * 17];
        float[] ones = new float[33 * 17];
        Arrays.fill(ones, 1f);
        try (Sequential model = new Sequential(backend, 1234)) {
            Dropout d = new Dropout(0.5);
            model.add(d);
            model.build(17);
            try (Tensor x = Tensor.of(backend, ones, 33, 17); Tensor y = Tensor.empty(backend, Shape.of(33, 17))) {
                for (int call = 0; call < 3; call++) {
                    backend.run(new ApplyMask(x, new Mask(d.rate(), d.seed(), Counter.of(d.offset())), y));
                    d.restoreOffset(d.offset() + Philox.blocks(33 * 17));
                    System.arraycopy(y.toArray(), 0, out, call * ones.length, ones.length);
                }
            }
        }
        assertEquals(live, backend.liveBuffers(), "leaked buffers on " + TestBackends.label(backend));
        return out;
    }

    /** The seed example, one batch loss per step for the first 50 steps (shuffled, seed 42). */
    private static double[] stepLosses(Backend backend) {
        float[][][] data = SeedExampleTest.seedData();
        Dataset ds = Dataset.of(data[0], data[1]);
        Batches batches = new Batches(ds, 32, true, 42);
        double[] losses = new double[STEPS];
        float[] x = new float[32 * 20];
        float[] y = new float[32];
        try (Sequential model = SeedExampleTest.seedModel(backend)) {
            model.build(20);
            model.reserve(32);
            int step = 0;
            for (int epoch = 0; step < STEPS; epoch++) {
                int[] order = batches.order(epoch);
                for (int b = 0; b < batches.count() && step < STEPS; b++, step++) {
                    model.resetTotals();
                    int rows = batches.fill(order, b, x, y);
                    model.trainBatch(x, y, rows);
                    losses[step] = model.totals()[0] / rows;
                }
            }
        }
        return losses;
    }
    @TestFactory
    Stream<DynamicTest> spatialDropoutMasksMatchJava() {
        return TestBackends.openCl().stream().map(cl -> DynamicTest.dynamicTest(TestBackends.label(cl),
                () -> assertArrayEquals(channelMasks(TestBackends.java()), channelMasks(cl),
                        "spatial dropout outputs of the image model's layer, 3 calls, on " + TestBackends.label(cl))));
    }

    @TestFactory
    Stream<DynamicTest> imageModelLossesMatchJava() {
        return TestBackends.openCl().stream().map(cl -> DynamicTest.dynamicTest(TestBackends.label(cl), () -> {
            double[] ref = imageStepLosses(TestBackends.java());
            double[] got = imageStepLosses(cl);
            for (int s = 0; s < STEPS; s++) {
                double rel = Math.abs(got[s] - ref[s]) / Math.max(Math.abs(ref[s]), 1e-12);
                int step = s;
                assertTrue(rel < 1e-5, () -> "step " + step + ": loss " + got[step] + " on " + TestBackends.label(cl)
                        + " vs " + ref[step] + " on java (relative " + rel + ")\njava " + Arrays.toString(ref)
                        + "\nopencl " + Arrays.toString(got));
            }
        }));
    }

    private static final Shape IMAGE = Shape.of(6, 6, 4);

    /** BatchNormalization → MaxPooling2D → SpatialDropout2D(0.5) → AveragePooling2D("same") → Flatten → Dense(3). */
    private static Sequential imageModel(Backend backend) {
        Sequential m = new Sequential(backend, 77);
        m.add(new BatchNormalization()).add(new MaxPooling2D()).add(new SpatialDropout2D(0.5))
                .add(new AveragePooling2D(2, 2, "same")).add(new Flatten()).add(new Dense(3));
        return m.compile(new Adam(0.003), new MSE());
    }

    /** Three calls of the image model's SpatialDropout2D(0.5) mask on a (16, 3, 3, 4) tensor of ones. */
    private static float[] channelMasks(Backend backend) {
        int n = 16 * 3 * 3 * 4;
        float[] out = new float[3 * n];
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        try (Sequential model = imageModel(backend)) {
            model.build(IMAGE);
            SpatialDropout2D d = (SpatialDropout2D) model.layers().get(2);
            Counter counter = Counter.of(d.offset());
            try (Tensor x = Tensor.of(backend, ones, 16, 3, 3, 4); Tensor y = Tensor.empty(backend, Shape.of(16, 3, 3, 4))) {
                for (int call = 0; call < 3; call++) {
                    backend.run(new ApplyChannelMask(x, new Mask(d.rate(), d.seed(), counter), y));
                    counter.getAndAdd(Philox.blocks(16 * 4));
                    System.arraycopy(y.toArray(), 0, out, call * n, n);
                }
            }
        }
        return out;
    }

    /** The image model, one batch loss per step for 50 steps of 16 random images (seed 5). */
    private static double[] imageStepLosses(Backend backend) {
        int rows = 16;
        int values = (int) IMAGE.size();
        SplittableRandom r = new SplittableRandom(5);
        double[] losses = new double[STEPS];
        float[] x = new float[rows * values];
        float[] y = new float[rows * 3];
        try (Sequential model = imageModel(backend)) {
            model.build(IMAGE);
            model.reserve(rows);
            for (int step = 0; step < STEPS; step++) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (r.nextGaussian() * (1 + i % 4) + i % 4);
                }
                for (int i = 0; i < y.length; i++) {
                    y[i] = (float) r.nextGaussian();
                }
                model.resetTotals();
                model.trainBatch(x, y, rows);
                losses[step] = model.totals()[0] / rows;
            }
        }
        return losses;
    }
}

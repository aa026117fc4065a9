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
 * the seed example agree within 1e-4 relative over the first 50 steps; a small CNN with dropout
 * (convolutions with strides, same padding, im2col and col2im) agrees within 1e-5 over 50 steps,
 * losses and parameters, its dropout counters and masks identical; an image model with batch
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

    @TestFactory
    Stream<DynamicTest> cnnTrainingMatchesJava() {
        return TestBackends.openCl().stream().map(cl -> DynamicTest.dynamicTest(TestBackends.label(cl), () -> {
            Cnn ref = cnnSteps(TestBackends.java());
            Cnn got = cnnSteps(cl);
            for (int s = 0; s < STEPS; s++) {
                double rel = Math.abs(got.losses[s] - ref.losses[s]) / Math.max(Math.abs(ref.losses[s]), 1e-12);
                int step = s;
                assertTrue(rel < 1e-5, () -> "CNN step " + step + ": loss " + got.losses[step] + " on "
                        + TestBackends.label(cl) + " vs " + ref.losses[step] + " on java (relative " + rel + ")");
            }
            double num = 0;
            double den = 0;
            for (int i = 0; i < ref.params.length; i++) {
                num += Math.pow(got.params[i] - ref.params[i], 2);
                den += Math.pow(ref.params[i], 2);
            }
            assertTrue(Math.sqrt(num / den) < 1e-5, "parameters after " + STEPS + " steps differ by "
                    + Math.sqrt(num / den) + " (relative) on " + TestBackends.label(cl));
            assertEquals(ref.dropoutOffset, got.dropoutOffset, "dropout counter after " + STEPS + " steps");
            assertArrayEquals(ref.mask, got.mask, "the CNN dropout's next mask, on " + TestBackends.label(cl));
        }));
    }

    /** A CNN run: its per-step losses, its parameters after them, its dropout's counter and next mask. */
    private record Cnn(double[] losses, float[] params, long dropoutOffset, float[] mask) {
    }

    /**
     * Conv2D(6, 3, relu) → Dropout(0.3) → Conv2D(8, 3, relu, strides 2, same) → Flatten →
     * Dense(5), softmax cross-entropy, Adam, on 10x10x2 images, 50 steps over 4 fixed batches of 16.
     */
    private static Cnn cnnSteps(Backend backend) {
        int rows = 16;
        Shape sample = Shape.of(10, 10, 2);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(8);
        float[][] x = new float[4][rows * (int) sample.size()];
        float[][] y = new float[4][rows];
        for (int b = 0; b < 4; b++) {
            for (int i = 0; i < x[b].length; i++) {
                x[b][i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < rows; i++) {
                y[b][i] = rng.nextInt(5);
            }
        }
        int live = backend.liveBuffers();
        double[] losses = new double[STEPS];
        Cnn out;
        try (Sequential model = new Sequential(backend, 77)) {
            Dropout dropout = new Dropout(0.3);
            model.add(new Conv2D(6, 3, "relu")).add(dropout)
                    .add(new Conv2D(8, 3, "relu").withStrides(2).withPadding("same")).add(new Flatten())
                    .add(new Dense(5));
            model.compile("adam", "sparse_categorical_crossentropy");
            model.build(sample);
            model.reserve(rows);
            for (int s = 0; s < STEPS; s++) {
                model.resetTotals();
                model.trainBatch(x[s % 4], y[s % 4], rows);
                losses[s] = model.totals()[0] / rows;
            }
            int n = rows * 8 * 8 * 6;
            float[] ones = new float[n];
            Arrays.fill(ones, 1f);
            try (Tensor t = Tensor.of(backend, ones, n); Tensor masked = Tensor.empty(backend, Shape.of(n))) {
                backend.run(new ApplyMask(t, new Mask(dropout.rate(), dropout.seed(), Counter.of(dropout.offset())),
                        masked));
                out = new Cnn(losses, model.parameters().toArray(), dropout.offset(), masked.toArray());
            }
        }
        assertEquals(live, backend.liveBuffers(), "leaked buffers on " + TestBackends.label(backend));
        return out;
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

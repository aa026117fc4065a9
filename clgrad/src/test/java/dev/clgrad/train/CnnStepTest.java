package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.data.Dataset;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.BatchNormalization;
import dev.clgrad.nn.Conv2D;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.MaxPooling2D;
import dev.clgrad.nn.ReLU;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.nn.SpatialDropout2D;
import dev.clgrad.optim.Adam;
import dev.clgrad.tensor.DeviceMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CNN training step on every backend, as issue 13 asks of the OpenCL one: the plan fuses bias
 * and ReLU into the convolution's product; inside a step nothing crosses between host and device
 * but the batch upload (the loss is read every {@code lossEvery} steps); device memory stays flat
 * over 2,000 steps.
 */
class CnnStepTest {

    private static Dataset images(int rows) {
        Random rng = new Random(8);
        float[] x = new float[rows * 8 * 8];
        float[] y = new float[rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(3);
        }
        return new Dataset(x, y, rows, 64, 1);
    }

    private static Sequential cnn(Backend backend) {
        Sequential m = new Sequential(backend, 4);
        m.input(8, 8, 1)
                .add(new Conv2D(4, 3, "relu").withPadding("same"))
                .add(new MaxPooling2D(2))
                .add(new Conv2D(6, 3))
                .add(new BatchNormalization())
                .add(new ReLU())
                .add(new SpatialDropout2D(0.2))
                .add(new Flatten())
                .add(new Dropout(0.3))
                .add(new Dense(3));
        m.compile(new Adam(0.01), new SoftmaxCrossEntropy(), "accuracy");
        return m;
    }

    @BackendTest
    void theConvolutionFusesBiasAndReluAndAStepCopiesOnlyTheBatch(Backend backend) {
        int steps = 40;
        DeviceMemory.Transfers before;
        try (Sequential model = cnn(backend)) {
            model.build();
            model.reserve(8);
            String plan = model.explain(8);
            assertTrue(plan.contains("+bias relu]"), "the first convolution's product carries bias and ReLU:\n" + plan);
            model.fit(images(steps * 8), Fit.epochs(1).batchSize(8).withQuiet(true).withLossEvery(10));
            before = backend.transfers();
            model.fit(images(steps * 8), Fit.epochs(1).batchSize(8).withQuiet(true).withLossEvery(10));
        }
        DeviceMemory.Transfers after = backend.transfers();
        assertEquals(steps, after.uploads() - before.uploads(), "one upload of x and y per step");
        assertEquals(steps / 10 + 1 + 1, after.downloads() - before.downloads(),
                "loss read every 10 steps and at epoch end, weights at epoch end");
    }

    @BackendTest
    void deviceMemoryStaysFlatOver2000Steps(Backend backend) {
        List<String> perEpoch = new ArrayList<>();
        Callback probe = new Callback() {
            @Override
            public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
                perEpoch.add(backend instanceof OpenClBackend cl ? cl.poolStats().replaceAll("reused=\\d+, ", "")
                        + " liveBuffers=" + backend.liveBuffers() : "liveBuffers=" + backend.liveBuffers());
            }
        };
        try (Sequential model = cnn(backend)) {
            model.fit(images(200 * 4), Fit.epochs(10).batchSize(4).withQuiet(true).withLossEvery(50)
                    .withCallbacks(probe));
            assertEquals(2000, model.optimizer().iterations());
        }
        for (int e = 1; e < perEpoch.size(); e++) {
            assertEquals(perEpoch.get(0), perEpoch.get(e), "epoch " + (e + 1) + " vs epoch 1: " + perEpoch);
        }
    }
}

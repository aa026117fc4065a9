package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.data.Dataset;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.Adam;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Long runs keep device memory flat: after the first epoch (which allocates the workspace, the
 * optimizer state and the validation buffers), the live buffer count and, on OpenCL, the pool's
 * live, free and created counts and bytes stay exactly the same epoch after epoch — with
 * validation, loss reads and checkpoints in the loop. 900 steps here; see the report for
 * 20,000.
 */
class MemoryFlatnessTest {
    private static final Pattern COUNTERS = Pattern.compile("live=(\\d+), free=(\\d+), created=(\\d+), reused=\\d+, "
            + "liveBytes=(\\d+), freeBytes=(\\d+)");

    @TempDir
    Path dir;

    /** What must not change: live buffers, and the pool counters except {@code reused}. */
    private static String memory(Backend b) {
        if (b instanceof OpenClBackend cl) {
            Matcher m = COUNTERS.matcher(cl.poolStats());
            if (!m.find()) {
                throw new IllegalStateException("unexpected pool statistics: " + cl.poolStats());
            }
            return "live=" + m.group(1) + " free=" + m.group(2) + " created=" + m.group(3) + " liveBytes=" + m.group(4)
                    + " freeBytes=" + m.group(5) + " liveBuffers=" + b.liveBuffers();
        }
        return "liveBuffers=" + b.liveBuffers();
    }

    @BackendTest
    void deviceMemoryStaysFlatAfterTheFirstEpoch(Backend backend) {
        Random rng = new Random(6);
        int rows = 400;
        float[] x = new float[rows * 12];
        float[] y = new float[rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(3);
        }
        Dataset data = new Dataset(x, y, rows, 12, 1);
        List<String> perEpoch = new ArrayList<>();
        Callback probe = new Callback() {
            @Override
            public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
                perEpoch.add(memory(backend));
            }
        };
        try (Sequential m = new Sequential(backend, 2)) {
            m.add(new Dense(16, "relu")).add(new Dropout(0.2)).add(new Dense(3));
            m.compile(new Adam(0.01), new SoftmaxCrossEntropy(), "accuracy");
            m.fit(data, Fit.epochs(10).batchSize(4).withValidationSplit(0.1).withQuiet(true).withLossEvery(10)
                    .withCallbacks(new ModelCheckpoint(dir, 250, 1), probe));
        }
        assertEquals(10, perEpoch.size());
        for (int e = 1; e < perEpoch.size(); e++) {
            assertEquals(perEpoch.get(0), perEpoch.get(e), "epoch " + (e + 1) + " vs epoch 1: " + perEpoch);
        }
    }
}

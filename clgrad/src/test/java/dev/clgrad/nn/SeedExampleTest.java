package dev.clgrad.nn;

import dev.clgrad.model.Sequential;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed's Keras example trains on every backend: its loss falls and every buffer is freed. */
class SeedExampleTest {

    static List<Backend> backends() {
        return TestBackends.all();
    }

    /** x: (1000, 20) and y: (1000, 1), standard normal, as the seed draws them. */
    static float[][][] seedData() {
        Random rng = new Random(42);
        float[][] x = new float[1000][20];
        float[][] y = new float[1000][1];
        for (int i = 0; i < 1000; i++) {
            for (int j = 0; j < 20; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            y[i][0] = (float) rng.nextGaussian();
        }
        return new float[][][]{x, y};
    }

    static Sequential seedModel(Backend backend) {
        Sequential model = new Sequential(backend, 42);
        model.add(new Dense(10, "relu"));
        model.add(new Dropout(0.5));
        model.add(new Dense(1));
        return model.compile("adam", "mse");
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void lossFallsAndNothingLeaks(Backend backend) {
        float[][][] data = seedData();
        int live = backend.liveBuffers();
        History history;
        try (Sequential model = seedModel(backend)) {
            history = model.fit(data[0], data[1], Fit.epochs(10).batchSize(32).withQuiet(true));
        }
        assertEquals(live, backend.liveBuffers(), "live buffers after close on " + TestBackends.label(backend));
        List<Double> loss = history.loss();
        assertEquals(10, loss.size());
        assertTrue(loss.stream().allMatch(Double::isFinite), "finite losses " + loss);
        assertTrue(loss.get(9) < 0.8 * loss.get(0), "loss should fall by 20 %: " + loss);
        assertTrue(loss.get(9) < loss.get(4) && loss.get(4) < loss.get(0), "loss should fall: " + loss);
    }
}

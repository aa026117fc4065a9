package dev.clgrad.samples;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.model.Sequential;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;

import java.util.Random;

/**
 * The seed's Keras example, ported:
 * <pre>
 * model = Sequential([Dense(10, activation="relu"), Dropout(0.5), Dense(1)])
 * model.compile(optimizer="adam", loss="mse")
 * model.fit(x, y, epochs=10, batch_size=32)     # x: (1000, 20), y: (1000, 1), standard normal
 * </pre>
 * Usage: {@code SeedSimpleNet [DEVICE]} (default {@code auto}).
 */
public final class SeedSimpleNet {
    private SeedSimpleNet() {
    }

    public static void main(String[] args) {
        Random rng = new Random(42);
        float[][] x = new float[1000][20];
        float[][] y = new float[1000][1];
        for (int i = 0; i < 1000; i++) {
            for (int j = 0; j < 20; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            y[i][0] = (float) rng.nextGaussian();
        }
        try (Backend backend = Backends.select(args.length > 0 ? args[0] : "auto");
             Sequential model = new Sequential(backend, 42)) {
            model.add(new Dense(10, "relu"));
            model.add(new Dropout(0.5));
            model.add(new Dense(1));
            model.compile("adam", "mse");
            History history = model.fit(x, y, Fit.epochs(10).batchSize(32));
            System.out.print(model.summary());
            for (int e = 0; e < history.epochs(); e++) {
                System.out.printf("epoch %d: loss %.4f%n", e + 1, history.loss().get(e));
            }
        }
    }
}

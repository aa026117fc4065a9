package dev.clgrad.samples;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.io.ModelWeights;
import dev.clgrad.nn.Dense;
import dev.clgrad.model.Sequential;
import dev.clgrad.train.EarlyStopping;
import dev.clgrad.train.Fit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * An application embedding clgrad: it learns to tell whether a point lies inside the unit circle,
 * stops early on validation loss, saves the weights as safetensors, loads them into a fresh model
 * and serves predictions from it. Usage: {@code LibraryUse [DEVICE] [WEIGHTS.safetensors]}.
 */
public final class LibraryUse {
    private LibraryUse() {
    }

    public static void main(String[] args) throws IOException {
        String device = args.length > 0 ? args[0] : "auto";
        Path weights = args.length > 1 ? Path.of(args[1]) : Files.createTempFile("circle", ".safetensors");
        Random rng = new Random(7);
        float[][] x = new float[4000][2];
        float[] labels = new float[4000];
        for (int i = 0; i < x.length; i++) {
            x[i][0] = (float) (rng.nextDouble() * 3 - 1.5);
            x[i][1] = (float) (rng.nextDouble() * 3 - 1.5);
            labels[i] = x[i][0] * x[i][0] + x[i][1] * x[i][1] < 1 ? 1 : 0;
        }
        try (Backend backend = Backends.select(device)) {
            try (Sequential model = classifier(backend)) {
                model.fit(x, labels, Fit.epochs(30).batchSize(64).withValidationSplit(0.2).withQuiet(true)
                        .withCallbacks(new EarlyStopping("val_loss", 3, 1e-4, true)));
                System.out.printf("trained: %s%n", model.evaluate(x, labels));
                model.saveWeights(weights);
            }
            try (Sequential served = classifier(backend)) {
                served.loadWeights(weights);
                float[][] queries = {{0f, 0f}, {0.5f, -0.5f}, {1.2f, 1.2f}, {-1.4f, 0.1f}};
                float[][] logits = served.predict(queries);
                for (int i = 0; i < queries.length; i++) {
                    String verdict = logits[i][1] > logits[i][0] ? "inside" : "outside";
                    System.out.printf("(%.1f, %.1f) -> %s%n", queries[i][0], queries[i][1], verdict);
                }
            }
        }
        System.out.println("weights: " + weights);
    }

    private static Sequential classifier(Backend backend) {
        Sequential model = new Sequential(backend, 1);
        model.add(new Dense(32, "relu"));
        model.add(new Dense(32, "relu"));
        model.add(new Dense(2));
        return model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
    }
}

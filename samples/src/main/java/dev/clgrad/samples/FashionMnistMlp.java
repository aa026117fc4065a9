package dev.clgrad.samples;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.IdxReader;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Flatten;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.Adam;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fashion-MNIST with a multilayer perceptron: 784-512-ReLU-Dropout(0.5)-512-ReLU-Dropout(0.5)-10,
 * Adam 1e-3, softmax cross-entropy from logits, batch 128, 5 epochs.
 * Usage: {@code FashionMnistMlp [--data DIR] [--device SPEC] [--epochs E]}
 * (data from {@code /usr/share/datasets/fashion-mnist} by default).
 */
public final class FashionMnistMlp {
    private FashionMnistMlp() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of("/usr/share/datasets/fashion-mnist");
        String device = "auto";
        int epochs = 5;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--data" -> dir = Path.of(args[i + 1]);
                case "--device" -> device = args[i + 1];
                case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --data DIR, --device SPEC, --epochs E");
            }
        }
        Dataset train = Dataset.of(IdxReader.read(dir.resolve("train-images-idx3-ubyte.gz"), 1f / 255),
                IdxReader.read(dir.resolve("train-labels-idx1-ubyte.gz"), 1f));
        Dataset test = Dataset.of(IdxReader.read(dir.resolve("t10k-images-idx3-ubyte.gz"), 1f / 255),
                IdxReader.read(dir.resolve("t10k-labels-idx1-ubyte.gz"), 1f));
        try (Backend backend = Backends.select(device); Sequential model = new Sequential(backend, 42)) {
            model.add(new Flatten());
            model.add(new Dense(512, "relu"));
            model.add(new Dropout(0.5));
            model.add(new Dense(512, "relu"));
            model.add(new Dropout(0.5));
            model.add(new Dense(10));
            model.compile(new Adam(1e-3), new SoftmaxCrossEntropy(), "accuracy");
            History history = model.fit(train, Fit.epochs(epochs).batchSize(128));
            System.out.print(model.summary());
            Map<String, Double> result = model.evaluate(test);
            System.out.printf("device %s: test loss %.4f, test accuracy %.2f %%, %.0f samples/s%n", backend.id(),
                    result.get("loss"), 100 * result.get("accuracy"), history.samplesPerSecond());
        }
    }
}

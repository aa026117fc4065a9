package dev.clgrad.samples;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.IdxReader;
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
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.CosineDecay;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fashion-MNIST with a convolutional network, Keras's {@code mnist_convnet} example: (28, 28, 1) →
 * Conv2D(32, 3, relu) → MaxPooling2D(2) → Conv2D(64, 3, relu) → MaxPooling2D(2) → Flatten →
 * Dropout(0.5) → Dense(10), softmax cross-entropy from logits, batch 128, 10 epochs; with
 * {@code --bn} two blocks of Conv2D ("same" padding) → BatchNormalization → ReLU →
 * SpatialDropout2D(0.1) → MaxPooling2D(2) with 32 and 64 filters, then Flatten → Dense(128) →
 * BatchNormalization → ReLU → Dropout(0.5) → Dense(10). Both train with Adam (epsilon 1e-7, Keras's)
 * at a learning rate of 5e-3 decayed to 0 over the run by Keras's CosineDecay. The same models and
 * recipes as {@code samples/fashion-mnist-cnn.json} and {@code samples/fashion-mnist-cnn-bn.json}.
 * Usage: {@code FashionMnistCnn [--bn] [--data DIR] [--device SPEC] [--epochs E]}
 * (data from {@code /usr/share/datasets/fashion-mnist} by default).
 */
public final class FashionMnistCnn {
    private static final int BATCH = 128;
    private static final float CNN_LR = 5e-3f;
    private static final float BN_LR = 5e-3f;

    private FashionMnistCnn() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of("/usr/share/datasets/fashion-mnist");
        String device = "auto";
        int epochs = 10;
        boolean batchNorm = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--bn")) {
                batchNorm = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--data" -> dir = Path.of(args[++i]);
                case "--device" -> device = args[++i];
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --bn, --data DIR, --device SPEC, --epochs E");
            }
        }
        Dataset train = Dataset.of(IdxReader.read(dir.resolve("train-images-idx3-ubyte.gz"), 1f / 255),
                IdxReader.read(dir.resolve("train-labels-idx1-ubyte.gz"), 1f));
        Dataset test = Dataset.of(IdxReader.read(dir.resolve("t10k-images-idx3-ubyte.gz"), 1f / 255),
                IdxReader.read(dir.resolve("t10k-labels-idx1-ubyte.gz"), 1f));
        try (Backend backend = Backends.select(device); Sequential model = new Sequential(backend, 42)) {
            model.input(28, 28, 1);
            if (batchNorm) {
                for (int filters : new int[] {32, 64}) {
                    model.add(new Conv2D(filters, 3).withPadding("same")).add(new BatchNormalization())
                            .add(new ReLU()).add(new SpatialDropout2D(0.1)).add(new MaxPooling2D(2));
                }
                model.add(new Flatten()).add(new Dense(128)).add(new BatchNormalization()).add(new ReLU());
            } else {
                model.add(new Conv2D(32, 3, "relu")).add(new MaxPooling2D(2));
                model.add(new Conv2D(64, 3, "relu")).add(new MaxPooling2D(2));
                model.add(new Flatten());
            }
            model.add(new Dropout(0.5)).add(new Dense(10));
            float lr = batchNorm ? BN_LR : CNN_LR;
            long steps = (long) epochs * ((train.rows() + BATCH - 1) / BATCH);
            model.compile(new Adam(new AdamHyper(lr, 0.9f, 0.999f, 1e-7f, 0)).withLearningRate(new CosineDecay(lr, steps, 0)),
                    new SoftmaxCrossEntropy(), "accuracy");
            History history = model.fit(train, Fit.epochs(epochs).batchSize(BATCH));
            System.out.print(model.summary());
            Map<String, Double> result = model.evaluate(test);
            System.out.printf("device %s: test loss %.4f, test accuracy %.2f %%, %.0f samples/s%n", backend.id(),
                    result.get("loss"), 100 * result.get("accuracy"), history.samplesPerSecond());
        }
    }
}

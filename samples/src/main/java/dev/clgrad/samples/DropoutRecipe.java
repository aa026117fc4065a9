package dev.clgrad.samples;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.IdxReader;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.MaxNorm;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.ExponentialDecay;
import dev.clgrad.optim.LinearRamp;
import dev.clgrad.optim.Sgd;
import dev.clgrad.train.Fit;
import dev.clgrad.train.Predict;
import dev.clgrad.train.Prediction;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The dropout paper's recipe (Srivastava et al., JMLR 2014) on Fashion-MNIST, the third method of
 * {@code clgrad study dropout}: 784-1024-1024-10 ReLU with dropout 0.2 on the inputs and 0.5 on
 * each hidden layer, every kernel max-norm constrained (column norms ≤ 3), SGD whose learning rate
 * decays exponentially from 0.2 to 0.002 over the run and whose momentum rises linearly from 0.5
 * to 0.95 over its first 40 %; then the test accuracy by weight scaling (the default predict) and
 * by Monte-Carlo dropout (the mean of 30 stochastic passes, the paper's section 7.5).
 * Usage: {@code DropoutRecipe [--data DIR] [--device SPEC] [--epochs E]}
 * (data from {@code /usr/share/datasets/fashion-mnist} by default).
 */
public final class DropoutRecipe {
    private DropoutRecipe() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of("/usr/share/datasets/fashion-mnist");
        String device = "auto";
        int epochs = 30;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
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
        int batch = 128;
        long steps = (long) epochs * ((train.rows() + batch - 1) / batch);
        try (Backend backend = Backends.select(device); Sequential model = new Sequential(backend, 42)) {
            model.add(new Flatten()).add(new Dropout(0.2));
            for (int i = 0; i < 2; i++) {
                model.add(new Dense(1024, "relu").withKernelConstraint(new MaxNorm(3))).add(new Dropout(0.5));
            }
            model.add(new Dense(10).withKernelConstraint(new MaxNorm(3)));
            Sgd sgd = new Sgd(0.2).withMomentum(new LinearRamp(0.5, 0.95, steps * 2 / 5));
            sgd.withLearningRate(new ExponentialDecay(0.2, steps, 0.01, false));
            model.compile(sgd, new SoftmaxCrossEntropy(), "accuracy");
            model.fit(train, Fit.epochs(epochs).batchSize(batch).withValidationData(test));
            Map<String, Double> scaled = model.evaluate(test);
            Prediction mc = model.predict(test, Predict.monteCarlo(30).softmax());
            float[][] means = mc.meanRows();
            int correct = 0;
            for (int r = 0; r < test.rows(); r++) {
                float[] mean = means[r];
                int best = 0;
                for (int c = 1; c < mean.length; c++) {
                    best = mean[c] > mean[best] ? c : best;
                }
                correct += best == (int) test.y()[r] ? 1 : 0;
            }
            System.out.printf("device %s: test accuracy %.2f %% by weight scaling, %.2f %% by Monte-Carlo dropout "
                    + "(30 passes)%n", backend.id(), 100 * scaled.get("accuracy"), 100.0 * correct / test.rows());
        }
    }
}

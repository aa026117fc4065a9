package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.optim.Sgd;
import dev.clgrad.nn.MSE;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keras's convention: epoch losses and {@code evaluate} are means over samples, each batch weighted
 * by its rows, so a partial last batch counts for its rows only. 33 rows in batches of 32 with the
 * one large error in the last, single-row batch: the mean over rows is 303.6-ish, while the mean of
 * the two batch means (the old convention) would be about 5002.
 */
class LossConventionTest {

    /** x: (33, 1) of ones; y: 0 everywhere but row 32, which is 100. */
    private static float[][][] data() {
        float[][] x = new float[33][1];
        float[][] y = new float[33][1];
        for (int r = 0; r < 33; r++) {
            x[r][0] = 1f;
        }
        y[32][0] = 100f;
        return new float[][][]{x, y};
    }

    /** The host mean over rows of (pred − y)², from the model's own predictions. */
    private static double meanOverRows(Sequential model, float[][] x, float[][] y) {
        float[][] pred = model.predict(x);
        double s = 0;
        for (int r = 0; r < x.length; r++) {
            double d = (double) pred[r][0] - y[r][0];
            s += d * d;
        }
        return s / x.length;
    }

    @BackendTest
    void evaluateAndEpochLossesAreMeansOverSamples(Backend backend) {
        float[][][] d = data();
        try (Sequential model = new Sequential(backend, 5)) {
            model.add(new Dense(1)).compile(new Sgd(1e-30), new MSE());
            model.build(1);
            double expected = meanOverRows(model, d[0], d[1]);
            double evaluated = model.evaluate(d[0], d[1]).get("loss");
            assertEquals(expected, evaluated, 1e-5 * expected, "evaluate on " + backend.id());
            History h = model.fit(d[0], d[1], Fit.epochs(1).batchSize(32).withShuffle(false).withQuiet(true));
            assertEquals(expected, h.loss().get(0), 1e-5 * expected, "epoch loss on " + backend.id());
            double batchMeans = 0;
            for (int[] range : new int[][]{{0, 32}, {32, 33}}) {
                double s = 0;
                float[][] pred = model.predict(java.util.Arrays.copyOfRange(d[0], range[0], range[1]));
                for (int r = range[0]; r < range[1]; r++) {
                    double e = (double) pred[r - range[0]][0] - d[1][r][0];
                    s += e * e;
                }
                batchMeans += s / (range[1] - range[0]) / 2;
            }
            assertTrue(batchMeans > 10 * expected, "the old convention's figure differs: " + batchMeans
                    + " vs " + expected);
        }
    }
}

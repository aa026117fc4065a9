package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.optim.Sgd;
import dev.clgrad.tensor.Shape;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Max-norm holds after every step (and binds: the same training without it passes the bound), for
 * Dense and Conv2D kernels on every backend; the regularized loss's gradient matches finite
 * differences of the reported loss; the reported losses include the penalty by the loss
 * convention (means over samples).
 */
class WeightConstraintsTest {
    private static final double C = 1.0;

    private static float[] gaussian(int n, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    /** The largest norm of the columns of {@code w} viewed as (size / cols, cols), in double. */
    static double maxColumnNorm(float[] w, int cols) {
        double[] s = new double[cols];
        for (int i = 0; i < w.length; i++) {
            s[i % cols] += (double) w[i] * w[i];
        }
        double max = 0;
        for (double v : s) {
            max = Math.max(max, Math.sqrt(v));
        }
        return max;
    }

    /** Per step, the largest column norm of {@code param} after 12 SGD steps (momentum 0.9) on 16-row batches. */
    private static double[] trainAndWatch(Supplier<Sequential> make, double lr, Shape in, int outputs, String param,
                                          int cols) {
        int rows = 16;
        double[] norms = new double[12];
        try (Sequential m = make.get()) {
            m.compile(new Sgd(lr, 0.9, 0), new MSE());
            m.build(in, rows);
            m.reserve(rows);
            for (int step = 0; step < norms.length; step++) {
                float[] x = gaussian(rows * (int) in.size(), 10 + step);
                float[] y = gaussian(rows * outputs, 50 + step);
                for (int i = 0; i < y.length; i++) {
                    y[i] *= 4;
                }
                m.trainBatch(x, y, rows);
                norms[step] = maxColumnNorm(m.namedParameters().get(param).toArray(), cols);
            }
        }
        return norms;
    }

    private static void assertHoldsAndBinds(String what, double c, double[] free, double[] constrained) {
        double freeMax = 0;
        boolean atBound = false;
        for (int s = 0; s < constrained.length; s++) {
            int step = s + 1;
            assertTrue(constrained[s] <= c + 1e-6, () -> what + ": max column norm " + constrained[step - 1]
                    + " after step " + step + " exceeds " + c);
            atBound |= constrained[s] > c - 1e-4;
            freeMax = Math.max(freeMax, free[s]);
        }
        assertTrue(freeMax > 1.2 * c, what + ": without the constraint the norms stay at " + freeMax
                + "; the test would not see it bind");
        assertTrue(atBound, what + ": the constrained norms never reach the bound " + c);
    }

    @BackendTest
    void maxNormHoldsAfterEveryStepOfAnMlp(Backend backend) {
        Supplier<Sequential> free = () -> new Sequential(backend, 3).add(new Dense(32, "relu")).add(new Dense(4));
        Supplier<Sequential> constrained = () -> new Sequential(backend, 3)
                .add(new Dense(32, "relu").withKernelConstraint(new MaxNorm(C))).add(new Dense(4));
        assertHoldsAndBinds("dense on " + TestBackends.label(backend), C,
                trainAndWatch(free, 0.5, Shape.of(6), 4, "dense_1.kernel", 32),
                trainAndWatch(constrained, 0.5, Shape.of(6), 4, "dense_1.kernel", 32));
    }

    @BackendTest
    void maxNormHoldsAfterEveryStepOfAConvolution(Backend backend) {
        Supplier<Sequential> free = () -> new Sequential(backend, 4).add(new Conv2D(5, 3, "relu"))
                .add(new Flatten()).add(new Dense(3));
        Supplier<Sequential> constrained = () -> new Sequential(backend, 4)
                .add(new Conv2D(5, 3, "relu").withKernelConstraint(new MaxNorm(0.6))).add(new Flatten())
                .add(new Dense(3));
        assertHoldsAndBinds("conv2d on " + TestBackends.label(backend), 0.6,
                trainAndWatch(free, 0.05, Shape.of(6, 5, 2), 3, "conv2d_1.kernel", 5),
                trainAndWatch(constrained, 0.05, Shape.of(6, 5, 2), 3, "conv2d_1.kernel", 5));
    }

    @BackendTest
    void theOtherConstraintsHoldAfterAStep(Backend backend) {
        try (Sequential m = new Sequential(backend, 5)) {
            m.add(new Dense(7, "relu").withKernelConstraint(new UnitNorm()).withBiasConstraint(new NonNeg()))
                    .add(new Dense(2).withKernelConstraint(new MinMaxNorm(0.5, 0.75, 1)));
            m.compile(new Sgd(0.3), new MSE());
            m.build(Shape.of(5), 9);
            m.reserve(9);
            m.trainBatch(gaussian(45, 1), gaussian(18, 2), 9);
            float[] k1 = m.namedParameters().get("dense_1.kernel").toArray();
            float[] b1 = m.namedParameters().get("dense_1.bias").toArray();
            float[] k2 = m.namedParameters().get("dense_2.kernel").toArray();
            double[] n1 = columnNorms(k1, 7);
            for (double n : n1) {
                assertEquals(1, n, 1e-6, "unit norm");
            }
            for (float b : b1) {
                assertTrue(b >= 0, "non-negative bias, got " + b);
            }
            for (double n : columnNorms(k2, 2)) {
                assertTrue(n >= 0.5 - 1e-6 && n <= 0.75 + 1e-6, "min-max norm in [0.5, 0.75], got " + n);
            }
        }
    }

    private static double[] columnNorms(float[] w, int cols) {
        double[] s = new double[cols];
        for (int i = 0; i < w.length; i++) {
            s[i % cols] += (double) w[i] * w[i];
        }
        for (int c = 0; c < cols; c++) {
            s[c] = Math.sqrt(s[c]);
        }
        return s;
    }

    /**
     * A linear Dense layer under MSE with an L1L2 kernel penalty and an L2 bias penalty: the loss is
     * piecewise quadratic in the weights, so central differences of the reported (evaluate) loss at
     * h = 1e-2 are exact up to float32 rounding of the loss; the step's gradients (read after one
     * step at lr 1e-30, which leaves the weights as they were) match them.
     */
    @BackendTest
    void theRegularizedLossGradientMatchesFiniteDifferences(Backend backend) {
        int rows = 8;
        float[][] x = rows(gaussian(rows * 3, 7), 3);
        float[][] y = rows(gaussian(rows * 2, 8), 2);
        try (Sequential m = new Sequential(backend, 9)) {
            m.add(new Dense(2).withKernelRegularizer(new L1L2(0.05, 0.2)).withBiasRegularizer(new L2(0.3)));
            m.compile(new Sgd(1e-30), new MSE());
            m.build(Shape.of(3), rows);
            float[] w = m.parameters().toArray();
            w[32] = 0.4f;
            w[33] = -0.7f;
            m.parameters().copyFrom(w);
            double h = 1e-2;
            double[] numeric = new double[w.length];
            for (Parameter p : m.parameterList()) {
                for (int i = (int) p.offset(); i < p.offset() + p.shape().size(); i++) {
                    if (Math.abs(w[i]) < 2 * h) {
                        continue;
                    }
                    float[] plus = w.clone();
                    float[] minus = w.clone();
                    plus[i] += (float) h;
                    minus[i] -= (float) h;
                    m.parameters().copyFrom(plus);
                    double lp = m.evaluate(x, y).get("loss");
                    m.parameters().copyFrom(minus);
                    double lm = m.evaluate(x, y).get("loss");
                    numeric[i] = (lp - lm) / (plus[i] - minus[i]);
                }
            }
            m.parameters().copyFrom(w);
            m.trainBatch(flat(x), flat(y), rows);
            float[] analytic = m.gradients().toArray();
            int checked = 0;
            for (Parameter p : m.parameterList()) {
                for (int i = (int) p.offset(); i < p.offset() + p.shape().size(); i++) {
                    if (Math.abs(w[i]) < 2 * h) {
                        continue;
                    }
                    checked++;
                    assertEquals(numeric[i], analytic[i], 2e-3 * Math.max(1, Math.abs(numeric[i])),
                            p.name() + " element " + (i - p.offset()) + " on " + TestBackends.label(backend));
                }
            }
            assertTrue(checked >= 6, "only " + checked + " weights checked");
        }
    }

    /**
     * 33 rows in batches of 32 and 1, at lr 1e-30: the epoch loss and evaluate are the mean over
     * rows of the squared error plus the penalty (each batch's loss includes it once, and batches
     * are weighted by their rows, so the penalty counts once).
     */
    @BackendTest
    void reportedLossesIncludeThePenaltyAsMeansOverSamples(Backend backend) {
        float[][] x = rows(gaussian(33 * 2, 11), 2);
        float[][] y = rows(gaussian(33, 12), 1);
        try (Sequential m = new Sequential(backend, 5)) {
            m.add(new Dense(1).withKernelRegularizer(new L1L2(0.1, 0.5)));
            m.compile(new Sgd(1e-30), new MSE());
            m.build(2);
            float[] k = m.namedParameters().get("dense_1.kernel").toArray();
            double penalty = 0;
            for (float v : k) {
                penalty += 0.1 * Math.abs(v) + 0.5 * v * v;
            }
            float[][] pred = m.predict(x);
            double se = 0;
            for (int r = 0; r < 33; r++) {
                double d = (double) pred[r][0] - y[r][0];
                se += d * d;
            }
            double expected = se / 33 + penalty;
            assertTrue(penalty > 0.05 * expected, "the penalty is visible: " + penalty + " of " + expected);
            assertEquals(expected, m.evaluate(x, y).get("loss"), 1e-5 * expected, "evaluate");
            History h = m.fit(x, y, Fit.epochs(1).batchSize(32).withShuffle(false).withQuiet(true));
            assertEquals(expected, h.loss().get(0), 1e-5 * expected, "epoch loss");
        }
    }

    @Test
    void badSettingsSayWhatWasWrong() {
        assertEquals("MaxNorm: maxValue must be a finite number >= 0, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> new MaxNorm(-1)).getMessage());
        assertEquals("L2: l2 must be a finite number >= 0, got NaN",
                assertThrows(IllegalArgumentException.class, () -> new L2(Double.NaN)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new MinMaxNorm(2, 1, 1)).getMessage()
                .contains("minValue 2.0, maxValue 1.0"));
    }

    private static float[][] rows(float[] flat, int cols) {
        float[][] out = new float[flat.length / cols][cols];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    private static float[] flat(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
        }
        return out;
    }
}

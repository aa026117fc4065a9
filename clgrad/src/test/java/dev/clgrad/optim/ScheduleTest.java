package dev.clgrad.optim;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.MSE;
import dev.clgrad.train.Callback;
import dev.clgrad.train.Fit;
import dev.clgrad.train.LearningRateScheduler;
import dev.clgrad.train.ReduceLROnPlateau;
import dev.clgrad.train.TrainingState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The schedules against values worked out by hand from Keras 3's formulas, the optimizers'
 * step semantics (the first update uses value(0)), clear errors for bad hyperparameters, and a
 * learning rate changed mid-training that the replayed step program reads without a rebuild.
 */
class ScheduleTest {
    private static final double EPS = 1e-12;

    @Test
    void schedulesGiveKerasValues() {
        ExponentialDecay exp = new ExponentialDecay(0.1, 10, 0.5, false);
        assertEquals(0.1, exp.value(0), EPS);
        assertEquals(0.1 * Math.sqrt(0.5), exp.value(5), EPS);
        assertEquals(0.025, exp.value(20), EPS);
        assertEquals(0.05, new ExponentialDecay(0.1, 10, 0.5, true).value(19), EPS);
        InverseTimeDecay inv = new InverseTimeDecay(0.1, 10, 1.0, false);
        assertEquals(0.1 / 1.5, inv.value(5), EPS);
        assertEquals(0.05, new InverseTimeDecay(0.1, 10, 1.0, true).value(19), EPS);
        assertEquals(0.1 / 3, new InverseTimeDecay(0.1, 10, 1.0, true).value(20), EPS);
        PiecewiseConstantDecay pw = new PiecewiseConstantDecay(new long[] {10, 20}, new double[] {1, 0.5, 0.1});
        assertArrayEquals(new double[] {1, 1, 0.5, 0.5, 0.1},
                new double[] {pw.value(0), pw.value(10), pw.value(11), pw.value(20), pw.value(21)});
        CosineDecay cos = new CosineDecay(1.0, 10, 0.0);
        assertEquals(1.0, cos.value(0), EPS);
        assertEquals(0.5, cos.value(5), EPS);
        assertEquals(0.0, cos.value(10), EPS);
        assertEquals(0.0, cos.value(99), EPS);
        assertEquals(0.1, new CosineDecay(1.0, 10, 0.1).value(10), EPS);
        assertEquals(0.1 + 0.9 * 0.5, new CosineDecay(1.0, 10, 0.1).value(5), EPS);
        CosineDecay warm = new CosineDecay(0.0, 10, 0.0, 1.0, 5);
        assertArrayEquals(new double[] {0, 0.4, 1.0, 0.5, 0.0, 0.0},
                new double[] {warm.value(0), warm.value(2), warm.value(5), warm.value(10), warm.value(15), warm.value(99)},
                EPS);
        LinearRamp ramp = new LinearRamp(0.5, 0.99, 100);
        assertArrayEquals(new double[] {0.5, 0.745, 0.99, 0.99},
                new double[] {ramp.value(0), ramp.value(50), ramp.value(100), ramp.value(1000)}, EPS);
    }

    @Test
    void theFirstUpdateUsesValueAtZeroAndScheduledRatesCannotBeSet() {
        Sgd sgd = new Sgd(0.1, 0.5, 0);
        sgd.withLearningRate(new ExponentialDecay(0.1, 1, 0.5, false)).withClipping(Clipping.NONE);
        sgd.withMomentum(new LinearRamp(0.5, 0.9, 4));
        List<Double> lrs = new ArrayList<>();
        List<Double> moms = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            sgd.beginStep();
            lrs.add(sgd.learningRate());
            moms.add(sgd.momentum());
        }
        assertEquals(List.of(0.1, 0.05, 0.025), lrs);
        assertArrayEquals(new double[] {0.5, 0.6, 0.7}, moms.stream().mapToDouble(Double::doubleValue).toArray(), EPS);
        assertEquals("sgd: the learning rate follows the schedule exponential_decay and cannot be set; use a constant "
                + "learning rate to change it from a callback",
                assertThrows(IllegalStateException.class, () -> sgd.setLearningRate(0.1)).getMessage());
        Adam adam = new Adam(0.01);
        adam.setLearningRate(0.002);
        assertEquals(0.002, adam.learningRate());
        assertEquals(Map.of("type", "adam", "learningRate", 0.002, "beta1", 0.9, "beta2", 0.999, "epsilon", 1e-8),
                adam.config());
    }

    @Test
    void badHyperparametersSayWhatIsWrong() {
        assertEquals("exponential_decay: decaySteps must be > 0 and finite, got 0.0",
                message(() -> new ExponentialDecay(0.1, 0, 0.5, false)));
        assertEquals("inverse_time_decay: decayRate must be >= 0 and finite, got -1.0",
                message(() -> new InverseTimeDecay(0.1, 10, -1, false)));
        assertEquals("piecewise_constant_decay: values must hold one more entry than boundaries, got 2 values for 2 "
                + "boundaries", message(() -> new PiecewiseConstantDecay(new long[] {1, 2}, new double[] {1, 2})));
        assertEquals("piecewise_constant_decay: boundaries must increase strictly, got [5, 5]",
                message(() -> new PiecewiseConstantDecay(new long[] {5, 5}, new double[] {1, 2, 3})));
        assertEquals("cosine_decay: alpha must be in [0, 1], got 1.5", message(() -> new CosineDecay(0.1, 10, 1.5)));
        assertEquals("linear_ramp: steps must be > 0 and finite, got 0.0", message(() -> new LinearRamp(0.5, 0.99, 0)));
        assertEquals("sgd: momentum must be in [0, 1), got 1.1",
                message(() -> new Sgd(0.1).withMomentum(new LinearRamp(0.5, 1.1, 10))));
        assertEquals("rmsprop: rho must be in [0, 1), got 1.0", message(() -> new Rmsprop(0.01, 1, 1e-7, false)));
        assertEquals("adagrad: epsilon must be > 0 and finite, got 0.0", message(() -> new Adagrad(0.01, 0.1, 0)));
        assertEquals("adagrad: initialAccumulatorValue must be >= 0 and finite, got -0.1",
                message(() -> new Adagrad(0.01, -0.1, 1e-7)));
        assertEquals("clipping: only one of clipvalue, clipnorm and globalClipnorm may be set, got clipvalue 1.0, "
                + "clipnorm 2.0, globalClipnorm 0.0", message(() -> new Clipping(1, 2, 0)));
        assertEquals("clipping: clipnorm must be > 0 and finite (or 0 for none), got -1.0",
                message(() -> Clipping.norm(-1)));
        assertEquals("ReduceLROnPlateau: factor must be in (0, 1), got 1.0",
                message(() -> new ReduceLROnPlateau("val_loss", 1.0, 10, "min", 1e-4, 0, 0)));
        assertEquals("ReduceLROnPlateau: mode must be min, max or auto, got 'down'",
                message(() -> new ReduceLROnPlateau("val_loss", 0.1, 10, "down", 1e-4, 0, 0)));
        assertEquals("adam: learning rate must be >= 0 and finite, got NaN",
                message(() -> new Adam().setLearningRate(Double.NaN)));
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    /**
     * A learning rate of 0 set from the second epoch on (LearningRateScheduler) freezes the weights
     * in the same replayed program: no kernel is built after the first epoch, and the weights after
     * epoch 1 and 2 are those after epoch 0.
     */
    @BackendTest
    void changingTheLearningRateRebuildsNothing(Backend backend) {
        Random rng = new Random(4);
        float[][] x = new float[32][6];
        float[][] y = new float[32][2];
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 6; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            y[i][0] = (float) rng.nextGaussian();
            y[i][1] = (float) rng.nextGaussian();
        }
        List<float[]> weights = new ArrayList<>();
        List<Integer> builds = new ArrayList<>();
        Callback record = new Callback() {
            @Override
            public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
                weights.add(state.model().parameters().toArray());
                builds.add(backend instanceof OpenClBackend cl ? cl.builds().size() : 0);
            }
        };
        try (Sequential m = new Sequential(backend, 3)) {
            m.add(new Dense(5, "tanh")).add(new Dense(2)).compile(new Sgd(0.1, 0.9, 0), new MSE());
            m.fit(x, y, Fit.epochs(3).batchSize(8).withQuiet(true).withCallbacks(
                    new LearningRateScheduler((epoch, lr) -> epoch == 0 ? lr : 0), record));
        }
        assertFalse(java.util.Arrays.equals(weights.get(0), new float[weights.get(0).length]));
        assertEquals(List.of(builds.get(0), builds.get(0), builds.get(0)), builds, "kernels built per epoch");
        assertArrayEquals(weights.get(0), weights.get(2), "lr 0 from epoch 1 on: the replayed step read it");
    }
}

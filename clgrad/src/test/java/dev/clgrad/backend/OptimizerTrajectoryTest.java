package dev.clgrad.backend;

import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.Counter;
import dev.clgrad.selftest.OpInputs;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;

/**
 * Adam and AdamW over 10 steps on every backend, against the DESIGN.md formula in float64
 * ({@link RefOps#adamStep}); gradients change every step as a function of the current parameters
 * (a quadratic bowl), so errors compound as they would in training. One {@link AdamUpdate} is
 * prepared once and replayed with its step counter advanced, as a step program runs it.
 */
class OptimizerTrajectoryTest {
    static final int N = 1037;
    static final int STEPS = 10;

    static Stream<Named<Backend>> backends() {
        return OpConformanceTest.backends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void adam(Backend backend) {
        trajectory(backend, new AdamHyper(3e-2f, 0.9f, 0.999f, 1e-8f, 0f));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void adamW(Backend backend) {
        trajectory(backend, new AdamHyper(3e-2f, 0.8f, 0.99f, 1e-6f, 0.05f));
    }

    private static void trajectory(Backend backend, AdamHyper h) {
        try (OpInputs in = new OpInputs(backend, 2024)) {
            double[] p = in.uniform(N, 1);
            double[] target = in.uniform(N, 1);
            double[] m = new double[N];
            double[] v = new double[N];
            Tensor tp = in.tensor(p, N);
            Tensor tm = in.tensor(m, N);
            Tensor tv = in.tensor(v, N);
            Tensor tg = in.poisoned(N);
            Counter step = new Counter(1);
            Backend.Launch launch = backend.prepare(new AdamUpdate(tp, tg, tm, tv, h, step));
            for (int t = 1; t <= STEPS; t++) {
                float[] current = tp.toArray();
                double[] g = new double[N];
                for (int i = 0; i < N; i++) {
                    g[i] = (float) (current[i] - target[i]);
                }
                tg.copyFrom(OpInputs.floats(g));
                step.set(t);
                launch.run();
                RefOps.adamStep(p, g, m, v, h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), t);
                String what = "step " + t + " wd=" + h.weightDecay() + " on " + backend.id();
                assertClose(what + " params", p, tp.toArray(), 1e-5);
                assertClose(what + " m", m, tm.toArray(), 1e-5);
                assertClose(what + " v", v, tv.toArray(), 1e-5);
            }
        }
    }
}

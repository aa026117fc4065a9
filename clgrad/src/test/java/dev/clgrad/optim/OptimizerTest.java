package dev.clgrad.optim;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.nn.Parameter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The optimizers over one flat buffer against their formulas in float64, and their state's life cycle. */
class OptimizerTest {
    private final Backend java = TestBackends.java();
    private static final float[] P0 = {1f, -2f, 0.5f};
    private static final float[] G = {0.5f, -0.25f, 2f};

    private float[] run(Optimizer opt, int steps) {
        int live = java.liveBuffers();
        float[] out;
        try (opt; Tensor p = Tensor.of(java, P0.clone(), 3); Tensor g = Tensor.of(java, G, 3)) {
            List<Op> update = opt.updates(p, g, List.of(new Parameter("w", Shape.of(3), 0, true, null, null)));
            for (int s = 0; s < steps; s++) {
                opt.beginStep();
                update.forEach(java::run);
            }
            assertEquals(steps, opt.iterations());
            out = p.toArray();
        }
        assertEquals(live, java.liveBuffers(), opt.name() + " frees its state on close");
        return out;
    }

    @Test
    void adamAndAdamWFollowPyTorch() {
        for (double wd : new double[]{0, 0.1}) {
            float[] got = run(wd == 0 ? new Adam(0.01) : new AdamW(0.01, wd), 4);
            for (int i = 0; i < 3; i++) {
                double p = P0[i];
                double m = 0;
                double v = 0;
                for (int t = 1; t <= 4; t++) {
                    p -= 0.01 * wd * p;
                    m = 0.9 * m + 0.1 * G[i];
                    v = 0.999 * v + 0.001 * G[i] * G[i];
                    p -= 0.01 * (m / (1 - Math.pow(0.9, t))) / (Math.sqrt(v / (1 - Math.pow(0.999, t))) + 1e-8);
                }
                assertEquals(p, got[i], 1e-5, "wd " + wd + " element " + i);
            }
        }
    }

    @Test
    void sgdWithMomentumFollowsPyTorch() {
        float[] got = run(new Sgd(0.1, 0.9, 0.01), 3);
        for (int i = 0; i < 3; i++) {
            double p = P0[i];
            double vel = 0;
            for (int t = 0; t < 3; t++) {
                vel = 0.9 * vel + G[i] + 0.01 * p;
                p -= 0.1 * vel;
            }
            assertEquals(p, got[i], 1e-5);
        }
    }

    @Test
    void namesAndBadValues() {
        assertEquals("adamw", Optimizer.of("adamw").name());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Optimizer.of("lamb")).getMessage()
                .contains("unknown optimizer 'lamb'"));
        assertEquals("sgd: momentum must be in [0, 1), got 1.5",
                assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1, 1.5, 0)).getMessage());
    }
}

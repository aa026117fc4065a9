package dev.clgrad.backend.opencl;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.OpenClTest;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Philox;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * dropout.cl's masks against {@link Philox#keep} bit for bit, including counter bases where
 * offset + i/4 carries past 2^32 and past 2^64 into the third counter word; on every OpenCL backend,
 * run directly and replayed from one prepared launch whose counter moves between launches.
 * (philox.cl's known answers are a {@link dev.clgrad.selftest.Conformance} check, run on every
 * backend by OpConformanceTest.)
 */
class PhiloxKernelTest {

    @OpenClTest
    void dropoutMasksMatchTheJavaSpecAcrossCounterCarries(OpenClBackend cl) {
        long[] offsets = {0L, 0xFFFF_FFFFL - 2, 0xFFFF_FFFF_FFFF_FFFFL - 2, -1L, 0x7FFF_FFFF_FFFF_FFFFL};
        long[] seeds = {0L, 0x0123_4567_89AB_CDEFL, -1L};
        float[] rates = {0f, 0.1f, 0.5f, 0.9f};
        int n = 1003;
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        try (Tensor x = Tensor.of(cl, ones, n); Tensor y = Tensor.empty(cl, Shape.of(n));
             Tensor dx = Tensor.empty(cl, Shape.of(n))) {
            for (long seed : seeds) {
                for (float p : rates) {
                    Counter counter = Counter.of(0);
                    Mask mask = new Mask(p, seed, counter);
                    // The backward is the same op; here it runs replayed, its counter base re-read each launch.
                    Backend.Launch backward = cl.prepare(new ApplyMask(x, mask, dx));
                    for (long offset : offsets) {
                        int t = Philox.threshold(p);
                        float scale = DropoutRoutine.scale(p);
                        counter.set(offset);
                        cl.run(new ApplyMask(x, mask, y));
                        backward.run();
                        float[] fwd = y.toArray();
                        float[] bwd = dx.toArray();
                        for (int i = 0; i < n; i++) {
                            float expected = Philox.keep(seed, offset, i, t) ? scale : 0f;
                            String where = "element " + i + " of offset " + Long.toUnsignedString(offset) + " seed "
                                    + seed + " p " + p + " on " + TestBackends.label(cl);
                            assertEquals(expected, fwd[i], where + " (forward)");
                            assertEquals(expected, bwd[i], where + " (backward, prepared)");
                        }
                    }
                }
            }
        }
    }
}

package dev.clgrad.nn;

import dev.clgrad.backend.OpenClTest;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.opencl.OpenClBackend;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The seed SimpleNet's training step (Dense(10, relu), Dropout(0.5), Dense(1), MSE, Adam; batch 32)
 * on OpenCL is ten kernel launches: each Dense forward is one GEMM with its bias, ReLU and dropout
 * in the epilogue, the second Dense's input gradient is masked in its GEMM (no dropout or ReLU
 * backward), then the weight and bias gradients, the loss and one optimizer launch.
 */
class FusedStepTest {

    @OpenClTest
    void seedStepIsTenLaunches(OpenClBackend cl) {
        int live = cl.liveBuffers();
        float[] x = new float[32 * 20];
        float[] y = new float[32];
        List<String> kernels = new ArrayList<>();
        try (Sequential model = SeedExampleTest.seedModel(cl)) {
            model.build(20);
            model.reserve(32);
            model.trainBatch(x, y, 32);
            cl.profile(new ProfileSink() {
                @Override
                public void kernel(KernelRecord record) {
                    kernels.add(record.kernel());
                }

                @Override
                public void span(HostSpan span) {
                }
            });
            try {
                model.trainBatch(x, y, 32);
                cl.finish();
            } finally {
                cl.profile(null);
            }
        }
        assertEquals(10, kernels.size(), "kernels of one step: " + kernels);
        assertEquals(List.of("gemm_naive_bias", "gemm_naive_bias"), kernels.subList(0, 2), "forward: " + kernels);
        assertEquals(1, kernels.stream().filter("gemm_naive_mask"::equals).count(), "masked input gradient: " + kernels);
        assertEquals(live, cl.liveBuffers(), "leaked buffers");
    }
}

package dev.clgrad.nn;

import dev.clgrad.model.Sequential;
import dev.clgrad.backend.OpenClTest;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.opencl.OpenClBackend;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The seed SimpleNet's training step (Dense(10, relu), Dropout(0.5), Dense(1), MSE, Adam; batch 32)
 * on OpenCL is five kernel launches after one batch upload: each Dense forward is one GEMM with its
 * bias, ReLU and dropout in the epilogue; the loss, its gradient and the second Dense's whole
 * backward (weight and bias gradients, and the input gradient masked by the first layer's ReLU and
 * dropout, so no dropout or ReLU backward) are one launch; the first Dense's weight and bias
 * gradients are one launch; and one optimizer launch.
 */
class FusedStepTest {

    @OpenClTest
    void seedStepIsFiveLaunches(OpenClBackend cl) {
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
        assertEquals(List.of("gemm_naive_bias", "gemm_naive_bias", "dense_mse_backward_naive", "gemm_naive_wgrad",
                "adam_step"), kernels, "kernels of one step");
        assertEquals(live, cl.liveBuffers(), "leaked buffers");
    }
}

package dev.clgrad.backend.opencl;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.selftest.Conformance;
import dev.clgrad.selftest.KernelSweep;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the Oclgrind CI step ({@code .ci/oclgrind}) relies on: {@code -Dclgrad.profile=NAME} gives
 * any device a named profile's defines, and {@link KernelSweep} finds every entry point of the
 * kernel files and plans checks that launch them all.
 */
class KernelSweepTest {

    @Test
    void aForcedProfileGivesAnyDeviceItsDefines() {
        DeviceProfile nvidia = DeviceProfile.forDevice("Oclgrind", "Oclgrind", "Oclgrind Simulator", "nvidia");
        assertEquals(64, nvidia.define("GEMM_NWG", 0));
        assertEquals(16, nvidia.define("GEMM_MDIMC", 0));
        assertEquals(4, nvidia.define("GEMM_VWN", 0));
        DeviceProfile pocl = DeviceProfile.forDevice("NVIDIA CUDA", "NVIDIA Corporation", "NVIDIA H200", "pocl");
        assertEquals(1, pocl.define("GEMM_DIRECT", 0), "the PoCL profile, not the NVIDIA one the device matches");
        assertEquals(16, pocl.define("DROPOUT_VW", 0));
        assertFalse(pocl.binaryCache());
        DeviceProfile matched = DeviceProfile.forDevice("NVIDIA CUDA", "NVIDIA Corporation", "NVIDIA H200", null);
        assertEquals(64, matched.define("GEMM_NWG", 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceProfile.forDevice("p", "v", "n", "amd"));
        assertTrue(e.getMessage().contains("clgrad.profile=amd") && e.getMessage().contains("nvidia")
                && e.getMessage().contains("pocl"), e.getMessage());
    }

    @Test
    void poclRegisterBlocksFollowTheCpusVectorRegisters() {
        DeviceProfile avx2 = DeviceProfile.forDevice("Portable Computing Language", "AuthenticAMD",
                "pthread-haswell-AMD EPYC", null);
        assertEquals(16, avx2.define("GEMM_NWG", 0), "6 x 16 register blocks on AVX2");
        DeviceProfile avx512 = DeviceProfile.forDevice("Portable Computing Language", "GenuineIntel",
                "pthread-skylake-avx512-Intel(R) Xeon(R) Processor", null);
        assertEquals(64, avx512.define("GEMM_NWG", 0), "6 x 64 register blocks on AVX-512");
        assertEquals(1, avx512.define("GEMM_DIRECT", 0), "the rest of the PoCL profile still applies");
    }

    @Test
    void entryPointsAreEveryKernelOfEveryFile() {
        Set<String> entries = KernelSweep.entryPoints();
        for (String k : new String[] {"gemm_nn", "gemm_tt", "gemm_nn_bias", "gemm_nt_mask", "gemm_naive",
                "dense_mse_backward_naive", "relu_backward", "bias_act", "act_forward",
                "act_backward", "dropout_forward", "adam_step", "sgd_step_plain", "accuracy_count", "column_sum",
                "mean_all", "philox_kat", "im2col", "col2im", "conv_implicit",
                "max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward",
                "batchnorm_stats_partial", "batchnorm_stats_final", "batchnorm_apply", "batchnorm_backward_partial",
                "batchnorm_backward_final", "batchnorm_backward_dx", "spatial_dropout", "gemm_smallk_bias",
                "gemm_splitk_wgrad", "gemm_splitk_sum",
                "sgd_step", "rmsprop_step", "rmsprop_centered_step", "adagrad_step", "sum_squares_all",
                "elementwise_loss_forward", "elementwise_loss_forward_backward",
                "categorical_cross_entropy_forward", "categorical_cross_entropy_forward_backward", "row_metric",
                "softmax_forward", "softmax_backward", "gaussian_dropout", "alpha_dropout", "gemm_pack_b",
                "gemm_nn_packed", "gemm_tn_packed", "gemm_pack_bt", "gemm_nt_mask_packed"}) {
            assertTrue(entries.contains(k), k + " in " + entries);
        }
        assertFalse(entries.contains("NAME"), "the GEMM_ENTRY macro's parameter is no entry point");
        assertFalse(entries.contains("dropout_backward"), "ApplyMask runs dropout_forward in both directions");
        assertEquals(36 + 8 + 3 + 3 + 4 + 5 + 2 + 2 + 3 + 1 + 3 + 2, entries.size(), entries.toString());
    }

    @Test
    void thePlanLaunchesEveryEntryPointOnEveryOpenClBackend() {
        Set<String> entries = KernelSweep.entryPoints();
        for (OpenClBackend cl : TestBackends.openCl()) {
            KernelSweep.Plan plan = KernelSweep.plan(cl, Conformance.checks(), entries);
            assertEquals(Set.of(), plan.uncovered(), "entry points no check launches on " + cl);
            Set<String> launched = new TreeSet<>();
            plan.checks().forEach(p -> launched.addAll(p.kernels()));
            assertTrue(launched.containsAll(entries), launched.toString());
            assertTrue(plan.checks().size() <= entries.size(), "at most one check per entry point");
            assertTrue(plan.checks().stream().allMatch(p -> KernelSweep.preferred(p.check())),
                    "the special-value checks and the Philox answers reach every kernel");
        }
    }
}

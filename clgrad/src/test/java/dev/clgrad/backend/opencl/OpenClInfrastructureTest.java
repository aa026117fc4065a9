package dev.clgrad.backend.opencl;

import dev.clgrad.backend.OpenClTest;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenCL plumbing through each binding: launches, build errors, the program cache, error messages. */
class OpenClInfrastructureTest {

    @OpenClTest
    void launchesAKernelOnViewsAndReadsTheResultBack(OpenClBackend cl) {
        int n = 1000;
        float[] x = new float[n + 3];
        float[] y = new float[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.5f - 7;
        }
        for (int i = 0; i < n; i++) {
            y[i] = 1000 - i;
        }
        try (Tensor xs = Tensor.of(cl, x, x.length); Tensor ys = Tensor.of(cl, y, n)) {
            Tensor xv = xs.view(3, Shape.of(n), "x+3");
            cl.enqueue("test_axpy.cl", "test_axpy", new long[] {1024}, new long[] {64}, n, 2f, xv, ys);
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) {
                expected[i] = 2f * x[i + 3] + y[i];
            }
            assertArrayEquals(expected, ys.toArray());
        }
    }

    @OpenClTest
    void aBrokenKernelRaisesTheCompilerLog(OpenClBackend cl) {
        String source = "__kernel void broken(__global float* x) { x[0] = undeclared_name + 1; }";
        KernelBuildException e = assertThrows(KernelBuildException.class, () -> cl.buildSource("broken.cl", source));
        assertTrue(e.getMessage().contains("broken.cl"), e.getMessage());
        assertTrue(e.getMessage().contains("undeclared_name"), "the log names the bad identifier: " + e.getMessage());
        assertTrue(e.getMessage().contains(e.buildLog()));
        assertFalse(e.buildLog().isBlank());
    }

    /**
     * A step's kernels come as one program: whole files and the named entry points of gemm.cl, but
     * not dropout.cl (its own options); nothing is built twice, and what the program leaves out is
     * built at its first use.
     */
    @OpenClTest
    void aStepsFilesAndEntryPointsAreBuiltAsOneProgram(OpenClBackend shared) {
        try (OpenClBackend cl = OpenClBackend.open(shared.id(), shared.binding())) {
            KernelLibrary library = cl.library();
            Map<String, List<String>> step = Map.of("reduce.cl", List.of("column_sum"), "adam.cl", List.of("adam_step"),
                    "gemm.cl", List.of("gemm_tn", "gemm_nn_bias"), "dropout.cl", List.of("dropout_forward"));
            library.prebuild(step);
            library.prebuild(step);
            assertEquals(List.of("adam.cl + gemm.cl#gemm_nn_bias + gemm.cl#gemm_tn + reduce.cl"),
                    cl.builds().stream().map(ProgramBuild::file).toList());
            library.kernel("reduce.cl", "column_sum");
            library.kernel("adam.cl", "adam_step");
            library.kernel("gemm.cl", "gemm_tn");
            library.kernel("gemm.cl", "gemm_nn_bias");
            assertEquals(1, cl.builds().size(), "every kernel comes from the step's program");
            library.kernel("dropout.cl", "dropout_forward");
            library.kernel("gemm.cl", "gemm_nn");
            assertEquals(List.of("dropout.cl", "gemm.cl#gemm_nn"),
                    cl.builds().stream().skip(1).map(ProgramBuild::file).toList());
        }
    }

    @OpenClTest
    void launchFailuresNameTheCallTheErrorAndTheGeometry(OpenClBackend cl) {
        try (Tensor xs = Tensor.zeros(cl, Shape.of(8)); Tensor ys = Tensor.zeros(cl, Shape.of(8))) {
            OpenClException e = assertThrows(OpenClException.class, () ->
                    cl.enqueue("test_axpy.cl", "test_axpy", new long[] {8}, new long[] {1 << 20}, 8, 1f, xs, ys));
            assertTrue(e.getMessage().startsWith("clEnqueueNDRangeKernel(test_axpy) failed: CL_INVALID_"), e.getMessage());
            assertTrue(e.getMessage().contains("global=[8] local=[1048576]"), e.getMessage());
        }
    }

    @OpenClTest
    void aSecondBackendFindsTheBinaryInTheCacheAndACorruptEntryIsRebuilt(OpenClBackend shared, @TempDir Path cache)
            throws IOException {
        String old = System.getProperty("clgrad.cache");
        System.setProperty("clgrad.cache", cache.toString());
        System.setProperty("clgrad.binaryCache", "true");
        try {
            assertEquals(List.of(false), buildOnFreshBackend(shared), "first build compiles");
            assertEquals(List.of(true), buildOnFreshBackend(shared), "second build loads the cached binary");
            try (Stream<Path> files = Files.list(cache)) {
                for (Path f : files.toList()) {
                    byte[] bytes = Files.readAllBytes(f);
                    bytes[bytes.length / 2] ^= 0x5a;
                    Files.write(f, bytes);
                }
            }
            assertEquals(List.of(false), buildOnFreshBackend(shared), "a corrupt entry is rebuilt, not fatal");
            assertEquals(List.of(true), buildOnFreshBackend(shared), "and cached again");
            Files.write(cache.resolve(firstBin(cache)), new byte[] {1, 2, 3});
            assertEquals(List.of(false), buildOnFreshBackend(shared), "a truncated entry is rebuilt");
        } finally {
            System.clearProperty("clgrad.binaryCache");
            if (old == null) {
                System.clearProperty("clgrad.cache");
            } else {
                System.setProperty("clgrad.cache", old);
            }
        }
    }

    @OpenClTest
    void withTheBinaryCacheOffEveryBuildIsFromSourceAndNothingIsStored(OpenClBackend shared, @TempDir Path cache) throws IOException {
        String old = System.getProperty("clgrad.cache");
        System.setProperty("clgrad.cache", cache.toString());
        System.setProperty("clgrad.binaryCache", "false");
        try {
            assertEquals(List.of(false), buildOnFreshBackend(shared));
            assertEquals(List.of(false), buildOnFreshBackend(shared), "still built from source");
            try (Stream<Path> files = Files.list(cache)) {
                assertEquals(List.of(), files.toList());
            }
        } finally {
            System.clearProperty("clgrad.binaryCache");
            if (old == null) {
                System.clearProperty("clgrad.cache");
            } else {
                System.setProperty("clgrad.cache", old);
            }
        }
    }

    @Test
    void poclProfileLeavesBinariesToPoclsOwnCache() {
        assertFalse(DeviceProfile.forDevice("Portable Computing Language", "AuthenticAMD", "pthread-znver5")
                .binaryCache());
        assertTrue(DeviceProfile.forDevice("NVIDIA CUDA", "NVIDIA Corporation", "NVIDIA H100 80GB HBM3")
                .binaryCache());
    }

    @OpenClTest
    void kernelSourcesLoadFromTheFolderClgradKernelsNames(OpenClBackend shared, @TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("test_axpy.cl"), """
                // Development copy of test_axpy.cl: y[i] = a * x[i] + y[i] + 100.
                __kernel void test_axpy(const int n, const float a, __global const float* x_g, const int x_off,
                                        __global float* y_g, const int y_off) {
                    const int i = get_global_id(0);
                    if (i < n) {
                        y_g[y_off + i] = a * x_g[x_off + i] + y_g[y_off + i] + 100.0f;
                    }
                }
                """);
        System.setProperty("clgrad.kernels", dir.toString());
        try (OpenClBackend dev = OpenClBackend.open(shared.id(), shared.binding());
             Tensor x = Tensor.of(dev, new float[] {1, 2}, 2); Tensor y = Tensor.of(dev, new float[] {10, 20}, 2)) {
            dev.enqueue("test_axpy.cl", "test_axpy", new long[] {2}, null, 2, 3f, x, y);
            assertArrayEquals(new float[] {113, 126}, y.toArray());
        } finally {
            System.clearProperty("clgrad.kernels");
        }
    }

    private static String firstBin(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".bin")).findFirst().orElseThrow().getFileName().toString();
        }
    }

    private static List<Boolean> buildOnFreshBackend(OpenClBackend like) {
        try (OpenClBackend fresh = OpenClBackend.open(like.id(), like.binding())) {
            fresh.buildProgram("test_axpy.cl");
            return fresh.builds().stream().map(ProgramBuild::fromCache).toList();
        }
    }

    /**
     * Staged uploads are non-blocking on both bindings (JOCL's through its native call, not its
     * wrapper's waiting thread), and a staging slot is refilled only after its last write: more
     * uploads than there are slots, each to its own range, all arrive.
     */
    @OpenClTest
    void stagedUploadsThroughEverySlotArriveInOrder(OpenClBackend cl) {
        if (cl.binding().equals("jocl")) {
            assertNotNull(JoclApi.WRITE_NATIVE, "JOCL's clEnqueueWriteBufferNative not found: staged uploads would block");
        }
        int rows = 11;
        int width = 3000;
        float[] expected = new float[rows * width];
        try (Tensor t = Tensor.empty(cl, Shape.of(rows * width))) {
            for (int r = 0; r < rows; r++) {
                float[] row = new float[width];
                for (int i = 0; i < width; i++) {
                    row[i] = r * 10000f + i;
                }
                System.arraycopy(row, 0, expected, r * width, width);
                cl.upload(row, 0, t.buffer(), t.offset() + (long) r * width, width);
                Arrays.fill(row, Float.NaN);
            }
            assertArrayEquals(expected, t.toArray());
        }
    }

    @OpenClTest
    void thePoolReusesBuffersOfTheSameSize(OpenClBackend cl) {
        int live = cl.liveBuffers();
        Tensor a = Tensor.empty(cl, Shape.of(12345));
        a.close();
        String before = cl.poolStats();
        for (int i = 0; i < 10; i++) {
            try (Tensor t = Tensor.empty(cl, Shape.of(12345))) {
                assertEquals(live + 1, cl.liveBuffers());
            }
        }
        assertEquals(before.replaceAll("reused=\\d+", ""), cl.poolStats().replaceAll("reused=\\d+", ""),
                "no buffer created after warm-up");
        assertEquals(live, cl.liveBuffers());
    }

    @OpenClTest
    void anAllocationLargerThanTheDeviceAllowsSaysBothSizes(OpenClBackend cl) {
        long tooMany = cl.info().maxAllocBytes() / Float.BYTES + 1;
        RuntimeException e = assertThrows(RuntimeException.class, () -> cl.allocate(tooMany));
        assertTrue(e.getMessage().contains(String.valueOf(tooMany * Float.BYTES)), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(cl.info().maxAllocBytes())), e.getMessage());
    }
}

package dev.clgrad.backend.opencl;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Scalar;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@link CompileAhead} helper: what a job carries, the check of PoCL's cache folder, and a
 * helper process that compiles a job's kernels into an empty PoCL cache. The test JVMs run with
 * {@code clgrad.compileAhead=false} (the build's surefire settings), so no other test starts one.
 */
class CompileAheadTest {

    /**
     * A launch's tensors become their shapes (an empty one a single float), the scratch buffer its
     * size, values read at each launch their values now, Adam's corrections two floats; and a job
     * reads back as written.
     */
    @Test
    void aJobCarriesShapesAndValuesAndReadsBackAsWritten() throws IOException {
        OpenClBackend cl = TestBackends.openCl().get(0);
        try (Tensor x = Tensor.zeros(cl, Shape.of(3, 5)); Tensor empty = Tensor.zeros(cl, Shape.of(0))) {
            Call.Kernel k = new Call.Kernel("elementwise.cl", "relu_forward", new long[] {256}, new long[] {256},
                    new Object[] {7, 0.5f, 9L, new Call.Int2(2, 3), x, empty,
                            new Call.ScratchBuffer(cl.scratch(), 40), new Call.CounterValue(Counter.of(11)),
                            new Call.ScalarValue(Scalar.of(0.25f)),
                            new Call.AdamCorrections(AdamHyper.adam(1e-3f), Scalar.of(1e-3f), Counter.of(1))});
            CompileAhead.Job job = CompileAhead.job("jocl", "opencl:0:0", cl.library(), List.of(k, k));
            assertEquals(1, job.programs().size(), "one program for both launches");
            assertEquals(cl.library().sourceOf("elementwise.cl", "relu_forward"), job.programs().get(0));
            Object[] args = job.launches().get(0).args();
            assertEquals(List.of(7, 0.5f, 9L, new Call.Int2(2, 3), Shape.of(3, 5), Shape.of(1),
                    new CompileAhead.ScratchFloats(40), 11L, 0.25f, 0f, 1f), Arrays.asList(args));

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                CompileAhead.write(job, out);
            }
            CompileAhead.Job back = CompileAhead.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            assertEquals(job.binding(), back.binding());
            assertEquals(job.device(), back.device());
            assertEquals(job.programs(), back.programs());
            assertEquals(2, back.launches().size());
            CompileAhead.Launch l = back.launches().get(1);
            assertEquals("relu_forward", l.name());
            assertEquals(0, l.program());
            assertArrayEquals(new long[] {256}, l.global());
            assertArrayEquals(new long[] {256}, l.local());
            assertEquals(Arrays.asList(args), Arrays.asList(l.args()));
        }
    }

    /** A tensor argument of a type a job cannot carry is refused when the job is written, naming the launch. */
    @Test
    void anArgumentAJobCannotCarryIsRefused() {
        CompileAhead.Job job = new CompileAhead.Job("jocl", "opencl:0:0",
                List.of(new KernelLibrary.Source("f.cl", "", "")),
                List.of(new CompileAhead.Launch(0, "k", new long[] {1}, null, new Object[] {"text"})));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CompileAhead.write(job, new DataOutputStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("k global=[1]") && e.getMessage().contains("java.lang.String"), e.getMessage());
    }

    /** The programs of a PoCL cache folder are its XX/HASH folders; a folder that does not exist has none. */
    @Test
    void theCacheFolderListsItsPrograms(@TempDir Path dir) throws IOException {
        assertEquals(Set.of(), CompileAhead.cachedPrograms(dir.resolve("absent")));
        Files.createDirectories(dir.resolve("AB/ABCDEF/kernel"));
        Files.createDirectories(dir.resolve("CD/CDEFGH"));
        Files.writeString(dir.resolve("tempfile_x"), "");
        assertEquals(Set.of("AB/ABCDEF", "CD/CDEFGH"), CompileAhead.cachedPrograms(dir));
    }

    /**
     * The helper process, given two launches of elementwise.cl and an empty PoCL cache folder,
     * leaves the work-group function of each kernel there, and exits 0; a job naming a kernel the
     * program lacks makes it exit non-zero with the kernel's name in its log. Under CI=true a PoCL
     * device must be there; elsewhere a machine without one skips this.
     */
    @Test
    void theHelperCompilesEachKernelIntoPoclsCache(@TempDir Path dir) throws Exception {
        List<OpenClBackend> all = TestBackends.openCl();
        OpenClBackend cl = all.stream().filter(b -> b.platformName().contains("Portable Computing Language"))
                .findFirst().orElse(null);
        String why = "compile-ahead is for PoCL; the OpenCL devices here: "
                + all.stream().map(b -> b.platformName() + " " + b.info().name()).toList();
        if ("true".equals(System.getenv("CI"))) {
            assertNotNull(cl, why);
        }
        assumeTrue(cl != null, why);
        int wg = cl.define("ELEMENTWISE_WG", 256);
        KernelLibrary.Source source = cl.library().sourceOf("elementwise.cl", "relu_forward");
        CompileAhead.Job job = new CompileAhead.Job(cl.binding(), cl.info().id(), List.of(source), List.of(
                new CompileAhead.Launch(0, "relu_forward", new long[] {wg}, new long[] {wg},
                        new Object[] {wg, Shape.of(wg), Shape.of(wg)}),
                new CompileAhead.Launch(0, "relu_backward", new long[] {wg}, new long[] {wg},
                        new Object[] {wg, Shape.of(wg), Shape.of(wg), Shape.of(wg)})));
        Path pocl = dir.resolve("pocl");
        Process p = CompileAhead.start(job, Map.of("POCL_CACHE_DIR", pocl.toString())).orElseThrow();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the helper finished");
        assertEquals(0, p.exitValue(), log());
        for (String kernel : List.of("relu_forward", "relu_backward")) {
            try (Stream<Path> files = Files.walk(pocl)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().equals(kernel + ".so")),
                        kernel + ".so in " + pocl);
            }
        }

        CompileAhead.Job wrong = new CompileAhead.Job(cl.binding(), cl.info().id(), List.of(source), List.of(
                new CompileAhead.Launch(0, "no_such_kernel", new long[] {wg}, new long[] {wg}, new Object[] {wg})));
        Process q = CompileAhead.start(wrong, Map.of("POCL_CACHE_DIR", pocl.toString())).orElseThrow();
        assertTrue(q.waitFor(300, TimeUnit.SECONDS), "the helper finished");
        assertNotEquals(0, q.exitValue());
        assertTrue(log().contains("no_such_kernel"), log());
    }

    /** clgrad.compileAhead takes true or false, naming any other value. */
    @Test
    void thePropertyTakesTrueOrFalse() {
        String before = System.getProperty("clgrad.compileAhead");
        try {
            System.setProperty("clgrad.compileAhead", "false");
            assertFalse(CompileAhead.applies("Portable Computing Language"));
            System.setProperty("clgrad.compileAhead", "yes");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CompileAhead.applies("Portable Computing Language"));
            assertTrue(e.getMessage().contains("'yes'"), e.getMessage());
            System.setProperty("clgrad.compileAhead", "true");
            assertFalse(CompileAhead.applies("NVIDIA CUDA"), "not for other platforms");
        } finally {
            if (before == null) {
                System.clearProperty("clgrad.compileAhead");
            } else {
                System.setProperty("clgrad.compileAhead", before);
            }
        }
    }

    private static String log() throws IOException {
        Path log = dev.clgrad.Config.cacheDir().resolve(CompileAhead.LOG_FILE);
        return Files.exists(log) ? Files.readString(log) : "(no " + log + ")";
    }
}

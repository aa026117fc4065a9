package dev.clgrad.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 5: an OpenCL run that ended without an orderly exit (its marker left behind) is noticed by
 * the next one, which clears clgrad's own PoCL cache or says where PoCL's shared cache is and how to clear it.
 */
class DriverCrashCheckTest {
    @TempDir
    Path dir;

    /** The pid of a process that has exited. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private Path pocl() throws IOException {
        Path pocl = Files.createDirectories(dir.resolve("cache/pocl"));
        Files.createDirectories(pocl.resolve("AB/CDEF"));
        Files.writeString(pocl.resolve("AB/CDEF/program.bc"), "damaged");
        return pocl;
    }

    @Test
    void anAbortedRunsMarkerClearsClgradsOwnPoclCache() throws Exception {
        Path running = Files.createDirectories(dir.resolve("cache/running"));
        long dead = deadPid();
        Files.writeString(running.resolve("opencl-" + dead + ".json"), "{\"pid\": " + dead
                + ", \"start\": \"2026-12-01T10:00:00Z\"}");
        Path pocl = pocl();
        ProcessHandle me = ProcessHandle.current();
        String warning = DriverCrashCheck.check(running, pocl, true, me.pid(), me.info().startInstant().orElseThrow());
        assertEquals("an earlier OpenCL run (pid " + dead + ", started 2026-12-01T10:00:00Z) ended without an orderly "
                + "exit (killed, or aborted inside the OpenCL driver); cleared clgrad's PoCL kernel cache " + pocl
                + " (POCL_CACHE_DIR) in case it was left damaged; the kernels compile afresh once", warning);
        assertTrue(Files.isDirectory(pocl), "the folder stays (POCL_CACHE_DIR points at it)");
        try (var s = Files.list(pocl)) {
            assertEquals(0, s.count(), "emptied");
        }
        assertFalse(Files.exists(running.resolve("opencl-" + dead + ".json")), "the old marker is taken");
        assertTrue(Files.readString(running.resolve("opencl-" + me.pid() + ".json")).contains("\"pid\":" + me.pid()),
                "this run's marker");
        assertNull(DriverCrashCheck.check(running, pocl, true, 4243, null), "reported once; this run's marker is alive");
    }

    @Test
    void aSharedPoclCacheIsLeftAloneAndItsPathAndTheFixAreSaid() throws Exception {
        Path running = Files.createDirectories(dir.resolve("cache/running"));
        long dead = deadPid();
        Files.writeString(running.resolve("opencl-" + dead + ".json"), "{\"pid\": " + dead + "}");
        Path pocl = pocl();
        String warning = DriverCrashCheck.check(running, pocl, false, 4242, null);
        assertTrue(warning.startsWith("an earlier OpenCL run (pid " + dead + ") ended without an orderly exit"), warning);
        assertTrue(warning.contains("PoCL's kernel cache " + pocl + " is damaged: delete it (rm -rf '" + pocl + "')"),
                warning);
        assertTrue(Files.exists(pocl.resolve("AB/CDEF/program.bc")), "not ours to delete");
    }

    @Test
    void aRunningProcessIsNotAnAbortAndNoPoclMeansNothingToSay() throws Exception {
        Path running = Files.createDirectories(dir.resolve("cache/running"));
        ProcessHandle me = ProcessHandle.current();
        Files.writeString(running.resolve("opencl-" + me.pid() + ".json"), "{\"pid\": " + me.pid() + ", \"start\": \""
                + me.info().startInstant().orElseThrow() + "\"}");
        Path pocl = pocl();
        assertNull(DriverCrashCheck.check(running, pocl, true, 4242, null), "a concurrent run, alive");
        assertTrue(Files.exists(pocl.resolve("AB/CDEF/program.bc")));
        long dead = deadPid();
        Files.writeString(running.resolve("opencl-" + dead + ".json"), "{\"pid\": " + dead + "}");
        assertNull(DriverCrashCheck.check(running, dir.resolve("no-pocl-here"), false, 4243, null),
                "no PoCL cache folder: not PoCL, nothing to say");
    }

    @Test
    void poclsCacheFolderIsFoundAsPoclFindsIt() {
        assertEquals(Path.of("/x/pocl"), DriverCrashCheck.poclCacheDir("/x/pocl", "/xdg", "/home/u"));
        assertEquals(Path.of("/xdg/pocl/kcache"), DriverCrashCheck.poclCacheDir(null, "/xdg", "/home/u"));
        assertEquals(Path.of("/home/u/.cache/pocl/kcache"), DriverCrashCheck.poclCacheDir("", "", "/home/u"));
    }
}

package dev.clgrad.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.Config;
import dev.clgrad.Diagnostics;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Notices an OpenCL run that ended without an orderly exit, so that a damaged PoCL kernel cache
 * (PoCL aborts the JVM, {@code pocl_llvm_build.cc: Assertion 'program->data[device_i]' failed},
 * exit 134, on every run until its cache is deleted) does not stay a mystery.
 *
 * <p>Before the process's first OpenCL call, clgrad writes a marker
 * {@code <cache>/running/opencl-PID.json} (pid and start time), removed by a shutdown hook at any
 * orderly exit (normal end, {@code System.exit}, Ctrl-C, SIGTERM). An abort inside the driver or a
 * {@code kill -9} leaves it. The next OpenCL run finds a marker whose process is gone (a live
 * process with that pid and start time is a concurrent run and is left alone), takes it, and:
 * <ul>
 *   <li>when PoCL's cache is clgrad's own ({@code POCL_CACHE_DIR} inside clgrad's cache folder, as
 *       the launcher sets it), clears it: the kernels compile afresh once;</li>
 *   <li>otherwise (PoCL's shared default, {@code ~/.cache/pocl/kcache}, or a folder the user
 *       chose), leaves it and says where it is and how to clear it, in one warning line.</li>
 * </ul>
 * Nothing is said when no PoCL cache folder exists (the driver is not PoCL). With the cache off
 * ({@code -Dclgrad.cache=off}) there is no marker.
 */
final class DriverCrashCheck {
    private static final System.Logger LOG = Diagnostics.logger(DriverCrashCheck.class);
    private static boolean done;

    private DriverCrashCheck() {
    }

    /** Once per process, before the first OpenCL call: reports an earlier abort and leaves this run's marker. */
    static synchronized void beforeFirstOpenClCall() {
        if (done) {
            return;
        }
        done = true;
        Path cache = Config.cacheDir();
        if (cache == null) {
            return;
        }
        String env = System.getenv("POCL_CACHE_DIR");
        Path pocl = poclCacheDir(env, System.getenv("XDG_CACHE_HOME"), System.getProperty("user.home"));
        boolean owned = env != null && !env.isBlank()
                && pocl.toAbsolutePath().normalize().startsWith(cache.toAbsolutePath().normalize());
        ProcessHandle me = ProcessHandle.current();
        try {
            String warning = check(cache.resolve("running"), pocl, owned, me.pid(),
                    me.info().startInstant().orElse(null));
            if (warning != null) {
                LOG.log(WARNING, warning);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(DEBUG, "the OpenCL run marker could not be kept: " + e);
        }
    }

    /**
     * Takes the markers of processes that are gone, leaves this process's marker (removed at an
     * orderly exit), and returns the warning to print, or null.
     *
     * @param poclOwned whether {@code poclDir} is clgrad's own, so it may be cleared
     */
    static String check(Path runningDir, Path poclDir, boolean poclOwned, long pid, Instant start) throws IOException {
        Files.createDirectories(runningDir);
        List<JsonNode> gone = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runningDir, "opencl-*.json")) {
            for (Path marker : ds) {
                JsonNode n;
                try {
                    n = new ObjectMapper().readTree(marker.toFile());
                } catch (IOException e) {
                    continue; // being written by a starting process, or not ours
                }
                if (n == null || !n.has("pid") || alive(n.get("pid").asLong(), n.path("start").asText(null))) {
                    continue;
                }
                try {
                    Files.delete(marker); // whoever deletes it reports it: two starting processes report it once
                    gone.add(n);
                } catch (NoSuchFileException e) {
                    // Another process took it.
                }
            }
        }
        Path mine = runningDir.resolve("opencl-" + pid + ".json");
        String json = new ObjectMapper().createObjectNode().put("pid", pid)
                .put("start", start == null ? null : start.toString()).toString();
        Path tmp = runningDir.resolve("opencl-" + pid + ".json.tmp");
        Files.writeString(tmp, json);
        Files.move(tmp, mine, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.deleteIfExists(mine);
            } catch (IOException e) {
                // Nothing more to do at exit.
            }
        }, "clgrad-opencl-marker"));
        if (gone.isEmpty() || !Files.isDirectory(poclDir)) {
            return null;
        }
        JsonNode last = gone.get(gone.size() - 1);
        String run = "an earlier OpenCL run (pid " + last.get("pid").asLong()
                + (last.hasNonNull("start") ? ", started " + last.get("start").asText() : "")
                + (gone.size() > 1 ? ", and " + (gone.size() - 1) + " more" : "")
                + ") ended without an orderly exit (killed, or aborted inside the OpenCL driver)";
        if (poclOwned) {
            clear(poclDir);
            return run + "; cleared clgrad's PoCL kernel cache " + poclDir + " (POCL_CACHE_DIR) in case it was left "
                    + "damaged; the kernels compile afresh once";
        }
        return run + "; if OpenCL runs now abort with 'pocl_llvm_build.cc: Assertion ... failed' (exit 134), PoCL's "
                + "kernel cache " + poclDir + " is damaged: delete it (rm -rf '" + poclDir + "'), or give clgrad a "
                + "cache of its own, which it clears itself after such a run (POCL_CACHE_DIR=<clgrad cache>/pocl)";
    }

    /** Whether the process that wrote a marker still runs (the same pid and, where known, start time). */
    private static boolean alive(long pid, String start) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) {
            return false;
        }
        Optional<Instant> s = p.get().info().startInstant();
        return start == null || s.isEmpty() || s.get().toString().equals(start);
    }

    /** PoCL's kernel cache folder as PoCL 3 picks it: POCL_CACHE_DIR, else XDG_CACHE_HOME/pocl/kcache, else ~/.cache/pocl/kcache. */
    static Path poclCacheDir(String poclCacheDir, String xdgCacheHome, String home) {
        if (poclCacheDir != null && !poclCacheDir.isBlank()) {
            return Path.of(poclCacheDir);
        }
        Path base = xdgCacheHome != null && !xdgCacheHome.isBlank() ? Path.of(xdgCacheHome) : Path.of(home, ".cache");
        return base.resolve("pocl").resolve("kcache");
    }

    /** Deletes what the folder holds (the folder stays, so PoCL's POCL_CACHE_DIR keeps pointing at it). */
    private static void clear(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}

package dev.clgrad.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code clgrad} launcher script ({@code clgrad-cli/src/main/sh/clgrad}, copied next to the jar as
 * {@code target/clgrad} by {@code mvn package}), run from its source location: surefire runs before
 * the jar exists, so {@code CLGRAD_CLASSPATH} points it at this test's class path instead, and
 * {@code JAVA_HOME} at the JVM running the test.
 */
@DisabledOnOs(OS.WINDOWS)
class LauncherTest {
    private static final Path SCRIPT = Path.of("clgrad-cli/src/main/sh/clgrad");

    record Result(int code, String out, String err) {
    }

    /** Runs {@code sh SCRIPT args} with the environment changed by {@code env} (a null value unsets). */
    static Result launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return launch(SCRIPT, env, args);
    }

    /** Runs {@code sh script args} with the environment changed by {@code env} (a null value unsets). */
    static Result launch(Path script, Map<String, String> env, String... args) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(script), script.toAbsolutePath() + " missing");
        List<String> command = new ArrayList<>(List.of("/bin/sh", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> e = pb.environment();
        e.put("JAVA_HOME", System.getProperty("java.home"));
        e.put("CLGRAD_CLASSPATH", System.getProperty("java.class.path"));
        e.remove("CLGRAD_JAVA_OPTS");
        env.forEach((k, v) -> {
            if (v == null) {
                e.remove(k);
            } else {
                e.put(k, v);
            }
        });
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void devicesShowsTheVectorApiKernels() throws Exception {
        Result r = launch(Map.of(), "devices", "--device", "java");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Vector API"), r.out());
        assertFalse(r.out().contains("auto-vectorised"), r.out());
    }

    @Test
    void theCommandsExitCodePassesThrough() throws Exception {
        Result bad = launch(Map.of(), "train", "does-not-exist.json");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("does-not-exist.json"), bad.err());
        Result unknown = launch(Map.of(), "no-such-command");
        assertEquals(2, unknown.code(), unknown.err());
        Result ok = launch(Map.of(), "--version");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith("clgrad "), ok.out());
    }

    @Test
    void argumentsPassThroughUnchanged() throws Exception {
        // An argument with a space and one with a glob character reach the CLI as one argument each.
        Result r = launch(Map.of(), "train", "a file*.json");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(" a file*.json: "), r.err());
    }

    @Test
    void clgradJavaOptsReachTheJvm() throws Exception {
        Result r = launch(Map.of("CLGRAD_JAVA_OPTS", "-Dlauncher.test=passed  -XshowSettings:properties"), "--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("launcher.test = passed"), r.err());
    }

    @Test
    void aMissingJavaIsOneClearLine() throws Exception {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("JAVA_HOME", null);
        env.put("PATH", "/nonexistent");
        Result none = launch(env, "devices");
        assertEquals(1, none.code(), none.err());
        assertEquals("clgrad: no Java found: set JAVA_HOME to a JDK or JRE 17 or newer, or put its bin folder on PATH",
                none.err().strip());

        Result wrong = launch(Map.of("JAVA_HOME", "/nonexistent-jdk"), "devices");
        assertEquals(1, wrong.code(), wrong.err());
        assertTrue(wrong.err().startsWith("clgrad: JAVA_HOME is /nonexistent-jdk, but"), wrong.err());
    }

    @Test
    void javaOnThePathIsUsedWithoutJavaHome() throws Exception {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("JAVA_HOME", null);
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin");
        Result r = launch(env, "--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("clgrad "), r.out());
    }

    /**
     * A class-data archive next to the launcher (clgrad.jsa, which {@code mvn package} dumps beside
     * the jar) is handed to the JVM, which then loads the CLI's classes from it; one the JVM cannot
     * use (a jar on the class path changed since the dump) changes nothing a user sees: the same
     * output, no warning.
     */
    @Test
    void aClassDataArchiveNextToItIsUsedAndAStaleOneIsIgnored(@TempDir Path dir) throws Exception {
        Path script = Files.copy(SCRIPT, dir.resolve("clgrad"));
        Path jsa = dir.resolve("clgrad.jsa");
        String classPath = jarred(System.getProperty("java.class.path"), dir);
        Result dump = launch(script, Map.of("CLGRAD_CLASSPATH", classPath,
                "CLGRAD_JAVA_OPTS", "-XX:ArchiveClassesAtExit=" + jsa), "--version");
        assertEquals(0, dump.code(), dump.err());
        assertTrue(Files.isRegularFile(jsa), "no archive dumped: " + dump.err());
        Result used = launch(script, Map.of("CLGRAD_CLASSPATH", classPath, "CLGRAD_JAVA_OPTS", "-Xlog:class+load"),
                "--version");
        assertEquals(0, used.code(), used.err());
        assertTrue(used.out().contains("dev.clgrad.cli.Main source: shared objects file (top)"), used.out());

        Path jar = Path.of(classPath.split(java.io.File.pathSeparator)[0]);
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(jar).toMillis() + 3_600_000));
        Result stale = launch(script, Map.of("CLGRAD_CLASSPATH", classPath, "CLGRAD_JAVA_OPTS", "-Xlog:class+load"),
                "--version");
        assertEquals(0, stale.code(), stale.err());
        assertTrue(stale.out().contains("dev.clgrad.cli.Main source: file:"), stale.out());
        assertFalse(stale.err().contains("warning") || stale.out().contains("[warning]"), stale.err());
        Result plain = launch(script, Map.of("CLGRAD_CLASSPATH", classPath), "--version");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().startsWith("clgrad "), plain.out());
    }

    /**
     * The class path with each folder on it (surefire's target/classes) packed into a jar in
     * {@code dir}: the JVM archives classes from jars only.
     */
    private static String jarred(String classPath, Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!Files.isDirectory(p)) {
                out.add(entry);
                continue;
            }
            Path jar = dir.resolve("classes-" + out.size() + ".jar");
            try (java.util.jar.JarOutputStream zip = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                 java.util.stream.Stream<Path> files = Files.walk(p)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    zip.putNextEntry(new java.util.jar.JarEntry(p.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, zip);
                    zip.closeEntry();
                }
            }
            out.add(jar.toString());
        }
        return String.join(java.io.File.pathSeparator, out);
    }

    @Test
    void withoutTheJarNextToItItSaysHowToBuildIt() throws Exception {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("CLGRAD_CLASSPATH", null);
        Result r = launch(env, "devices");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("no clgrad.jar next to the launcher") && r.err().contains("mvn -q -B package"),
                r.err());
    }
}

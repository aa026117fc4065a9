package dev.clgrad.backend.opencl;

import dev.clgrad.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, item 4: the library's diagnostics go through {@code System.Logger} and print nothing
 * unless the application's logging enables them; the command line shows them as one
 * {@code clgrad: warning: …} line. Each case runs in a fresh JVM (logging is configured once per
 * process), where an unreadable tuning file makes {@link TuningFile} warn.
 */
class LibraryLoggingTest {
    @TempDir
    Path dir;

    /** The child: {@code Probe MODE CACHE} loads a corrupt tuning file; mode {@code cli} sets up the CLI's logging first. */
    public static final class Probe {
        public static void main(String[] args) throws IOException {
            Path cache = Path.of(args[1]);
            Path file = TuningFile.path(cache, "probe device", "probe driver");
            Files.createDirectories(file.getParent());
            Files.writeString(file, "{\"device\": ");
            if (args[0].equals("cli")) {
                Main.run("--version");
            }
            Map<String, String> defines = TuningFile.load(cache, "probe device", "probe driver");
            System.out.println("defines " + defines.size() + ", warning loggable "
                    + System.getLogger(TuningFile.class.getName()).isLoggable(System.Logger.Level.WARNING));
        }
    }

    private record Run(String out, String err) {
    }

    private Run child(String mode, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of(Probe.class.getName(), mode, dir.resolve("cache").toString()));
        Path out = dir.resolve(mode + ".out");
        Path err = dir.resolve(mode + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe finished");
        Run r = new Run(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        assertEquals(0, p.exitValue(), r.toString());
        return r;
    }

    private String tuningFile() {
        return TuningFile.path(dir.resolve("cache"), "probe device", "probe driver").toString();
    }

    @Test
    void aLibraryWarningIsSilentWithoutLoggingConfigured() throws Exception {
        Run r = child("library");
        assertEquals("defines 0, warning loggable false\n", r.out(), "the warning was issued and not wanted");
        assertEquals("", r.err(), "nothing on stderr");
    }

    @Test
    void theCommandLineShowsItAsOneLine() throws Exception {
        Run r = child("cli");
        assertTrue(r.out().endsWith("defines 0, warning loggable true\n"), r.out());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("clgrad: warning: tuning file " + tuningFile() + " cannot be read ("), r.err());
        assertTrue(lines.get(0).endsWith("); using the profile defaults"), r.err());
    }

    @Test
    void anApplicationsLoggingConfigurationShowsIt() throws Exception {
        Path props = Files.writeString(dir.resolve("logging.properties"), "handlers = java.util.logging.ConsoleHandler\n"
                + "java.util.logging.SimpleFormatter.format = %4$s %3$s: %5$s%n\n");
        Run r = child("configured", "-Djava.util.logging.config.file=" + props);
        assertEquals("defines 0, warning loggable true\n", r.out());
        assertTrue(r.err().startsWith("WARNING dev.clgrad.backend.opencl.TuningFile: tuning file " + tuningFile()
                + " cannot be read ("), r.err());
    }
}

package dev.clgrad.cli;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.backend.opencl.OpenClBackend;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Runs the CLI in-process and captures stdout, stderr and the exit code; helpers for CLI tests. */
record CliRun(int code, String out, String err) {
    static {
        // The once-per-process check for an earlier aborted OpenCL run may print a warning (another
        // process sharing the cache was killed); let it go to the real stderr, not a captured run's.
        dev.clgrad.backend.Backends.available();
    }

    static CliRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** {@code java} and each OpenCL device the tests have (one id per device, whatever the binding). */
    static Stream<String> devices() {
        List<String> ids = new ArrayList<>(List.of("java"));
        for (OpenClBackend cl : TestBackends.openCl()) {
            if (!ids.contains(cl.id())) {
                ids.add(cl.id());
            }
        }
        return ids.stream();
    }

    /** Exit 2, nothing on stdout, exactly one line on stderr, equal to {@code clgrad: expected}. */
    void assertOneLine(String expected) {
        assertEquals(2, code, err);
        assertEquals("", out);
        assertEquals(1, err.strip().lines().count(), err);
        assertEquals("clgrad: " + expected, err.strip());
    }

    /** Exit 2 before any training step: one line, and no progress bar was printed. */
    void assertRefusedBeforeTraining(String expected) {
        assertFalse(err.contains("Epoch 1/"), "training started: " + err);
        assertOneLine(expected);
    }

    /** Stderr without the progress lines. */
    String errLines() {
        return String.join("\n", err.lines().filter(l -> l.startsWith("clgrad:")).toList());
    }

    /** An uncompressed IDX file of unsigned bytes with the given dimensions, values {@code i % mod}. */
    static Path idx(Path file, int mod, int... dims) throws IOException {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + n);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        for (int i = 0; i < n; i++) {
            b.put((byte) (i % mod));
        }
        return Files.write(file, b.array());
    }

    /** A config training Dense(units) on IDX files in {@code dir} (names: train-images, …, t10k-labels). */
    static Path idxConfig(Path dir, int units) throws IOException {
        return Files.writeString(dir.resolve("idx.json"), "{\"layers\": [{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": " + units
                + "}], \"loss\": \"sparse_categorical_crossentropy\", \"metrics\": [\"accuracy\"], \"epochs\": 2,"
                + " \"batchSize\": 4, \"data\": {\"type\": \"idx\", \"dir\": \"" + dir + "\", \"trainImages\": "
                + "\"train-images\", \"trainLabels\": \"train-labels\", \"testImages\": \"t10k-images\", "
                + "\"testLabels\": \"t10k-labels\"}}");
    }
}

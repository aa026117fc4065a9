package dev.clgrad.backend.opencl;

import dev.clgrad.backend.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every file in {@code opencl-kernels/} builds on its own on every OpenCL backend: once with the
 * device profile's defines, and once with the file's own defaults (each {@code #ifndef NAME}
 * tunable undefined first); all of them build as one program (a step's files are built together,
 * {@link KernelLibrary#prebuild}); and every file opens with its comment.
 */
class KernelFilesBuildTest {
    private static final Path DIR = Path.of("opencl-kernels");
    private static final Pattern TUNABLE = Pattern.compile("^#ifndef\\s+([A-Z][A-Z0-9_]*)\\s*$", Pattern.MULTILINE);

    static List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".cl")).sorted().toList();
        }
    }

    static Stream<Object[]> cases() throws IOException {
        List<String> files = files();
        return TestBackends.openCl().stream().flatMap(cl -> files.stream().map(f -> new Object[] {cl, f}));
    }

    @Test
    void theKernelFamiliesAreAllThere() throws IOException {
        assertEquals(List.of("adam.cl", "batchnorm.cl", "common.cl", "constraint.cl", "conv.cl", "conv_implicit.cl", "dropout.cl", "elementwise.cl", "gemm.cl",
                "loss.cl", "philox.cl", "pool.cl", "reduce.cl", "softmax.cl"), files());
        for (String f : files()) {
            assertTrue(Files.readString(DIR.resolve(f)).startsWith("// " + f + " — "),
                    f + " opens with a comment naming the file and what it holds");
        }
    }

    @ParameterizedTest(name = "{1} on {0}", autoCloseArguments = false)
    @MethodSource("cases")
    void buildsWithTheDeviceProfile(OpenClBackend cl, String file) {
        cl.buildProgram(file);
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("dev.clgrad.backend.TestBackends#openCl")
    void allFilesBuildAsOneProgram(OpenClBackend cl) throws IOException {
        cl.buildSource("every kernel file", KernelLibrary.source(files()));
    }

    @ParameterizedTest(name = "{1} on {0}", autoCloseArguments = false)
    @MethodSource("cases")
    void buildsWithItsOwnDefaults(OpenClBackend cl, String file) {
        String source = KernelLibrary.source(file);
        StringBuilder undefs = new StringBuilder();
        Matcher m = TUNABLE.matcher(source);
        while (m.find()) {
            if (!m.group(1).startsWith("CLGRAD_")) {
                undefs.append("#undef ").append(m.group(1)).append('\n');
            }
        }
        cl.buildSource(file + " (defaults)", undefs + source);
    }
}

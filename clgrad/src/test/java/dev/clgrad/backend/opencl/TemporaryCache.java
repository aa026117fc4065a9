package dev.clgrad.backend.opencl;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Points {@code clgrad.cache} at a new temporary folder for each test (so tuning files and cached
 * binaries a test writes reach no other test), then puts the property back and deletes the folder.
 * Use as {@code @RegisterExtension final TemporaryCache cache = new TemporaryCache();}.
 */
final class TemporaryCache implements BeforeEachCallback, AfterEachCallback {
    private Path dir;
    private String old;

    /** The folder of the running test. */
    Path dir() {
        return dir;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        old = System.getProperty("clgrad.cache");
        dir = Files.createTempDirectory("clgrad-cache");
        System.setProperty("clgrad.cache", dir.toString());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (old == null) {
            System.clearProperty("clgrad.cache");
        } else {
            System.setProperty("clgrad.cache", old);
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

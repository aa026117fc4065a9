package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 19, item 2 (outputs): every output path is checked before training starts; every file is
 * written atomically; when one output fails at the end the others are still written, the results
 * still printed, and the one error line (exit 2) names the path. Item 6: {@code profile --trace}
 * to a full disk names the path. A full disk is simulated by making {@code NAME.tmp}, where
 * {@link dev.clgrad.AtomicFile} writes, a link to {@code /dev/full} (every write: ENOSPC).
 */
class OutputPathsTest {
    @TempDir
    Path dir;

    static java.util.stream.Stream<String> devices() {
        return CliRun.devices();
    }

    private static final String SEED = "samples/seed-simplenet.json";

    @Test
    void anExistingFolderAsAnOutputFileIsRefusedAndKept() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        CliRun.of("train", SEED, "--device", "java", "--plot", empty.toString())
                .assertRefusedBeforeTraining("train: --plot " + empty + ": is a folder; expected a file name (such as "
                        + empty.resolve("curves.png") + ")");
        assertTrue(Files.isDirectory(empty), "the folder is still there");
        CliRun.of("train", SEED, "--device", "java", "--save", empty.toString())
                .assertRefusedBeforeTraining("train: --save " + empty + ": is a folder; expected a file name (such as "
                        + empty.resolve("model.safetensors") + ")");
        CliRun.of("train", SEED, "--device", "java", "--profile", empty.toString())
                .assertRefusedBeforeTraining("train: --profile " + empty + ": is a folder; expected a file name (such as "
                        + empty.resolve("trace.json") + ")");
        Path file = Files.writeString(dir.resolve("file"), "x");
        CliRun.of("train", SEED, "--device", "java", "--checkpoint", file.toString())
                .assertRefusedBeforeTraining("train: --checkpoint " + file + ": is a file; expected a folder");
        assertTrue(Files.isDirectory(empty));
    }

    @Test
    void aMissingFolderIsRefusedBeforeTraining() {
        Path missing = dir.resolve("no/such");
        CliRun.of("train", SEED, "--device", "java", "--plot", missing.resolve("c.png").toString())
                .assertRefusedBeforeTraining("train: --plot " + missing.resolve("c.png") + ": its folder " + missing
                        + " does not exist");
        CliRun.of("train", SEED, "--device", "java", "--checkpoint", missing.resolve("ck").toString())
                .assertRefusedBeforeTraining("train: --checkpoint " + missing.resolve("ck") + ": its parent folder "
                        + missing + " does not exist");
        CliRun.of("profile", SEED, "--device", "java", "--trace", missing.resolve("t.json").toString())
                .assertOneLine("profile: --trace " + missing.resolve("t.json") + ": its folder " + missing
                        + " does not exist");
    }

    /** A folder this process cannot write in: read-only by mode, or (as root, who ignores modes) /sys. */
    private Path unwritableFolder() throws IOException {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Files.delete(Files.createTempFile(ro, "probe", ""));
        } catch (IOException e) {
            return ro;
        }
        Path sys = Path.of("/sys");
        try {
            Files.delete(Files.createTempFile(sys, "probe", ""));
        } catch (IOException | UnsupportedOperationException e) {
            return sys;
        }
        assumeTrue(false, "no folder here refuses writes to this user");
        return null;
    }

    @Test
    void anUnwritableFolderIsRefusedBeforeTraining() throws IOException {
        Path ro = unwritableFolder();
        CliRun r = CliRun.of("train", SEED, "--device", "java", "--plot", ro.resolve("c.png").toString());
        assertFalse(r.err().contains("Epoch 1/"), r.err());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().strip().startsWith("clgrad: train: --plot " + ro.resolve("c.png") + ": cannot write in its "
                + "folder " + ro + ": "), r.err());
        r = CliRun.of("train", SEED, "--device", "java", "--checkpoint", ro.toString());
        assertTrue(r.err().strip().startsWith("clgrad: train: --checkpoint " + ro + ": cannot write in the folder " + ro
                + ": "), r.err());
    }

    @Test
    void twoOutputsOnOnePathAreRefused() {
        Path p = dir.resolve("x");
        CliRun.of("train", SEED, "--device", "java", "--save", p.toString(), "--plot", p.toString())
                .assertRefusedBeforeTraining("train: --save and --plot both name " + p + "; give each output its own "
                        + "path");
    }

    private static void fullDisk(Path target) throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/full")), "needs /dev/full");
        Files.createSymbolicLink(target.resolveSibling(target.getFileName() + ".tmp"), Path.of("/dev/full"));
    }

    /**
     * The plot's disk is full at the end: the weights and the trace are still written, the previous plot is
     * unchanged, the results are printed, and the one error line names the plot's path and what went wrong.
     */
    @ParameterizedTest
    @MethodSource("devices")
    void aFailedOutputNamesItsPathAndTheOthersAreStillWritten(String device) throws IOException {
        Path png = dir.resolve("c.png");
        byte[] old = {1, 2, 3};
        Files.write(png, old);
        fullDisk(png);
        Path save = dir.resolve("w.safetensors");
        Path trace = dir.resolve("t.json");
        CliRun r = CliRun.of("train", SEED, "--device", device, "--epochs", "2", "--json", "--plot", png.toString(),
                "--save", save.toString(), "--profile", trace.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("clgrad: --plot " + png + ": write failed (the previous file, if any, is unchanged): No space left on "
                + "device; written: --save " + save + ", --profile " + trace, r.errLines());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("trainLoss").size(), "the results are still printed");
        assertTrue(Files.size(save) > 0 && Files.size(trace) > 0);
        assertArrayEquals(old, Files.readAllBytes(png), "the previous plot is unchanged");
        assertFalse(Files.exists(png.resolveSibling("c.png.tmp")), "no temporary file is left");
    }

    /**
     * A checkpoint that cannot be saved is said once; training goes on and the final weights are written. A
     * save that fails at every epoch (here the checkpoint's file name is taken by a folder) ends in exit 2
     * naming the path.
     */
    @ParameterizedTest
    @MethodSource("devices")
    void aCheckpointThatCannotBeSavedDoesNotLoseTheTrainedModel(String device) throws IOException {
        Path ck = Files.createDirectory(dir.resolve("ck"));
        Path file = Files.createDirectories(ck.resolve("checkpoint.safetensors"));
        Path save = dir.resolve("w.safetensors");
        CliRun r = CliRun.of("train", SEED, "--device", device, "--epochs", "3", "--json", "--checkpoint", ck.toString(),
                "--save", save.toString());
        assertEquals(2, r.code(), r.err());
        String failure = file + ": is a folder; expected a file name (nothing was written, the folder is unchanged)";
        assertEquals("clgrad: warning: " + failure + "; training goes on, the last good checkpoint is kept\n"
                + "clgrad: --checkpoint " + failure + " (3 of 3 saves failed); written: --save " + save, r.errLines());
        assertEquals(3, new ObjectMapper().readTree(r.out()).get("epochs").asInt(), "all three epochs ran");
        assertTrue(Files.size(save) > 0);
    }

    /** A disk full for one save only: said once, the next save succeeds, nothing is lost, exit 0. */
    @ParameterizedTest
    @MethodSource("devices")
    void aCheckpointDiskFullForOneSaveRecovers(String device) throws IOException {
        Path ck = Files.createDirectory(dir.resolve("ck"));
        fullDisk(ck.resolve("checkpoint.safetensors")); // the failed write removes NAME.tmp: the next save has room
        CliRun r = CliRun.of("train", SEED, "--device", device, "--epochs", "2", "--json", "--checkpoint", ck.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("clgrad: warning: " + ck.resolve("checkpoint.safetensors") + ": write failed (the previous file, if "
                + "any, is unchanged): No space left on device; training goes on, the last good checkpoint is kept\n"
                + "clgrad: checkpoint saved again after 1 failed save", r.errLines());
        CliRun resumed = CliRun.of("train", SEED, "--device", device, "--epochs", "2", "--json", "--resume", ck.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("at epoch 3, step 0"), "the epoch-2 checkpoint is on disk: " + resumed.err());
    }

    /** Issue 19, item 6: {@code profile --trace} to a full disk names the path. */
    @Test
    void profileTraceToAFullDiskNamesThePath() throws IOException {
        Path trace = dir.resolve("t.json");
        fullDisk(trace);
        CliRun r = CliRun.of("profile", SEED, "--steps", "2", "--device", "java", "--trace", trace.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("clgrad: " + trace + ": write failed (the previous file, if any, is unchanged): No space left on "
                + "device", r.err().strip());
    }
}

package dev.clgrad.io;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.Dataset;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.MSE;
import dev.clgrad.model.Sequential;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.Sgd;
import dev.clgrad.train.Fit;
import dev.clgrad.train.Position;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint contents, checksum, atomic replacement and refusal of bad checkpoints. */
class CheckpointTest {
    @TempDir
    Path dir;
    private final Backend java = TestBackends.java();

    private Sequential model() {
        Sequential m = new Sequential(java, 5);
        m.add(new Dense(6, "relu")).add(new Dropout(0.25)).add(new Dense(2));
        return m.compile(new Adam(0.01), new MSE());
    }

    private static Dataset data() {
        Random rng = new Random(8);
        float[] x = new float[60 * 4];
        float[] y = new float[60 * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        return new Dataset(x, y, 60, 4, 2);
    }

    private static final Position AT = new Position(2, 3, 99, 8, true, 1.25f, List.of(3.0));

    @Test
    void restoreBringsBackWeightsOptimizerStateAndCounters() throws IOException {
        float[] params;
        float[] m;
        long offset;
        try (Sequential a = model()) {
            a.fit(data(), Fit.epochs(2).batchSize(8).withQuiet(true));
            a.checkpoint(dir, AT);
            params = a.parameters().toArray();
            m = a.optimizer().state().get("m").toArray();
            offset = ((Dropout) a.layers().get(1)).offset();
        }
        assertTrue(offset > 0);
        var contents = Safetensors.readContents(Checkpoint.file(dir));
        assertEquals("[dense_1.kernel, dense_1.bias, dense_2.kernel, dense_2.bias, optimizer.m, optimizer.v]",
                contents.tensors().keySet().toString());
        assertEquals(Long.toString(offset), contents.metadata().get("rng.dropout_1.offset"));
        try (Sequential b = model()) {
            Position p = b.restoreCheckpoint(dir);
            assertEquals(AT, p);
            assertArrayEquals(params, b.parameters().toArray());
            assertArrayEquals(m, b.optimizer().state().get("m").toArray());
            assertEquals(2 * 8, b.optimizer().iterations(), "2 epochs of 8 steps");
            assertEquals(offset, ((Dropout) b.layers().get(1)).offset());
        }
    }

    @Test
    void aDamagedFileFailsItsChecksum() throws IOException {
        try (Sequential a = model()) {
            a.fit(data(), Fit.epochs(1).batchSize(8).withQuiet(true));
            a.checkpoint(dir, AT);
        }
        Path f = Checkpoint.file(dir);
        byte[] good = Files.readAllBytes(f);
        byte[] bad = good.clone();
        bad[bad.length - 100] ^= 0x10;
        Files.write(f, bad);
        try (Sequential b = model()) {
            String msg = assertThrows(IOException.class, () -> b.restoreCheckpoint(dir)).getMessage();
            assertTrue(msg.startsWith(f + ": checksum mismatch, the file is damaged: sha256 "), msg);
            assertEquals(0, b.optimizer().iterations(), "nothing was restored");
        }
        String text = new String(good, StandardCharsets.ISO_8859_1);
        Files.write(f, text.replace("\"epoch\":\"2\"", "\"epoch\":\"7\"").getBytes(StandardCharsets.ISO_8859_1));
        try (Sequential b = model()) {
            assertTrue(assertThrows(IOException.class, () -> b.restoreCheckpoint(dir)).getMessage()
                    .contains("checksum mismatch"), "the metadata is covered too");
        }
    }

    /**
     * A kill while saving leaves the temporary file half written (or a complete one not yet
     * renamed); the checkpoint that was in place still loads, and the next save replaces both.
     */
    @Test
    void aSaveCutShortLeavesThePreviousCheckpoint() throws IOException {
        try (Sequential a = model()) {
            a.fit(data(), Fit.epochs(1).batchSize(8).withQuiet(true));
            a.checkpoint(dir, AT);
            byte[] previous = Files.readAllBytes(Checkpoint.file(dir));
            Path tmp = dir.resolve(Checkpoint.FILE + ".tmp");
            Files.write(tmp, Arrays.copyOf(previous, previous.length / 3));
            try (Sequential b = model()) {
                assertEquals(AT, b.restoreCheckpoint(dir));
            }
            a.fit(data(), Fit.epochs(1).batchSize(8).withQuiet(true));
            Position later = new Position(3, 0, 99, 8, true, 0, List.of());
            a.checkpoint(dir, later);
            assertTrue(Files.notExists(tmp), "the next save reuses and renames the temporary file");
            try (Sequential b = model()) {
                assertEquals(later, b.restoreCheckpoint(dir));
            }
        }
    }

    @Test
    void nonFiniteWeightsAreNeverSaved() throws IOException {
        try (Sequential a = model()) {
            a.fit(data(), Fit.epochs(1).batchSize(8).withQuiet(true));
            a.checkpoint(dir, AT);
            byte[] before = Files.readAllBytes(Checkpoint.file(dir));
            float[] p = a.parameters().toArray();
            p[3] = Float.NaN;
            a.parameters().copyFrom(p);
            String msg = assertThrows(IllegalStateException.class, () -> a.checkpoint(dir, AT)).getMessage();
            assertEquals("checkpoint: dense_1.kernel holds NaN at index 3; refusing to overwrite "
                    + Checkpoint.file(dir) + " with non-finite weights", msg);
            assertArrayEquals(before, Files.readAllBytes(Checkpoint.file(dir)));
        }
    }

    @Test
    void aCheckpointOfAnotherModelIsRefusedAndChangesNothing() throws IOException {
        try (Sequential a = model()) {
            a.fit(data(), Fit.epochs(1).batchSize(8).withQuiet(true));
            a.checkpoint(dir, AT);
        }
        try (Sequential wider = new Sequential(java, 5)) {
            wider.add(new Dense(9, "relu")).add(new Dropout(0.25)).add(new Dense(2)).compile(new Adam(0.01), new MSE());
            String msg = assertThrows(IOException.class, () -> wider.restoreCheckpoint(dir)).getMessage();
            assertTrue(msg.startsWith(Checkpoint.file(dir) + ": the checkpoint's model differs in layers: it has "
                    + "[{\"type\":\"dense\",\"units\":6"), msg);
        }
        try (Sequential sgd = new Sequential(java, 5)) {
            sgd.add(new Dense(6, "relu")).add(new Dropout(0.25)).add(new Dense(2)).compile(new Sgd(0.1, 0.9, 0), new MSE());
            assertEquals(Checkpoint.file(dir) + ": the checkpoint was saved with optimizer adam, this model uses sgd",
                    assertThrows(IOException.class, () -> sgd.restoreCheckpoint(dir)).getMessage());
            assertEquals(0, sgd.optimizer().iterations());
        }
        Path empty = dir.resolve("none");
        assertEquals(Checkpoint.file(empty) + ": no checkpoint here (no such file)", assertThrows(IOException.class,
                () -> {
                    try (Sequential m = model()) {
                        m.restoreCheckpoint(empty);
                    }
                }).getMessage());
    }
}

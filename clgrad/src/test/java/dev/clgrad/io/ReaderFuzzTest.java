package dev.clgrad.io;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.CsvReader;
import dev.clgrad.data.IdxReader;
import dev.clgrad.data.NpyReader;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.model.Sequential;
import dev.clgrad.train.Fit;
import dev.clgrad.train.Position;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every reader against seeded random mutations of a valid file — bytes flipped, truncated,
 * inserted, duplicated, and length or offset fields overwritten with hostile values: the only
 * thing that may escape is an IOException whose message names the file. No OutOfMemoryError, no
 * StackOverflowError, no other exception, no hang (each reader has a time budget for all cases).
 */
class ReaderFuzzTest {
    private static final int CASES = 700;
    private static final Duration BUDGET = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    /** A reader under test: reads {@code file}, throwing IOException for a bad one. */
    private interface Reader {
        void read(Path file) throws IOException;
    }

    @Test
    void trainingConfigJson() throws IOException {
        fuzz(Files.readAllBytes(Path.of("samples/fashion-mnist-mlp.json")), dir.resolve("config.json"),
                f -> ModelConfig.read(f), 1);
    }

    @Test
    void savedModelJson() throws IOException {
        Path saved = dir.resolve("saved");
        try (Sequential m = model()) {
            m.build(6);
            m.save(saved);
        }
        Backend java = TestBackends.java();
        fuzz(Files.readAllBytes(saved.resolve(SavedModel.CONFIG)), saved.resolve(SavedModel.CONFIG),
                f -> Sequential.load(saved, java).close(), 2);
    }

    @Test
    void safetensors() throws IOException {
        Path saved = dir.resolve("saved");
        try (Sequential m = model()) {
            m.build(6);
            m.save(saved);
        }
        fuzz(Files.readAllBytes(saved.resolve(SavedModel.WEIGHTS)), dir.resolve("w.safetensors"), Safetensors::read, 3);
    }

    @Test
    void checkpoint() throws IOException {
        Path ck = dir.resolve("ck");
        try (Sequential m = model()) {
            m.fit(new float[][]{{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}}, new float[][]{{1, 0}, {0, 1}},
                    Fit.epochs(1).withQuiet(true));
            m.checkpoint(ck, new Position(1, 0, 0, 32, true, 0, List.of()));
        }
        try (Sequential target = model()) {
            fuzz(Files.readAllBytes(Checkpoint.file(ck)), Checkpoint.file(ck), f -> target.restoreCheckpoint(ck), 4);
        }
    }

    @Test
    void idxRaw() {
        fuzz(idx(7, 5, 3), dir.resolve("x-idx3-ubyte"), f -> IdxReader.read(f, 1f), 5);
    }

    @Test
    void idxGzipped() throws IOException {
        fuzz(gzip(idx(7, 5, 3)), dir.resolve("x-idx3-ubyte.gz"), f -> IdxReader.read(f, 1f), 6);
    }

    @Test
    void npy() throws IOException {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }";
        int pad = 64 - (10 + header.length() + 1) % 64;
        byte[] h = (header + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + 24 * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h);
        for (int i = 0; i < 24; i++) {
            b.putFloat(i * 0.5f);
        }
        NpyReader.read(Files.write(dir.resolve("ok.npy"), b.array()));
        fuzz(b.array(), dir.resolve("x.npy"), NpyReader::read, 7);
    }

    /** Issue 16, item 4: the CSV reader (Jackson's parser underneath), with a BOM, a header and quoted fields. */
    @Test
    void csv() throws IOException {
        byte[] valid = ("\uFEFFlabel,\"a, b\",c\n1,\"0.5\",-2e-3\n\n0, 7 ,\"inf\"\n1,.25,NaN\n")
                .getBytes(StandardCharsets.UTF_8);
        CsvReader.read(Files.write(dir.resolve("ok.csv"), valid), true);
        fuzz(valid, dir.resolve("x.csv"), f -> CsvReader.read(f, true), 8);
    }

    private static Sequential model() {
        Sequential m = new Sequential(TestBackends.java(), 3);
        m.add(new Dense(4, "relu")).add(new Dropout(0.5)).add(new Dense(2));
        return m.compile("adam", "mse");
    }

    private void fuzz(byte[] valid, Path file, Reader reader, long seed) {
        assertTimeoutPreemptively(BUDGET, () -> {
            Random rng = new Random(seed);
            for (int c = 0; c < CASES; c++) {
                byte[] bad = mutate(valid, rng);
                Files.write(file, bad);
                try {
                    reader.read(file);
                } catch (IOException e) {
                    String m = e.getMessage();
                    if (m == null || !m.contains(file.getFileName().toString())) {
                        fail("case " + c + " (seed " + seed + "): the message does not name " + file.getFileName()
                                + ": " + m, e);
                    }
                } catch (Throwable t) {
                    fail("case " + c + " (seed " + seed + ") of " + file.getFileName() + ": " + t, t);
                }
            }
        }, () -> "a reader hung on a mutation of " + file.getFileName());
    }

    /** One to three mutations, each chosen at random. */
    static byte[] mutate(byte[] valid, Random rng) {
        byte[] b = valid.clone();
        int n = 1 + rng.nextInt(3);
        for (int k = 0; k < n && b.length > 0; k++) {
            int at = rng.nextInt(b.length);
            switch (rng.nextInt(7)) {
                case 0 -> b[at] ^= (byte) (1 << rng.nextInt(8));
                case 1 -> b = Arrays.copyOf(b, rng.nextInt(b.length));
                case 2 -> {
                    byte[] ins = new byte[1 + rng.nextInt(16)];
                    rng.nextBytes(ins);
                    b = splice(b, at, ins, 0);
                }
                case 3 -> {
                    int len = Math.min(b.length - at, 1 + rng.nextInt(64));
                    b = splice(b, at, Arrays.copyOfRange(b, at, at + len), 0);
                }
                case 4 -> b = splice(b, at, new byte[0], Math.min(b.length - at, 1 + rng.nextInt(32)));
                case 5 -> {
                    int pos = rng.nextInt(Math.min(b.length, 64));
                    long[] hostile = {0, -1, Integer.MAX_VALUE, Long.MAX_VALUE, 1L << 31, 1L << 40, b.length,
                            b.length + 8, rng.nextInt()};
                    long v = hostile[rng.nextInt(hostile.length)];
                    ByteBuffer w = ByteBuffer.wrap(b).order(rng.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
                    if (pos + 8 <= b.length && rng.nextBoolean()) {
                        w.putLong(pos, v);
                    } else if (pos + 4 <= b.length) {
                        w.putInt(pos, (int) v);
                    }
                }
                default -> {
                    byte[] json = "{}[]\":,0123456789-e.\\ntfnul".getBytes(StandardCharsets.US_ASCII);
                    b[at] = json[rng.nextInt(json.length)];
                }
            }
        }
        return b;
    }

    /** b with {@code remove} bytes at {@code at} replaced by {@code insert}. */
    private static byte[] splice(byte[] b, int at, byte[] insert, int remove) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    static byte[] idx(int... dims) {
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
            b.put((byte) (i * 7));
        }
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    @Test
    void mutationsChangeTheFile() {
        Random rng = new Random(0);
        byte[] valid = idx(3, 3);
        int changed = 0;
        for (int i = 0; i < 100; i++) {
            changed += Arrays.equals(valid, mutate(valid, rng)) ? 0 : 1;
        }
        assertTrue(changed > 90, "almost every mutation changes the bytes: " + changed);
    }
}

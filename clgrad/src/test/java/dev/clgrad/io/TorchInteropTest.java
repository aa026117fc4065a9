package dev.clgrad.io;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.HostArray;
import dev.clgrad.data.NpyReader;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.AveragePooling2D;
import dev.clgrad.nn.BatchNormalization;
import dev.clgrad.nn.Conv2D;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.GlobalAveragePooling2D;
import dev.clgrad.nn.MaxPooling2D;
import dev.clgrad.nn.ReLU;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.nn.SpatialDropout2D;
import dev.clgrad.optim.Adam;
import dev.clgrad.train.Fit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Weights leave clgrad: a trained CNN saved by {@code model.save} runs in PyTorch 1.13 (Debian's
 * python3-torch, {@code bench/pytorch/predict_saved.py} with the documented transposes: Conv2D
 * kernels permute(3, 2, 0, 1), Dense kernels transposed, NHWC → NCHW and back before Flatten) and
 * gives clgrad's predictions. Under {@code CI=true} a missing torch is a failure, not a skip.
 */
class TorchInteropTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    @Test
    void aTrainedCnnPredictsTheSameInPyTorch() throws Exception {
        boolean torch = hasTorch();
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(torch, PYTHON + " cannot import torch; CI installs python3-torch");
        }
        assumeTrue(torch, PYTHON + " with torch is not installed");
        int n = 12;
        Random rng = new Random(3);
        float[][] x = new float[n][9 * 10 * 2];
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            labels[i] = rng.nextInt(4);
        }
        float[][] expected;
        try (Sequential model = new Sequential(TestBackends.java(), 5)) {
            model.input(9, 10, 2)
                    .add(new Conv2D(6, 3, "relu").withStrides(2).withPadding("same"))
                    .add(new BatchNormalization())
                    .add(new SpatialDropout2D(0.2))
                    .add(new Conv2D(5, 2).withDilation(2).withUseBias(false))
                    .add(new ReLU())
                    .add(new MaxPooling2D(2, 1, "same"))
                    .add(new AveragePooling2D(2, 2, "same"))
                    .add(new Conv2D(4, 1))
                    .add(new Flatten())
                    .add(new Dropout(0.3))
                    .add(new Dense(4));
            model.compile(new Adam(1e-2), new SoftmaxCrossEntropy());
            model.fit(x, labels, Fit.epochs(3).batchSize(4));
            model.save(dir.resolve("cnn"));
            expected = model.predict(x);
        }
        float[][] gap;
        try (Sequential model = new Sequential(TestBackends.java(), 6)) {
            model.input(9, 10, 2).add(new Conv2D(3, 3)).add(new GlobalAveragePooling2D()).add(new Dense(4));
            model.compile(new Adam(1e-2), new SoftmaxCrossEntropy());
            model.fit(x, labels, Fit.epochs(1).batchSize(4));
            model.save(dir.resolve("gap"));
            gap = model.predict(x);
        }
        writeNpy(dir.resolve("x.npy"), x, 9, 10, 2);
        assertClose(expected, torchPredict(dir.resolve("cnn")));
        assertClose(gap, torchPredict(dir.resolve("gap")));
    }

    private float[][] torchPredict(Path model) throws Exception {
        Path out = dir.resolve(model.getFileName() + "-torch.npy");
        Process p = new ProcessBuilder(PYTHON, "bench/pytorch/predict_saved.py", model.toString(),
                dir.resolve("x.npy").toString(), out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "predict_saved.py timed out");
        assertEquals(0, p.exitValue(), log);
        HostArray a = NpyReader.read(out);
        float[][] rows = new float[a.rows()][a.cols()];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(a.data(), i * a.cols(), rows[i], 0, a.cols());
        }
        return rows;
    }

    private static void assertClose(float[][] expected, float[][] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double scale = 0;
            for (float v : expected[i]) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertArrayEquals(expected[i], actual[i], (float) (1e-5 * Math.max(1, scale)), "row " + i);
        }
    }

    private static boolean hasTorch() {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** x as a float32 .npy of shape (rows, h, w, c). */
    private static void writeNpy(Path file, float[][] x, int h, int w, int c) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + x.length + ", " + h + ", " + w + ", "
                + c + "), }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + x.length * h * w * c * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (float[] row : x) {
            for (float v : row) {
                b.putFloat(v);
            }
        }
        Files.write(file, b.array());
    }
}

package dev.clgrad.io;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.ActivationLayer;
import dev.clgrad.nn.AlphaDropout;
import dev.clgrad.nn.AveragePooling2D;
import dev.clgrad.nn.BatchNormalization;
import dev.clgrad.nn.Conv2D;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.ELU;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.GELU;
import dev.clgrad.nn.GaussianDropout;
import dev.clgrad.nn.GlobalAveragePooling2D;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.LeakyReLU;
import dev.clgrad.nn.MaxPooling2D;
import dev.clgrad.nn.ReLU;
import dev.clgrad.nn.Reshape;
import dev.clgrad.nn.Sigmoid;
import dev.clgrad.nn.Softmax;
import dev.clgrad.nn.SpatialDropout2D;
import dev.clgrad.nn.Tanh;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Fit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code model.exportOnnx}: the exported file runs in ONNX Runtime for Java and gives clgrad's
 * {@code predict} outputs within 1e-5 relative (‖onnx − clgrad‖ / ‖clgrad‖, and every element within
 * 1e-5 of the row's largest magnitude) on random inputs, for the sample models (trained two steps,
 * biases and batch-normalisation statistics then moved off their initial values) and for models
 * with every activation, pooling and padding variant and every dropout variant; Debian's ONNX
 * checker ({@code python3-onnx}, full check with shape inference) accepts the seed, MLP and CNN
 * files and the variants'. Under {@code CI=true} a missing checker is a failure, not a skip.
 */
class OnnxExportTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int ROWS = 5;

    @TempDir
    Path dir;

    @Test
    void theSeedModelRunsInOnnxRuntime() throws Exception {
        try (Sequential model = sample("seed-simplenet.json", Shape.of(20))) {
            Path file = export(model, "seed.onnx");
            assertSame(model, file);
            assertIo(file, new long[] {-1, 20}, new long[] {-1, 1});
        }
    }

    @Test
    void theFashionMnistMlpRunsInOnnxRuntime() throws Exception {
        try (Sequential model = sample("fashion-mnist-mlp.json", Shape.of(28, 28, 1))) {
            Path file = export(model, "mlp.onnx");
            assertSame(model, file);
            assertIo(file, new long[] {-1, 28, 28, 1}, new long[] {-1, 10});
        }
    }

    @Test
    void theFashionMnistCnnsRunInOnnxRuntime() throws Exception {
        for (String name : new String[] {"fashion-mnist-cnn.json", "fashion-mnist-cnn-bn.json"}) {
            try (Sequential model = sample(name, null)) {
                assertSame(model, export(model, name.replace(".json", ".onnx")));
            }
        }
    }

    /** Dense with each activation on (B, 3, 6) inputs (MatMul + Add) and on (B, 21) inputs (Gemm). */
    @ParameterizedTest
    @ValueSource(strings = {"linear", "relu", "tanh", "sigmoid", "leaky_relu", "elu", "selu", "gelu", "silu", "swish",
            "softmax"})
    void everyDenseActivationRunsInOnnxRuntime(String activation) throws Exception {
        try (Sequential model = new Sequential(TestBackends.java(), 11)) {
            model.input(3, 6).add(new Dense(7, activation)).add(new Flatten()).add(new Dense(5, activation));
            model.compile("adam", "mse").build();
            perturb(model);
            assertSame(model, export(model, activation + ".onnx"));
        }
    }

    /** Each activation layer on (B, 3, 8) values, the model's output itself (softmax over the last axis). */
    @ParameterizedTest
    @ValueSource(strings = {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "silu",
            "swish", "activation_softmax", "softmax"})
    void everyActivationLayerRunsInOnnxRuntime(String name) throws Exception {
        Layer layer = switch (name) {
            case "relu" -> new ReLU();
            case "tanh" -> new Tanh();
            case "sigmoid" -> new Sigmoid();
            case "leaky_relu" -> new LeakyReLU(0.1);
            case "elu" -> new ELU(0.7);
            case "gelu" -> new GELU(false);
            case "gelu_tanh" -> new GELU(true);
            case "activation_softmax" -> new ActivationLayer("softmax");
            case "softmax" -> new Softmax();
            default -> new ActivationLayer(name);
        };
        try (Sequential model = new Sequential(TestBackends.java(), 12)) {
            model.input(3, 4).add(new Dense(8)).add(layer).add(new Flatten());
            model.compile("adam", "mse").build();
            perturb(model);
            assertSame(model, export(model, name + ".onnx"));
        }
    }

    @Test
    void poolingPaddingAndDropoutVariantsRunInOnnxRuntime() throws Exception {
        try (Sequential model = imageVariants()) {
            assertSame(model, export(model, "images.onnx"));
        }
        try (Sequential model = globalPooling()) {
            assertSame(model, export(model, "gap.onnx"));
        }
    }

    /**
     * Convolutions with strides, "same" padding of odd and even kernels (asymmetric pads),
     * dilation and no bias; max and average pooling, valid and same, unequal pool sizes and strides
     * (average pooling not counting the padding); batch normalisation over images, over (B, L, C)
     * and over (B, C) without scale and center; Reshape, Dense on (B, L, C), every dropout variant
     * and DropConnect as the identity. Built and perturbed.
     */
    private static Sequential imageVariants() {
        Sequential model = new Sequential(TestBackends.java(), 13);
        model.input(16, 13, 3)
                .add(new Conv2D(4, 3, "elu").withStrides(2).withPadding("same"))
                .add(new BatchNormalization())
                .add(new SpatialDropout2D(0.2))
                .add(new Conv2D(5, 2).withPadding("same").withUseBias(false))
                .add(new Conv2D(6, 2, "gelu").withDilation(2))
                .add(new MaxPooling2D(new int[] {3, 2}, new int[] {2, 1}, "same"))
                .add(new AveragePooling2D(3, 2, "same"))
                .add(new AveragePooling2D(new int[] {2, 2}, new int[] {1, 1}, "valid"))
                .add(new Reshape(3, -1))
                .add(new Dense(5, "tanh"))
                .add(new BatchNormalization(BatchNormalization.Options.KERAS.withEpsilon(0.01)))
                .add(new Flatten())
                .add(new Dropout(0.4))
                .add(new GaussianDropout(0.3))
                .add(new AlphaDropout(0.2))
                .add(new Dense(4).dropConnect(0.3))
                .add(new BatchNormalization(BatchNormalization.Options.KERAS.withCenter(false).withScale(false)))
                .add(new Softmax());
        model.compile("adam", "mse").build();
        perturb(model);
        return model;
    }

    /** Conv2D, valid max pooling with stride 1, GlobalAveragePooling2D, Dense. Built and perturbed. */
    private static Sequential globalPooling() {
        Sequential model = new Sequential(TestBackends.java(), 14);
        model.input(7, 7, 2).add(new Conv2D(3, 3, "relu")).add(new MaxPooling2D(2, 1, "valid"))
                .add(new GlobalAveragePooling2D()).add(new Dense(2));
        model.compile("adam", "mse").build();
        perturb(model);
        return model;
    }

    @Test
    void aModelOfDropoutAloneIsTheIdentity() throws Exception {
        try (Sequential model = new Sequential(TestBackends.java(), 15)) {
            model.input(4).add(new Dropout(0.5));
            model.compile("adam", "mse").build();
            assertSame(model, export(model, "identity.onnx"));
        }
    }

    @Test
    void theExportIsDeterministicAndNeedsABuiltModel() throws Exception {
        try (Sequential model = sample("seed-simplenet.json", Shape.of(20))) {
            byte[] once = Files.readAllBytes(export(model, "a.onnx"));
            assertArrayEquals(once, Files.readAllBytes(export(model, "b.onnx")));
            assertArrayEquals(once, OnnxExport.encode(model.parts()));
        }
        try (Sequential model = new Sequential(TestBackends.java(), 1)) {
            model.add(new Dense(3));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.exportOnnx(dir.resolve("x")));
            assertTrue(e.getMessage().contains("not built"), e.getMessage());
        }
    }

    /** The sample files, and the variants' (every op the export writes), pass {@code check_model(full_check=True)}. */
    @Test
    void theOnnxCheckerAcceptsTheSampleAndVariantFiles() throws Exception {
        boolean onnx = hasOnnx();
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(onnx, PYTHON + " cannot import onnx; CI installs python3-onnx");
        }
        assumeTrue(onnx, PYTHON + " with onnx (Debian's python3-onnx) is not installed");
        List<String> command = new ArrayList<>(List.of(PYTHON, "-c", "import sys, onnx\n"
                + "for f in sys.argv[1:]:\n"
                + "    onnx.checker.check_model(onnx.load(f), full_check=True)\n"
                + "    print('checked', f)"));
        String[][] samples = {{"seed-simplenet.json", "20"}, {"fashion-mnist-mlp.json", "28,28,1"},
                {"fashion-mnist-cnn.json", null}, {"fashion-mnist-cnn-bn.json", null}};
        for (String[] m : samples) {
            Shape in = m[1] == null ? null : Shape.of(Arrays.stream(m[1].split(",")).mapToInt(Integer::parseInt).toArray());
            try (Sequential model = sample(m[0], in)) {
                command.add(export(model, m[0].replace(".json", ".onnx")).toString());
            }
        }
        try (Sequential images = imageVariants(); Sequential gap = globalPooling()) {
            command.add(export(images, "images.onnx").toString());
            command.add(export(gap, "gap.onnx").toString());
        }
        for (String act : new String[] {"leaky_relu", "elu", "selu", "gelu", "silu", "softmax"}) {
            try (Sequential model = new Sequential(TestBackends.java(), 16)) {
                model.input(4).add(new Dense(3, act));
                model.compile("adam", "mse").build();
                command.add(export(model, act + ".onnx").toString());
            }
        }
        try (Sequential model = new Sequential(TestBackends.java(), 17)) {
            model.input(4).add(new GELU(true));
            model.compile("adam", "mse").build();
            command.add(export(model, "gelu_tanh.onnx").toString());
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the onnx checker timed out");
        assertEquals(0, p.exitValue(), log);
        assertEquals(command.size() - 3, log.lines().filter(l -> l.startsWith("checked ")).count(), log);
    }

    /** A sample config's model, built (for {@code in}, or the config's inputShape), trained two steps and perturbed. */
    private static Sequential sample(String name, Shape in) throws IOException {
        ModelConfig cfg = ModelConfig.read(Path.of("samples", name));
        Sequential model = Sequential.fromConfig(cfg, TestBackends.java());
        try {
            Shape shape = in != null ? in : cfg.inputShape();
            model.build(shape);
            SplittableRandom rng = new SplittableRandom(name.hashCode());
            float[][] x = inputs(rng, 16, (int) shape.size());
            float[] y = new float[x.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = model.outFeatures() == 1 ? (float) rng.nextGaussian() : rng.nextInt(model.outFeatures());
            }
            model.fit(x, y, Fit.epochs(1).batchSize(8).withQuiet(true));
            perturb(model);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Moves the values that start constant off their starting values: biases, betas and moving
     * means by N(0, 0.1²), gammas to 1 + N(0, 0.2²), moving variances to U(0.5, 1.5). Modified: model.
     */
    private static void perturb(Sequential model) {
        SplittableRandom rng = new SplittableRandom(7);
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            String name = e.getKey();
            float[] v = e.getValue().toArray();
            for (int i = 0; i < v.length; i++) {
                if (name.endsWith(".moving_variance")) {
                    v[i] = (float) (0.5 + rng.nextDouble());
                } else if (name.endsWith(".gamma")) {
                    v[i] = (float) (1 + 0.2 * rng.nextGaussian());
                } else if (!name.endsWith(".kernel")) {
                    v[i] += (float) (0.1 * rng.nextGaussian());
                }
            }
            e.getValue().copyFrom(v);
        }
    }

    private static float[][] inputs(SplittableRandom rng, int rows, int features) {
        float[][] x = new float[rows][features];
        for (float[] row : x) {
            for (int j = 0; j < features; j++) {
                row[j] = (float) rng.nextGaussian();
            }
        }
        return x;
    }

    private Path export(Sequential model, String name) throws IOException {
        Path file = dir.resolve(name);
        OnnxExport.Summary s = model.exportOnnx(file);
        assertEquals(Files.size(file), s.bytes());
        return file;
    }

    /** ONNX Runtime's outputs on ROWS random inputs equal clgrad's predict outputs within 1e-5 relative. */
    private static void assertSame(Sequential model, Path file) throws OrtException {
        float[][] x = inputs(new SplittableRandom(file.getFileName().hashCode()), ROWS, model.inFeatures());
        float[][] expected = model.predict(x);
        float[][] actual = run(file, x, model.inputShape());
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ROWS; i++) {
            assertEquals(expected[i].length, actual[i].length, "outputs per row");
            double scale = 0;
            for (int j = 0; j < expected[i].length; j++) {
                diff += Math.pow(actual[i][j] - expected[i][j], 2);
                norm += Math.pow(expected[i][j], 2);
                scale = Math.max(scale, Math.abs(expected[i][j]));
            }
            assertArrayEquals(expected[i], actual[i], (float) (1e-5 * scale), file.getFileName() + " row " + i);
        }
        assertTrue(norm > 0, "the outputs are all zero, which proves nothing");
        assertTrue(Math.sqrt(diff / norm) < 1e-5, file.getFileName() + ": relative error " + Math.sqrt(diff / norm));
    }

    /** The file's outputs for x: (rows, in…) in ONNX Runtime on the CPU, one thread. */
    private static float[][] run(Path file, float[][] x, Shape in) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = new long[in.rank() + 1];
        shape[0] = x.length;
        for (int i = 0; i < in.rank(); i++) {
            shape[i + 1] = in.dim(i);
        }
        FloatBuffer flat = FloatBuffer.allocate(x.length * (int) in.size());
        for (float[] row : x) {
            flat.put(row);
        }
        flat.flip();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(file.toString(), options);
                 OnnxTensor input = OnnxTensor.createTensor(env, flat, shape);
                 OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
                float[] out = ((OnnxTensor) result.get(OnnxExport.OUTPUT).orElseThrow()).getFloatBuffer().array();
                int width = out.length / x.length;
                float[][] rows = new float[x.length][];
                for (int i = 0; i < x.length; i++) {
                    rows[i] = Arrays.copyOfRange(out, i * width, (i + 1) * width);
                }
                return rows;
            }
        }
    }

    /** The graph's one input and one output have these shapes, −1 the symbolic batch. */
    private static void assertIo(Path file, long[] input, long[] output) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions())) {
            Map<String, NodeInfo> in = session.getInputInfo();
            Map<String, NodeInfo> out = session.getOutputInfo();
            assertEquals(java.util.Set.of(OnnxExport.INPUT), in.keySet());
            assertEquals(java.util.Set.of(OnnxExport.OUTPUT), out.keySet());
            assertArrayEquals(input, ((TensorInfo) in.get(OnnxExport.INPUT).getInfo()).getShape());
            assertArrayEquals(output, ((TensorInfo) out.get(OnnxExport.OUTPUT).getInfo()).getShape());
        }
    }

    private static boolean hasOnnx() {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import onnx").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}

package dev.clgrad.io;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {
    private static final String DATA = "\"data\": {\"type\": \"random-normal\", \"train\": 10, \"features\": 3}";

    private static String error(String json) {
        return assertThrows(ConfigException.class, () -> ModelConfig.parse(json, "m.json", Path.of("."))).getMessage();
    }

    private static String config(String layers) {
        return "{\"layers\": [" + layers + "], \"loss\": \"mse\", " + DATA + "}";
    }

    @Test
    void samplesParseAndBuild() throws IOException {
        ModelConfig seed = ModelConfig.read(Path.of("samples/seed-simplenet.json"));
        assertEquals(3, seed.layers().size());
        assertEquals(10, seed.epochs());
        try (Sequential model = Sequential.fromConfig(seed, TestBackends.java())) {
            model.build(20);
            assertEquals(221, model.parameterCount());
            assertEquals("adam", model.optimizer().name());
        }
        ModelConfig fashion = ModelConfig.read(Path.of("samples/fashion-mnist-mlp.json"));
        assertEquals(128, fashion.batchSize());
        assertEquals("sparse_categorical_crossentropy", fashion.loss().name());
        assertEquals(6, fashion.layers().size(), "flatten, then the five layers of the MLP");
    }

    @Test
    void errorsNameThePathAndWhatWasExpected() {
        assertEquals("m.json: $.layers[1].type: unknown layer type 'lstm'; expected one of [dense, dropout, relu, tanh, "
                        + "sigmoid, flatten, conv2d, reshape, max_pooling2d, average_pooling2d, global_average_pooling2d, "
                        + "batch_normalization, spatial_dropout2d, activation, leaky_relu, elu, gelu, selu, swish, silu, "
                        + "softmax, gaussian_dropout, alpha_dropout]",
                error(config("{\"type\": \"dense\", \"units\": 4}, {\"type\": \"lstm\"}")));
        assertEquals("m.json: $.layers[0].units: missing; expected an integer in [1, 16777216]",
                error(config("{\"type\": \"dense\"}")));
        assertEquals("m.json: $.layers[0].rate: expected a number in [0.0, 1.0), got 1.5",
                error(config("{\"type\": \"dropout\", \"rate\": 1.5}")));
        assertEquals("m.json: $.layers[0].unit: unknown key; expected one of [activation, biasConstraint, biasRegularizer, "
                + "dropConnect, kernelConstraint, kernelRegularizer, type, units]",
                error(config("{\"type\": \"dense\", \"unit\": 4}")));
        assertEquals("m.json: $.layers[0].units: expected an integer in [1, 16777216], got \"4\"",
                error(config("{\"type\": \"dense\", \"units\": \"4\"}")));
        assertEquals("m.json: $.loss: unknown loss 'hinge'; expected one of [mse, mean_squared_error, mae, "
                        + "mean_absolute_error, huber, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy]",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"hinge\", " + DATA + "}"));
        assertEquals("m.json: $.data: missing; expected an object",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\"}"));
        assertEquals("m.json: $.metrics[0]: metric accuracy needs a classification loss (sparse_categorical_crossentropy, "
                        + "categorical_crossentropy or binary_crossentropy), got mse; for a regression loss use mae",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\", \"metrics\": [\"accuracy\"], " + DATA + "}"));
        assertEquals("m.json: $.optimizer: unknown optimizer 'lamb'; expected one of adam, adamw, sgd, rmsprop, adagrad",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\", \"optimizer\": \"lamb\", " + DATA + "}"));
        assertTrue(error("{\"layers\": [}").startsWith("m.json:1:"), "malformed JSON gives line:column");
    }

    @Test
    void inputShapeDeclaresTheModelsInput() throws IOException {
        ModelConfig c = ModelConfig.parse("{\"inputShape\": [2, 3, 1], \"layers\": [{\"type\": \"flatten\"}, "
                + "{\"type\": \"dense\", \"units\": 2}], \"loss\": \"mse\", " + DATA + "}", "m.json", Path.of("."));
        assertEquals(Shape.of(2, 3, 1), c.inputShape());
        try (Sequential model = Sequential.fromConfig(c, TestBackends.java())) {
            model.build(6);
            assertEquals(Shape.of(2, 3, 1), model.inputShape(), "6 flat values read as (2, 3, 1)");
            assertEquals(14, model.parameterCount());
        }
        try (Sequential model = Sequential.fromConfig(c, TestBackends.java())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.build(5));
            assertEquals("input samples have shape (5,) (5 values) but the model's input shape is (2, 3, 1) (6 values)",
                    e.getMessage());
        }
        assertEquals("m.json: $.inputShape[1]: expected an integer in [1, 16777216], got 0",
                error("{\"inputShape\": [28, 0], \"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\", " + DATA + "}"));
        assertEquals("m.json: $.inputShape: expected 1 to 4 dimensions such as [28, 28, 1], got []",
                error("{\"inputShape\": [], \"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\", " + DATA + "}"));
    }

    @Test
    void convolutionConfigErrorsNameThePath() {
        assertEquals("m.json: $.layers[0].filters: expected an integer in [1, 16777216], got 0",
                error(config("{\"type\": \"conv2d\", \"filters\": 0, \"kernelSize\": 3}")));
        assertEquals("m.json: $.layers[0].kernelSize: missing; expected an integer or an array of two integers in "
                + "[1, 65536]", error(config("{\"type\": \"conv2d\", \"filters\": 8}")));
        assertEquals("m.json: $.layers[0].kernelSize: expected an integer or an array of two integers in [1, 65536], "
                + "got [3,3,3]", error(config("{\"type\": \"conv2d\", \"filters\": 8, \"kernelSize\": [3, 3, 3]}")));
        assertEquals("m.json: $.layers[0].padding: expected \"valid\" or \"same\", got \"full\"",
                error(config("{\"type\": \"conv2d\", \"filters\": 8, \"kernelSize\": 3, \"padding\": \"full\"}")));
        assertEquals("m.json: $.layers[0].strides[1]: expected an integer in [1, 65536], got 0",
                error(config("{\"type\": \"conv2d\", \"filters\": 8, \"kernelSize\": 3, \"strides\": [1, 0]}")));
        assertEquals("m.json: $.layers[0].dilation_rate: unknown key; expected one of [activation, biasConstraint, "
                + "biasRegularizer, dilation, filters, kernelConstraint, kernelRegularizer, kernelSize, padding, strides, "
                + "type, useBias]",
                error(config("{\"type\": \"conv2d\", \"filters\": 8, \"kernelSize\": 3, \"dilation_rate\": 2}")));
        assertEquals("m.json: $.layers[0].targetShape: Reshape: targetShape [-1, -1] has more than one -1; at most one "
                + "dimension can be inferred", error(config("{\"type\": \"reshape\", \"targetShape\": [-1, -1]}")));
    }

    /** Shapes are known only when the model is built for the data: the error still names the file and the layer. */
    @Test
    void aLayerThatCannotTakeItsInputNamesThePath() throws IOException {
        ModelConfig flat = ModelConfig.parse(config("{\"type\": \"conv2d\", \"filters\": 8, \"kernelSize\": 3}"),
                "m.json", Path.of("."));
        try (Sequential model = Sequential.fromConfig(flat, TestBackends.java())) {
            String e = assertThrows(IllegalArgumentException.class, () -> model.build(Shape.of(5))).getMessage();
            assertTrue(e.startsWith("m.json: $.layers[0]: Conv2D: the per-sample input must be (H, W, C) images, "
                    + "channels last, got (5,); "), e);
            assertTrue(e.contains("{\"type\": \"reshape\", \"targetShape\": [H, W, C]}"), e);
        }
        ModelConfig small = ModelConfig.parse(config("{\"type\": \"reshape\", \"targetShape\": [1, 3, 1]}, "
                + "{\"type\": \"conv2d\", \"filters\": 8, \"kernelSize\": [2, 3]}"), "m.json", Path.of("."));
        try (Sequential model = Sequential.fromConfig(small, TestBackends.java())) {
            assertEquals("m.json: $.layers[1]: Conv2D: per-sample input (1, 3, 1): window: the kernel 2x3 is larger "
                    + "than the input 1x3 with padding \"valid\"; use padding \"same\" or a smaller kernel",
                    assertThrows(IllegalArgumentException.class, () -> model.build(Shape.of(3))).getMessage());
        }
    }

    @Test
    void aValidationOrTestInputNeedsItsTargets() {
        String npy = "{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\", \"data\": {\"type\": \"npy\", "
                + "\"xTrain\": \"x.npy\", \"yTrain\": \"y.npy\", ";
        assertEquals("m.json: $.data.xVal: needs yVal as well", error(npy + "\"xVal\": \"xv.npy\"}}"));
        assertEquals("m.json: $.data.yTest: needs xTest as well", error(npy + "\"yTest\": \"yt.npy\"}}"));
    }

    /** Issue 19, item 6: a config saved with a UTF-8 byte-order mark (as some Windows editors write it) parses. */
    @Test
    void aByteOrderMarkIsNotPartOfTheJson(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("bom.json"), "\uFEFF" + config("{\"type\": \"dense\", \"units\": 4}"));
        assertEquals(4, ((dev.clgrad.nn.Dense) ModelConfig.read(f).layers().get(0).create()).units());
    }

    @Test
    void missingFileIsNamed() {
        assertEquals("nope.json: no such file",
                assertThrows(ConfigException.class, () -> ModelConfig.read(Path.of("nope.json"))).getMessage());
    }
}

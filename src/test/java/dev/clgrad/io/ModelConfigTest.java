package dev.clgrad.io;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
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
        assertEquals("sparse_categorical_crossentropy", fashion.loss());
        assertEquals(6, fashion.layers().size(), "flatten, then the five layers of the MLP");
    }

    @Test
    void errorsNameThePathAndWhatWasExpected() {
        assertEquals("m.json: $.layers[1].type: unknown layer type 'conv2d'; expected one of [dense, dropout, relu, tanh, sigmoid, flatten]",
                error(config("{\"type\": \"dense\", \"units\": 4}, {\"type\": \"conv2d\"}")));
        assertEquals("m.json: $.layers[0].units: missing; expected an integer in [1, 16777216]",
                error(config("{\"type\": \"dense\"}")));
        assertEquals("m.json: $.layers[0].rate: expected a number in [0.0, 1.0), got 1.5",
                error(config("{\"type\": \"dropout\", \"rate\": 1.5}")));
        assertEquals("m.json: $.layers[0].unit: unknown key; expected one of [activation, type, units]",
                error(config("{\"type\": \"dense\", \"unit\": 4}")));
        assertEquals("m.json: $.layers[0].units: expected an integer in [1, 16777216], got \"4\"",
                error(config("{\"type\": \"dense\", \"units\": \"4\"}")));
        assertEquals("m.json: $.loss: unknown loss 'hinge'; expected one of [mse, sparse_categorical_crossentropy]",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"hinge\", " + DATA + "}"));
        assertEquals("m.json: $.data: missing; expected an object",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\"}"));
        assertEquals("m.json: $.metrics[0]: accuracy needs loss sparse_categorical_crossentropy, got mse",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\", \"metrics\": [\"accuracy\"], " + DATA + "}"));
        assertEquals("m.json: $.optimizer: unknown optimizer 'rmsprop'; expected one of adam, adamw, sgd",
                error("{\"layers\": [{\"type\": \"relu\"}], \"loss\": \"mse\", \"optimizer\": \"rmsprop\", " + DATA + "}"));
        assertTrue(error("{\"layers\": [}").startsWith("m.json:1:"), "malformed JSON gives line:column");
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

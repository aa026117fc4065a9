package dev.clgrad.io;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.BinaryCrossentropy;
import dev.clgrad.nn.CategoricalCrossentropy;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Huber;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.MAE;
import dev.clgrad.nn.MSE;
import dev.clgrad.nn.Metric;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.Adam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Losses and metrics in configs: {@code "loss": "huber"} or an object of type and settings, the
 * metrics Keras resolves for the loss, errors that name the key and the value, the Java API
 * ({@link Loss#of}, constructors, {@link Metric#of}) and a save/load round trip of the settings.
 */
class LossConfigTest {
    private static final String DATA = "\"data\": {\"type\": \"random-normal\", \"train\": 10, \"features\": 3}";

    @TempDir
    Path dir;

    private static ModelConfig parse(String loss, String metrics) throws ConfigException {
        return ModelConfig.parse("{\"layers\": [{\"type\": \"dense\", \"units\": 2}], \"loss\": " + loss
                + ", \"metrics\": " + metrics + ", " + DATA + "}", "m.json", Path.of("."));
    }

    private static String error(String loss, String metrics) {
        return assertThrows(ConfigException.class, () -> parse(loss, metrics)).getMessage();
    }

    @Test
    void lossesParseByNameAndAsObjects() throws ConfigException {
        assertEquals(new Huber(1.0), parse("\"huber\"", "[]").loss());
        assertEquals(new Huber(2.0), parse("{\"type\": \"huber\", \"delta\": 2}", "[]").loss());
        assertEquals(new BinaryCrossentropy(true), parse("{\"type\": \"binary_crossentropy\", \"fromLogits\": true}",
                "[\"accuracy\", \"mae\"]").loss());
        assertEquals(new BinaryCrossentropy(false), parse("\"binary_crossentropy\"", "[]").loss());
        assertEquals(new CategoricalCrossentropy(false), parse("{\"type\": \"categorical_crossentropy\"}",
                "[\"accuracy\", \"top_k_categorical_accuracy\"]").loss());
        assertEquals(new MAE(), parse("\"mean_absolute_error\"", "[\"mae\"]").loss());
        assertEquals(new MSE(), parse("\"mse\"", "[\"mae\"]").loss());
        assertEquals(new SoftmaxCrossEntropy(true), parse("\"sparse_categorical_crossentropy\"", "[]").loss(),
                "from logits by default, as before the option existed");
        assertEquals(new SoftmaxCrossEntropy(false), parse("{\"type\": \"sparse_categorical_crossentropy\", "
                + "\"fromLogits\": false}", "[\"accuracy\"]").loss());
        assertEquals(List.of("accuracy", "sparse_top_k_categorical_accuracy"),
                parse("\"sparse_categorical_crossentropy\"", "[\"accuracy\", \"sparse_top_k_categorical_accuracy\"]")
                        .metrics());
    }

    @Test
    void errorsNameTheKeyAndTheValue() {
        assertEquals("m.json: $.loss.delta: expected a number in [4.9E-324, 3.4028234663852886E38], got -1",
                error("{\"type\": \"huber\", \"delta\": -1}", "[]"));
        assertEquals("m.json: $.loss.fromLogit: unknown key; expected one of [fromLogits, type]",
                error("{\"type\": \"binary_crossentropy\", \"fromLogit\": true}", "[]"));
        assertEquals("m.json: $.loss.fromLogits: expected true or false, got \"yes\"",
                error("{\"type\": \"binary_crossentropy\", \"fromLogits\": \"yes\"}", "[]"));
        assertEquals("m.json: $.loss.delta: unknown key; expected one of [type]",
                error("{\"type\": \"mae\", \"delta\": 1}", "[]"));
        assertTrue(error("{\"type\": \"hinge\"}", "[]").startsWith("m.json: $.loss.type: unknown loss 'hinge'; expected"
                + " one of [mse, "), "an unknown type names the type key");
        assertEquals("m.json: $.loss: got 3; expected a loss name such as \"mse\" or an object such as "
                + "{\"type\": \"huber\", \"delta\": 2}", error("3", "[]"));
        assertEquals("m.json: $.metrics[0]: metric top_k_categorical_accuracy takes one target per output, but loss "
                + "sparse_categorical_crossentropy takes class indices; use sparse_top_k_categorical_accuracy",
                error("\"sparse_categorical_crossentropy\"", "[\"top_k_categorical_accuracy\"]"));
        assertEquals("m.json: $.metrics[1]: metric 'acc' is given twice",
                error("\"categorical_crossentropy\"", "[\"accuracy\", \"acc\"]"));
        assertTrue(error("\"mse\"", "[\"f1\"]").startsWith("m.json: $.metrics[0]: unknown metric 'f1'; expected one of"));
    }

    @Test
    void theJavaApiResolvesAsKeras() {
        assertEquals(new Huber(), Loss.of("huber"));
        assertEquals(new CategoricalCrossentropy(), Loss.of("categorical_crossentropy"));
        assertEquals("huber: delta must be a finite number > 0, got 0.0",
                assertThrows(IllegalArgumentException.class, () -> new Huber(0)).getMessage());
        assertEquals(new Metric("accuracy", Metric.Kind.BINARY_ACCURACY, 0f), Metric.of("acc", new BinaryCrossentropy(true)),
                "from logits, binary accuracy thresholds at 0");
        assertEquals(0.5f, Metric.of("binary_accuracy", new MSE()).param());
        assertEquals(Metric.Kind.CATEGORICAL_ACCURACY, Metric.of("accuracy", new CategoricalCrossentropy()).kind());
        assertEquals(5f, Metric.of("top_k_categorical_accuracy", new CategoricalCrossentropy()).param());
    }

    @Test
    void settingsSurviveSaveAndLoad() throws IOException {
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            m.add(new Dense(2)).compile(new Adam(), new BinaryCrossentropy(true), "accuracy", "mae").build(3);
            m.save(dir);
            assertTrue(Files.readString(dir.resolve(SavedModel.CONFIG)).contains("\"fromLogits\" : true"));
            try (Sequential b = Sequential.load(dir, TestBackends.java())) {
                assertEquals(new BinaryCrossentropy(true), b.loss());
                assertEquals(m.metrics(), b.metrics());
            }
        }
        Path sparse = dir.resolve("sparse");
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            m.add(new Dense(2, "softmax")).compile(new Adam(), new SoftmaxCrossEntropy(false), "accuracy").build(3);
            m.save(sparse);
            assertTrue(Files.readString(sparse.resolve(SavedModel.CONFIG)).contains("\"fromLogits\" : false"));
            try (Sequential b = Sequential.load(sparse, TestBackends.java())) {
                assertEquals(new SoftmaxCrossEntropy(false), b.loss());
            }
        }
        Path huber = dir.resolve("huber");
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            m.add(new Dense(2)).compile(new Adam(), new Huber(2.5)).build(3);
            m.save(huber);
            try (Sequential b = Sequential.load(huber, TestBackends.java())) {
                assertEquals(new Huber(2.5), b.loss());
            }
        }
    }
}

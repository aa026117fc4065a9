package dev.clgrad.io;

import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Layer;
import dev.clgrad.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The config of the pooling, batch-normalisation and spatial-dropout layers: Keras's defaults when
 * keys are absent, every setting read and written back unchanged through model.json, and bad
 * values reported with the file and the JSON path.
 */
class ImageLayerConfigTest {
    private static final String DATA = "\"data\": {\"type\": \"random-normal\", \"train\": 10, \"features\": 48}";

    @TempDir
    Path dir;

    private static ModelConfig parse(String layers) throws ConfigException {
        return ModelConfig.parse("{\"layers\": [" + layers + "], \"loss\": \"mse\", " + DATA + "}", "m.json",
                Path.of("."));
    }

    private static String error(String layers) {
        return assertThrows(ConfigException.class, () -> parse(layers).layers().forEach(ModelConfig.LayerSpec::create))
                .getMessage();
    }

    private static List<Map<String, Object>> configs(List<Layer> layers) {
        return layers.stream().map(Layer::config).toList();
    }

    @Test
    void defaultsAreKeras() throws IOException {
        List<Layer> layers = parse("{\"type\": \"max_pooling2d\"}, {\"type\": \"average_pooling2d\", \"poolSize\": 3},"
                + "{\"type\": \"global_average_pooling2d\"}, {\"type\": \"batch_normalization\"},"
                + "{\"type\": \"spatial_dropout2d\", \"rate\": 0.25}").layers().stream()
                .map(ModelConfig.LayerSpec::create).toList();
        assertEquals(List.of(
                        Map.of("poolSize", List.of(2, 2), "strides", List.of(2, 2), "padding", "valid"),
                        Map.of("poolSize", List.of(3, 3), "strides", List.of(3, 3), "padding", "valid"),
                        Map.of(),
                        Map.of("momentum", 0.99, "epsilon", 0.001, "center", true, "scale", true),
                        Map.of("rate", 0.25)),
                configs(layers).stream().map(ImageLayerConfigTest::lists).toList());
    }

    /** int[] entries as lists, so that maps compare by value. */
    private static Map<String, Object> lists(Map<String, Object> config) {
        Map<String, Object> out = new LinkedHashMap<>();
        config.forEach((k, v) -> out.put(k, v instanceof int[] a ? Arrays.stream(a).boxed().toList() : v));
        return out;
    }

    @Test
    void everySettingRoundTripsThroughModelJson() throws IOException {
        String layers = "{\"type\": \"batch_normalization\", \"momentum\": 0.9, \"epsilon\": 1e-5, \"center\": false,"
                + " \"scale\": true},"
                + "{\"type\": \"max_pooling2d\", \"poolSize\": [3, 2], \"strides\": [1, 2], \"padding\": \"same\"},"
                + "{\"type\": \"spatial_dropout2d\", \"rate\": 0.3},"
                + "{\"type\": \"average_pooling2d\", \"poolSize\": 2, \"strides\": 1, \"padding\": \"same\"},"
                + "{\"type\": \"global_average_pooling2d\"}, {\"type\": \"dense\", \"units\": 2}";
        ModelConfig config = parse(layers);
        List<Map<String, Object>> written;
        try (Sequential model = Sequential.fromConfig(config, TestBackends.java())) {
            model.build(Shape.of(4, 4, 3));
            written = configs(model.layers()).stream().map(ImageLayerConfigTest::lists).toList();
            model.save(dir);
        }
        assertEquals(Map.of("momentum", 0.9, "epsilon", 1e-5, "center", false, "scale", true), written.get(0));
        assertEquals(Map.of("poolSize", List.of(3, 2), "strides", List.of(1, 2), "padding", "same"), written.get(1));
        SavedModel.Description d = SavedModel.read(dir);
        assertEquals(written, configs(d.layers()).stream().map(ImageLayerConfigTest::lists).toList());
        assertEquals(List.of("batch_normalization", "max_pooling2d", "spatial_dropout2d", "average_pooling2d",
                "global_average_pooling2d", "dense"), d.layers().stream().map(Layer::configType).toList());
    }

    @Test
    void badValuesNameTheFileAndPath() {
        assertEquals("m.json: $.layers[0].poolSize: expected an integer in [1, 65536], got 0",
                error("{\"type\": \"max_pooling2d\", \"poolSize\": 0}"));
        assertEquals("m.json: $.layers[0].strides: expected an integer or an array of two integers in [1, 65536], "
                + "got [1,2,3]", error("{\"type\": \"average_pooling2d\", \"strides\": [1, 2, 3]}"));
        assertEquals("m.json: $.layers[0].padding: expected \"valid\" or \"same\", got \"full\"",
                error("{\"type\": \"max_pooling2d\", \"padding\": \"full\"}"));
        assertEquals("m.json: $.layers[0].pool: unknown key; expected one of [padding, poolSize, strides, type]",
                error("{\"type\": \"max_pooling2d\", \"pool\": 2}"));
        assertEquals("m.json: $.layers[0].momentum: expected a number in [0.0, 1.0], got 1.5",
                error("{\"type\": \"batch_normalization\", \"momentum\": 1.5}"));
        assertEquals("m.json: $.layers[0].epsilon: expected a positive number, got 0.0",
                error("{\"type\": \"batch_normalization\", \"epsilon\": 0}"));
        assertEquals("m.json: $.layers[0].center: expected true or false, got \"yes\"",
                error("{\"type\": \"batch_normalization\", \"center\": \"yes\"}"));
        assertEquals("m.json: $.layers[1].rate: expected a number in [0.0, 1.0), got 1",
                error("{\"type\": \"max_pooling2d\"}, {\"type\": \"spatial_dropout2d\", \"rate\": 1}"));
        assertEquals("m.json: $.layers[0].unknown: unknown key; expected one of [type]",
                error("{\"type\": \"global_average_pooling2d\", \"unknown\": 1}"));
    }
}

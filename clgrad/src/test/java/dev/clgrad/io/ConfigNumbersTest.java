package dev.clgrad.io;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 6: numbers in a JSON config are JSON numbers (no {@code 1f}, no hexadecimal), and a
 * value that reaches the device as a float32 must fit one: {@code 1e39} is an error naming the file,
 * the JSON path and the value, and so is a nonzero value that rounds to 0.
 */
class ConfigNumbersTest {
    private static String config(String lr) {
        return "{\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"mse\", \"optimizer\": {\"type\": \"sgd\","
                + " \"lr\": " + lr + "}, \"data\": {\"type\": \"random-normal\", \"train\": 4, \"features\": 2}}";
    }

    private static String error(String text) {
        return assertThrows(ConfigException.class, () -> ModelConfig.parse(text, "c.json", Path.of("."))).getMessage();
    }

    @Test
    void javaNumberSyntaxIsMalformedJson() {
        for (String bad : new String[]{"1f", "0x1p3", "0x10", "1d", "NaN", "Infinity"}) {
            String msg = error(config(bad));
            assertTrue(msg.startsWith("c.json:1:") && msg.contains("malformed JSON"), bad + ": " + msg);
        }
    }

    @Test
    void valuesFloat32CannotHoldAreErrors() {
        assertEquals("c.json: $.optimizer.lr: expected a number in [4.9E-324, 10.0], got 1.0E39", error(config("1e39")));
        assertEquals("c.json: $.optimizer.lr: got 1.0E-50, which float32 cannot hold (it rounds to 0; the smallest is "
                + "1.4E-45)", error(config("1e-50")));
        String eps = "{\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"mse\", \"optimizer\": {\"type\":"
                + " \"adam\", \"epsilon\": 1e-60}, \"data\": {\"type\": \"random-normal\", \"train\": 4, \"features\": 2}}";
        assertEquals("c.json: $.optimizer.epsilon: got 1.0E-60, which float32 cannot hold (it rounds to 0; the smallest "
                + "is 1.4E-45)", error(eps));
        assertEquals("c.json: $.layers[0].units: expected an integer in [1, 16777216], got 1.0E39",
                error(config("0.1").replace("\"units\": 1", "\"units\": 1e39")));
    }

    @Test
    void ordinaryNumbersStillParse() throws ConfigException {
        assertEquals(0.125, ModelConfig.parse(config("1.25e-1"), "c.json", Path.of(".")).optimizer().lr());
    }
}

package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code clgrad train} of a config whose last layer applies softmax: with
 * {@code sparse_categorical_crossentropy} from logits (its default) exit 2 and one line naming the
 * file, the layer and the fix; with {@code "fromLogits": false} it trains.
 */
class SecondSoftmaxTest {
    @TempDir
    Path dir;

    private Path config(String loss) throws IOException {
        StringBuilder csv = new StringBuilder();
        for (int r = 0; r < 24; r++) {
            csv.append(r % 3).append(',').append(r % 3 - 1).append(',').append((r * 7 % 5) / 5.0).append('\n');
        }
        Files.writeString(dir.resolve("d.csv"), csv);
        return Files.writeString(dir.resolve("softmax.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 8,"
                + " \"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}],"
                + " \"optimizer\": {\"type\": \"adam\", \"lr\": 0.05}, \"loss\": " + loss + ", \"metrics\": [\"accuracy\"],"
                + " \"epochs\": 3, \"batchSize\": 8, \"data\": {\"type\": \"csv\", \"train\": \"d.csv\"}}");
    }

    @Test
    void aSoftmaxBeforeSparseCrossentropyFromLogitsExitsTwoWithOneLine() throws IOException {
        Path cfg = config("\"sparse_categorical_crossentropy\"");
        CliRun r = CliRun.of("train", cfg.toString(), "--device", "java", "--json");
        r.assertOneLine(cfg + ": $.layers[1]: the last layer dense_2 applies softmax, but "
                + "sparse_categorical_crossentropy here takes logits (its default, unlike Keras): set \"fromLogits\": "
                + "false in the loss, or drop the softmax (from logits is the numerically stable form)");
    }

    @Test
    void fromProbabilitiesTrains() throws IOException {
        Path cfg = config("{\"type\": \"sparse_categorical_crossentropy\", \"fromLogits\": false}");
        CliRun r = CliRun.of("train", cfg.toString(), "--device", "java", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode loss = new ObjectMapper().readTree(r.out()).get("trainLoss");
        assertEquals(3, loss.size(), r.out());
        assertTrue(loss.get(2).asDouble() < loss.get(0).asDouble(), r.out());
    }
}

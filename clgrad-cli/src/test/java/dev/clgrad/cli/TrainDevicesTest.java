package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code clgrad train --devices}: data-parallel training reports one device's losses plus its exchange time. */
class TrainDevicesTest {
    @Test
    void twoReplicasReportTheLossesOfOneAndTheExchangeTime() throws IOException {
        CliRun one = CliRun.of("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "3", "--json");
        CliRun two = CliRun.of("train", "samples/seed-simplenet.json", "--devices", "java,java", "--epochs", "3",
                "--json");
        assertEquals(0, one.code(), one.err());
        assertEquals(0, two.code(), two.err());
        JsonNode a = new ObjectMapper().readTree(one.out());
        JsonNode b = new ObjectMapper().readTree(two.out());
        for (int e = 0; e < 3; e++) {
            double l = a.get("trainLoss").get(e).asDouble();
            assertEquals(l, b.get("trainLoss").get(e).asDouble(), 1e-5 * l, "epoch " + e + ": " + two.out());
        }
        assertEquals("java", b.get("device").asText());
        assertEquals(2, b.get("devices").size(), two.out());
        assertTrue(b.get("exchangeMsPerStep").asDouble() > 0, two.out());
        assertTrue(a.get("exchangeMsPerStep") == null, one.out());
    }

    @Test
    void deviceAndDevicesTogetherAreRefused() {
        CliRun r = CliRun.of("train", "samples/seed-simplenet.json", "--device", "java", "--devices", "java,java");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--device or --devices"), r.err());
    }
}

package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfileCommandTest {

    @Test
    void profilePrintsKernelStatisticsAsJsonAndWritesTheTrace(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("t.json");
        Object[] r = DevicesCommandTest.cli("profile", "samples/seed-simplenet.json", "--steps", "5", "--device", "java",
                "--trace", trace.toString(), "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode root = new ObjectMapper().readTree((String) r[1]);
        assertEquals(5, root.get("steps").asInt());
        assertTrue(root.get("kernels").size() > 5, root.toString());
        JsonNode top = root.get("kernels").get(0);
        for (String f : new String[] {"kernel", "calls", "totalMs", "meanUs", "minUs", "maxUs", "share", "gflops", "gbps",
            "meanLaunchUs"}) {
            assertTrue(top.has(f), f + " missing in " + top);
        }
        assertTrue(root.get("deviceMs").asDouble() <= root.get("wallMs").asDouble(), root.toString());
        assertTrue(new ObjectMapper().readTree(Files.readString(trace)).get("traceEvents").size() > 10);
    }

    @Test
    void trainWithProfilePrintsTheTableAndWritesTheTrace(@TempDir Path dir) {
        Path trace = dir.resolve("train-trace.json");
        Object[] r = DevicesCommandTest.cli("train", "samples/seed-simplenet.json", "--epochs", "1", "--device", "java",
                "--profile", trace.toString());
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("gemm") && ((String) r[1]).contains("GFLOP/s"), (String) r[1]);
        assertTrue(Files.isRegularFile(trace));
    }

    @Test
    void badStepsExitTwo() {
        Object[] r = DevicesCommandTest.cli("profile", "samples/seed-simplenet.json", "--steps", "0", "--device", "java");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("--steps must be >= 1"), (String) r[2]);
    }
}

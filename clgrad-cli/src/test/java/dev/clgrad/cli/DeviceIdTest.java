package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.backend.opencl.OpenClBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Issue 19, item 6: {@code kernels --json} and {@code profile --json} report the device id, as every other command does. */
class DeviceIdTest {

    static java.util.stream.Stream<String> devices() {
        return CliRun.devices();
    }

    @ParameterizedTest
    @MethodSource("devices")
    void profileJsonReportsTheDeviceId(String device, @TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("profile", "samples/seed-simplenet.json", "--steps", "2", "--device", device, "--json",
                "--trace", dir.resolve("t.json").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(device, j.get("device").asText());
        assertFalse(j.get("deviceName").asText().isEmpty(), j.toString());
    }

    @Test
    void kernelsJsonReportsTheDeviceId() throws Exception {
        assumeFalse(TestBackends.openCl().isEmpty(), "no OpenCL device");
        OpenClBackend cl = TestBackends.openCl().get(0);
        CliRun r = CliRun.of("kernels", "--device", cl.id(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(cl.id(), j.get("device").asText());
        assertEquals(cl.info().name(), j.get("deviceName").asText());
    }
}

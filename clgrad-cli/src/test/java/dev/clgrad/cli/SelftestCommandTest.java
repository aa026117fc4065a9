package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.selftest.Check;
import dev.clgrad.selftest.Conformance;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.clgrad.cli.DevicesCommandTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelftestCommandTest {

    /** Asserts the documented JSON shape and that every check passed; returns the root. */
    static JsonNode assertAllPassed(String device) throws Exception {
        Object[] r = cli("selftest", "--device", device, "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode root = new ObjectMapper().readTree((String) r[1]);
        assertEquals(device, root.get("device").asText());
        assertTrue(root.get("passed").isBoolean() && root.get("passed").asBoolean(), root.toString());
        List<Check> checks = Conformance.checks();
        JsonNode list = root.get("checks");
        assertEquals(checks.size(), list.size());
        for (int i = 0; i < checks.size(); i++) {
            JsonNode c = list.get(i);
            assertEquals(checks.get(i).name(), c.get("name").asText());
            assertTrue(c.get("maxRelError").isNumber() && c.get("tolerance").isNumber(), c.toString());
            assertTrue(c.get("passed").asBoolean(), c.toString());
            assertTrue(c.get("maxRelError").asDouble() <= c.get("tolerance").asDouble(), c.toString());
        }
        return root;
    }

    @Test
    void javaPassesEveryCheckAsJson() throws Exception {
        assertAllPassed("java");
    }

    @Test
    void theFirstOpenClDevicePassesEveryCheck() throws Exception {
        for (OpenClBackend cl : TestBackends.openCl().stream().limit(1).toList()) {
            assertAllPassed(cl.id());
        }
    }

    @Test
    void tablePrintsOneLinePerCheckThenASummary() {
        Object[] r = cli("selftest", "--device", "java");
        assertEquals(0, r[0], (String) r[2]);
        List<String> lines = ((String) r[1]).lines().toList();
        List<Check> checks = Conformance.checks();
        assertEquals(checks.size() + 1, lines.size());
        for (int i = 0; i < checks.size(); i++) {
            assertTrue(lines.get(i).startsWith("ok") && lines.get(i).contains(checks.get(i).name()), lines.get(i));
        }
        String summary = lines.get(checks.size());
        assertTrue(summary.startsWith("PASSED: " + checks.size() + " of " + checks.size()), summary);
    }

    @Test
    void anUnknownDeviceExitsTwo() {
        Object[] r = cli("selftest", "--device", "nope");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("'nope'"), (String) r[2]);
    }
}

package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.TestBackends;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DevicesCommandTest {

    /** Runs the CLI in-process and returns {exit code, stdout, stderr}. */
    static Object[] cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void jsonListsEveryOpenClDeviceAndJava() throws Exception {
        Object[] r = cli("devices", "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode root = new ObjectMapper().readTree((String) r[1]);
        List<String> ids = new ArrayList<>();
        for (JsonNode d : root.get("devices")) {
            ids.add(d.get("id").asText());
            for (String field : List.of("backend", "name", "vendor", "type", "version", "computeUnits", "globalMemBytes")) {
                assertTrue(d.has(field), field + " missing in " + d);
            }
        }
        assertTrue(ids.contains("java"), ids.toString());
        TestBackends.openCl().forEach(cl -> assertTrue(ids.contains(cl.id()), cl.id() + " missing in " + ids));
    }

    @Test
    void anUnknownDeviceExitsTwoWithTheListOfIds() {
        Object[] r = cli("devices", "--device", "nope");
        assertEquals(2, r[0]);
        String err = ((String) r[2]).trim();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("'nope'") && err.contains("java"), err);
    }
}

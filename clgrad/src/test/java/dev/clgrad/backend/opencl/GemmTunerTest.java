package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.MatMul;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tune gemm} on the first OpenCL device with a one-second budget (one validated candidate):
 * the tuning file is written, a backend opened afterwards compiles with its defines, and a damaged
 * file is ignored rather than fatal.
 */
class GemmTunerTest {
    @RegisterExtension
    final TemporaryCache cache = new TemporaryCache();

    @Test
    void theBestCandidateIsStoredAndUsedByTheNextBackend() throws IOException {
        OpenClBackend shared = TestBackends.openCl().get(0);
        List<String> progress = new ArrayList<>();
        ObjectNode conv = new ObjectMapper().createObjectNode();
        conv.put("device", shared.info().name()).put("driver", shared.info().driverVersion());
        conv.putObject("defines").put("CONV_VW", 8);
        conv.putObject("conv").put("training", "im2col");
        TuningFile.store(cache.dir(), conv);
        ObjectNode result;
        try (OpenClBackend cl = OpenClBackend.open(shared.id(), shared.binding())) {
            result = new GemmTuner(cl, 1.0, progress::add).run();
        }
        assertFalse(progress.isEmpty());
        Path file = TuningFile.path(cache.dir(), shared.info().name(), shared.info().driverVersion());
        assertTrue(Files.isRegularFile(file), "tuning file " + file);
        JsonNode stored = new ObjectMapper().readTree(file.toFile());
        assertEquals(8, stored.path("defines").path("CONV_VW").asInt(), "tune conv's defines are kept: " + stored);
        assertEquals("im2col", stored.path("conv").path("training").asText(), "and its choice");
        int mwg = result.get("defines").get("GEMM_MWG").asInt();
        try (OpenClBackend tuned = OpenClBackend.open(shared.id(), shared.binding());
             Tensor a = Tensor.of(tuned, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor b = Tensor.of(tuned, new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
             Tensor c = Tensor.empty(tuned, Shape.of(2, 2))) {
            assertEquals(mwg, tuned.define("GEMM_MWG", -1), "the tuned define is used");
            tuned.run(MatMul.of(false, false, 1f, a, b, 0f, c));
            assertEquals(List.of(4f, 5f, 10f, 11f), List.of(box(c.toArray())));
        }
        Files.writeString(file, "{ not json");
        try (OpenClBackend fallback = OpenClBackend.open(shared.id(), shared.binding())) {
            assertEquals(shared.define("GEMM_MWG", -1), fallback.define("GEMM_MWG", -1),
                    "a damaged tuning file falls back to the profile");
        }
    }

    private static Float[] box(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}

package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code clgrad bench conv} on every device: the three passes checked against float64 and timed,
 * one JSON object with each pass's median, GFLOP/s and error (the forward by im2col and by the
 * implicit GEMM); a pointwise kernel (no im2col); {@code --algorithm}; {@code tune conv} on Java; bad
 * arguments exit 2 with one line.
 */
class BenchConvCommandTest {

    @ParameterizedTest
    @MethodSource("dev.clgrad.cli.CliRun#devices")
    void timesThreeCheckedPasses(String device) throws Exception {
        for (String[] shape : List.of(new String[] {"3", "2", "same"}, new String[] {"1", "1", "valid"})) {
            CliRun r = CliRun.of("bench", "conv", "--device", device, "--batch", "3", "--h", "7", "--w", "6", "--cin", "2",
                    "--cout", "4", "--kernel", shape[0], "--stride", shape[1], "--padding", shape[2], "--repeats", "1",
                    "--warmup", "0", "--warmup-seconds", "0", "--json");
            assertEquals(0, r.code(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertEquals("conv", j.get("op").asText());
            int oh = shape[2].equals("same") ? 4 : 7;
            int ow = shape[2].equals("same") ? 3 : 6;
            assertEquals(oh, j.get("oh").asInt(), r.out());
            assertEquals(ow, j.get("ow").asInt(), r.out());
            int k = Integer.parseInt(shape[0]);
            assertEquals(2.0 * 3 * oh * ow * k * k * 2 * 4, j.get("flops").asDouble(), r.out());
            assertEquals("both", j.get("algorithm").asText());
            for (String pass : List.of("forward", "forwardImplicit", "backwardData", "backwardFilter")) {
                assertTrue(j.get(pass + "MedianMs").asDouble() > 0, r.out());
                assertTrue(j.get(pass + "Gflops").asDouble() > 0, r.out());
                assertTrue(j.get(pass + "MaxRelError").asDouble() < 1e-5, r.out());
            }
            assertTrue(j.get("maxRelError").asDouble() < 1e-5, r.out());
        }
    }

    /** {@code --algorithm implicit} times the implicit forward only, {@code im2col} the im2col one only. */
    @Test
    void theAlgorithmChoosesTheForward() throws Exception {
        for (String alg : List.of("implicit", "im2col")) {
            CliRun r = CliRun.of("bench", "conv", "--device", "java", "--batch", "2", "--h", "5", "--w", "5", "--cin", "3",
                    "--cout", "4", "--algorithm", alg, "--repeats", "1", "--warmup", "0", "--warmup-seconds", "0",
                    "--json");
            assertEquals(0, r.code(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertEquals(alg.equals("im2col"), j.has("forwardMedianMs"), r.out());
            assertEquals(alg.equals("implicit"), j.has("forwardImplicitMedianMs"), r.out());
            assertTrue(j.get("maxRelError").asDouble() < 1e-5, r.out());
        }
    }

    /** {@code tune conv} on the Java backend reports every shape's four timings and a choice per program kind. */
    @Test
    void tuneConvOnJavaReportsTheChoice() throws Exception {
        CliRun r = CliRun.of("tune", "conv", "--device", "java", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode conv = new ObjectMapper().readTree(r.out()).get("conv");
        assertEquals(4, conv.get("shapes").size(), r.out());
        conv.get("shapes").forEach(s -> assertTrue(s.get("implicitMs").asDouble() > 0 && s.get("gemmMs").asDouble() > 0,
                r.out()));
        assertTrue(List.of("im2col", "implicit").contains(conv.get("inference").asText()), r.out());
        assertTrue(List.of("im2col", "implicit").contains(conv.get("training").asText()), r.out());
    }

    @Test
    void badArgumentsExitTwo() {
        CliRun.of("bench", "conv", "--device", "java", "--algorithm", "winograd").assertOneLine(
                "bench conv: --algorithm must be im2col, implicit or both, got \"winograd\"");
        CliRun.of("bench", "conv", "--device", "java", "--h", "2", "--kernel", "3").assertOneLine(
                "bench conv: window: the kernel 3x3 is larger than the input 2x28 with padding \"valid\"; use padding "
                        + "\"same\" or a smaller kernel");
        CliRun.of("bench", "conv", "--device", "java", "--padding", "full").assertOneLine(
                "bench conv: window: padding must be \"valid\" or \"same\", got \"full\"");
        CliRun.of("bench", "conv", "--device", "java", "--cout", "0").assertOneLine("bench: --cout must be >= 1, got 0");
    }
}

package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code clgrad explain} on the Java backend: the plan of the seed example and of the Fashion-MNIST
 * MLP (the latter skipped outside CI where Debian's dataset-fashion-mnist is not installed; under
 * CI=true a missing data set fails), as text and as JSON.
 */
class ExplainCommandTest {
    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
    private static final Pattern LAUNCH = Pattern.compile("^ {0,2}\\d+  \\S", Pattern.MULTILINE);
    private static final Pattern PEAK = Pattern.compile("^peak workspace: .* \\(([0-9,]+) bytes\\) in one arena; "
            + "per-layer y/dX buffers would take .* \\(([0-9,]+) bytes\\)$", Pattern.MULTILINE);

    @Test
    void seedPlanIsFiveLaunches() {
        Object[] r = DevicesCommandTest.cli("explain", "samples/seed-simplenet.json", "--device", "java");
        assertEquals(0, r[0], (String) r[2]);
        String out = (String) r[1];
        assertTrue(out.startsWith("training step, batch 32 on java: 5 fused ops, 9 kernel launches after the batch upload"), out);
        assertEquals(5, launchLines(out), out);
        assertTrue(out.contains("mseDenseBackward (4 ops)"), out);
        assertTrue(out.contains("fuses mseForwardBackward + matmul + columnSum + matmul + dropout + reluBackward;"), out);
        long[] peak = peak(out);
        assertTrue(peak[0] > 0 && peak[0] < peak[1], "peak " + peak[0] + " vs per-layer " + peak[1] + ":\n" + out);
    }

    @Test
    void seedPlanAsJson() throws Exception {
        Object[] r = DevicesCommandTest.cli("explain", "samples/seed-simplenet.json", "--device", "java", "--batch", "7",
                "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode root = new ObjectMapper().readTree((String) r[1]);
        assertEquals("java", root.get("device").asText());
        assertEquals(7, root.get("batch").asInt());
        JsonNode launches = root.get("launches");
        assertEquals(5, launches.size(), root.toPrettyString());
        List<String> names = new ArrayList<>();
        launches.forEach(l -> names.add(l.get("name").asText()));
        assertEquals(List.of("matmul", "matmul", "mseDenseBackward", "denseWeightGrads", "adamStep"), names);
        JsonNode first = launches.get(0);
        assertEquals("matmul NN [+bias relu dropout(0.5)]", first.get("op").asText());
        assertEquals(List.of("dense_1.forward", "dropout_1.forward"), strings(first.get("layers")));
        assertEquals(List.of("matmul", "biasRelu", "dropout"), strings(first.get("fuses")));
        assertTrue(first.get("oneLaunch").asBoolean(), "the Java backend fuses every epilogue");
        JsonNode loss = launches.get(2);
        assertFalse(loss.get("oneLaunch").asBoolean(), "the Java backend runs a composite as its parts");
        assertEquals(4, loss.get("kernels").size(), loss.toString());
        assertTrue(loss.get("buffers").asText().contains("-> lossSum[7] (1,), dPred (7, 1)"), loss.toString());
        assertEquals(1 + 1 + 4 + 2 + 1, root.get("kernelLaunches").asInt());
        long peak = root.get("peakWorkspaceBytes").asLong();
        long perLayer = root.get("perLayerBytes").asLong();
        assertEquals(7L * (20 + 10 + 10 + 10 + 10 + 1 + 1) * Float.BYTES, perLayer);
        assertTrue(peak > 0 && peak < perLayer, "peak " + peak + " vs per-layer " + perLayer);
    }

    @Test
    void fashionMnistMlpPlan() throws Exception {
        boolean present = Files.isDirectory(FASHION);
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("CI=true but Fashion-MNIST is not installed at " + FASHION + " (apt-get install dataset-fashion-mnist)");
        }
        assumeTrue(present, "Fashion-MNIST not installed at " + FASHION);
        Object[] r = DevicesCommandTest.cli("explain", "samples/fashion-mnist-mlp.json", "--device", "java");
        assertEquals(0, r[0], (String) r[2]);
        String out = (String) r[1];
        assertTrue(out.startsWith("training step, batch 128 on java: 9 fused ops, 14 kernel launches after the batch upload"), out);
        assertEquals(9, launchLines(out), out);
        long[] peak = peak(out);
        // Before the planner each Dense and Dropout had its own y and dX, and the loss its dPred.
        long before = 128L * ((784 + 512) + 2 * (512 + 512) + (512 + 512) + (512 + 10) + 10) * Float.BYTES;
        assertTrue(peak[0] > 0 && peak[0] < before && peak[0] < peak[1], "peak " + peak[0] + " vs per-layer "
                + peak[1] + " (" + before + " without a flatten layer):\n" + out);

        Object[] j = DevicesCommandTest.cli("explain", "samples/fashion-mnist-mlp.json", "--device", "java", "--json");
        assertEquals(0, j[0], (String) j[2]);
        JsonNode root = new ObjectMapper().readTree((String) j[1]);
        assertEquals(9, root.get("launches").size(), root.toPrettyString());
        assertEquals(peak[0], root.get("peakWorkspaceBytes").asLong(), "text and JSON give the same peak");
        assertEquals(peak[1], root.get("perLayerBytes").asLong());
    }

    @Test
    void badBatchExitsTwo() {
        Object[] r = DevicesCommandTest.cli("explain", "samples/seed-simplenet.json", "--device", "java", "--batch", "0");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("--batch must be >= 1"), (String) r[2]);
    }

    private static int launchLines(String out) {
        Matcher m = LAUNCH.matcher(out);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** {peak workspace bytes, per-layer bytes} from the peak line. */
    private static long[] peak(String out) {
        Matcher m = PEAK.matcher(out);
        assertTrue(m.find(), "no peak workspace line in:\n" + out);
        return new long[] {Long.parseLong(m.group(1).replace(",", "")), Long.parseLong(m.group(2).replace(",", ""))};
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

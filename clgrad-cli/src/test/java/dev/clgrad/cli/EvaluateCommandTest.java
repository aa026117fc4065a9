package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.data.HostArray;
import dev.clgrad.data.NpyReader;
import dev.clgrad.data.NpyWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code clgrad evaluate} and {@code clgrad predict} on the user's own files: the config's test
 * set, the same rows as a labelled CSV, as CSV or .npy inputs with .npy targets, give the same
 * loss and accuracy as {@code train}; predictions written as CSV, .npy (read back by
 * {@link NpyReader}) and JSON agree; bad arguments exit 2 with one line.
 */
class EvaluateCommandTest {
    @TempDir
    Path dir;
    Path cfg;
    Path weights;
    float[][] testX = new float[60][2];
    float[] testY = new float[60];
    JsonNode trained;

    @BeforeEach
    void train() throws IOException {
        StringBuilder train = new StringBuilder();
        StringBuilder test = new StringBuilder();
        StringBuilder inputs = new StringBuilder("a,b\n");
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 300; i++) {
            int label = r.nextInt(3);
            float a = (float) (label + r.nextGaussian() * 0.7);
            float b = (float) (r.nextGaussian() - label);
            String row = label + "," + a + "," + b + "\n";
            (i < 240 ? train : test).append(row);
            if (i >= 240) {
                testX[i - 240] = new float[] {a, b};
                testY[i - 240] = label;
                inputs.append(a).append(',').append(b).append('\n');
            }
        }
        Files.writeString(dir.resolve("train.csv"), train);
        Files.writeString(dir.resolve("test.csv"), test);
        Files.writeString(dir.resolve("inputs.csv"), inputs);
        cfg = Files.writeString(dir.resolve("m.json"), "{\"seed\": 3, \"layers\": [{\"type\": \"dense\", \"units\": 8,"
                + " \"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 3}], \"loss\": "
                + "\"sparse_categorical_crossentropy\", \"metrics\": [\"accuracy\", \"sparse_top_k_categorical_accuracy\"],"
                + " \"epochs\": 5, \"batchSize\": 16, \"data\": {\"type\": \"csv\", \"train\": \"train.csv\", \"test\": \"test.csv\"}}");
        weights = dir.resolve("w.safetensors");
        CliRun t = CliRun.of("train", cfg.toString(), "--device", "java", "--save", weights.toString(), "--json");
        assertEquals(0, t.code(), t.err());
        trained = new ObjectMapper().readTree(t.out());
    }

    private JsonNode json(String... args) throws IOException {
        CliRun r = CliRun.of(args);
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void evaluatesTheTestSetAndTheSameRowsFromCsvAndNpy() throws IOException {
        JsonNode e = json("evaluate", cfg.toString(), "--weights", weights.toString(), "--device", "java", "--json");
        assertEquals(60, e.get("rows").asInt());
        assertEquals("java", e.get("device").asText());
        assertEquals(trained.get("testLoss").asDouble(), e.get("loss").asDouble(), 1e-5);
        assertEquals(trained.get("testAccuracy").asDouble(), e.get("accuracy").asDouble(), 1e-9);
        assertEquals(trained.get("testSparseTopKCategoricalAccuracy").asDouble(),
                e.get("sparse_top_k_categorical_accuracy").asDouble(), 1e-9);
        JsonNode csv = json("evaluate", cfg.toString(), "--weights", weights.toString(), "--input",
                dir.resolve("test.csv").toString(), "--device", "java", "--batch", "7", "--json");
        assertEquals(e.get("loss").asDouble(), csv.get("loss").asDouble(), 1e-5);
        assertEquals(e.get("accuracy").asDouble(), csv.get("accuracy").asDouble(), 1e-9);
        Path x = dir.resolve("x.npy");
        Path y = dir.resolve("y.npy");
        NpyWriter.write(x, new HostArray(new int[] {60, 2}, flat(testX)));
        NpyWriter.write(y, new HostArray(new int[] {60}, testY));
        JsonNode npy = json("evaluate", cfg.toString(), "--weights", weights.toString(), "--input", x.toString(),
                "--targets", y.toString(), "--device", "java", "--json");
        assertEquals(e.get("loss").asDouble(), npy.get("loss").asDouble(), 1e-5);
        JsonNode mixed = json("evaluate", cfg.toString(), "--weights", weights.toString(), "--input",
                dir.resolve("inputs.csv").toString(), "--header", "--targets", y.toString(), "--device", "java", "--json");
        assertEquals(e.get("accuracy").asDouble(), mixed.get("accuracy").asDouble(), 1e-9);
        CliRun text = CliRun.of("evaluate", cfg.toString(), "--weights", weights.toString(), "--device", "java");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith("evaluated 60 rows on java\nloss: "), text.out());
        assertTrue(text.out().contains("\naccuracy: "), text.out());
    }

    @Test
    void predictsCsvAndNpyInputsIntoCsvNpyAndJson() throws IOException {
        Path outCsv = dir.resolve("p.csv");
        Path outNpy = dir.resolve("p.npy");
        Path outJson = dir.resolve("p.json");
        json("predict", cfg.toString(), "--weights", weights.toString(), "--input", dir.resolve("inputs.csv").toString(),
                "--header", "--out", outCsv.toString(), "--device", "java", "--json");
        Path x = dir.resolve("x.npy");
        NpyWriter.write(x, new HostArray(new int[] {60, 2}, flat(testX)));
        JsonNode s = json("predict", cfg.toString(), "--weights", weights.toString(), "--input", x.toString(),
                "--out", outNpy.toString(), "--device", "java", "--json");
        assertTrue(s.get("accuracy").isNull(), "an input file has no labels: " + s);
        json("predict", cfg.toString(), "--weights", weights.toString(), "--input", x.toString(),
                "--out", outJson.toString(), "--device", "java", "--json");

        List<String> lines = Files.readAllLines(outCsv);
        assertEquals(61, lines.size());
        assertEquals("row,predicted,mean_0,mean_1,mean_2", lines.get(0));
        HostArray npy = NpyReader.read(outNpy);
        assertArrayEquals(new int[] {60, 3}, npy.shape());
        JsonNode j = new ObjectMapper().readTree(outJson.toFile());
        assertEquals(60, j.get("rows").asInt());
        assertEquals(3, j.get("outputs").asInt());
        int correct = 0;
        for (int r = 0; r < 60; r++) {
            String[] f = lines.get(r + 1).split(",");
            for (int k = 0; k < 3; k++) {
                float v = npy.data()[r * 3 + k];
                assertEquals(Float.parseFloat(f[2 + k]), v, 0f, "row " + r);
                assertEquals(v, (float) j.get("mean").get(r).get(k).asDouble(), 0f, "row " + r);
            }
            assertEquals(Integer.parseInt(f[1]), j.get("predicted").get(r).asInt());
            correct += Integer.parseInt(f[1]) == (int) testY[r] ? 1 : 0;
        }
        assertEquals(trained.get("testAccuracy").asDouble(), correct / 60.0, 1e-9, "the predictions train evaluated");

        Path mc = dir.resolve("mc.npy");
        json("predict", cfg.toString(), "--weights", weights.toString(), "--input", x.toString(), "--mc", "3",
                "--out", mc.toString(), "--device", "java", "--json");
        assertArrayEquals(new int[] {2, 60, 3}, NpyReader.read(mc).shape(), "means and stds");
    }

    @Test
    void npyWriterMatchesNumpysLayout() throws IOException {
        byte[] b = NpyWriter.encode(new HostArray(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        assertEquals(0, (10 + (b[8] & 0xff) + ((b[9] & 0xff) << 8)) % 64, "data aligned to 64 bytes");
        String header = new String(b, 10, (b[8] & 0xff), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertTrue(header.endsWith("\n"), header);
        Path one = dir.resolve("one.npy");
        NpyWriter.write(one, new HostArray(new int[] {4}, new float[] {1, -2, Float.NaN, 3.5f}));
        HostArray back = NpyReader.read(one);
        assertArrayEquals(new int[] {4}, back.shape());
        assertArrayEquals(new float[] {1, -2, Float.NaN, 3.5f}, back.data());
    }

    @Test
    void badArgumentsExitTwoWithOneLine() throws IOException {
        String c = cfg.toString();
        String w = weights.toString();
        CliRun.of("evaluate", c, "--weights", w, "--input", dir.resolve("x.txt").toString())
                .assertOneLine("evaluate: --input " + dir.resolve("x.txt") + ": expected a .csv or .npy file");
        CliRun.of("predict", c, "--weights", w, "--out", dir.resolve("p.xlsx").toString())
                .assertOneLine("predict: --out " + dir.resolve("p.xlsx") + ": expected a .csv, .npy or .json file name");
        Path x = dir.resolve("x.npy");
        NpyWriter.write(x, new HostArray(new int[] {60, 2}, flat(testX)));
        CliRun.of("evaluate", c, "--weights", w, "--input", x.toString())
                .assertOneLine("evaluate: --input " + x + " holds the inputs only; give their targets with --targets "
                        + "FILE.npy|FILE.csv");
        CliRun.of("evaluate", c, "--weights", w, "--label-column", "1")
                .assertOneLine("evaluate: --label-column applies to an --input file; none was given");
        Path wide = Files.writeString(dir.resolve("wide.csv"), "1,2,3,4\n");
        CliRun r = CliRun.of("predict", c, "--weights", w, "--input", wide.toString(), "--device", "java");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(wide.toString()) || r.err().contains(weights.toString()), r.err());
    }

    private static float[] flat(float[][] a) {
        float[] out = new float[a.length * a[0].length];
        for (int r = 0; r < a.length; r++) {
            System.arraycopy(a[r], 0, out, r * a[0].length, a[0].length);
        }
        return out;
    }
}

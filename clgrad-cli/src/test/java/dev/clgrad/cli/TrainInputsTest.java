package dev.clgrad.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 19, item 2 (inputs) and item 6 (messages): {@code clgrad train} checks every data set
 * against the built model before the first step, and names the file and the 1-based line or row.
 */
class TrainInputsTest {
    @TempDir
    Path dir;

    static java.util.stream.Stream<String> devices() {
        return CliRun.devices();
    }

    /** The case: a 14×14 test set beside a 28×28 training set (here 4×4 and 2×2) fails before training. */
    @ParameterizedTest
    @MethodSource("devices")
    void aTestSetOfAnotherWidthIsRefusedBeforeTheFirstStep(String device) throws IOException {
        Path train = CliRun.idx(dir.resolve("train-images"), 256, 8, 4, 4);
        Path trainLabels = CliRun.idx(dir.resolve("train-labels"), 3, 8);
        Path test = CliRun.idx(dir.resolve("t10k-images"), 256, 3, 2, 2);
        Path testLabels = CliRun.idx(dir.resolve("t10k-labels"), 3, 3);
        Path save = dir.resolve("w.safetensors");
        CliRun r = CliRun.of("train", CliRun.idxConfig(dir, 3).toString(), "--device", device, "--save", save.toString());
        r.assertRefusedBeforeTraining("train: the test set " + test + " and " + testLabels + " has 4 input values per "
                + "row (2×2) but the model takes 16 (4×4), as the training set " + train + " and " + trainLabels
                + " has");
    }

    @ParameterizedTest
    @MethodSource("devices")
    void aTestLabelOutOfRangeNamesItsFileAndRow(String device) throws IOException {
        CliRun.idx(dir.resolve("train-images"), 256, 8, 4, 4);
        CliRun.idx(dir.resolve("train-labels"), 3, 8);
        CliRun.idx(dir.resolve("t10k-images"), 256, 5, 4, 4);
        Path testLabels = CliRun.idx(dir.resolve("t10k-labels"), 5, 5); // labels 0..4, the model has 3 classes
        CliRun r = CliRun.of("train", CliRun.idxConfig(dir, 3).toString(), "--device", device);
        r.assertRefusedBeforeTraining(testLabels + ": row 4: label 3.0 is not a class index in [0, 3) (the model has 3 "
                + "outputs)");
    }

    private Path csvConfig(String train, String test) throws IOException {
        Files.writeString(dir.resolve("train.csv"), train);
        if (test != null) {
            Files.writeString(dir.resolve("test.csv"), test);
        }
        return Files.writeString(dir.resolve("csv.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 2}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"epochs\": 2, \"data\": {\"type\": \"csv\","
                + " \"header\": true, \"train\": \"train.csv\"" + (test == null ? "" : ", \"test\": \"test.csv\"") + "}}");
    }

    /** Line numbers are the file's (1-based, counting the header and blank lines), and the file is named. */
    @Test
    void csvLabelErrorsNameTheFileAndItsLine() throws IOException {
        Path cfg = csvConfig("y,a,b\n0,1,2\n\n1,3,4\n", "y,a,b\n1,1,1\n\n2,0,0\n");
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertRefusedBeforeTraining(dir.resolve("test.csv") + ":4: column 1: label 2.0 is not a class index in "
                        + "[0, 2) (the model has 2 outputs)");
        cfg = csvConfig("y,a,b\n0,1,2\n1.5,3,4\n", null);
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertRefusedBeforeTraining(dir.resolve("train.csv") + ":3: column 1: label 1.5 is not a class index "
                        + "in [0, 2) (the model has 2 outputs)");
    }

    @Test
    void aTestCsvOfAnotherWidthIsRefused() throws IOException {
        Path cfg = csvConfig("y,a,b\n0,1,2\n1,3,4\n", "y,a\n1,1\n");
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertRefusedBeforeTraining("train: the test set " + dir.resolve("test.csv") + " has 1 input values "
                        + "per row but the model takes 2, as the training set " + dir.resolve("train.csv") + " has");
    }

    /**
     * A validation set (Keras's validation_data) is checked against the model before the first step like the
     * test set, and its loss is reported per epoch.
     */
    @Test
    void aValidationSetIsCheckedBeforeTrainingAndItsLossReported() throws IOException {
        Files.writeString(dir.resolve("train.csv"), "y,a,b\n0,1,2\n1,3,4\n");
        Path val = Files.writeString(dir.resolve("val.csv"), "y,a\n1,1\n");
        Path cfg = Files.writeString(dir.resolve("v.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 2}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"epochs\": 2, \"data\": {\"type\": \"csv\","
                + " \"header\": true, \"train\": \"train.csv\", \"validation\": \"val.csv\"}}");
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertRefusedBeforeTraining("train: the validation set " + val + " has 1 input values per row but the "
                        + "model takes 2, as the training set " + dir.resolve("train.csv") + " has");
        Files.writeString(val, "y,a,b\n1,1,1\n0,2,2\n");
        CliRun r = CliRun.of("train", cfg.toString(), "--device", "java", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("valLoss").size(), r.out());
    }

    /** {@code --check-finite} covers the test set too, and names the file, the line and the CSV column. */
    @Test
    void checkFiniteNamesTheFileLineAndColumn() throws IOException {
        Path cfg = csvConfig("y,a,b\n0,1,2\n1,3,4\n", "y,a,b\n1,1,1\n0,inf,0\n");
        CliRun.of("train", cfg.toString(), "--device", "java", "--check-finite")
                .assertRefusedBeforeTraining(dir.resolve("test.csv") + ":3: column 2: Infinity (--check-finite rejects "
                        + "NaN and infinity)");
    }

    /** .npy inputs: rows are 1-based and the file is the one that holds the value. */
    @Test
    void npyRowsAreOneBasedAndNameTheFile() throws IOException {
        Path x = npy(dir.resolve("x.npy"), new float[]{1, 2, 3, 4, 5, 6}, 3, 2);
        npy(dir.resolve("y.npy"), new float[]{0, 1, 7}, 3);
        Path cfg = Files.writeString(dir.resolve("npy.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 2}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"data\": {\"type\": \"npy\", \"xTrain\": \"x.npy\","
                + " \"yTrain\": \"y.npy\"}}");
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertRefusedBeforeTraining(dir.resolve("y.npy") + ": row 3: label 7.0 is not a class index in [0, 2) "
                        + "(the model has 2 outputs)");
        npy(dir.resolve("y.npy"), new float[]{0, 1}, 2);
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertRefusedBeforeTraining(x + " has 3 rows but " + dir.resolve("y.npy") + " has 2; inputs and targets "
                        + "must pair up row by row");
    }

    /**
     * Found by TrainFuzzTest: a model built for the training set's samples of shape (3, 1) refused
     * a flat test set of 3 values per row only after training; now before it. An .npy with no rows
     * or no values per row names its file.
     */
    @Test
    void aTestSetOfAnotherSampleShapeOrAnEmptyFileIsRefusedBeforeTraining() throws IOException {
        Path x = npy(dir.resolve("x.npy"), new float[]{1, 2, 3, 4, 5, 6}, 2, 3, 1);
        Path y = npy(dir.resolve("y.npy"), new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Path xt = npy(dir.resolve("xt.npy"), new float[]{1, 2, 3}, 1, 3);
        Path yt = npy(dir.resolve("yt.npy"), new float[]{1, 2, 3}, 1, 3);
        Path cfg = Files.writeString(dir.resolve("npy.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
                + " \"loss\": \"mse\", \"data\": {\"type\": \"npy\", \"xTrain\": \"x.npy\", \"yTrain\": \"y.npy\","
                + " \"xTest\": \"xt.npy\", \"yTest\": \"yt.npy\"}}");
        CliRun.of("train", cfg.toString(), "--device", "java").assertRefusedBeforeTraining("train: the test set " + xt
                + " and " + yt + " has samples of shape (3,) but the model takes (3, 1), as the training set " + x + " and "
                + y + " has");
        npy(xt, new float[0], 0, 3);
        CliRun.of("train", cfg.toString(), "--device", "java").assertRefusedBeforeTraining(xt + ": shape [0, 3] holds "
                + "no rows; a data set needs at least one of each");
        npy(y, new float[0], 2, 0);
        CliRun.of("train", cfg.toString(), "--device", "java").assertRefusedBeforeTraining(y + ": shape [2, 0] holds "
                + "no values per row; a data set needs at least one of each");
    }

    private static Path npy(Path file, float[] data, int... shape) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int d : shape) {
            s.append(d).append(", ");
        }
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + s.toString().strip() + "), }";
        int total = 10 + header.length() + 1;
        header = header + " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (float f : data) {
            b.putFloat(f);
        }
        return Files.write(file, b.array());
    }

    /** Issue 19, item 6: {@code train DIR} says what was expected. */
    @Test
    void aFolderAsTheConfigSaysAConfigFileWasExpected() {
        CliRun.of("train", dir.toString(), "--device", "java").assertOneLine("train: " + dir + " is a folder; expected "
                + "a model config JSON file (such as samples/seed-simplenet.json)");
        CliRun.of("profile", dir.toString(), "--device", "java").assertOneLine("profile: " + dir + " is a folder; "
                + "expected a model config JSON file (such as samples/seed-simplenet.json)");
    }

    /** Issue 19, item 6: a CSV saved with a byte-order mark (Excel's UTF-8 CSV) trains. */
    @Test
    void aCsvWithAByteOrderMarkTrains() throws IOException {
        Path cfg = csvConfig("\uFEFFy,a,b\n0,1,2\n1,3,4\n", null);
        CliRun r = CliRun.of("train", cfg.toString(), "--device", "java", "--json");
        assertEquals(0, r.code(), r.err());
        Files.writeString(dir.resolve("csv.json"), Files.readString(cfg).replace("\"header\": true", "\"header\": false"));
        Files.writeString(dir.resolve("train.csv"), "\uFEFF0,1,2\n1,3,4\n");
        r = CliRun.of("train", cfg.toString(), "--device", "java", "--json");
        assertEquals(0, r.code(), r.err());
    }

    /** Issue 19, item 6: Java's number extras are not CSV numbers; a float32 overflow is an error with the value. */
    @Test
    void csvNumbersAreDecimalAndFitFloat32() throws IOException {
        Path cfg = csvConfig("y,a,b\n0,1,2\n1,1f,4\n", null);
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertOneLine(dir.resolve("train.csv") + ":3: column 2: '1f' is not a number");
        csvConfig("y,a,b\n0,0x1p3,2\n", null);
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertOneLine(dir.resolve("train.csv") + ":2: column 2: '0x1p3' is not a number");
        csvConfig("y,a,b\n0,1,2\n1,3,1e39\n", null);
        CliRun.of("train", cfg.toString(), "--device", "java")
                .assertOneLine(dir.resolve("train.csv") + ":3: column 3: 1e39 is beyond the float32 range (largest "
                        + "3.4028235E38); write inf for infinity");
    }
}

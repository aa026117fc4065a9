package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.data.HostArray;
import dev.clgrad.io.Safetensors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, "must show": whole training runs through {@code clgrad train}, on every device, with a
 * random small config (layers, loss, optimizer, batch, epochs, validation and test sets, CSV or
 * .npy) and a random bad value or file in the training, validation or test inputs or targets:
 * NaN, ±∞, huge values, all zeros, negative labels, labels beyond the classes or between them,
 * wrong widths and row counts, .npy dtypes and orders clgrad does not read, empty, truncated and
 * row-less files, text where a number belongs. Each run must train normally (exit 0, one JSON
 * object, finite weights saved) or exit 2 with one error line: never a stack trace, never exit 0
 * with non-finite weights, never a failure after training for something that could be seen before
 * it (only a non-finite loss or weight stops a run that started). A clean run must train.
 *
 * <p>Each case is made from one seed, printed with the case when it fails; {@code -Dfuzz.seed=S}
 * runs that case alone.
 */
class TrainFuzzTest {
    private static final long FIRST_SEED = 1_900;
    private static final int RUNS = Integer.getInteger("fuzz.runs", 30);
    private static final String[] ACTIVATIONS = {"relu", "tanh", "sigmoid", "linear"};
    private static final String[] DTYPES = {"<f8", "<i8", "|u1", "<i4", "<f2", ">f4", "|b1"};

    @TempDir
    Path dir;

    static java.util.stream.Stream<String> devices() {
        return CliRun.devices();
    }

    /** What a case corrupts: a value, a label, a shape, a dtype, a file; or nothing (a clean run). */
    enum Fault {
        NONE, NAN, POS_INF, NEG_INF, HUGE, ZEROS, NEGATIVE_LABEL, LABEL_TOO_BIG, FRACTIONAL_LABEL, WIDER, FEWER_ROWS,
        DTYPE, BEYOND_FLOAT32, FORTRAN, EXTRA_AXIS, NO_COLUMNS, EMPTY_FILE, TRUNCATED, NO_ROWS, NOT_A_NUMBER, RAGGED
    }

    /** One data set's arrays: x (rows, features) and y (rows, targets). */
    private static final class Part {
        final String name;
        int rows;
        int features;
        int targets;
        float[] x;
        float[] y;

        Part(String name, int rows, int features, int targets) {
            this.name = name;
            this.rows = rows;
            this.features = features;
            this.targets = targets;
            this.x = new float[rows * features];
            this.y = new float[rows * targets];
        }
    }

    /** A random case: its description (printed on failure), the command line, and what to expect. */
    private record Case(long seed, String description, List<String> args, Path save, Path plot, boolean clean,
                        boolean refusedBeforeTraining) {
    }

    @ParameterizedTest
    @MethodSource("devices")
    void everyRunTrainsOrExitsTwoInOneLine(String device) throws IOException {
        Long only = Long.getLong("fuzz.seed");
        long first = only != null ? only : FIRST_SEED;
        int runs = only != null ? 1 : RUNS;
        long start = System.nanoTime();
        for (long seed = first; seed < first + runs; seed++) {
            Case c = make(seed, device, Files.createDirectories(dir.resolve(device.replace(':', '_') + "-" + seed)));
            check(c, CliRun.of(c.args().toArray(new String[0])));
        }
        System.err.printf(Locale.ROOT, "TrainFuzzTest %s: %d runs in %.1f s%n", device, runs,
                (System.nanoTime() - start) / 1e9);
    }

    private static void check(Case c, CliRun r) throws IOException {
        String where = "fuzz case seed " + c.seed() + " (-Dfuzz.seed=" + c.seed() + "): " + c.description()
                + "\nexit " + r.code() + "\nstdout: " + r.out() + "\nstderr: " + r.err();
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "a stack trace: " + where);
        if (r.code() == 0) {
            assertFalse(c.refusedBeforeTraining(), "exit 0 for input that must be refused: " + where);
            JsonNode j;
            try {
                j = new ObjectMapper().readTree(r.out());
            } catch (IOException e) {
                throw new AssertionError("stdout is not JSON (" + e.getMessage() + "): " + where, e);
            }
            assertEquals(1, r.out().strip().lines().count(), "one JSON object on stdout: " + where);
            for (JsonNode loss : j.get("trainLoss")) {
                assertTrue(Double.isFinite(loss.asDouble()), "a non-finite training loss at exit 0: " + where);
            }
            assertTrue(Files.isRegularFile(c.save()), "no weights saved at exit 0: " + where);
            assertTrue(c.plot() == null || Files.size(c.plot()) > 0, "no plot drawn at exit 0: " + where);
            for (Map.Entry<String, HostArray> e : Safetensors.read(c.save()).entrySet()) {
                for (float v : e.getValue().data()) {
                    assertTrue(Float.isFinite(v), e.getKey() + " holds " + v + " at exit 0: " + where);
                }
            }
            return;
        }
        assertEquals(2, r.code(), "neither success nor a bad-input exit: " + where);
        assertFalse(c.clean(), "a clean run failed: " + where);
        List<String> errors = r.err().lines().filter(l -> !l.matches("Epoch \\d+/\\d+ - .*")).toList();
        assertEquals(1, errors.size(), "exactly one line besides the progress: " + where);
        assertTrue(errors.get(0).startsWith("clgrad: "), where);
        boolean lossWentBad = errors.get(0).matches("clgrad: fit: (loss is|the weights are) .* Training stopped; .*");
        boolean trained = r.err().contains("Epoch 1/") || lossWentBad;
        assertFalse(trained && c.refusedBeforeTraining(), "training started on input that must be refused: " + where);
        assertTrue(!trained || lossWentBad, "a run that started stopped for something that could be seen before it: "
                + where);
        assertFalse(trained && !r.out().isEmpty(), "results printed for a run that stopped: " + where);
        assertFalse(Files.exists(c.save()), "weights saved for a run that exited 2: " + where);
    }

    // ---- making a case ---------------------------------------------------------------------------

    private static Case make(long seed, String device, Path dir) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        boolean classify = rng.nextBoolean();
        int classes = 2 + rng.nextInt(3);
        boolean csv = rng.nextInt(5) < 2;
        int outputs = classify ? classes : csv ? 1 : 1 + rng.nextInt(3);
        int features = 1 + rng.nextInt(5);
        List<Part> parts = new ArrayList<>();
        parts.add(data("train", 4 + rng.nextInt(20), features, classify, classes, outputs, rng));
        if (rng.nextBoolean()) {
            parts.add(data("validation", 2 + rng.nextInt(6), features, classify, classes, outputs, rng));
        }
        if (rng.nextBoolean()) {
            parts.add(data("test", 2 + rng.nextInt(6), features, classify, classes, outputs, rng));
        }
        Fault fault = rng.nextInt(10) < 3 ? Fault.NONE : Fault.values()[1 + rng.nextInt(Fault.values().length - 1)];
        if (fault == Fault.DTYPE || fault == Fault.BEYOND_FLOAT32 || fault == Fault.FORTRAN || fault == Fault.EXTRA_AXIS
                || fault == Fault.NO_COLUMNS) {
            csv = false;
        }
        if ((fault == Fault.NOT_A_NUMBER || fault == Fault.RAGGED) && !csv) {
            fault = Fault.TRUNCATED;
        }
        if (fault == Fault.FEWER_ROWS && csv) {
            fault = Fault.RAGGED;
        }
        Part hit = parts.get(rng.nextInt(parts.size()));
        boolean label = fault == Fault.NEGATIVE_LABEL || fault == Fault.LABEL_TOO_BIG || fault == Fault.FRACTIONAL_LABEL;
        boolean inY = label || !csv && fault != Fault.EXTRA_AXIS && rng.nextBoolean();
        boolean checkFinite = rng.nextInt(3) == 0;
        StringBuilder what = new StringBuilder();
        boolean refused = apply(fault, hit, inY, classify, classes, rng, what, checkFinite);
        if (fault == Fault.WIDER && hit == parts.get(0) && !inY) {
            refused = parts.size() > 1;
        }
        if (fault == Fault.TRUNCATED && csv) {
            refused = false;
        }
        String dtype = fault == Fault.DTYPE ? DTYPES[rng.nextInt(DTYPES.length)] : fault == Fault.BEYOND_FLOAT32 ? "<f8"
                : "<f4";
        String data = csv ? csvFiles(dir, parts, hit, fault, rng) : npyFiles(dir, parts, hit, inY, fault, dtype, rng);
        if (fault == Fault.DTYPE) {
            what.append(" as ").append(dtype);
            refused = !dtype.equals("<f8") && !dtype.equals("<i8") && !dtype.equals("|u1");
        }
        StringBuilder layers = new StringBuilder();
        int hidden = rng.nextInt(3);
        for (int k = 0; k < hidden; k++) {
            layers.append("{\"type\": \"dense\", \"units\": ").append(1 + rng.nextInt(6)).append(", \"activation\": \"")
                    .append(ACTIVATIONS[rng.nextInt(ACTIVATIONS.length)]).append("\"}, ");
            if (rng.nextInt(3) == 0) {
                layers.append("{\"type\": \"dropout\", \"rate\": ").append(rng.nextInt(6) / 10.0).append("}, ");
            }
        }
        layers.append("{\"type\": \"dense\", \"units\": ").append(outputs).append("}");
        String optimizer = switch (rng.nextInt(3)) {
            case 0 -> "{\"type\": \"adam\", \"lr\": 0.01}";
            case 1 -> "{\"type\": \"adamw\", \"lr\": 0.005}";
            default -> "{\"type\": \"sgd\", \"lr\": 0.05, \"momentum\": " + rng.nextInt(10) / 10.0 + "}";
        };
        String config = "{\"seed\": " + seed + ", \"layers\": [" + layers + "], \"optimizer\": " + optimizer
                + ", \"loss\": \"" + (classify ? "sparse_categorical_crossentropy\", \"metrics\": [\"accuracy\"]"
                : "mse\"") + ", \"epochs\": " + (1 + rng.nextInt(2)) + ", \"batchSize\": " + (1 + rng.nextInt(8))
                + ", \"data\": " + data + "}";
        Path cfg = Files.writeString(dir.resolve("config.json"), config);
        Path save = dir.resolve("w.safetensors");
        List<String> args = new ArrayList<>(List.of("train", cfg.toString(), "--device", device, "--json", "--save",
                save.toString()));
        if (checkFinite) {
            args.add("--check-finite");
        }
        Path plot = rng.nextInt(5) == 0 ? dir.resolve("curves.png") : null;
        if (plot != null) {
            args.addAll(List.of("--plot", plot.toString()));
        }
        String description = (fault == Fault.NONE ? "no fault" : fault + " in " + hit.name + (inY ? " y" : " x") + what)
                + (checkFinite ? ", --check-finite" : "") + "; " + config;
        return new Case(seed, description, args, save, plot, fault == Fault.NONE, refused);
    }

    private static Part data(String name, int rows, int features, boolean classify, int classes, int targets,
                             SplittableRandom rng) {
        Part p = new Part(name, rows, features, classify ? 1 : targets);
        for (int i = 0; i < p.x.length; i++) {
            p.x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < p.y.length; i++) {
            p.y[i] = classify ? rng.nextInt(classes) : (float) rng.nextGaussian();
        }
        return p;
    }

    /**
     * Corrupts {@code p}'s x or y in memory (the file faults are written later); returns whether
     * the input must be refused before training, and says what it did in {@code what}.
     */
    private static boolean apply(Fault fault, Part p, boolean inY, boolean classify, int classes, SplittableRandom rng,
                                 StringBuilder what, boolean checkFinite) {
        float[] a = inY ? p.y : p.x;
        int at = rng.nextInt(a.length);
        what.append(" at ").append(at);
        switch (fault) {
            case NAN, POS_INF, NEG_INF -> {
                a[at] = fault == Fault.NAN ? Float.NaN : fault == Fault.POS_INF ? Float.POSITIVE_INFINITY
                        : Float.NEGATIVE_INFINITY;
                return checkFinite || inY && classify;
            }
            case HUGE -> {
                a[at] = rng.nextBoolean() ? 1e30f : -3e38f;
                return inY && classify;
            }
            case BEYOND_FLOAT32 -> {
                a[at] = Float.NaN;
                what.append(" (1e300 in float64)");
                return true;
            }
            case ZEROS -> Arrays.fill(a, 0f);
            case NEGATIVE_LABEL, LABEL_TOO_BIG, FRACTIONAL_LABEL -> {
                int row = rng.nextInt(p.rows);
                p.y[row * p.targets] = fault == Fault.NEGATIVE_LABEL ? -1 : fault == Fault.LABEL_TOO_BIG ? classes : 0.5f;
                return classify;
            }
            case WIDER -> {
                if (inY) {
                    p.y = widen(p.y, p.rows, p.targets);
                    p.targets++;
                } else {
                    p.x = widen(p.x, p.rows, p.features);
                    p.features++;
                }
                return true;
            }
            case FEWER_ROWS, NO_ROWS, NO_COLUMNS, EMPTY_FILE, TRUNCATED, NOT_A_NUMBER, RAGGED, FORTRAN -> {
                return true;
            }
            case EXTRA_AXIS -> {
                return p.name.equals("train") && (classify || p.features > 1);
            }
            default -> {
                return false;
            }
        }
        return false;
    }

    private static float[] widen(float[] a, int rows, int cols) {
        float[] out = new float[rows * (cols + 1)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * cols, out, r * (cols + 1), cols);
            out[r * (cols + 1) + cols] = 0.25f;
        }
        return out;
    }

    // ---- files -------------------------------------------------------------------------------------

    private static String csvFiles(Path dir, List<Part> parts, Part hit, Fault fault, SplittableRandom rng) throws IOException {
        StringBuilder json = new StringBuilder("{\"type\": \"csv\"");
        for (Part p : parts) {
            StringBuilder s = new StringBuilder();
            int rows = p == hit && fault == Fault.NO_ROWS ? 0 : p.rows;
            for (int r = 0; r < rows; r++) {
                s.append(p.y[r * p.targets]);
                int width = p == hit && fault == Fault.RAGGED && r == rows - 1 ? p.features - 1 : p.features;
                for (int c = 0; c < width; c++) {
                    s.append(',').append(p == hit && fault == Fault.NOT_A_NUMBER && r == 0 && c == 0 ? "abc"
                            : String.valueOf(p.x[r * p.features + c]));
                }
                s.append('\n');
            }
            byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
            if (p == hit && fault == Fault.EMPTY_FILE) {
                bytes = new byte[0];
            } else if (p == hit && fault == Fault.TRUNCATED) {
                bytes = Arrays.copyOf(bytes, bytes.length / 2 + rng.nextInt(2));
            }
            Files.write(dir.resolve(p.name + ".csv"), bytes);
            json.append(", \"").append(p.name).append("\": \"").append(p.name).append(".csv\"");
        }
        return json.append(", \"dir\": \"").append(dir).append("\"}").toString();
    }

    private static String npyFiles(Path dir, List<Part> parts, Part hit, boolean inY, Fault fault, String dtype,
                                   SplittableRandom rng) throws IOException {
        StringBuilder json = new StringBuilder("{\"type\": \"npy\", \"dir\": \"" + dir + "\"");
        for (Part p : parts) {
            String key = switch (p.name) {
                case "train" -> "Train";
                case "validation" -> "Val";
                default -> "Test";
            };
            for (boolean y : new boolean[]{false, true}) {
                boolean target = p == hit && y == inY;
                int rows = p == hit && fault == Fault.NO_ROWS ? 0 : target && fault == Fault.FEWER_ROWS ? p.rows - 1
                        : p.rows;
                int cols = target && fault == Fault.NO_COLUMNS ? 0 : y ? p.targets : p.features;
                float[] values = Arrays.copyOf(y ? p.y : p.x, rows * cols);
                int[] shape = target && fault == Fault.EXTRA_AXIS ? new int[]{rows, cols, 1}
                        : y && cols == 1 ? new int[]{rows} : new int[]{rows, cols};
                byte[] bytes = npy(values, shape, target ? dtype : "<f4", target && fault == Fault.FORTRAN);
                if (target && fault == Fault.EMPTY_FILE) {
                    bytes = new byte[0];
                } else if (target && fault == Fault.TRUNCATED) {
                    bytes = Arrays.copyOf(bytes, rng.nextInt(bytes.length));
                }
                String name = (y ? "y" : "x") + key + ".npy";
                Files.write(dir.resolve(name), bytes);
                json.append(", \"").append(y ? "y" : "x").append(key).append("\": \"").append(name).append("\"");
            }
        }
        return json.append("}").toString();
    }

    /**
     * An .npy file of {@code values} stored as {@code dtype} (values converted, as NumPy's astype
     * would; a NaN stored as float64 becomes 1e300, beyond float32).
     */
    private static byte[] npy(float[] values, int[] shape, String dtype, boolean fortran) {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) {
            dims.append(d).append(", ");
        }
        String header = "{'descr': '" + dtype + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': ("
                + dims.toString().strip() + "), }";
        int total = 10 + header.length() + 1;
        header = header + " ".repeat((64 - total % 64) % 64) + "\n";
        int width = switch (dtype) {
            case "<f8", "<i8" -> 8;
            case "<f4", ">f4", "<i4" -> 4;
            case "<f2" -> 2;
            default -> 1;
        };
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + width * values.length)
                .order(dtype.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.order(ByteOrder.LITTLE_ENDIAN).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        b.order(dtype.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case "<f8" -> b.putDouble(Float.isNaN(v) ? 1e300 : v);
                case "<i8" -> b.putLong((long) v);
                case "<i4" -> b.putInt((int) v);
                case "<f2" -> b.putShort((short) 0);
                case "<f4", ">f4" -> b.putFloat(v);
                default -> b.put((byte) v);
            }
        }
        return b.array();
    }
}

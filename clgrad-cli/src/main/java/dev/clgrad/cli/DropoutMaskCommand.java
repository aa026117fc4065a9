package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.ops.ApplyGaussianNoise;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Mask;
import dev.clgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code clgrad dropout-mask --n N --p P --seed S --offset O [--gaussian] [--device SPEC] [--json]}:
 * prints the N keep bits of one dropout call as 0/1 characters, computed on the device (a forward
 * pass over ones), to compare masks across devices. With {@code --gaussian}: the N factors
 * {@code 1 + σ·z} of one Gaussian-dropout call instead, one per line as 8 hex digits of their float
 * bits (AlphaDropout and DropConnect use the dropout bits). Seed and offset are 64-bit, decimal
 * (unsigned allowed) or {@code 0x} hex.
 */
@Command(name = "dropout-mask", description = "Print the keep bits of one Philox dropout call as 0/1.")
final class DropoutMaskCommand implements Callable<Integer> {
    @Option(names = "--n", required = true, description = "Number of elements.")
    int n;

    @Option(names = "--p", required = true, description = "Dropout rate in [0, 1).")
    float p;

    @Option(names = "--seed", defaultValue = "0", description = "64-bit seed (default: ${DEFAULT-VALUE}).")
    String seed;

    @Option(names = "--offset", defaultValue = "0", description = "64-bit counter base (default: ${DEFAULT-VALUE}).")
    String offset;

    @Option(names = "--device", paramLabel = "SPEC", defaultValue = "auto",
            description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--gaussian", description = "Print the Gaussian-dropout factors' float bits (hex), one per line.")
    boolean gaussian;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (n < 1) {
            throw new IllegalArgumentException("dropout-mask: --n must be >= 1, got " + n);
        }
        long s = parse64("--seed", seed);
        long o = parse64("--offset", offset);
        Mask mask = Mask.fixed(p, s, o);
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        StringBuilder bits = new StringBuilder(n);
        String id;
        try (Backend backend = Backends.select(device);
             Tensor x = Tensor.of(backend, ones, n); Tensor y = Tensor.empty(backend, x.shape())) {
            id = backend.id();
            if (gaussian) {
                backend.run(new ApplyGaussianNoise(x, GaussianNoise.fixed(p, s, o), y));
                for (float v : y.toArray()) {
                    bits.append(bits.isEmpty() ? "" : "\n").append(String.format(Locale.ROOT, "%08x", Float.floatToRawIntBits(v)));
                }
            } else {
                backend.run(new ApplyMask(x, mask, y));
                for (float v : y.toArray()) {
                    bits.append(v != 0f ? '1' : '0');
                }
            }
        }
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            System.out.println(mapper.writeValueAsString(mapper.createObjectNode().put("device", id).put("n", n)
                    .put("p", p).put("seed", Long.toUnsignedString(s)).put("offset", Long.toUnsignedString(o))
                    .put(gaussian ? "factors" : "mask", bits.toString())));
        } else {
            System.out.println(bits);
        }
        return 0;
    }

    /** A 64-bit value: decimal (signed, or unsigned up to 2^64 − 1) or 0x-prefixed hex. */
    static long parse64(String option, String text) {
        String t = text.strip();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return t.startsWith("-") ? Long.parseLong(t) : Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("dropout-mask: " + option + " must be a 64-bit integer (decimal or 0x hex), got '"
                    + text + "'");
        }
    }
}

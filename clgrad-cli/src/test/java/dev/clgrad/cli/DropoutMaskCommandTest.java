package dev.clgrad.cli;

import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.selftest.RefOps;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code clgrad dropout-mask}: the keep bits and, with {@code --gaussian}, the Gaussian-dropout
 * factors' float bits are the spec's on every device.
 */
class DropoutMaskCommandTest {
    @Test
    void bitsAndGaussianFactorsAreTheSpecsOnEveryDevice() {
        int n = 1001;
        boolean[] keep = RefOps.dropoutMask(n, 0.3f, 5, 0xFFFF_FFFEL);
        StringBuilder bits = new StringBuilder();
        for (boolean k : keep) {
            bits.append(k ? '1' : '0');
        }
        GaussianNoise noise = GaussianNoise.fixed(0.3f, 5, 0xFFFF_FFFEL);
        StringBuilder factors = new StringBuilder();
        for (int i = 0; i < n; i++) {
            factors.append(i == 0 ? "" : "\n").append(String.format("%08x",
                    Float.floatToRawIntBits(noise.factor(0xFFFF_FFFEL, i))));
        }
        for (String device : CliRun.devices().toList()) {
            CliRun r = CliRun.of("dropout-mask", "--n", "1001", "--p", "0.3", "--seed", "5", "--offset", "0xFFFFFFFE",
                    "--device", device);
            assertEquals(0, r.code(), r.err());
            assertEquals(bits.toString(), r.out().strip(), "keep bits on " + device);
            CliRun g = CliRun.of("dropout-mask", "--n", "1001", "--p", "0.3", "--seed", "5", "--offset", "0xFFFFFFFE",
                    "--gaussian", "--device", device);
            assertEquals(0, g.code(), g.err());
            assertEquals(List.of(factors.toString().split("\n")), g.out().strip().lines().toList(),
                    "Gaussian factors on " + device);
        }
    }
}

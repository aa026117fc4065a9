package dev.clgrad.backend.java;

import dev.clgrad.ops.Philox;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PhiloxRunTest {

    /** Every block of a run equals the scalar spec, including runs whose counter carries past 2^64. */
    @Test
    void matchesScalarPhiloxAcrossTheCarry() {
        PhiloxRun run = new PhiloxRun();
        int[] key = Philox.key(0x1234_5678_9ABC_DEF0L);
        long[][] cases = {{0, 0, PhiloxRun.CAPACITY}, {0xFFFF_FFFEL, 3, 17}, {-5L, 0, 40}, {-1L, 1, 1}, {7, 1000, 0}};
        for (long[] c : cases) {
            long offset = c[0];
            long first = c[1];
            int count = (int) c[2];
            run.generate(offset, first, count, key);
            int[] ctr = new int[4];
            for (int j = 0; j < count; j++) {
                Philox.counter(offset, first + j, ctr);
                Philox.philox4x32(ctr, key, ctr);
                int[] got = {run.words[4 * j], run.words[4 * j + 1], run.words[4 * j + 2], run.words[4 * j + 3]};
                assertArrayEquals(ctr, got, "offset " + offset + " block " + (first + j));
            }
        }
    }

    @Test
    void rejectsCountsBeyondCapacity() {
        PhiloxRun run = new PhiloxRun();
        assertThrows(IllegalArgumentException.class, () -> run.generate(0, 0, PhiloxRun.CAPACITY + 1, new int[2]));
    }
}

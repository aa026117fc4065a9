package dev.clgrad.backend;

import dev.clgrad.ops.Philox;
import dev.clgrad.selftest.PhiloxKat;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Philox known-answer file and the mask helpers of {@link Philox}. The known answers themselves
 * are checked on every backend (Java's {@link Philox#philox4x32} included) by {@code OpConformanceTest}.
 */
class PhiloxKatTest {

    @Test
    void allVectorsLoaded() {
        assertEquals(55, PhiloxKat.load().size(), "vector lines in " + PhiloxKat.RESOURCE);
    }

    @Test
    void counterCarriesPast64Bits() {
        int[] ctr = new int[4];
        Philox.counter(-2L, 1, ctr);
        assertArrayEquals(new int[] {-1, -1, 0, 0}, ctr);
        Philox.counter(-2L, 2, ctr);
        assertArrayEquals(new int[] {0, 0, 1, 0}, ctr);
        Philox.counter(0xFFFF_FFFFL, 1, ctr);
        assertArrayEquals(new int[] {0, 1, 0, 0}, ctr);
    }

    @Test
    void keepUsesTheDocumentedWordAndThreshold() {
        int[] out = new int[4];
        long seed = 0x0123_4567_89AB_CDEFL;
        Philox.philox4x32(new int[] {5, 0, 0, 0}, new int[] {0x89AB_CDEF, 0x0123_4567}, out);
        for (int q = 0; q < 4; q++) {
            int t = out[q] >>> 8;
            assertTrue(Philox.keep(seed, 3, 8 + q, t), "u>>>8 == t is kept");
            assertFalse(Philox.keep(seed, 3, 8 + q, t + 1), "u>>>8 < t is dropped");
        }
    }

    @Test
    void thresholdAndBlocks() {
        assertEquals(0, Philox.threshold(0f));
        assertEquals(1 << 23, Philox.threshold(0.5f));
        assertEquals((1 << 24) - 1, Philox.threshold(Math.nextDown(1f)));
        assertEquals(1, Philox.threshold(Float.MIN_VALUE));
        assertEquals(0, Philox.blocks(0));
        assertEquals(1, Philox.blocks(1));
        assertEquals(1, Philox.blocks(4));
        assertEquals(2, Philox.blocks(5));
        for (float p : new float[] {1f, -0.1f, Float.NaN, 2f}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Philox.threshold(p));
            assertTrue(e.getMessage().contains(String.valueOf(p)), e.getMessage());
        }
    }
}

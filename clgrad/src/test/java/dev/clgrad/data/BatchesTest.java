package dev.clgrad.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class BatchesTest {
    private static Dataset rows(int n) {
        float[] x = new float[n * 2];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = -i;
            y[i] = i;
        }
        return new Dataset(x, y, n, 2, 1);
    }

    @Test
    void lastPartialBatchHoldsTheRemainder() {
        Batches b = new Batches(rows(10), 4, false, 0);
        assertEquals(3, b.count());
        assertEquals(4, b.rows(1));
        assertEquals(2, b.rows(2));
        float[] x = new float[8];
        float[] y = new float[4];
        assertEquals(2, b.fill(b.order(0), 2, x, y));
        assertArrayEquals(new float[]{8, -8, 9, -9}, Arrays.copyOf(x, 4));
        assertArrayEquals(new float[]{8, 9}, Arrays.copyOf(y, 2));
    }

    @Test
    void seededShuffleIsAPermutationFixedBySeedAndEpoch() {
        Batches a = new Batches(rows(100), 8, true, 7);
        int[] e0 = a.order(0);
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        assertArrayEquals(new Batches(rows(100), 8, false, 0).order(0), sorted);
        assertArrayEquals(e0, new Batches(rows(100), 8, true, 7).order(0));
        assertArrayEquals(a.order(3), new Batches(rows(100), 8, true, 7).order(3));
        assertFalse(Arrays.equals(e0, a.order(1)));
        assertFalse(Arrays.equals(e0, new Batches(rows(100), 8, true, 8).order(0)));
        assertFalse(Arrays.equals(e0, sorted));
    }
}

package dev.clgrad.tensor;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Fill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The foundation's small program on every backend, and the tensor lifecycle. */
class TensorTest {

    @BackendTest
    void allocateUploadRunAKernelDownloadAndCompare(Backend b) {
        float[] x = new float[1027];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) - 3.5f;
        }
        try (Tensor in = Tensor.of(b, x, 1027); Tensor out = Tensor.empty(b, Shape.of(1027))) {
            b.run(new Act(Activation.RELU, in, out));
            float[] got = out.toArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Math.max(0f, x[i]), got[i], "element " + i + " on " + TestBackends.label(b));
            }
            assertArrayEquals(x, in.toArray(), "the input is not modified");
        }
    }

    @BackendTest
    void closeIsIdempotentAndUseAfterCloseNamesTheTensor(Backend b) {
        int live = b.liveBuffers();
        Tensor t = Tensor.empty(b, Shape.of(4, 5), "weights");
        assertEquals(live + 1, b.liveBuffers());
        t.close();
        t.close();
        assertEquals(live, b.liveBuffers());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("weights"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> b.run(new Fill(t, 1f)));
    }

    @BackendTest
    void viewsShareStorageAndOwnNothing(Backend b) {
        try (Tensor flat = Tensor.of(b, new float[] {1, 2, 3, 4, 5, 6}, 6)) {
            Tensor v = flat.view(2, Shape.of(2, 2), "w");
            assertArrayEquals(new float[] {3, 4, 5, 6}, v.toArray());
            b.run(new Fill(v, 9f));
            v.close();
            assertArrayEquals(new float[] {1, 2, 9, 9, 9, 9}, flat.toArray());
            assertThrows(IllegalArgumentException.class, () -> flat.view(5, Shape.of(2), "out of range"));
        }
    }

    @BackendTest
    void shapesAreCheckedWithBothSidesInTheMessage(Backend b) {
        try (Tensor x = Tensor.zeros(b, Shape.of(3, 4)); Tensor y = Tensor.zeros(b, Shape.of(4, 3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.run(new Act(Activation.RELU, x, y)));
            assertTrue(e.getMessage().contains("(3, 4)") && e.getMessage().contains("(4, 3)"), e.getMessage());
        }
    }
}

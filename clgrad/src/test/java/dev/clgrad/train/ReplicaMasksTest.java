package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.nn.AlphaDropout;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.GaussianDropout;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Lowering;
import dev.clgrad.nn.SpatialDropout2D;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A data-parallel replica's random masks are those of its global rows: every random-mask layer
 * lowered for rows [r0, r0 + n) of a global batch of B rows ({@link Lowering#rowStart}) gives, on
 * every backend, bit for bit the rows [r0, r0 + n) of the same layer lowered for the whole batch,
 * forward and backward, and advances its counter by the whole batch's blocks.
 */
class ReplicaMasksTest {
    private static final int B = 10;

    /** A lowering over real tensors that runs each emitted op at once, for rows [rowStart, rowStart + rows). */
    private static final class Direct implements Lowering {
        final Backend backend;
        final int rows;
        final int rowStart;
        final int globalRows;
        final List<Tensor> owned = new ArrayList<>();
        final List<Op> ops = new ArrayList<>();
        long advanced;

        Direct(Backend backend, int rows, int rowStart, int globalRows) {
            this.backend = backend;
            this.rows = rows;
            this.rowStart = rowStart;
            this.globalRows = globalRows;
        }

        @Override
        public boolean training() {
            return true;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int rowStart() {
            return rowStart;
        }

        @Override
        public int globalRows() {
            return globalRows;
        }

        @Override
        public Counter shifted(Counter counter, long blocks) {
            return counter.plus(blocks);
        }

        @Override
        public Tensor workspace(Layer owner, String what, Shape perSample) {
            return batchValue(owner, what, perSample.withBatch(rows));
        }

        @Override
        public Tensor batchValue(Layer owner, String what, Shape shape) {
            Tensor t = Tensor.empty(backend, shape, what);
            owned.add(t);
            return t;
        }

        @Override
        public Tensor parameter(Layer owner, String name) {
            throw new UnsupportedOperationException(name);
        }

        @Override
        public Tensor gradient(Layer owner, String name) {
            throw new UnsupportedOperationException(name);
        }

        @Override
        public void emit(Layer owner, Op op) {
            ops.add(op);
            backend.run(op);
        }

        @Override
        public void save(Layer owner, String key, Tensor t) {
        }

        @Override
        public Tensor saved(Layer owner, String key) {
            throw new UnsupportedOperationException(key);
        }

        @Override
        public boolean needsInputGradient(Layer owner) {
            return true;
        }

        @Override
        public void advanceAfterStep(Counter counter, long delta) {
            advanced += delta;
        }
    }

    /** Forward then backward outputs of {@code layer} over rows [from, from + n) of x: (B, per-sample…). */
    private static float[][] run(Backend backend, Layer layer, float[] x, Shape perSample, int from, int n, long[] advance) {
        int per = (int) perSample.size();
        Direct g = new Direct(backend, n, from, B);
        try (Tensor in = Tensor.of(backend, Arrays.copyOfRange(x, from * per, (from + n) * per),
                perSample.withBatch(n).dims())) {
            float[] y = layer.forward(g, in).toArray();
            float[] dX = layer.backward(g, in).toArray();
            advance[0] = g.advanced;
            return new float[][]{y, dX};
        } finally {
            g.owned.forEach(Tensor::close);
        }
    }

    private static void check(Supplier<Layer> make, Shape perSample, int from, int alignment) {
        int per = (int) perSample.size();
        float[] x = new float[B * per];
        for (int i = 0; i < x.length; i++) {
            x[i] = 1 + (i % 7) * 0.25f;
        }
        for (Backend backend : TestBackends.all()) {
            Layer whole = make.get();
            whole.build(perSample, 77);
            whole.name("mask_1");
            Layer part = make.get();
            part.build(perSample, 77);
            part.name("mask_1");
            whole.counters().values().forEach(c -> c.set(1000));
            part.counters().values().forEach(c -> c.set(1000));
            assertEquals(alignment, part.rowAlignment(), part.type() + " alignment");
            long[] wholeAdvance = new long[1];
            long[] partAdvance = new long[1];
            float[][] all = run(backend, whole, x, perSample, 0, B, wholeAdvance);
            float[][] share = run(backend, part, x, perSample, from, B - from, partAdvance);
            String what = part.type() + " rows [" + from + ", " + B + ") on " + TestBackends.label(backend);
            assertArrayEquals(Arrays.copyOfRange(all[0], from * per, B * per), share[0], what + " forward");
            assertArrayEquals(Arrays.copyOfRange(all[1], from * per, B * per), share[1], what + " backward");
            assertEquals(wholeAdvance[0], partAdvance[0], what + ": the counter advances by the global batch's blocks");
            java.util.Set<Float> ratios = new java.util.HashSet<>();
            for (int i = 0; i < share[0].length; i++) {
                ratios.add(share[0][i] / x[from * per + i]);
            }
            assertTrue(ratios.size() > 1, what + ": the noise varies over the rows");
        }
    }

    @Test
    void dropoutWithOddFeaturesStartsAtWholeBlocks() {
        check(() -> new Dropout(0.5), Shape.of(7), 4, 4);
    }

    @Test
    void spatialDropoutOfThreeChannels() {
        check(() -> new SpatialDropout2D(0.5), Shape.of(2, 2, 3), 4, 4);
    }

    @Test
    void gaussianDropoutTwoDrawsPerBlock() {
        check(() -> new GaussianDropout(0.3), Shape.of(5), 2, 2);
    }

    @Test
    void alphaDropoutOfSixFeatures() {
        check(() -> new AlphaDropout(0.4), Shape.of(6), 6, 2);
    }

    @Test
    void dropoutOfWholeBlockRowsSplitsAnywhere() {
        check(() -> new Dropout(0.5), Shape.of(8), 3, 1);
    }

    @Test
    void aSplitInsideABlockIsRefused() {
        Dropout d = new Dropout(0.5);
        d.build(Shape.of(7), 1);
        d.name("dropout_1");
        Backend java = TestBackends.java();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> run(java, d, new float[B * 7], Shape.of(7), 3, 7, new long[1]));
        assertTrue(e.getMessage().contains("multiples of 4 rows"), e.getMessage());
    }
}

package dev.clgrad.backend.opencl;

import dev.clgrad.backend.OpenClTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batch normalisation's two-stage reductions on OpenCL ({@link NormRoutine}): the row blocks depend
 * on N alone, the statistics and the backward launch their stages in order, match the float64
 * reference at the CNN's shape (a full 256 blocks, a short last one) and give the same bits run
 * after run, prepared or not. Outputs are poisoned with NaN first.
 */
class NormRoutineTest {
    private static final double TOLERANCE = 1e-5;

    @Test
    void blocksCoverTheRowsWithAtMost256OfAtLeast16Rows() {
        for (int n : new int[] {1, 15, 16, 17, 4095, 4096, 4097, 100_352, 25_088, Integer.MAX_VALUE / 3}) {
            int r = NormRoutine.blockRows(n);
            long blocks = ((long) n + r - 1) / r;
            assertTrue(r >= NormRoutine.MIN_ROWS, n + " rows: " + r + " per block");
            assertTrue(blocks <= NormRoutine.BLOCKS, n + " rows: " + blocks + " blocks");
            assertTrue(blocks * r >= n && (blocks - 1) * r < n, n + " rows: the blocks cover them exactly");
        }
    }

    @OpenClTest
    void statisticsAndBackwardAreDeterministicTwoStageReductions(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(13);
        int rows = 128 * 13 * 13 + 5;
        int c = 32;
        int n = rows * c;
        double[] x = new double[n];
        double[] dy = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 3 + rng.nextDouble() * 2 - 1;
            dy[i] = rng.nextDouble() * 2 - 1;
        }
        double[] gamma = new double[c];
        Arrays.setAll(gamma, i -> 0.5 + rng.nextDouble());
        float eps = 1e-3f;
        String what = "batch norm over (" + rows + ", " + c + ") on " + TestBackends.label(cl);
        try (Tensor tx = Tensor.of(cl, floats(x), rows, c); Tensor tdy = Tensor.of(cl, floats(dy), rows, c);
             Tensor mean = nans(cl, c); Tensor var = nans(cl, c); Tensor mm = Tensor.of(cl, new float[c], c);
             Tensor mv = Tensor.of(cl, new float[c], c); Tensor tg = Tensor.of(cl, floats(gamma), c);
             Tensor dx = nans(cl, rows, c); Tensor dg = nans(cl, c); Tensor db = nans(cl, c)) {
            BatchNormStats stats = new BatchNormStats(tx, mean, var, mm, mv, 0.99f);
            BatchNormBackward backward = new BatchNormBackward(tx, tdy, mean, var, tg, eps, dx, dg, db);
            assertEquals(List.of("batchnorm_stats_partial", "batchnorm_stats_final"), cl.kernels(stats), what);
            assertEquals(List.of("batchnorm_backward_partial", "batchnorm_backward_final", "batchnorm_backward_dx"),
                    cl.kernels(backward), what);
            cl.run(stats);
            double[][] ref = RefOps.batchNormStats(x, c);
            assertClose(what + " mean", ref[0], mean.toArray(), TOLERANCE);
            assertClose(what + " variance", ref[1], var.toArray(), TOLERANCE);
            cl.run(backward);
            double[][] grads = RefOps.batchNormBackward(x, dy, gamma, eps, c);
            assertClose(what + " dX", grads[0], dx.toArray(), TOLERANCE);
            assertClose(what + " dGamma", grads[1], dg.toArray(), TOLERANCE);
            assertClose(what + " dBeta", grads[2], db.toArray(), TOLERANCE);
            float[][] first = {mean.toArray(), var.toArray(), dx.toArray(), dg.toArray(), db.toArray()};
            var preparedStats = cl.prepare(stats);
            var preparedBackward = cl.prepare(backward);
            for (int rep = 0; rep < 3; rep++) {
                for (Tensor t : new Tensor[] {mean, var, dx, dg, db}) {
                    float[] v = new float[(int) t.shape().size()];
                    Arrays.fill(v, Float.NaN);
                    t.copyFrom(v);
                }
                if (rep % 2 == 0) {
                    preparedStats.run();
                    preparedBackward.run();
                } else {
                    cl.run(stats);
                    cl.run(backward);
                }
                float[][] again = {mean.toArray(), var.toArray(), dx.toArray(), dg.toArray(), db.toArray()};
                for (int k = 0; k < first.length; k++) {
                    assertArrayEquals(first[k], again[k], what + ": output " + k + ", the same bits, run " + rep);
                }
            }
        }
    }

    private static float[] floats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    private static Tensor nans(OpenClBackend cl, int... dims) {
        float[] v = new float[Arrays.stream(dims).reduce(1, (a, b) -> a * b)];
        Arrays.fill(v, Float.NaN);
        return Tensor.of(cl, v, dims);
    }
}

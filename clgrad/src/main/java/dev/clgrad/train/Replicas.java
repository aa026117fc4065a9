package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.Parameter;
import dev.clgrad.ops.Counter;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;

/**
 * Data-parallel training in one process: R replicas of one model, one per device, driven by the
 * training loop as one {@link Trainable}. Replica 0 is the model itself (not owned); the others
 * are its copies ({@link Replicable#replica}), owned and closed here. Dimensions: B global batch
 * rows, R replicas, P trainable parameter values.
 *
 * <p>One step over a global batch of B rows:
 * <ol>
 *   <li>Split: replica i takes the contiguous rows [b_i, b_{i+1}), b_i the multiple of the
 *       model's {@link Replicable#rowAlignment} nearest {@code i·B/R} (so sizes are as equal as
 *       the alignment allows; with alignment 1, {@code floor(i·B/R)}). Each replica runs on its own
 *       thread: uploads its rows, runs forward, loss and backward ({@link Replicable#gradientBatch}),
 *       its random masks those of its global rows, and downloads its gradient g_i (P).</li>
 *   <li>Sum through the host, in replica order, in float64: {@code g = Σ_i (n_i / B) · g_i}, n_i
 *       the replica's rows. Each g_i is the gradient of the mean loss over its rows, so g is that of
 *       the mean over the global batch, as one device computes it (regularizer gradients, which
 *       every replica adds whole, sum to one since the weights sum to 1).</li>
 *   <li>Update once, broadcast: g is uploaded to replica 0, which applies the optimizer and the
 *       constraints ({@link Replicable#applyUpdate}); its parameters are downloaded and uploaded to
 *       every other replica, so all hold the same bits, whatever their backends, and only replica 0's
 *       optimizer (the model's: schedules and callbacks change it) and state matter.</li>
 * </ol>
 * What overlaps: the replicas compute at the same time; replica i's gradient download and its
 * share of the host sum run while later replicas still compute; the parameter uploads to replicas
 * 1..R−1 run on their threads while the loop gathers the next batch and until that replica's next
 * share starts. The devices here share no context, so nothing goes device to device.
 *
 * <p>Sums: each replica adds its rows' loss and metrics to its own device sums; {@link #totals}
 * adds them up, so reported values equal one device's. BatchNormalization normalises each
 * replica's rows with their own batch statistics (as Keras and PyTorch's DistributedDataParallel
 * do without SyncBatchNorm), and the moving statistics kept are replica 0's, from its rows
 * (DistributedDataParallel's broadcast of rank 0's buffers). Evaluation, prediction and
 * checkpoints use replica 0. A replica given no rows (a batch of fewer rows than replicas) runs
 * nothing and takes the others' counters.
 */
public final class Replicas implements Trainable, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Replicas.class.getName());

    private final List<Replicable> replicas;
    private final ExecutorService[] workers;
    private final int alignment;
    private final List<Future<Long>> pending = new ArrayList<>();
    private final float[][] gradients;
    private final double[] sum;
    private final float[] summed;
    private final float[] params;
    private long steps;
    private long exchangeNs;
    private boolean closed;

    /**
     * Replicas of {@code model} (built and compiled; replica 0) on {@code others} (not owned), in
     * order; each copy starts from the model's parameters, buffers and counters.
     */
    public Replicas(Replicable model, List<Backend> others) {
        replicas = new ArrayList<>();
        replicas.add(model);
        try {
            for (Backend b : others) {
                replicas.add(model.replica(b));
            }
        } catch (RuntimeException e) {
            replicas.subList(1, replicas.size()).forEach(Replicable::close);
            throw e;
        }
        workers = new ExecutorService[replicas.size()];
        for (int i = 0; i < workers.length; i++) {
            String name = "clgrad-replica-" + i + " (" + replicas.get(i).backend().id() + ")";
            workers[i] = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
        }
        alignment = model.rowAlignment();
        int p = Math.toIntExact(model.parameters().shape().size());
        gradients = new float[replicas.size()][p];
        sum = new double[p];
        summed = new float[p];
        params = new float[p];
    }

    /** The replicas, replica 0 (the model) first. */
    public List<Replicable> replicas() {
        return List.copyOf(replicas);
    }

    /**
     * The row boundaries of a batch of {@code rows} rows over the replicas: replica i takes
     * [at[i], at[i+1]), at[i] the multiple of {@code alignment} nearest {@code i·rows/R} (also the
     * split of each global batch over Spark's barrier tasks, {@code dev.clgrad.spark}).
     */
    public static int[] split(int rows, int replicas, int alignment) {
        int[] at = new int[replicas + 1];
        for (int i = 1; i < replicas; i++) {
            long exact = (long) i * rows / replicas;
            int b = (int) ((exact + alignment / 2) / alignment * alignment);
            at[i] = Math.max(at[i - 1], Math.min(rows, b));
        }
        at[replicas] = rows;
        return at;
    }

    /** The row boundaries of a batch of {@code rows} rows ({@link #split(int, int, int)}). */
    public int[] split(int rows) {
        return split(rows, replicas.size(), alignment);
    }

    /**
     * Milliseconds per training step spent moving and summing gradients and parameters, averaged
     * over the steps so far: the slowest replica's gradient download, the host sum after the last
     * replica finished computing, the summed gradient's upload, the parameters' download and the
     * slowest replica's parameter upload. NaN before the first step.
     */
    public double exchangeMsPerStep() {
        sync();
        return steps == 0 ? Double.NaN : exchangeNs / 1e6 / steps;
    }

    @Override
    public void trainBatch(float[] x, float[] y, int rows) {
        sync();
        int[] at = split(rows);
        int r = replicas.size();
        List<Future<Long>> shares = new ArrayList<>(r);
        for (int i = 0; i < r; i++) {
            int from = at[i];
            int n = at[i + 1] - at[i];
            Replicable replica = replicas.get(i);
            float[] g = gradients[i];
            shares.add(n == 0 ? null : workers[i].submit(() -> {
                replica.gradientBatch(x, y, from, n, rows);
                replica.backend().finish();
                long t = System.nanoTime();
                Tensor grads = replica.gradients();
                replica.backend().download(grads.buffer(), grads.offset(), g, 0, g.length);
                return System.nanoTime() - t;
            }));
        }
        Arrays.fill(sum, 0);
        long download = 0;
        long lastSum = 0;
        int source = -1;
        for (int i = 0; i < r; i++) {
            if (shares.get(i) == null) {
                continue;
            }
            download = Math.max(download, await(shares.get(i)));
            source = source < 0 ? i : source;
            long t = System.nanoTime();
            double w = (double) (at[i + 1] - at[i]) / rows;
            float[] g = gradients[i];
            for (int j = 0; j < sum.length; j++) {
                sum[j] += w * g[j];
            }
            lastSum = System.nanoTime() - t;
        }
        long t0 = System.nanoTime();
        for (int j = 0; j < sum.length; j++) {
            summed[j] = (float) sum[j];
        }
        Replicable first = replicas.get(0);
        Tensor g0 = first.gradients();
        first.backend().upload(summed, 0, g0.buffer(), g0.offset(), summed.length);
        long t1 = System.nanoTime();
        first.applyUpdate();
        first.backend().finish();
        long t2 = System.nanoTime();
        Tensor p0 = first.parameters();
        first.backend().download(p0.buffer(), p0.offset(), params, 0, params.length);
        long t3 = System.nanoTime();
        for (int i = 1; i < r; i++) {
            Replicable replica = replicas.get(i);
            pending.add(workers[i].submit(() -> {
                long t = System.nanoTime();
                Tensor p = replica.parameters();
                replica.backend().upload(params, 0, p.buffer(), p.offset(), params.length);
                replica.backend().finish();
                return System.nanoTime() - t;
            }));
        }
        for (int i = 0; i < r; i++) {
            if (shares.get(i) == null) {
                Map<String, Counter> to = replicas.get(i).counters();
                replicas.get(source).counters().forEach((k, c) -> to.get(k).set(c.get()));
            }
        }
        steps++;
        exchangeNs += download + lastSum + (t1 - t0) + (t3 - t2);
    }

    /** Waits for the parameter uploads of the last step, adding the slowest to the exchange time. */
    private void sync() {
        if (closed) {
            throw new IllegalStateException("the replica set is closed");
        }
        long slowest = 0;
        for (Future<Long> f : pending) {
            slowest = Math.max(slowest, await(f));
        }
        pending.clear();
        exchangeNs += slowest;
    }

    private static long await(Future<Long> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a replica was running", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public Backend backend() {
        return replicas.get(0).backend();
    }

    @Override
    public Trainable build(Shape shape, int batch) {
        sync();
        replicas.forEach(r -> r.build(shape, batch));
        return this;
    }

    @Override
    public Loss loss() {
        return replicas.get(0).loss();
    }

    @Override
    public int outFeatures() {
        return replicas.get(0).outFeatures();
    }

    @Override
    public List<String> metricNames() {
        return replicas.get(0).metricNames();
    }

    /** Replica 0 for whole batches (evaluation runs there); the others for their largest share. */
    @Override
    public void reserve(int batch) {
        sync();
        replicas.get(0).reserve(batch);
        int share = 0;
        for (int rows = 1; rows <= batch; rows++) {
            int[] at = split(rows);
            for (int i = 0; i < replicas.size(); i++) {
                share = Math.max(share, at[i + 1] - at[i]);
            }
        }
        for (int i = 1; i < replicas.size(); i++) {
            replicas.get(i).reserve(Math.max(share, 1));
        }
    }

    @Override
    public void testBatch(float[] x, float[] y, int rows) {
        sync();
        replicas.get(0).testBatch(x, y, rows);
    }

    @Override
    public void predictBatch(float[] x, int rows, float[] out, int outOffset) {
        sync();
        replicas.get(0).predictBatch(x, rows, out, outOffset);
    }

    @Override
    public void sampleBatch(float[] x, int rows, float[] out, int outOffset) {
        sync();
        replicas.get(0).sampleBatch(x, rows, out, outOffset);
    }

    @Override
    public void resetSampling() {
        replicas.get(0).resetSampling();
    }

    @Override
    public boolean sharesMasksAcrossRows() {
        return replicas.get(0).sharesMasksAcrossRows();
    }

    @Override
    public void resetTotals() {
        sync();
        replicas.forEach(Trainable::resetTotals);
    }

    /** Into replica 0's sums (the others were reset). */
    @Override
    public void restoreTotals(double lossTotal, List<Double> metricTotals, int batchRows) {
        sync();
        replicas.get(0).restoreTotals(lossTotal, metricTotals, batchRows);
    }

    /** The replicas' sums added up, in replica order. */
    @Override
    public double[] totals() {
        sync();
        double[] out = null;
        for (Replicable r : replicas) {
            double[] t = r.totals();
            if (out == null) {
                out = t;
            } else {
                for (int k = 0; k < out.length; k++) {
                    out[k] += t[k];
                }
            }
        }
        return out;
    }

    @Override
    public Tensor parameters() {
        sync();
        return replicas.get(0).parameters();
    }

    /** Replica 0's: after a step, the summed gradient the update used. */
    @Override
    public Tensor gradients() {
        sync();
        return replicas.get(0).gradients();
    }

    @Override
    public List<Parameter> parameterList() {
        return replicas.get(0).parameterList();
    }

    @Override
    public Optimizer optimizer() {
        return replicas.get(0).optimizer();
    }

    /** Replica 0's checkpoint: its weights, optimizer state and counters are the set's. */
    @Override
    public void checkpoint(Path dir, Position position) throws IOException {
        sync();
        replicas.get(0).checkpoint(dir, position);
    }

    /** Waits for the last uploads, stops the threads and closes replicas 1..R−1 (not the model); idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            sync();
        } catch (RuntimeException e) {
            LOG.warning("a replica failed while closing the replica set: " + e.getMessage());
        }
        closed = true;
        for (ExecutorService w : workers) {
            w.shutdownNow();
        }
        for (int i = replicas.size() - 1; i >= 1; i--) {
            replicas.get(i).close();
        }
    }
}

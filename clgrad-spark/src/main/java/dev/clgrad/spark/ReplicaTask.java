package dev.clgrad.spark;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.model.Sequential;
import dev.clgrad.ops.Counter;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Position;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The body of one barrier task: one clgrad replica on its executor's device, training on the rows
 * of its partition ({@link BatchPlan}) in step with the other tasks. Dimensions: R tasks, P
 * trainable values, B global batch, I features and T targets per row.
 *
 * <p>One step s with gradient exchange: the task uploads its share [at_i, at_{i+1}) of the global
 * batch and runs forward, loss and backward for it ({@code Sequential.gradientBatch}), its dropout
 * masks those of its global rows; downloads its gradient g_i (P); {@link AllGather#weightedSum}
 * gives every task {@code g = Σ_j (n_j / G)·g_j} in task order, in float64; each uploads g and
 * applies the optimizer ({@code applyUpdate}). Every task applies the same update to the same
 * parameters, so all hold the same bits and equal one device's training on the same global
 * batches within float32 summation error. With model averaging every K steps, each task applies
 * its own gradient, and after every K-th step (and an epoch's last) the parameters are averaged
 * (equal weights, in task order, float64); each task keeps its own optimizer state.
 *
 * <p>Checkpoints ({@link CheckpointStore}) hold each replica's clgrad checkpoint: weights,
 * optimizer state, dropout counters and the position, with the epoch's loss and metric sums so
 * far and its samples counted. A retried stage attempt (Spark reruns every task of a failed
 * barrier stage) restores them and goes on from that step, so the steps after the checkpoint run
 * again from the same state and no sample is counted twice.
 *
 * <p>Task 0 returns the {@link SparkHistory} and the trained model, Java-serialized; the others
 * return nothing.
 */
final class ReplicaTask extends AbstractFunction1<Iterator<LabeledSample>, Iterator<byte[]>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaTask.class);
    static final String SAMPLES_KEY = "spark.samples";
    static final String HISTORY = "history.tsv";

    private final Map<String, byte[]> initialModel;
    private final BatchPlan plan;
    private final SparkFitOptions options;
    private final long seed;
    private final int features;
    private final int targets;
    private final Map<String, String> hadoopConf;

    /** options: with epochs and batch size set; initialModel: the built, compiled model's saved files. */
    ReplicaTask(Map<String, byte[]> initialModel, BatchPlan plan, SparkFitOptions options, long seed, int features,
                int targets, Map<String, String> hadoopConf) {
        this.initialModel = Map.copyOf(initialModel);
        this.plan = plan;
        this.options = options;
        this.seed = seed;
        this.features = features;
        this.targets = targets;
        this.hadoopConf = Map.copyOf(hadoopConf);
    }

    @Override
    public Iterator<byte[]> apply(Iterator<LabeledSample> rows) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        try {
            byte[] out = new Run(ctx, CollectionConverters.asJava(rows)).train();
            return CollectionConverters.asScala(out == null ? List.<byte[]>of().iterator() : List.of(out).iterator());
        } catch (IOException e) {
            throw new UncheckedIOException("clgrad-spark task " + ctx.partitionId() + ": " + e.getMessage(), e);
        }
    }

    /** One task attempt's state. */
    private final class Run {
        private final BarrierTaskContext ctx;
        private final int task;
        private final int tasks;
        private final int attempt;
        private AllGather exchange;
        private final float[] x;
        private final float[] y;
        private final int rows;

        Run(BarrierTaskContext ctx, java.util.Iterator<LabeledSample> in) {
            this.ctx = ctx;
            task = ctx.partitionId();
            tasks = ctx.getTaskInfos().length;
            attempt = ctx.stageAttemptNumber();
            if (tasks != plan.tasks()) {
                throw new IllegalStateException("the barrier stage runs " + tasks + " tasks, the batch plan is for "
                        + plan.tasks());
            }
            long expected = plan.taskRows(task);
            x = new float[Math.toIntExact(expected * features)];
            y = new float[Math.toIntExact(expected * targets)];
            int n = 0;
            while (in.hasNext()) {
                LabeledSample s = in.next();
                if (n == expected) {
                    throw new IllegalStateException("task " + task + " holds more than the " + expected
                            + " rows the batch plan gives it");
                }
                if (s.features().length != features || s.target().length != targets) {
                    throw new IllegalArgumentException("task " + task + ": a sample has " + s.features().length
                            + " features and " + s.target().length + " targets; the first had " + features + " and "
                            + targets);
                }
                System.arraycopy(s.features(), 0, x, n * features, features);
                System.arraycopy(s.target(), 0, y, n * targets, targets);
                n++;
            }
            if (n != expected) {
                throw new IllegalStateException("task " + task + " holds " + n + " rows, the batch plan gives it "
                        + expected);
            }
            rows = n;
        }

        byte[] train() throws IOException {
            Path work = Files.createTempDirectory("clgrad-spark-task" + task + "-");
            exchange = new AllGather(ctx);
            try (Backend backend = Backends.select(options.device())) {
                LocalDirs.write(initialModel, work.resolve("init"));
                try (Sequential model = Sequential.load(work.resolve("init"), backend)) {
                    return train(model, work);
                }
            } finally {
                exchange.close();
                LocalDirs.delete(work);
            }
        }

        /** The checkpoint part this task reads and writes: its own with model averaging, task 0's otherwise. */
        private String part() {
            return "task-" + (options.averageEvery() > 0 ? task : 0);
        }

        private boolean writesCheckpoints() {
            return options.averageEvery() > 0 || task == 0;
        }

        private byte[] train(Sequential model, Path work) throws IOException {
            final int steps = plan.steps();
            final int batch = plan.batch();
            final int k = options.averageEvery();
            model.reserve(plan.maxShare());
            CheckpointStore store = options.checkpointDir() == null ? null
                    : new CheckpointStore(options.checkpointDir(), hadoop());
            SparkHistory history = new SparkHistory(model.metricNames());
            int epoch0 = 0;
            int step0 = 0;
            long samples = 0;
            String resumed = null;
            Optional<String> latest = store == null ? Optional.empty() : store.latest();
            if (latest.isPresent()) {
                resumed = latest.get();
                Path local = work.resolve("restore").resolve(Checkpoint.FILE);
                store.download(resumed, part(), Checkpoint.FILE, local);
                Position p = model.restoreCheckpoint(local.getParent());
                if (p.batchSize() != batch || p.seed() != seed || p.shuffle() != options.shuffle()) {
                    throw new IllegalStateException(store + "/" + resumed + " was written with batch " + p.batchSize()
                            + ", seed " + p.seed() + ", shuffle " + p.shuffle() + "; this fit has batch " + batch
                            + ", seed " + seed + ", shuffle " + options.shuffle()
                            + " (use another checkpoint directory)");
                }
                epoch0 = p.epoch();
                step0 = p.step();
                long counted = Math.round(p.callbacks().getOrDefault(SAMPLES_KEY, 0.0));
                if (task == 0) {
                    model.restoreTotals(p.lossSum(), p.metricSums(), plan.maxShare());
                    samples = counted;
                }
                readHistory(store.readText(resumed, HISTORY), history);
                LOG.info(String.format("clgrad-spark task %d (stage attempt %d): resumed from %s/%s at epoch %d, "
                        + "step %d of %d, %d samples of the epoch counted (all tasks)", task, attempt, store, resumed,
                        epoch0 + 1, step0, steps, counted));
            }
            long start = (long) epoch0 * steps + step0;
            for (long other : exchange.gather(start)) {
                if (other != start) {
                    throw new IllegalStateException("the tasks would resume at different steps (" + start + " here, "
                            + other + " elsewhere): the checkpoint in " + store + " is incomplete");
                }
            }

            Map<String, Counter> counters = model.counters();
            long[] cv = new long[counters.size()];
            Tensor grads = model.gradients();
            Tensor params = model.parameters();
            float[] xb = new float[batch * features];
            float[] yb = new float[batch * targets];
            float[] reduced = new float[Math.toIntExact(params.shape().size())];
            double[] w = new double[tasks];
            long exchangeNs = 0;
            long gatherNs = 0;
            long gatherBytes = 0;
            long stepsRun = 0;
            long trained = 0;
            long t0 = System.nanoTime();
            for (int epoch = epoch0; epoch < options.epochs(); epoch++) {
                int[] order = order(epoch);
                int first = epoch == epoch0 ? step0 : 0;
                int cursor = Math.toIntExact(plan.taskRowsBefore(task, first));
                for (int s = first; s < steps; s++) {
                    int[] at = plan.split(s);
                    int global = plan.globalRows(s);
                    int from = at[task];
                    int n = at[task + 1] - from;
                    for (int r = 0; r < n; r++) {
                        int src = order[cursor + r];
                        System.arraycopy(x, src * features, xb, (from + r) * features, features);
                        System.arraycopy(y, src * targets, yb, (from + r) * targets, targets);
                    }
                    cursor += n;
                    if (n > 0) {
                        model.gradientBatch(xb, yb, from, n, global);
                    }
                    long globalStep = (long) epoch * steps + s;
                    boolean average = k > 0 && ((globalStep + 1) % k == 0 || s == steps - 1);
                    if (k > 0 && n > 0) {
                        model.applyUpdate();
                    }
                    if (k == 0 || average) {
                        long te = System.nanoTime();
                        long g0 = exchange.nanos();
                        long b0 = exchange.bytes();
                        Tensor t = k == 0 ? grads : params;
                        float[] mine = k == 0 && n == 0 ? null : t.toArray();
                        for (int j = 0; j < tasks; j++) {
                            w[j] = k == 0 ? (double) (at[j + 1] - at[j]) / global : 1.0 / tasks;
                        }
                        int c = 0;
                        for (Counter counter : counters.values()) {
                            cv[c++] = counter.get();
                        }
                        exchange.weightedSum(mine, cv, w, reduced);
                        c = 0;
                        for (Counter counter : counters.values()) {
                            counter.set(cv[c++]);
                        }
                        t.copyFrom(reduced);
                        exchangeNs += System.nanoTime() - te;
                        gatherNs += exchange.nanos() - g0;
                        gatherBytes += exchange.bytes() - b0;
                        if (k == 0) {
                            model.applyUpdate();
                        }
                    }
                    samples += n;
                    trained += global;
                    stepsRun++;
                    if (options.listener() != null) {
                        options.listener().onStepEnd(new StepListener.Step(task, tasks, attempt, epoch, s, globalStep));
                    }
                    if (store != null && options.checkpointEvery() > 0 && (globalStep + 1) % options.checkpointEvery() == 0
                            && s + 1 < steps) {
                        checkpoint(store, model, history, new Position(epoch, s + 1, seed, batch, options.shuffle(),
                                0, List.of()), samples, globalStep + 1);
                    }
                }
                double[] t = model.totals();
                double[] mine = new double[t.length + 1];
                System.arraycopy(t, 0, mine, 0, t.length);
                mine[t.length] = samples;
                double[] all = exchange.sum(mine);
                long count = Math.round(all[t.length]);
                double[] metrics = new double[t.length - 1];
                for (int m = 0; m < metrics.length; m++) {
                    metrics[m] = all[m + 1] / count;
                }
                history.addEpoch(all[0] / count, metrics, count);
                if (task == 0) {
                    StringBuilder line = new StringBuilder(String.format("clgrad-spark epoch %d/%d: loss %.4f",
                            epoch + 1, options.epochs(), all[0] / count));
                    for (int m = 0; m < metrics.length; m++) {
                        line.append(String.format(", %s %.4f", model.metricNames().get(m), metrics[m]));
                    }
                    LOG.info(line.append(String.format(", %d samples (stage attempt %d)", count, attempt)).toString());
                }
                model.resetTotals();
                samples = 0;
                if (store != null) {
                    checkpoint(store, model, history, new Position(epoch + 1, 0, seed, batch, options.shuffle(), 0,
                            List.of()), 0, (long) (epoch + 1) * steps);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (task != 0) {
                return null;
            }
            model.save(work.resolve("out"));
            double per = stepsRun == 0 ? Double.NaN : 1.0 / stepsRun;
            history.finish(exchangeNs / 1e6 * per, gatherNs / 1e6 * per, gatherBytes * per, trained / seconds,
                    stepsRun, attempt, resumed, tasks, LocalDirs.read(work.resolve("out")));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(history);
            }
            return bytes.toByteArray();
        }

        /**
         * Writes this task's part of the checkpoint at {@code globalStep}, meets the others at a
         * barrier, and task 0 commits it. The position holds the epoch's loss and metric sums and
         * samples so far over <em>all</em> tasks (an allGather); a resumed task 0 restores them and
         * the others start from zero.
         */
        private void checkpoint(CheckpointStore store, Sequential model, SparkHistory history, Position at,
                                long samples, long globalStep) throws IOException {
            String name = CheckpointStore.name(globalStep);
            double[] t = model.totals();
            double[] mine = new double[t.length + 1];
            System.arraycopy(t, 0, mine, 0, t.length);
            mine[t.length] = samples;
            double[] all = exchange.sum(mine);
            if (writesCheckpoints()) {
                List<Double> metrics = new ArrayList<>();
                for (int m = 1; m < t.length; m++) {
                    metrics.add(all[m]);
                }
                Position p = new Position(at.epoch(), at.step(), at.seed(), at.batchSize(), at.shuffle(), all[0], metrics,
                        Map.of(SAMPLES_KEY, all[t.length]));
                Path dir = Files.createTempDirectory("clgrad-spark-checkpoint-");
                try {
                    model.checkpoint(dir, p);
                    store.upload(dir.resolve(Checkpoint.FILE), name, part());
                } finally {
                    LocalDirs.delete(dir);
                }
            }
            if (task == 0) {
                store.writeText(name, HISTORY, writeHistory(history));
            }
            exchange.barrier();
            if (task == 0) {
                store.commit(name);
            }
        }

        /** Row order of this task's partition in {@code epoch}: a Fisher–Yates shuffle seeded by (seed, epoch, task), or as stored. */
        private int[] order(int epoch) {
            int[] o = new int[rows];
            for (int i = 0; i < rows; i++) {
                o[i] = i;
            }
            if (options.shuffle()) {
                Random rng = new Random(seed * 1_000_003L + epoch * 7919L + task);
                for (int i = rows - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1);
                    int t = o[i];
                    o[i] = o[j];
                    o[j] = t;
                }
            }
            return o;
        }

        private Configuration hadoop() {
            Configuration c = new Configuration(false);
            hadoopConf.forEach(c::set);
            return c;
        }
    }

    /** The finished epochs, one per line: loss, each metric, samples (tab-separated; doubles exactly). */
    private static String writeHistory(SparkHistory h) {
        StringBuilder b = new StringBuilder();
        List<String> names = h.metricNames();
        for (int e = 0; e < h.epochs(); e++) {
            b.append(h.loss().get(e));
            for (String m : names) {
                b.append('\t').append(h.get(m).get(e));
            }
            b.append('\t').append(h.samples().get(e)).append('\n');
        }
        return b.toString();
    }

    private static void readHistory(String text, SparkHistory h) {
        int metrics = h.metricNames().size();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            double[] m = new double[metrics];
            for (int i = 0; i < metrics; i++) {
                m[i] = Double.parseDouble(f[1 + i]);
            }
            h.addEpoch(Double.parseDouble(f[0]), m, Long.parseLong(f[1 + metrics]));
        }
    }
}

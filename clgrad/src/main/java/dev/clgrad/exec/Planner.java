package dev.clgrad.exec;

import dev.clgrad.backend.Backend;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.Parameter;
import dev.clgrad.nn.Metric;
import dev.clgrad.nn.ParameterStore;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Fill;
import dev.clgrad.ops.Op;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.DeviceMemory;
import dev.clgrad.tensor.Placeholders;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The scheduler of one model on one backend. For each program kind (a training step, an
 * evaluation batch, a prediction batch) and batch size it lowers the layers, the loss and the
 * optimizer to ops ({@link Graph}), applies the {@link Fusion} rules, places every workspace value
 * in one arena by liveness ({@link Layout}) and binds the result into a replayable
 * {@link Program}. Layouts are computed at the largest batch and reused by smaller ones, so one
 * arena serves every program; programs are cached per (kind, rows).
 *
 * <p>Losses accumulate per batch size into their own slot of a device vector (the mean of each
 * batch), so the loss sum can weight each slot by its rows: epoch and evaluation losses are
 * means over samples, as Keras reports them, whatever the size of the last batch. Each compiled
 * {@link Metric} sums its per-row values into its own slot ahead of the loss slots, read in the
 * same copy.
 */
public final class Planner implements AutoCloseable {
    /**
     * What a program computes: a training step, an evaluation batch, a prediction batch, or a
     * Monte-Carlo prediction batch (every random-mask layer drawing, as in training, no loss).
     */
    public enum Kind { TRAIN, EVALUATE, PREDICT, SAMPLE }

    /**
     * Where Monte-Carlo prediction's counters start ({@link #resetSampling}): 2^63, the upper half
     * of the 64-bit counter space, which training's counters (from 0, a mask's blocks a step) never
     * reach, so no sampling pass reuses a training step's draws.
     */
    public static final long SAMPLING_BASE = Long.MIN_VALUE;

    private static final int SLOTS = 16;
    /** The most metrics a model compiles; their sums come first in the sums vector. */
    public static final int METRICS = 8;

    private final Backend backend;
    /** Where the planner's own tensors live: the backend, or placeholders when it only plans memory. */
    private final DeviceMemory memory;
    private final List<Layer> layers;
    private final ParameterStore store;
    private final Shape inputShape;
    private final Set<Layer> inputGradients = new HashSet<>();
    private final boolean trainable;
    private final Map<String, Program> programs = new HashMap<>();
    /** Each kind's most recent program, found without building a key: the one a training loop replays. */
    private final Program[] lastProgram = new Program[Kind.values().length];
    private final int[] lastRows = new int[Kind.values().length];
    private final Map<Integer, Integer> slots = new HashMap<>();
    /** The Monte-Carlo counters, one per random-mask layer's training counter. */
    private final Map<Counter, Counter> sampling = new IdentityHashMap<>();
    private Loss loss;
    private List<Metric> metrics = List.of();
    private Optimizer optimizer;
    private int targetColumns;
    private int maxRows;
    private Tensor sums;
    private Tensor batch;
    private Tensor arena;
    private final Map<Kind, Layout> layouts = new HashMap<>();

    /** A planner for built layers whose parameters live in {@code store}; per-sample input {@code inputShape}. */
    public Planner(Backend backend, List<Layer> layers, ParameterStore store, Shape inputShape) {
        this(backend, backend, layers, store, inputShape);
        sums.zero();
    }

    /** A planner whose sums, batch and arena live in {@code memory}; {@code backend} runs its programs. */
    private Planner(Backend backend, DeviceMemory memory, List<Layer> layers, ParameterStore store, Shape inputShape) {
        this.backend = backend;
        this.memory = memory;
        this.layers = List.copyOf(layers);
        this.store = store;
        this.inputShape = inputShape;
        int first = layers.size();
        for (int k = 0; k < layers.size(); k++) {
            if (layers.get(k).trainableCount() > 0) {
                first = Math.min(first, k);
            }
        }
        for (int k = first + 1; k < layers.size(); k++) {
            inputGradients.add(layers.get(k));
        }
        this.trainable = first < layers.size();
        this.sums = Tensor.empty(memory, Shape.of(METRICS + SLOTS), "sums");
    }

    /**
     * What a model of these built layers takes at batches of up to {@code rows} rows, planned
     * before anything is allocated: its parameter groups ({@link ParameterStore#planned}), the
     * initial values on the host, the optimizer's state, the peak workspace of every program (each
     * lowered at {@code rows} rows over placeholders and laid out), the batch and the host arrays
     * the batches are packed in. Allocates nothing; {@link MemoryPlan#check} it against the
     * backend's limits before building.
     *
     * @param optimizer null when the model is not compiled (then only prediction is planned)
     */
    public static MemoryPlan memoryPlan(String device, List<Layer> layers, Shape inputShape, Loss loss,
                                        List<Metric> metrics, Optimizer optimizer, int rows) {
        try (ParameterStore planned = ParameterStore.planned(layers);
             Planner p = new Planner(null, new Placeholders(), layers, planned, inputShape)) {
            p.compile(loss, metrics, optimizer);
            long params = planned.trainableFloats();
            List<MemoryPlan.Part> parts = new ArrayList<>();
            parts.add(new MemoryPlan.Part("parameters", 1, params, false, MemoryPlan.Life.MODEL));
            parts.add(new MemoryPlan.Part("gradients", 1, params, false, MemoryPlan.Life.MODEL));
            if (planned.bufferFloats() > 0) {
                parts.add(new MemoryPlan.Part("buffers", 1, planned.bufferFloats(), false, MemoryPlan.Life.MODEL));
            }
            parts.add(new MemoryPlan.Part("initial values (while building)", 1, params, true, MemoryPlan.Life.BUILD));
            parts.addAll(p.planSteps(rows));
            return new MemoryPlan(device, planned.trainableCount() + planned.bufferCount(), rows, parts);
        }
    }

    /**
     * Plans the steps for batches of up to {@code rows} rows: makes it the largest batch, lays the
     * programs out over a placeholder batch (the layouts stay cached) and returns what running them
     * will allocate: the optimizer's state (unless it exists), the arena at its peak, the batch,
     * and the host arrays a batch is packed in (the model's upload array and the training loop's
     * two).
     */
    private List<MemoryPlan.Part> planSteps(int rows) {
        targetColumns = targetColumns();
        List<MemoryPlan.Part> parts = new ArrayList<>();
        if (optimizer != null && trainable && optimizer.state().isEmpty() && optimizer.stateTensors() > 0) {
            parts.add(new MemoryPlan.Part(optimizer.name() + " state", optimizer.stateTensors(),
                    store.trainableFloats(), false, MemoryPlan.Life.STEPS));
        }
        long packed = (long) rows * (inputValues() + targetColumns);
        maxRows = rows;
        try (Tensor placeholder = Tensor.empty(new Placeholders(), Shape.of(rows, inputValues() + targetColumns),
                "batch")) {
            batch = placeholder;
            parts.add(new MemoryPlan.Part("workspace", 1, peakFloats(), false, MemoryPlan.Life.STEPS));
        } finally {
            batch = null;
        }
        parts.add(new MemoryPlan.Part("batch", 1, packed, false, MemoryPlan.Life.STEPS));
        parts.add(new MemoryPlan.Part("host batches", 3, packed, true, MemoryPlan.Life.STEPS));
        return parts;
    }

    /** Sets the loss, the metrics (at most {@link #METRICS}) and the optimizer; drops every program. */
    public void compile(Loss l, List<Metric> ms, Optimizer opt) {
        if (ms.size() > METRICS) {
            throw new IllegalArgumentException("compile: " + ms.size() + " metrics; at most " + METRICS + " are tracked");
        }
        this.loss = l;
        this.metrics = List.copyOf(ms);
        this.optimizer = opt;
        invalidate();
    }

    private void invalidate() {
        programs.clear();
        Arrays.fill(lastProgram, null);
        layouts.clear();
    }

    private int outputs() {
        return (int) layers.get(layers.size() - 1).outputShape().size();
    }

    /** Per-sample input values. */
    public int inputValues() {
        return (int) inputShape.size();
    }

    /** Target values per row the compiled loss takes (the outputs when no loss is compiled). */
    public int targetColumns() {
        return loss == null ? outputs() : loss.targetColumns(outputs());
    }

    /** The largest batch the workspace holds. */
    public int maxRows() {
        return maxRows;
    }

    /**
     * Sizes the batch tensor and the arena for batches of up to {@code rows} rows; reallocates only
     * to grow (or when a new loss needs another target width). What the new workspace takes is
     * checked against the backend's {@link Backend#memoryLimits} first; when it does not fit, or the
     * device refuses it, the previous workspace is kept and the error says the sizes and the limit.
     *
     * @throws IllegalArgumentException when the workspace does not fit on the device
     */
    public void reserve(int rows) {
        int t = targetColumns();
        if (rows <= maxRows && t == targetColumns && batch != null) {
            return;
        }
        int previous = maxRows;
        int wanted = Math.max(rows, maxRows);
        try {
            allocate(wanted);
        } catch (RuntimeException e) {
            if (previous > 0) {
                allocate(previous);
            }
            throw e instanceof IllegalArgumentException ? e : new IllegalArgumentException("batch size " + rows
                    + ": the workspace does not fit on " + backend.id() + ": " + e.getMessage(), e);
        }
    }

    private void allocate(int rows) {
        release();
        invalidate();
        try {
            new MemoryPlan(backend.id(), store.trainableCount() + store.bufferCount(), rows, planSteps(rows))
                    .check(backend.memoryLimits());
            batch = Tensor.empty(memory, Shape.of(Math.toIntExact((long) rows * (inputValues() + targetColumns))),
                    "batch");
            arena = Tensor.empty(memory, Shape.of(Math.toIntExact(Math.max(peakFloats(), 1))), "workspace");
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    /** The largest peak of the programs the model runs (prediction, and with a loss training and evaluation), at {@link #maxRows}. */
    private long peakFloats() {
        long peak = 0;
        for (Kind k : Kind.values()) {
            if (k == Kind.PREDICT || k == Kind.SAMPLE && drawsMasks() || loss != null && k != Kind.SAMPLE) {
                peak = Math.max(peak, layout(k).peakFloats());
            }
        }
        return peak;
    }

    /** Whether some layer draws random masks (has a counter): only then is a sampling program planned. */
    private boolean drawsMasks() {
        return layers.stream().anyMatch(l -> !l.counters().isEmpty());
    }

    /**
     * Sets every Monte-Carlo counter to {@link #SAMPLING_BASE}: a prediction that starts here draws
     * the same masks whatever ran before. Training's counters are not touched.
     */
    public void resetSampling() {
        sampling.values().forEach(c -> c.set(SAMPLING_BASE));
    }

    private void release() {
        for (Tensor x : new Tensor[]{arena, batch}) {
            if (x != null) {
                x.close();
            }
        }
        arena = batch = null;
        maxRows = 0;
    }

    /**
     * The layout of {@code kind} at the largest batch. It is planned without the optimizer's
     * updates, which read and write only the parameter groups and the optimizer's own state, never
     * the workspace; so planning allocates nothing.
     */
    private Layout layout(Kind kind) {
        return layouts.computeIfAbsent(kind, k -> {
            try (Graph g = lower(k, maxRows, false)) {
                return Layout.of(g.values(), g.nodes(), List.of(g.output()));
            }
        });
    }

    /** The batch inputs (rows, input…), the start of the batch tensor. */
    public Tensor input(int rows) {
        return batchView(0, inputShape.withBatch(rows), "input");
    }

    /** The batch targets (rows, T), right after the inputs. */
    public Tensor target(int rows) {
        return batchView((long) rows * inputValues(), Shape.of(rows, targetColumns), "target");
    }

    private Tensor batchView(long offset, Shape shape, String name) {
        if (batch == null) {
            throw new IllegalStateException("no workspace yet: call reserve(batchSize) first");
        }
        return batch.view(offset, shape, name);
    }

    /** The loss slot of batches of {@code rows} rows: a view of the sums. */
    private Tensor slot(int rows) {
        return sums.view(METRICS + slotIndex(rows), Shape.of(1), "lossSum[" + rows + "]");
    }

    /** The index of the loss slot of batches of {@code rows} rows, taking a free one the first time. */
    private int slotIndex(int rows) {
        Integer s = slots.get(rows);
        if (s == null) {
            if (slots.size() == SLOTS) {
                throw new IllegalStateException("more than " + SLOTS + " batch sizes since the last resetTotals()");
            }
            s = slots.size();
            slots.put(rows, s);
        }
        return s;
    }

    /** Lowers program {@code kind} for {@code rows} rows, fused, before binding; with the optimizer's updates or without. */
    private Graph lower(Kind kind, int rows, boolean updates) {
        return lower(kind, rows, 0, rows, updates);
    }

    /** {@link #lower(Kind, int, boolean)} for rows [rowStart, rowStart + rows) of a global batch of globalRows. */
    private Graph lower(Kind kind, int rows, int rowStart, int globalRows, boolean updates) {
        Graph g = new Graph(store, kind == Kind.TRAIN, kind == Kind.SAMPLE ? sampling : null, rows, rowStart,
                globalRows, inputGradients);
        try {
            emit(g, kind, rows, updates);
            return g;
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** Emits the ops of program {@code kind} into {@code g}, then fuses them. */
    private void emit(Graph g, Kind kind, int rows, boolean updates) {
        boolean training = kind == Kind.TRAIN;
        Tensor h = input(rows);
        g.phase("forward");
        for (Layer layer : layers) {
            h = layer.forward(g, h);
        }
        g.output(h);
        if (kind == Kind.TRAIN || kind == Kind.EVALUATE) {
            Tensor target = target(rows);
            Tensor lossSum = slot(rows);
            g.phase("loss");
            Tensor dPred = training && trainable ? g.value("dPred", h.shape()) : null;
            loss.lower(g, h, target, lossSum, dPred);
            if (!training) {
                penalties(g, lossSum, false);
            }
            for (int m = 0; m < metrics.size(); m++) {
                metrics.get(m).lower(g, h, target, sums.view(m, Shape.of(1), metrics.get(m).name()));
            }
            if (training && trainable) {
                g.phase("backward");
                Tensor d = dPred;
                for (int k = layers.size() - 1; k >= 0 && d != null; k--) {
                    d = layers.get(k).backward(g, d);
                }
                penalties(g, lossSum, true);
                if (updates) {
                    updates(g);
                }
            }
        }
        Fusion.apply(g.nodes());
        if (backend != null) {
            ConvChoice.apply(g.nodes(), backend);
        }
    }

    /** Emits the optimizer's updates of every group from the gradients, then the constraints. */
    private void updates(Graph g) {
        g.phase("optimizer");
        for (Op op : optimizer.updates(store.params(), store.grads(), store.trainable())) {
            g.emit("optimizer", op);
        }
        for (Parameter p : store.trainable()) {
            if (p.constraint() != null) {
                g.emit(p.name() + ".constraint", p.constraint().op(store.value(p.name())));
            }
        }
    }

    /**
     * Emits each regularized parameter's penalty, added to the batch's loss slot (so the reported
     * losses include it, per batch as the loss itself, as Keras reports them), and when
     * {@code gradients} its gradient added to the parameter's, after the whole backward has written
     * the gradients: one launch per parameter, since the layers' gradient launches (GEMMs and their
     * fused composites) read no weights to fold it into, and the optimizer's update is one launch
     * per group with the group's own settings.
     */
    private void penalties(Graph g, Tensor lossSum, boolean gradients) {
        for (Parameter p : store.trainable()) {
            if (p.regularizer() != null) {
                g.emit(p.name() + ".penalty", p.regularizer().op(store.value(p.name()),
                        gradients ? store.gradient(p.name()) : null, lossSum));
            }
        }
    }

    /** The bound, prepared program of {@code kind} for {@code rows} rows (cached). */
    public Program program(Kind kind, int rows) {
        check(kind, rows);
        Program last = lastProgram[kind.ordinal()];
        if (last != null && lastRows[kind.ordinal()] == rows) {
            return last;
        }
        Program p = programs.computeIfAbsent(kind + ":" + rows, key -> bind(kind, rows));
        lastProgram[kind.ordinal()] = p;
        lastRows[kind.ordinal()] = rows;
        return p;
    }

    /**
     * A data-parallel replica's share of a training step (cached): forward, loss and backward
     * over its {@code rows} rows, rows [rowStart, rowStart + rows) of a global batch of
     * {@code globalRows} rows, whose random masks are those of the global rows; no update (the
     * replica set sums the gradients first, then runs {@link #updateProgram} once). The loss slot
     * is the replica's rows', so the sums add up across replicas.
     */
    public Program gradientProgram(int rows, int rowStart, int globalRows) {
        if (rowStart < 0 || rowStart + rows > globalRows) {
            throw new IllegalArgumentException("replica rows [" + rowStart + ", " + (rowStart + rows)
                    + ") do not lie in a global batch of " + globalRows + " rows");
        }
        check(Kind.TRAIN, rows);
        return programs.computeIfAbsent(Kind.TRAIN + "/gradients:" + rows + ":" + rowStart + ":" + globalRows,
                key -> bind(Kind.TRAIN, rows, rowStart, globalRows, false));
    }

    /**
     * The optimizer's updates of every group from the current gradients, then the constraints:
     * the end of a training step, as its own program (the optimizer's step count advances first).
     */
    public Program updateProgram() {
        if (loss == null) {
            throw new IllegalStateException("the model is not compiled: call compile(optimizer, loss) first");
        }
        return programs.computeIfAbsent("UPDATE", key -> {
            try (Graph g = new Graph(store, true, null, 1, inputGradients)) {
                if (trainable) {
                    updates(g);
                }
                Fusion.apply(g.nodes());
                return new Program(backend, g.nodes(), g.advances(), trainable ? optimizer : null, null, 0);
            }
        });
    }

    private void check(Kind kind, int rows) {
        if (batch == null || rows < 1 || rows > maxRows) {
            throw new IllegalArgumentException("batch of " + rows + " rows; the workspace holds 1.." + maxRows
                    + " (call reserve first)");
        }
        if ((kind == Kind.TRAIN || kind == Kind.EVALUATE) && loss == null) {
            throw new IllegalStateException("the model is not compiled: call compile(optimizer, loss) first");
        }
    }

    private Program bind(Kind kind, int rows) {
        return bind(kind, rows, 0, rows, true);
    }

    private Program bind(Kind kind, int rows, int rowStart, int globalRows, boolean updates) {
        Layout layout = layout(kind);
        try (Graph g = lower(kind, rows, rowStart, globalRows, updates)) {
            if (g.values().size() != layout.size()) {
                throw new IllegalStateException("plan: " + g.values().size() + " workspace values at " + rows
                        + " rows but " + layout.size() + " at " + maxRows);
            }
            UnaryOperator<Tensor> place = t -> {
                if (t.buffer() instanceof Symbols.Symbol s) {
                    long at = layout.offset(s.index);
                    if (at < 0) {
                        throw new IllegalStateException("plan: " + s.name + " is used but has no place in the workspace");
                    }
                    return arena.view(at + t.offset(), t.shape(), s.name);
                }
                return t;
            };
            List<Node> bound = new ArrayList<>();
            for (Node n : g.nodes()) {
                bound.add(n.withOp(n.op().rebind(place)));
            }
            return new Program(backend, bound, g.advances(),
                    kind == Kind.TRAIN && trainable && updates ? optimizer : null, place.apply(g.output()),
                    layout.peakFloats());
        }
    }

    /** Packs x: (rows·I) and y: (rows·T) into one upload to the batch tensor (y may be null). */
    public void upload(float[] staging, float[] x, float[] y, int rows) {
        upload(staging, x, y, 0, rows);
    }

    /**
     * Packs rows [from, from + rows) of x: (·, I) and y: (·, T) into one upload to the batch
     * tensor (y may be null): a data-parallel replica's rows of the global batch.
     */
    public void upload(float[] staging, float[] x, float[] y, int from, int rows) {
        int nx = rows * inputValues();
        int x0 = from * inputValues();
        if (x.length < x0 + nx) {
            throw new IllegalArgumentException("batch of " + rows + " rows from row " + from + " needs " + (x0 + nx)
                    + " values for input, got " + x.length);
        }
        if (y == null) {
            backend.upload(x, x0, batch.buffer(), batch.offset(), nx);
            return;
        }
        int ny = rows * targetColumns;
        int y0 = from * targetColumns;
        if (y.length < y0 + ny) {
            throw new IllegalArgumentException("batch of " + rows + " rows from row " + from + " needs " + (y0 + ny)
                    + " values for target, got " + y.length);
        }
        System.arraycopy(x, x0, staging, 0, nx);
        System.arraycopy(y, y0, staging, nx, ny);
        backend.upload(staging, 0, batch.buffer(), batch.offset(), nx + ny);
    }

    /** Floats of host staging a packed batch of {@link #maxRows} rows needs. */
    public int stagingFloats() {
        return maxRows * (inputValues() + targetColumns);
    }

    /** Zeroes the loss slots and the metric sums. */
    public void resetTotals() {
        backend.run(new Fill(sums, 0f));
        recycleSlots();
    }

    /** Forgets the batch sizes' slots once half are taken (the programs bound to them are rebound). */
    private void recycleSlots() {
        if (slots.size() > SLOTS / 2) {
            slots.clear();
            programs.keySet().removeIf(k -> k.startsWith(Kind.TRAIN.name()) || k.startsWith(Kind.EVALUATE.name()));
            lastProgram[Kind.TRAIN.ordinal()] = null;
            lastProgram[Kind.EVALUATE.ordinal()] = null;
        }
    }

    /**
     * Sets the sums to a saved {loss summed over rows, each metric's sum} of full batches of
     * {@code batchRows} rows: the loss goes back into that batch size's slot as the sum of batch
     * means ({@code lossRowSum / batchRows}, exact for a sum {@link #totals} reported), so the sums
     * continue as they would have. Metric sums beyond the compiled metrics are ignored, missing ones are 0.
     */
    public void restoreTotals(double lossRowSum, List<Double> metricSums, int batchRows) {
        recycleSlots();
        float[] v = new float[METRICS + SLOTS];
        for (int m = 0; m < Math.min(metrics.size(), metricSums.size()); m++) {
            v[m] = metricSums.get(m).floatValue();
        }
        v[METRICS + slotIndex(batchRows)] = (float) (lossRowSum / batchRows);
        sums.copyFrom(v);
    }

    /**
     * Reads the sums in one copy (waits for the queue): {Σ rows·(batch mean loss), then each
     * compiled metric's sum over rows, in order}.
     */
    public double[] totals() {
        float[] v = sums.toArray();
        double[] out = new double[1 + metrics.size()];
        for (Map.Entry<Integer, Integer> e : slots.entrySet()) {
            out[0] += (double) v[METRICS + e.getValue()] * e.getKey();
        }
        for (int m = 0; m < metrics.size(); m++) {
            out[1 + m] = v[m];
        }
        return out;
    }

    /**
     * The plan of {@code kind} at {@code rows} rows, one line per launch: the op (with its
     * epilogue), its layers, the ops it fuses, its buffers, whether the backend runs it as one
     * kernel; then the peak workspace and, for comparison, the per-layer y/dX buffers of an
     * unplanned model.
     */
    public String explain(Kind kind, int rows) {
        return Explain.text(plan(kind, rows));
    }

    /**
     * The plan of {@code kind} at {@code rows} rows as data: what {@link #explain} prints, and
     * {@code clgrad explain --json} gives. Reserves the workspace for {@code rows} and binds the
     * program (cached), so the launches are those a step replays.
     */
    public Plan plan(Kind kind, int rows) {
        reserve(rows);
        return Explain.plan(backend, program(kind, rows), kind, rows, store, perLayerBytes(rows));
    }

    /**
     * A planned program as data.
     *
     * @param device             the backend's id, such as {@code java} or {@code opencl:0:0}
     * @param launches           the program's launches, in order (one op each, after fusion)
     * @param peakWorkspaceBytes the arena bytes this program's workspace values occupy at most
     * @param perLayerBytes      what every layer's own y and dX buffers (and dPred) would take instead
     * @param trainable          trainable parameter values; {@code buffers}: non-trainable ones
     */
    public record Plan(Kind kind, int rows, String device, List<Launch> launches, long peakWorkspaceBytes,
                       long perLayerBytes, long trainable, long buffers) {
        public Plan {
            launches = List.copyOf(launches);
        }

        /** Kernel launches a run enqueues: one per launch the backend fuses, else its parts. */
        public int kernelLaunches() {
            return launches.stream().mapToInt(l -> l.kernels().size()).sum();
        }

        /**
         * One launch of a plan.
         *
         * @param name      the op's name, such as {@code matmul} or {@code mseDenseBackward}
         * @param op        the op with its epilogue, such as {@code matmul NN [+bias relu dropout(0.5)]}
         * @param layers    the layers and phases it belongs to, such as {@code dense_1.forward+dropout_1.forward}
         * @param fuses     the names of the ops it replaced, in the order the layers emitted them
         * @param kernels   the kernels the backend launches for it ({@link Backend#kernels}): one where
         *                  it has the fused kernel, else its decomposition's
         * @param buffers   what it reads and writes: {@code name (shape), … -> name (shape), …}
         */
        public record Launch(String name, String op, String layers, List<String> fuses, List<String> kernels,
                             String buffers) {
            public Launch {
                fuses = List.copyOf(fuses);
                kernels = List.copyOf(kernels);
            }

            /** Whether the backend runs it as one kernel. */
            public boolean oneLaunch() {
                return kernels.size() == 1;
            }
        }
    }

    /**
     * What per-layer y and dX buffers (every layer's own, as before the planner) would take for
     * {@code rows}, for each layer that computes something (a Flatten is a view), plus dPred.
     */
    private long perLayerBytes(int rows) {
        long floats = 0;
        for (Layer l : layers) {
            if (!(l.outputShape().equals(l.inputShape()) || l.parameterCount() > 0 || l.counters().size() > 0)) {
                continue;
            }
            floats += (long) rows * (l.inputShape().size() + l.outputShape().size());
        }
        floats += (long) rows * outputs();
        return floats * Float.BYTES;
    }

    /** Frees the arena, the batch and the sums; idempotent. */
    @Override
    public void close() {
        release();
        if (sums != null) {
            sums.close();
            sums = null;
        }
        programs.clear();
        Arrays.fill(lastProgram, null);
    }
}

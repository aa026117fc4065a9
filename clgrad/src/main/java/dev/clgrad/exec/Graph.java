package dev.clgrad.exec;

import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Lowering;
import dev.clgrad.nn.ParameterStore;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.tensor.Shape;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ops of one program as the layers lowered them, before fusion: a {@link Lowering} that
 * records each emitted op as a {@link Node} labelled with its layer and phase, hands out workspace
 * values as symbolic tensors ({@link Symbols}), and collects the counters to advance after a step.
 */
final class Graph implements Lowering, AutoCloseable {
    private final Symbols symbols = new Symbols();
    private final List<Node> nodes = new ArrayList<>();
    private final List<Tensor> values = new ArrayList<>();
    private final Map<Layer, Map<String, Tensor>> saved = new IdentityHashMap<>();
    private final List<Advance> advances = new ArrayList<>();
    private final ParameterStore store;
    private final boolean training;
    /** A Monte-Carlo prediction's sampling counters by training counter (the planner's); null otherwise. */
    private final Map<Counter, Counter> sampling;
    private final int rows;
    private final int rowStart;
    private final int globalRows;
    private final Set<Layer> inputGradients;
    private final Map<Counter, Counter> shifted = new IdentityHashMap<>();
    private String phase = "forward";
    private Tensor output;

    /** A counter and what a step adds to it. */
    record Advance(Counter counter, long delta) {
    }

    /** @param sampling the planner's sampling counters for a Monte-Carlo prediction program, else null */
    Graph(ParameterStore store, boolean training, Map<Counter, Counter> sampling, int rows, Set<Layer> inputGradients) {
        this(store, training, sampling, rows, 0, rows, inputGradients);
    }

    /**
     * A data-parallel replica's program: its {@code rows} rows start at row {@code rowStart} of a
     * global batch of {@code globalRows} rows ({@link Lowering#rowStart}).
     */
    Graph(ParameterStore store, boolean training, Map<Counter, Counter> sampling, int rows, int rowStart,
          int globalRows, Set<Layer> inputGradients) {
        this.store = store;
        this.training = training;
        this.sampling = sampling;
        this.rows = rows;
        this.rowStart = rowStart;
        this.globalRows = globalRows;
        this.inputGradients = inputGradients;
    }

    /** Sets the phase named in the labels of the ops emitted next: forward, backward. */
    void phase(String p) {
        phase = p;
    }

    @Override
    public boolean training() {
        return training;
    }

    @Override
    public boolean drawsMasks() {
        return training || sampling != null;
    }

    /** In Monte-Carlo prediction, the sampling twin of {@code trainingCounter}, made at the first ask. */
    @Override
    public Counter maskCounter(Counter trainingCounter) {
        return sampling == null ? trainingCounter
                : sampling.computeIfAbsent(trainingCounter, c -> new Counter(Planner.SAMPLING_BASE));
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
        Counter view = shifted.computeIfAbsent(counter, c -> c.plus(blocks));
        if (view.get() - counter.get() != blocks) {
            throw new IllegalStateException("counter " + counter + " is shifted by " + (view.get() - counter.get())
                    + " blocks in this program, not " + blocks);
        }
        return view;
    }

    @Override
    public Tensor workspace(Layer owner, String what, Shape perSample) {
        return value((owner == null ? "" : owner.name() + ".") + what, perSample.withBatch(rows));
    }

    @Override
    public Tensor batchValue(Layer owner, String what, Shape shape) {
        return value(owner.name() + "." + what, shape);
    }

    /** A workspace value of the full shape {@code shape}, named {@code name}. */
    Tensor value(String name, Shape shape) {
        symbols.name(name);
        Tensor t = Tensor.empty(symbols, shape, name);
        values.add(t);
        return t;
    }

    @Override
    public Tensor parameter(Layer owner, String name) {
        return store.value(owner.name() + "." + name);
    }

    @Override
    public Tensor gradient(Layer owner, String name) {
        return store.gradient(owner.name() + "." + name);
    }

    @Override
    public void emit(Layer owner, Op op) {
        op.validate();
        emit(owner == null ? phase : owner.name() + "." + phase, op);
    }

    /** Appends {@code op} labelled {@code label}. */
    void emit(String label, Op op) {
        nodes.add(Node.of(op, label));
    }

    @Override
    public void save(Layer owner, String key, Tensor t) {
        saved.computeIfAbsent(owner, k -> new HashMap<>()).put(key, t);
    }

    @Override
    public Tensor saved(Layer owner, String key) {
        Tensor t = saved.getOrDefault(owner, Map.of()).get(key);
        if (t == null) {
            throw new IllegalStateException(owner.name() + ": backward asked for '" + key + "', which its forward did not save");
        }
        return t;
    }

    @Override
    public boolean needsInputGradient(Layer owner) {
        return inputGradients.contains(owner);
    }

    @Override
    public void advanceAfterStep(Counter counter, long delta) {
        advances.add(new Advance(counter, delta));
    }

    /** Sets the program's result (the model output). */
    void output(Tensor t) {
        output = t;
    }

    Tensor output() {
        return output;
    }

    List<Node> nodes() {
        return nodes;
    }

    /** The workspace values, in the order they were asked for. */
    List<Tensor> values() {
        return values;
    }

    List<Advance> advances() {
        return advances;
    }

    /** Closes the symbolic values (they hold no memory; this keeps the leak report quiet). */
    @Override
    public void close() {
        values.forEach(Tensor::close);
    }

    /** Whether {@code t} is a workspace value (or a view of one). */
    static boolean symbolic(Tensor t) {
        return t.buffer() instanceof Symbols.Symbol;
    }
}

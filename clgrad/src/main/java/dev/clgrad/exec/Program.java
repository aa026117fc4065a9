package dev.clgrad.exec;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Span;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A planned program for one batch size: the fused launches with their operands bound to the
 * arena, prepared once by the backend ({@link Backend#prepareAll}), and replayed by
 * {@link #run}: the optimizer's step count advances first, then every launch runs (each inside a
 * host span named after its layers, reported only while profiling), then the dropout counters
 * advance. Nothing is looked up, allocated or validated per step.
 */
public final class Program {
    private final Backend backend;
    private final List<Node> nodes;
    private final Backend.Launch[] launches;
    private final String[] labels;
    private final List<Graph.Advance> advances;
    private final Optimizer optimizer;
    private final Tensor output;
    private final long arenaFloats;

    Program(Backend backend, List<Node> nodes, List<Graph.Advance> advances, Optimizer optimizer, Tensor output,
            long arenaFloats) {
        this.backend = backend;
        this.nodes = List.copyOf(nodes);
        this.launches = backend.prepareAll(nodes.stream().map(Node::op).toList()).toArray(Backend.Launch[]::new);
        this.labels = new String[nodes.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = nodes.get(i).label();
        }
        this.advances = List.copyOf(advances);
        this.optimizer = optimizer;
        this.output = output;
        this.arenaFloats = arenaFloats;
    }

    /** Runs the program once. */
    public void run() {
        if (optimizer != null) {
            optimizer.beginStep();
        }
        for (int i = 0; i < launches.length; i++) {
            try (Span s = backend.span(labels[i])) {
                launches[i].run();
            }
        }
        for (Graph.Advance a : advances) {
            a.counter().getAndAdd(a.delta());
        }
    }

    /** The program's result (the model output), a view of the arena or of the batch. */
    public Tensor output() {
        return output;
    }

    /** The ops of the launches, in order. */
    public List<Op> ops() {
        List<Op> out = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            out.add(n.op());
        }
        return out;
    }

    /** The layers (with phase) of launch {@code i}, such as {@code dense_1.forward+dropout_1.forward}. */
    public String label(int i) {
        return labels[i];
    }

    /** The names of the ops launch {@code i} fuses, in the order the layers emitted them. */
    public List<String> fused(int i) {
        return nodes.get(i).fused();
    }

    /** Floats of the arena this program's workspace values occupy at most. */
    public long arenaFloats() {
        return arenaFloats;
    }
}

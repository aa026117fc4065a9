package dev.clgrad.exec;

import dev.clgrad.ops.Op;

import java.util.ArrayList;
import java.util.List;

/**
 * One launch of a plan: an op (after fusion), the layers it belongs to with their phase (such as
 * {@code dense_1.forward}, {@code loss}, {@code optimizer}), and the names of the ops it fuses, in
 * the order the layers emitted them.
 */
record Node(Op op, List<String> labels, List<String> fused) {
    Node {
        labels = List.copyOf(labels);
        fused = List.copyOf(fused);
    }

    static Node of(Op op, String label) {
        return new Node(op, List.of(label), List.of(op.name()));
    }

    /** This node's op replaced by {@code fusedOp}, absorbing {@code other}'s labels and fused ops. */
    Node absorb(Op fusedOp, Node other) {
        List<String> l = new ArrayList<>(labels);
        for (String s : other.labels) {
            if (!l.contains(s)) {
                l.add(s);
            }
        }
        List<String> f = new ArrayList<>(fused);
        f.addAll(other.fused);
        return new Node(fusedOp, l, f);
    }

    Node withOp(Op newOp) {
        return new Node(newOp, labels, fused);
    }

    /** The span name of the launch: its labels joined with {@code +}. */
    String label() {
        return String.join("+", labels);
    }
}

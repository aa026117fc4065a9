package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * logits: (B, C), labels: (B) class indices as floats → {@code count[0] (+)= #{b : argmax(logits[b]) == label_b}}
 * (the first maximum on ties); accumulate adds to count[0].
 */
public record AccuracyCount(Tensor logits, Tensor labels, Tensor count, boolean accumulate) implements Op {
    @Override
    public String name() {
        return "accuracyCount";
    }

    @Override
    public void validate() {
        Shapes.labels(name(), logits, labels);
        Shapes.scalar(name(), "count", count);
    }

    @Override
    public Cost cost() {
        double n = logits.shape().size();
        return new Cost(n, Cost.F * (n + labels.shape().size() + 1));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(logits, labels, accumulate ? count : null);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(count);
    }

    @Override
    public AccuracyCount rebind(UnaryOperator<Tensor> f) {
        return new AccuracyCount(f.apply(logits), f.apply(labels), f.apply(count), accumulate);
    }
}

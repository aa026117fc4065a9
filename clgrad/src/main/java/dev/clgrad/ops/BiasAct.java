package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/** x: (B, O), bias: (O) → {@code y[b, o] = activation(x[b, o] + bias[o])}: (B, O). y may be x. */
public record BiasAct(Tensor x, Tensor bias, Activation activation, Tensor y) implements Op {
    @Override
    public String name() {
        return activation == Activation.LINEAR ? "biasAdd" : "bias" + capitalised(activation);
    }

    static String capitalised(Activation a) {
        String n = a.opName();
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
        Shapes.bias(name(), x, bias);
    }

    @Override
    public Cost cost() {
        long rows = x.shape().rows();
        long cols = x.shape().cols();
        return new Cost((double) rows * cols * (activation == Activation.LINEAR ? 1 : 2),
                Cost.F * (2.0 * rows * cols + cols));
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(x, bias);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(y);
    }

    @Override
    public BiasAct rebind(UnaryOperator<Tensor> f) {
        return new BiasAct(f.apply(x), f.apply(bias), activation, f.apply(y));
    }
}

package dev.clgrad.nn;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/**
 * An element-wise activation as its own layer, x: (B, …) → {@code y = f(x)}: (B, …) ({@link Act});
 * backward {@code dX = dY·f'(·)} from the saved output ({@link ActBackward}). Keras's
 * {@code ReLU()} or {@code Activation("tanh")}; the planner fuses it into a preceding product's
 * epilogue as it does {@code Dense(units, activation)}.
 */
public abstract class ActivationLayer extends Layer {
    private final Activation activation;

    protected ActivationLayer(Activation activation) {
        this.activation = activation;
    }

    public Activation activation() {
        return activation;
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        Tensor y = g.workspace(this, "y", outputShape());
        g.emit(this, new Act(activation, x, y));
        g.save(this, "y", y);
        return y;
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, new ActBackward(activation, g.saved(this, "y"), dY, dX));
        return dX;
    }
}

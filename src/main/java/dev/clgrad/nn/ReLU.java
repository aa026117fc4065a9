package dev.clgrad.nn;

import dev.clgrad.tensor.Tensor;

/** x: (B, I) → {@code y = max(0, x)}: (B, I); backward {@code dX = dY·[y > 0]}. */
public final class ReLU extends Layer {
    private Tensor lastY;

    @Override
    public String type() {
        return "ReLU";
    }

    @Override
    public String namePrefix() {
        return "re_lu";
    }

    @Override
    protected int outputWidth(int in) {
        return in;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        lastY = output(x.shape().rows());
        backend().reluForward(x, lastY);
        return lastY;
    }

    @Override
    public Tensor backward(Tensor dY, boolean inputGradient) {
        if (!inputGradient) {
            return null;
        }
        Tensor out = inputGradient(dY.shape().rows());
        backend().reluBackward(lastY, dY, out);
        return out;
    }
}

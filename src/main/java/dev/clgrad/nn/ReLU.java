package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/** x: (B, I) → {@code y = max(0, x)}: (B, I); backward {@code dX = dY·[y > 0]}. */
public final class ReLU extends Layer {
    private Backend backend;
    private Tensor y;
    private Tensor dX;
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
    protected void allocate(Backend b, int maxBatch) {
        release();
        backend = b;
        y = Tensor.empty(b, Shape.of(maxBatch, inFeatures()), name() + ".y");
        dX = Tensor.empty(b, Shape.of(maxBatch, inFeatures()), name() + ".dX");
    }

    @Override
    protected void release() {
        if (dX != null) {
            dX.close();
            dX = null;
        }
        if (y != null) {
            y.close();
            y = null;
        }
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        lastY = y.rows(x.shape().rows());
        backend.reluForward(x, lastY);
        return lastY;
    }

    @Override
    public Tensor backward(Tensor dY, boolean inputGradient) {
        if (!inputGradient) {
            return null;
        }
        Tensor out = dX.rows(dY.shape().rows());
        backend.reluBackward(lastY, dY, out);
        return out;
    }
}

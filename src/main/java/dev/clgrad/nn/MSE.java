package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.tensor.Tensor;

/** Mean squared error: pred, target: (B, O) → {@code mean((pred - target)²)}; {@code dPred = 2(pred - target)/(B·O)}. */
public final class MSE implements Loss {
    @Override
    public String name() {
        return "mse";
    }

    @Override
    public int targetColumns(int outputs) {
        return outputs;
    }

    @Override
    public void forward(Backend backend, Tensor pred, Tensor target, Tensor loss, boolean accumulate) {
        backend.mseForward(pred, target, loss, accumulate);
    }

    @Override
    public void backward(Backend backend, Tensor pred, Tensor target, Tensor dPred) {
        backend.mseBackward(pred, target, dPred);
    }

    @Override
    public void forwardBackward(Backend backend, Tensor pred, Tensor target, Tensor loss, boolean accumulate,
                                Tensor dPred) {
        backend.mseForwardBackward(pred, target, loss, accumulate, dPred);
    }

    @Override
    public boolean classification() {
        return false;
    }
}

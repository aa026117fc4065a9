package dev.clgrad.optim;

import dev.clgrad.ops.Op;
import dev.clgrad.ops.SgdUpdate;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stochastic gradient descent with momentum, PyTorch's form, one launch over the
 * flat parameters ({@link SgdUpdate}): {@code g' = g + wd·p; vel = momentum·vel + g'; p -= lr·vel}. Defaults (Keras):
 * lr 0.01, momentum 0, wd 0.
 */
public final class Sgd implements Optimizer {
    private final float lr;
    private final float momentum;
    private final float weightDecay;
    private Tensor velocity;
    private long t;

    public Sgd() {
        this(0.01);
    }

    public Sgd(double lr) {
        this(lr, 0, 0);
    }

    public Sgd(double lr, double momentum, double weightDecay) {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("sgd: learning rate must be > 0 and finite, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("sgd: momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("sgd: weight decay must be >= 0 and finite, got " + weightDecay);
        }
        this.lr = (float) lr;
        this.momentum = (float) momentum;
        this.weightDecay = (float) weightDecay;
    }

    @Override
    public String name() {
        return "sgd";
    }

    public float lr() {
        return lr;
    }

    public float momentum() {
        return momentum;
    }

    public float weightDecay() {
        return weightDecay;
    }

    @Override
    public List<Op> updates(Tensor params, Tensor grads) {
        if (momentum != 0) {
            velocity = State.matching(velocity, params, "sgd.velocity");
        }
        return List.of(new SgdUpdate(params, grads, velocity, lr, momentum, weightDecay));
    }

    @Override
    public int stateTensors() {
        return momentum != 0 ? 1 : 0;
    }

    @Override
    public void beginStep() {
        t++;
    }

    @Override
    public long iterations() {
        return t;
    }

    @Override
    public Map<String, Tensor> state() {
        return velocity == null ? Map.of() : Map.of("velocity", velocity);
    }

    @Override
    public void restore(Tensor params, Map<String, float[]> values, long iterations) {
        State.checkRestore(name(), params, values, iterations, momentum != 0 ? Set.of("velocity") : Set.of());
        if (!values.isEmpty() || velocity != null) {
            velocity = State.restored(velocity, params, "sgd.velocity", values.get("velocity"));
        }
        t = iterations;
    }

    @Override
    public void close() {
        if (velocity != null) {
            velocity.close();
            velocity = null;
        }
    }
}

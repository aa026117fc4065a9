package dev.clgrad.optim;

import dev.clgrad.ops.AdagradUpdate;
import dev.clgrad.ops.Clip;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Adagrad (Duchi, Hazan and Singer, JMLR 2011), PyTorch's form without lr decay, one
 * {@link AdagradUpdate} launch: {@code acc += g²; p -= lr·g / (sqrt(acc) + eps)}, the accumulator
 * starting at {@code initialAccumulatorValue}. Keras's defaults and names: learningRate 1e-3,
 * initialAccumulatorValue 0.1, epsilon 1e-7. State {@code accumulator}.
 */
public final class Adagrad extends BaseOptimizer {
    private final float initialAccumulatorValue;
    private final float eps;
    private Tensor accumulator;

    public Adagrad() {
        this(1e-3, 0.1, 1e-7);
    }

    public Adagrad(double lr, double initialAccumulatorValue, double eps) {
        super("adagrad", lr);
        if (!(initialAccumulatorValue >= 0) || !Double.isFinite(initialAccumulatorValue)) {
            throw new IllegalArgumentException("adagrad: initialAccumulatorValue must be >= 0 and finite, got "
                    + initialAccumulatorValue);
        }
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("adagrad: epsilon must be > 0 and finite, got " + eps);
        }
        this.initialAccumulatorValue = (float) initialAccumulatorValue;
        this.eps = (float) eps;
    }

    @Override
    protected void allocate(Tensor params) {
        if (accumulator == null) {
            accumulator = State.matching(null, params, "adagrad.accumulator");
            fillInitial();
        } else {
            State.matching(accumulator, params, "adagrad.accumulator");
        }
    }

    private void fillInitial() {
        if (initialAccumulatorValue != 0f) {
            float[] init = new float[Math.toIntExact(accumulator.shape().size())];
            Arrays.fill(init, initialAccumulatorValue);
            accumulator.copyFrom(init);
        }
    }

    @Override
    protected Op update(Slice s, Tensor params, Tensor grads, Clip clip) {
        return new AdagradUpdate(s.of(params), s.of(grads), s.of(accumulator), lr(), eps, clip);
    }

    @Override
    public int stateTensors() {
        return 1;
    }

    @Override
    public Map<String, Tensor> state() {
        return accumulator == null ? Map.of() : Map.of("accumulator", accumulator);
    }

    @Override
    public void restore(Tensor params, Map<String, float[]> values, long iterations) {
        State.checkRestore(name(), params, values, iterations, Set.of("accumulator"));
        if (!values.isEmpty() || accumulator != null) {
            accumulator = State.restored(accumulator, params, "adagrad.accumulator", values.get("accumulator"));
            if (values.isEmpty()) {
                fillInitial();
            }
        }
        restoreStep(iterations);
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("initialAccumulatorValue", exact(initialAccumulatorValue));
        c.put("epsilon", exact(eps));
        return c;
    }

    @Override
    protected void closeState() {
        if (accumulator != null) {
            accumulator.close();
            accumulator = null;
        }
    }
}

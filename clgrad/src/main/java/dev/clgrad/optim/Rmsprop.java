package dev.clgrad.optim;

import dev.clgrad.ops.Clip;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.RmspropUpdate;
import dev.clgrad.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * RMSprop (Hinton, Coursera lecture 6e, 2012), PyTorch's form without momentum, one
 * {@link RmspropUpdate} launch: {@code v = rho·v + (1-rho)·g²; p -= lr·g / (sqrt(v) + eps)}; centered
 * (Graves, 2013) subtracts the squared mean gradient under the root. Keras's defaults and names:
 * learningRate 1e-3, rho 0.9, epsilon 1e-7, centered false. State {@code v} (and {@code gAvg}).
 */
public final class Rmsprop extends BaseOptimizer {
    private final float rho;
    private final float eps;
    private final boolean centered;
    private Tensor v;
    private Tensor gAvg;

    public Rmsprop() {
        this(1e-3, 0.9, 1e-7, false);
    }

    public Rmsprop(double lr, double rho, double eps, boolean centered) {
        super("rmsprop", lr);
        if (!(rho >= 0 && rho < 1)) {
            throw new IllegalArgumentException("rmsprop: rho must be in [0, 1), got " + rho);
        }
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("rmsprop: epsilon must be > 0 and finite, got " + eps);
        }
        this.rho = (float) rho;
        this.eps = (float) eps;
        this.centered = centered;
    }

    @Override
    protected void allocate(Tensor params) {
        v = State.matching(v, params, "rmsprop.v");
        if (centered) {
            gAvg = State.matching(gAvg, params, "rmsprop.gAvg");
        }
    }

    @Override
    protected Op update(Slice s, Tensor params, Tensor grads, Clip clip) {
        return new RmspropUpdate(s.of(params), s.of(grads), s.of(v), s.of(gAvg), lr(), rho, eps, clip);
    }

    @Override
    public int stateTensors() {
        return centered ? 2 : 1;
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (v != null) {
            out.put("v", v);
        }
        if (gAvg != null) {
            out.put("gAvg", gAvg);
        }
        return out;
    }

    @Override
    public void restore(Tensor params, Map<String, float[]> values, long iterations) {
        State.checkRestore(name(), params, values, iterations, centered ? Set.of("v", "gAvg") : Set.of("v"));
        if (!values.isEmpty() || v != null) {
            v = State.restored(v, params, "rmsprop.v", values.get("v"));
            if (centered) {
                gAvg = State.restored(gAvg, params, "rmsprop.gAvg", values.get("gAvg"));
            }
        }
        restoreStep(iterations);
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("rho", exact(rho));
        c.put("epsilon", exact(eps));
        c.put("centered", centered);
        return c;
    }

    @Override
    protected void closeState() {
        if (gAvg != null) {
            gAvg.close();
            gAvg = null;
        }
        if (v != null) {
            v.close();
            v = null;
        }
    }
}

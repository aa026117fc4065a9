package dev.clgrad.optim;

import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.Clip;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Adam (Kingma and Ba, ICLR 2015) in PyTorch's form, one {@link AdamUpdate} launch over the flat
 * parameters: {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²;
 * p -= lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}. Defaults lr 1e-3, b1 0.9, b2 0.999, eps 1e-8.
 */
public class Adam extends BaseOptimizer {
    private final AdamHyper hyper;
    private Tensor m;
    private Tensor v;

    public Adam() {
        this(1e-3);
    }

    public Adam(double lr) {
        this(AdamHyper.adam((float) lr));
    }

    public Adam(AdamHyper hyper) {
        this("adam", hyper);
    }

    Adam(String name, AdamHyper hyper) {
        super(name, exact(hyper.lr()));
        this.hyper = hyper;
    }

    /** The hyperparameters; {@code lr()} is the starting learning rate (see {@link #learningRate}). */
    public AdamHyper hyper() {
        return hyper;
    }

    @Override
    protected void allocate(Tensor params) {
        m = State.matching(m, params, name() + ".m");
        v = State.matching(v, params, name() + ".v");
    }

    @Override
    protected Op update(Slice s, Tensor params, Tensor grads, Clip clip) {
        return new AdamUpdate(s.of(params), s.of(grads), s.of(m), s.of(v), hyper, lr(), stepCounter(), clip);
    }

    @Override
    public int stateTensors() {
        return 2;
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (m != null) {
            out.put("m", m);
            out.put("v", v);
        }
        return out;
    }

    @Override
    public void restore(Tensor params, Map<String, float[]> values, long iterations) {
        State.checkRestore(name(), params, values, iterations, Set.of("m", "v"));
        if (!values.isEmpty() || m != null) {
            m = State.restored(m, params, name() + ".m", values.get("m"));
            v = State.restored(v, params, name() + ".v", values.get("v"));
        }
        restoreStep(iterations);
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("beta1", exact(hyper.beta1()));
        c.put("beta2", exact(hyper.beta2()));
        c.put("epsilon", exact(hyper.eps()));
        return c;
    }

    @Override
    protected void closeState() {
        if (v != null) {
            v.close();
            v = null;
        }
        if (m != null) {
            m.close();
            m = null;
        }
    }
}

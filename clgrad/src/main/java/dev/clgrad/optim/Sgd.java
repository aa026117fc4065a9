package dev.clgrad.optim;

import dev.clgrad.ops.Clip;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Scalar;
import dev.clgrad.ops.SgdUpdate;
import dev.clgrad.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Stochastic gradient descent with momentum, PyTorch's form, one launch over the flat parameters
 * ({@link SgdUpdate}): {@code g' = g + wd·p; vel = momentum·vel + g'; p -= lr·vel}, with
 * {@code nesterov} {@code p -= lr·(g' + momentum·vel)} (Sutskever et al., ICML 2013, as PyTorch
 * writes it). Defaults (Keras): lr 0.01, momentum 0, nesterov false, wd 0. The momentum may follow
 * a {@link Schedule} (the dropout paper's {@link LinearRamp}); it is a run-time scalar like lr.
 */
public final class Sgd extends BaseOptimizer {
    private final Scalar momentum;
    private final float weightDecay;
    private double momentumValue;
    private Schedule momentumSchedule;
    private boolean nesterov;
    private Tensor velocity;

    public Sgd() {
        this(0.01);
    }

    public Sgd(double lr) {
        this(lr, 0, 0);
    }

    public Sgd(double lr, double momentum, double weightDecay) {
        super("sgd", lr);
        checkMomentum(momentum);
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("sgd: weight decay must be >= 0 and finite, got " + weightDecay);
        }
        this.momentum = new Scalar((float) momentum);
        this.momentumValue = momentum;
        this.weightDecay = (float) weightDecay;
    }

    private static void checkMomentum(double m) {
        if (!(m >= 0 && m < 1)) {
            throw new IllegalArgumentException("sgd: momentum must be in [0, 1), got " + m);
        }
    }

    /** Nesterov momentum (needs a momentum or a momentum schedule, set before). Modified: this. */
    public Sgd withNesterov(boolean on) {
        if (on && !hasVelocity()) {
            throw new IllegalArgumentException("sgd: nesterov needs a momentum > 0, got momentum 0");
        }
        nesterov = on;
        return this;
    }

    /**
     * Makes the momentum follow {@code schedule}; every value it takes must lie in [0, 1) (checked
     * at its start and at its end, the extremes of the ramps it is meant for). Modified: this.
     */
    public Sgd withMomentum(Schedule schedule) {
        checkMomentum(schedule.value(0));
        checkMomentum(schedule.value(Long.MAX_VALUE / 2));
        momentumSchedule = schedule;
        applySchedules(iterations());
        return this;
    }

    /** The momentum the next update uses. */
    public double momentum() {
        return momentumValue;
    }

    public Schedule momentumSchedule() {
        return momentumSchedule;
    }

    public boolean nesterov() {
        return nesterov;
    }

    public float weightDecay() {
        return weightDecay;
    }

    private boolean hasVelocity() {
        return momentumSchedule != null || momentumValue != 0;
    }

    @Override
    protected void allocate(Tensor params) {
        if (hasVelocity()) {
            velocity = State.matching(velocity, params, "sgd.velocity");
        }
    }

    @Override
    protected Op update(Slice s, Tensor params, Tensor grads, Clip clip) {
        return new SgdUpdate(s.of(params), s.of(grads), s.of(velocity), lr(), momentum, weightDecay, nesterov, clip);
    }

    @Override
    protected void applySchedules(long step) {
        super.applySchedules(step);
        if (momentumSchedule != null) {
            momentumValue = momentumSchedule.value(step);
            momentum.set((float) momentumValue);
        }
    }

    @Override
    public int stateTensors() {
        return hasVelocity() ? 1 : 0;
    }

    @Override
    public Map<String, Tensor> state() {
        return velocity == null ? Map.of() : Map.of("velocity", velocity);
    }

    @Override
    public void restore(Tensor params, Map<String, float[]> values, long iterations) {
        State.checkRestore(name(), params, values, iterations, hasVelocity() ? Set.of("velocity") : Set.of());
        if (!values.isEmpty() || velocity != null) {
            velocity = State.restored(velocity, params, "sgd.velocity", values.get("velocity"));
        }
        restoreStep(iterations);
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("momentum", momentumSchedule != null ? momentumSchedule.config() : (Object) momentumValue);
        c.put("nesterov", nesterov);
        c.put("weightDecay", exact(weightDecay));
        return c;
    }

    @Override
    protected void closeState() {
        if (velocity != null) {
            velocity.close();
            velocity = null;
        }
    }
}

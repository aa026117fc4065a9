package dev.clgrad.optim;

import dev.clgrad.nn.Parameter;
import dev.clgrad.ops.Clip;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Scalar;
import dev.clgrad.ops.SumSquares;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every update rule shares: the step count, the learning rate (a run-time {@link Scalar}, set
 * from its {@link Schedule} at each {@link #beginStep} or by {@link #setLearningRate}) and the
 * gradient {@link Clipping}. The update is one launch over the flat parameters; with
 * {@code globalClipnorm} a {@link SumSquares} of all gradients runs first and the update reads it;
 * with {@code clipnorm} each parameter variable gets its own SumSquares and its own update launch
 * over views (a norm per variable, as Keras 3 clips), so 2·V launches for V variables.
 */
public abstract class BaseOptimizer implements Optimizer {
    private final String name;
    private final Scalar lr;
    private double lrValue;
    private final Counter t = new Counter(0);
    private Schedule lrSchedule;
    private Clipping clipping = Clipping.NONE;
    private Tensor sumSquares;

    protected BaseOptimizer(String name, double lr) {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException(name + ": learning rate must be > 0 and finite, got " + lr);
        }
        this.name = name;
        this.lr = new Scalar((float) lr);
        this.lrValue = lr;
    }

    /** The part of the parameter group one update launch covers: all of it, or one variable. */
    protected record Slice(long offset, int size, boolean whole) {
        /** t's elements of this slice (t itself when whole; null stays null). */
        public Tensor of(Tensor t) {
            return t == null || whole ? t : t.view(offset, Shape.of(size), t.name() + "[" + offset + "+" + size + "]");
        }
    }

    /** Allocates (or checks) the rule's state for params: (P), before the first update is built. */
    protected abstract void allocate(Tensor params);

    /** The update of slice {@code s} of params and grads (and the state), with {@code clip}. */
    protected abstract Op update(Slice s, Tensor params, Tensor grads, Clip clip);

    @Override
    public String name() {
        return name;
    }

    @Override
    public final List<Op> updates(Tensor params, Tensor grads, List<Parameter> variables) {
        allocate(params);
        Slice all = new Slice(0, Math.toIntExact(params.shape().size()), true);
        if (clipping.clipnorm() > 0) {
            sumSquares = scalars(params, variables.size());
            List<Op> ops = new ArrayList<>();
            for (int k = 0; k < variables.size(); k++) {
                Parameter v = variables.get(k);
                Slice s = new Slice(v.offset(), Math.toIntExact(v.shape().size()), false);
                Tensor sq = sumSquares.view(k, Shape.of(1), name + ".sumSquares[" + k + "]");
                ops.add(new SumSquares(s.of(grads), sq));
                ops.add(update(s, params, grads, Clip.norm((float) clipping.clipnorm(), sq)));
            }
            return ops;
        }
        if (clipping.globalClipnorm() > 0) {
            sumSquares = scalars(params, 1);
            return List.of(new SumSquares(grads, sumSquares),
                    update(all, params, grads, Clip.norm((float) clipping.globalClipnorm(), sumSquares)));
        }
        Clip clip = clipping.clipvalue() > 0 ? Clip.value((float) clipping.clipvalue()) : Clip.NONE;
        return List.of(update(all, params, grads, clip));
    }

    private Tensor scalars(Tensor params, int n) {
        if (sumSquares != null && sumSquares.shape().size() == Math.max(n, 1) && sumSquares.memory() == params.memory()) {
            return sumSquares;
        }
        if (sumSquares != null) {
            sumSquares.close();
        }
        return Tensor.empty(params.memory(), Shape.of(Math.max(n, 1)), name + ".sumSquares");
    }

    /** The learning rate the next update uses. */
    @Override
    public double learningRate() {
        return lrValue;
    }

    /**
     * Sets the learning rate from the next update on; nothing is rebuilt.
     *
     * @throws IllegalStateException    when a schedule sets it (as Keras refuses)
     * @throws IllegalArgumentException when not finite and >= 0
     */
    @Override
    public void setLearningRate(double value) {
        if (lrSchedule != null) {
            throw new IllegalStateException(name + ": the learning rate follows the schedule " + lrSchedule.type()
                    + " and cannot be set; use a constant learning rate to change it from a callback");
        }
        if (!(value >= 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(name + ": learning rate must be >= 0 and finite, got " + value);
        }
        lr.set((float) value);
        lrValue = value;
    }

    /** The learning-rate schedule, or null for a constant one. */
    @Override
    public Schedule learningRateSchedule() {
        return lrSchedule;
    }

    /** Makes the learning rate follow {@code schedule} (from the current step count on). Modified: this. */
    public BaseOptimizer withLearningRate(Schedule schedule) {
        lrSchedule = schedule;
        applySchedules(t.get());
        return this;
    }

    public Clipping clipping() {
        return clipping;
    }

    /** Sets the gradient clipping, before the model is compiled. Modified: this. */
    public BaseOptimizer withClipping(Clipping c) {
        clipping = c;
        return this;
    }

    /** The run-time learning rate the update ops read. */
    protected Scalar lr() {
        return lr;
    }

    /** The step count the update ops read (Adam's bias correction). */
    protected Counter stepCounter() {
        return t;
    }

    @Override
    public void beginStep() {
        long step = t.get();
        t.set(step + 1);
        applySchedules(step);
    }

    /** Sets the scheduled hyperparameters for the update after {@code step} earlier ones. */
    protected void applySchedules(long step) {
        if (lrSchedule != null) {
            lrValue = lrSchedule.value(step);
            lr.set((float) lrValue);
        }
    }

    @Override
    public long iterations() {
        return t.get();
    }

    /** Sets the step count (a restored checkpoint's) and the scheduled values for the next update. */
    protected void restoreStep(long iterations) {
        t.set(iterations);
        applySchedules(iterations);
    }

    /** The shortest decimal that rounds to f, for configs ({@code 0.9f} is written 0.9). */
    protected static double exact(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /** The rule's own hyperparameters for {@link #config}, after type and learning rate. */
    protected abstract Map<String, Object> hyperparameters();

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", name);
        c.put("learningRate", lrSchedule != null ? lrSchedule.config() : (Object) lrValue);
        c.putAll(hyperparameters());
        c.putAll(clipping.config());
        return c;
    }

    /** Frees the rule's state; the base frees the clip norms. */
    protected abstract void closeState();

    @Override
    public final void close() {
        closeState();
        if (sumSquares != null) {
            sumSquares.close();
            sumSquares = null;
        }
    }
}

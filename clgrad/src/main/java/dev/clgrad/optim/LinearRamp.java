package dev.clgrad.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A linear ramp from {@code initial} to {@code last} over {@code steps} steps, then constant:
 * {@code value(step) = initial + (last - initial) · min(step, steps) / steps}. The dropout paper's
 * momentum schedule (Srivastava et al., JMLR 2014, appendix A.1: from 0.5 to 0.99); in JSON
 * {@code {"type": "linear_ramp", "initial": 0.5, "final": 0.99, "steps": T}}.
 */
public record LinearRamp(double initial, double last, long steps) implements Schedule {
    public LinearRamp {
        if (!Double.isFinite(initial) || !Double.isFinite(last)) {
            throw new IllegalArgumentException("linear_ramp: initial and final must be finite, got " + initial + " and "
                    + last);
        }
        Schedule.check("linear_ramp", "steps", steps, true);
    }

    @Override
    public String type() {
        return "linear_ramp";
    }

    @Override
    public double value(long step) {
        return initial + (last - initial) * ((double) Math.min(step, steps) / steps);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("initial", initial);
        c.put("final", last);
        c.put("steps", steps);
        return c;
    }
}

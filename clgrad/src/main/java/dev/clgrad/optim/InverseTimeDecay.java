package dev.clgrad.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code InverseTimeDecay}: {@code lr(step) = initialLearningRate / (1 + decayRate · step / decaySteps)},
 * {@code step / decaySteps} floored with {@code staircase}.
 */
public record InverseTimeDecay(double initialLearningRate, long decaySteps, double decayRate, boolean staircase)
        implements Schedule {
    public InverseTimeDecay {
        Schedule.check("inverse_time_decay", "initialLearningRate", initialLearningRate, false);
        Schedule.check("inverse_time_decay", "decaySteps", decaySteps, true);
        Schedule.check("inverse_time_decay", "decayRate", decayRate, false);
    }

    @Override
    public String type() {
        return "inverse_time_decay";
    }

    @Override
    public double value(long step) {
        double p = (double) step / decaySteps;
        return initialLearningRate / (1 + decayRate * (staircase ? Math.floor(p) : p));
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("initialLearningRate", initialLearningRate);
        c.put("decaySteps", decaySteps);
        c.put("decayRate", decayRate);
        c.put("staircase", staircase);
        return c;
    }
}

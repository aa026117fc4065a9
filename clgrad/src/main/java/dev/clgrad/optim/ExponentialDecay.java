package dev.clgrad.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code ExponentialDecay}: {@code lr(step) = initialLearningRate · decayRate^(step / decaySteps)},
 * the exponent floored with {@code staircase}.
 */
public record ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, boolean staircase)
        implements Schedule {
    public ExponentialDecay {
        Schedule.check("exponential_decay", "initialLearningRate", initialLearningRate, false);
        Schedule.check("exponential_decay", "decaySteps", decaySteps, true);
        Schedule.check("exponential_decay", "decayRate", decayRate, true);
    }

    @Override
    public String type() {
        return "exponential_decay";
    }

    @Override
    public double value(long step) {
        double p = (double) step / decaySteps;
        return initialLearningRate * Math.pow(decayRate, staircase ? Math.floor(p) : p);
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

package dev.clgrad.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code CosineDecay} (Loshchilov and Hutter, SGDR, ICLR 2017) with its optional linear
 * warm-up (Goyal et al., 2017). Without a warm-up target: {@code s = min(step, decaySteps);
 * lr = initialLearningRate · ((1 - alpha) · ½(1 + cos(π s / decaySteps)) + alpha)}. With one:
 * {@code s = min(step, warmupSteps + decaySteps)}; while {@code s < warmupSteps}
 * {@code lr = initialLearningRate + (warmupTarget - initialLearningRate) · s / warmupSteps}, then the
 * cosine from warmupTarget over {@code s - warmupSteps}.
 *
 * @param warmupTarget NaN for no warm-up (Keras's None)
 */
public record CosineDecay(double initialLearningRate, long decaySteps, double alpha, double warmupTarget,
                          long warmupSteps) implements Schedule {
    public CosineDecay {
        Schedule.check("cosine_decay", "initialLearningRate", initialLearningRate, false);
        Schedule.check("cosine_decay", "decaySteps", decaySteps, true);
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("cosine_decay: alpha must be in [0, 1], got " + alpha);
        }
        if (!Double.isNaN(warmupTarget)) {
            Schedule.check("cosine_decay", "warmupTarget", warmupTarget, false);
        }
        Schedule.check("cosine_decay", "warmupSteps", warmupSteps, false);
    }

    /** No warm-up. */
    public CosineDecay(double initialLearningRate, long decaySteps, double alpha) {
        this(initialLearningRate, decaySteps, alpha, Double.NaN, 0);
    }

    @Override
    public String type() {
        return "cosine_decay";
    }

    @Override
    public double value(long step) {
        if (Double.isNaN(warmupTarget)) {
            return decayed(Math.min(step, decaySteps), initialLearningRate);
        }
        double s = Math.min(step, decaySteps + warmupSteps);
        if (s < warmupSteps) {
            return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
        }
        return decayed(s - warmupSteps, warmupTarget);
    }

    private double decayed(double s, double from) {
        double cosine = 0.5 * (1 + Math.cos(Math.PI * (s / decaySteps)));
        return from * ((1 - alpha) * cosine + alpha);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("initialLearningRate", initialLearningRate);
        c.put("decaySteps", decaySteps);
        c.put("alpha", alpha);
        if (!Double.isNaN(warmupTarget)) {
            c.put("warmupTarget", warmupTarget);
            c.put("warmupSteps", warmupSteps);
        }
        return c;
    }
}

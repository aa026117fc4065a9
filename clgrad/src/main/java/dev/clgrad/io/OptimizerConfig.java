package dev.clgrad.io;

import dev.clgrad.ops.AdamHyper;
import dev.clgrad.optim.Adagrad;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.AdamW;
import dev.clgrad.optim.BaseOptimizer;
import dev.clgrad.optim.Clipping;
import dev.clgrad.optim.CosineDecay;
import dev.clgrad.optim.ExponentialDecay;
import dev.clgrad.optim.InverseTimeDecay;
import dev.clgrad.optim.LinearRamp;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.optim.PiecewiseConstantDecay;
import dev.clgrad.optim.Rmsprop;
import dev.clgrad.optim.Schedule;
import dev.clgrad.optim.Sgd;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The {@code optimizer} section of a config or a saved model: a name ({@code "sgd"}) or an object
 * whose keys are those of {@link Optimizer#config} (Keras's names in camelCase). {@code learningRate}
 * (or the older {@code lr}) and SGD's {@code momentum} are a number or a {@link Schedule} object
 * {@code {"type": "exponential_decay", …}}. Every key is checked against the type; errors name it.
 */
final class OptimizerConfig {
    static final List<String> TYPES = List.of("adam", "adamw", "sgd", "rmsprop", "adagrad");
    private static final Set<String> COMMON = Set.of("type", "lr", "learningRate", "clipvalue", "clipnorm",
            "globalClipnorm");
    private static final Map<String, Set<String>> KEYS = Map.of(
            "adam", Set.of("beta1", "beta2", "epsilon"),
            "adamw", Set.of("beta1", "beta2", "epsilon", "weightDecay"),
            "sgd", Set.of("momentum", "nesterov", "weightDecay"),
            "rmsprop", Set.of("rho", "momentum", "epsilon", "centered"),
            "adagrad", Set.of("initialAccumulatorValue", "epsilon"));

    private OptimizerConfig() {
    }

    /** Parses and checks {@code top.optimizer} (adam with its defaults when absent) by building it once. */
    static ModelConfig.OptimizerSpec parse(ConfigNode top) throws ConfigException {
        if (!top.has("optimizer")) {
            return new ModelConfig.OptimizerSpec("adam", Double.NaN, Adam::new);
        }
        if (top.raw("optimizer").isTextual()) {
            String type = top.string("optimizer");
            if (!TYPES.contains(type)) {
                throw top.error("optimizer", "unknown optimizer '" + type + "'; expected one of " + String.join(", ", TYPES));
            }
            return new ModelConfig.OptimizerSpec(type, Double.NaN, () -> Optimizer.of(type));
        }
        ConfigNode o = top.object("optimizer");
        String type = o.string("type");
        if (!TYPES.contains(type)) {
            throw o.error("type", "unknown optimizer '" + type + "'; expected one of " + String.join(", ", TYPES));
        }
        Set<String> allowed = new HashSet<>(COMMON);
        allowed.addAll(KEYS.get(type));
        for (String key : List.of("momentum", "beta1", "beta2", "epsilon", "weightDecay", "nesterov", "rho", "centered",
                "initialAccumulatorValue")) {
            if (o.has(key) && !allowed.contains(key)) {
                throw o.error(key, type + " takes no " + key + "; " + owners(key) + " take it");
            }
        }
        o.onlyKeys(allowed);
        if (o.has("lr") && o.has("learningRate")) {
            throw o.error("lr", "give the learning rate once, as learningRate or lr, not both");
        }
        String lrKey = o.has("lr") ? "lr" : "learningRate";
        Schedule lrSchedule = o.has(lrKey) && o.raw(lrKey).isObject() ? schedule(o.object(lrKey)) : null;
        double lr = o.has(lrKey) && lrSchedule == null ? o.number(lrKey, Double.MIN_VALUE, 10, false) : Double.NaN;
        Clipping clipping = clipping(o);
        Supplier<Optimizer> base = rule(type, o, lr);
        Supplier<Optimizer> factory = () -> {
            Optimizer opt = base.get();
            BaseOptimizer b = (BaseOptimizer) opt;
            if (lrSchedule != null) {
                b.withLearningRate(lrSchedule);
            }
            b.withClipping(clipping);
            return opt;
        };
        try {
            factory.get().close();
        } catch (IllegalArgumentException e) {
            throw o.error(null, e.getMessage());
        }
        return new ModelConfig.OptimizerSpec(type, lr, factory);
    }

    private static String owners(String key) {
        List<String> out = new ArrayList<>();
        for (String t : TYPES) {
            if (KEYS.get(t).contains(key)) {
                out.add(t);
            }
        }
        return String.join(" and ", out);
    }

    private static double or(double x, double fallback) {
        return Double.isNaN(x) ? fallback : x;
    }

    /** The rule of {@code type} from o's keys (unset ones take Keras's defaults). */
    private static Supplier<Optimizer> rule(String type, ConfigNode o, double lr) throws ConfigException {
        double nan = Double.NaN;
        double eps = o.number("epsilon", Double.MIN_VALUE, 1, false, nan);
        switch (type) {
            case "adam", "adamw" -> {
                double b1 = o.number("beta1", 0, 1, true, nan);
                double b2 = o.number("beta2", 0, 1, true, nan);
                double wd = o.number("weightDecay", 0, 10, false, nan);
                return () -> {
                    AdamHyper h = new AdamHyper((float) or(lr, 1e-3), (float) or(b1, 0.9), (float) or(b2, 0.999),
                            (float) or(eps, 1e-8), type.equals("adamw") ? (float) or(wd, 0.01) : 0f);
                    return type.equals("adamw") ? new AdamW(h) : new Adam(h);
                };
            }
            case "sgd" -> {
                Schedule m = o.has("momentum") && o.raw("momentum").isObject() ? schedule(o.object("momentum")) : null;
                double momentum = o.has("momentum") && m == null ? o.number("momentum", 0, 1, true) : nan;
                boolean nesterov = o.bool("nesterov", false);
                double wd = o.number("weightDecay", 0, 10, false, nan);
                return () -> {
                    Sgd sgd = new Sgd(or(lr, 0.01), m != null ? m.value(0) : or(momentum, 0), or(wd, 0));
                    if (m != null) {
                        sgd.withMomentum(m);
                    }
                    return sgd.withNesterov(nesterov);
                };
            }
            case "rmsprop" -> {
                if (o.has("momentum") && o.number("momentum", 0, 1, true) != 0) {
                    throw o.error("momentum", "rmsprop supports momentum 0 only, got " + o.raw("momentum"));
                }
                double rho = o.number("rho", 0, 1, true, nan);
                boolean centered = o.bool("centered", false);
                return () -> new Rmsprop(or(lr, 1e-3), or(rho, 0.9), or(eps, 1e-7), centered);
            }
            default -> {
                double acc = o.number("initialAccumulatorValue", 0, Float.MAX_VALUE, false, nan);
                return () -> new Adagrad(or(lr, 1e-3), or(acc, 0.1), or(eps, 1e-7));
            }
        }
    }

    private static Clipping clipping(ConfigNode o) throws ConfigException {
        double v = o.number("clipvalue", Double.MIN_VALUE, Float.MAX_VALUE, false, 0);
        double n = o.number("clipnorm", Double.MIN_VALUE, Float.MAX_VALUE, false, 0);
        double g = o.number("globalClipnorm", Double.MIN_VALUE, Float.MAX_VALUE, false, 0);
        try {
            return new Clipping(v, n, g);
        } catch (IllegalArgumentException e) {
            throw o.error(o.has("clipvalue") ? "clipvalue" : "clipnorm", e.getMessage());
        }
    }

    private static final Map<String, Set<String>> SCHEDULE_KEYS = Map.of(
            "exponential_decay", Set.of("initialLearningRate", "decaySteps", "decayRate", "staircase"),
            "inverse_time_decay", Set.of("initialLearningRate", "decaySteps", "decayRate", "staircase"),
            "piecewise_constant_decay", Set.of("boundaries", "values"),
            "cosine_decay", Set.of("initialLearningRate", "decaySteps", "alpha", "warmupTarget", "warmupSteps"),
            "linear_ramp", Set.of("initial", "final", "steps"));

    /** A schedule object: {@code type} one of {@link #SCHEDULE_KEYS}, each with its own keys. */
    static Schedule schedule(ConfigNode s) throws ConfigException {
        String type = s.string("type");
        Set<String> keys = SCHEDULE_KEYS.get(type);
        if (keys == null) {
            throw s.error("type", "unknown schedule '" + type + "'; expected one of "
                    + new TreeMap<>(SCHEDULE_KEYS).keySet());
        }
        Set<String> allowed = new HashSet<>(keys);
        allowed.add("type");
        s.onlyKeys(allowed);
        double big = Float.MAX_VALUE;
        try {
            return switch (type) {
                case "exponential_decay" -> new ExponentialDecay(s.number("initialLearningRate", 0, big, false),
                        s.longValue("decaySteps"), s.number("decayRate", 0, big, false), s.bool("staircase", false));
                case "inverse_time_decay" -> new InverseTimeDecay(s.number("initialLearningRate", 0, big, false),
                        s.longValue("decaySteps"), s.number("decayRate", 0, big, false), s.bool("staircase", false));
                case "piecewise_constant_decay" -> new PiecewiseConstantDecay(longs(s, "boundaries"),
                        s.numbers("values", 0, big));
                case "cosine_decay" -> new CosineDecay(s.number("initialLearningRate", 0, big, false),
                        s.longValue("decaySteps"), s.number("alpha", 0, 1, false, 0),
                        s.number("warmupTarget", 0, big, false, Double.NaN), s.longValue("warmupSteps", 0));
                default -> new LinearRamp(s.number("initial", -big, big, false), s.number("final", -big, big, false),
                        s.longValue("steps"));
            };
        } catch (IllegalArgumentException e) {
            throw s.error(null, e.getMessage());
        }
    }

    private static long[] longs(ConfigNode s, String field) throws ConfigException {
        List<Integer> xs = s.integers(field, 0, Integer.MAX_VALUE);
        return xs.stream().mapToLong(Integer::longValue).toArray();
    }
}

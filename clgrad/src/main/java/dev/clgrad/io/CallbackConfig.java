package dev.clgrad.io;

import dev.clgrad.optim.Schedule;
import dev.clgrad.train.Callback;
import dev.clgrad.train.LearningRateScheduler;
import dev.clgrad.train.ReduceLROnPlateau;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The top-level {@code callbacks} list of a config, Keras's callbacks by their snake_case names:
 * {@code {"type": "reduce_lr_on_plateau", "monitor": "val_loss", "factor": 0.1, "patience": 10,
 * "mode": "auto", "minDelta": 1e-4, "cooldown": 0, "minLr": 0}} and
 * {@code {"type": "learning_rate_scheduler", "schedule": {…}}} (the learning rate at epoch e is
 * the schedule's value at e). Each entry is checked by building it once; errors name the key.
 */
final class CallbackConfig {
    private static final Map<String, Set<String>> KEYS = Map.of(
            "reduce_lr_on_plateau", Set.of("monitor", "factor", "patience", "mode", "minDelta", "cooldown", "minLr"),
            "learning_rate_scheduler", Set.of("schedule"));

    private CallbackConfig() {
    }

    /** The callbacks of {@code top}, in order (none when absent). */
    static List<Supplier<Callback>> parse(ConfigNode top) throws ConfigException {
        List<Supplier<Callback>> out = new ArrayList<>();
        if (!top.has("callbacks")) {
            return out;
        }
        for (ConfigNode c : top.objects("callbacks")) {
            String type = c.string("type");
            Set<String> keys = KEYS.get(type);
            if (keys == null) {
                throw c.error("type", "unknown callback '" + type + "'; expected one of " + KEYS.keySet().stream().sorted()
                        .toList());
            }
            Set<String> allowed = new HashSet<>(keys);
            allowed.add("type");
            c.onlyKeys(allowed);
            Supplier<Callback> make;
            if (type.equals("learning_rate_scheduler")) {
                Schedule s = OptimizerConfig.schedule(c.object("schedule"));
                make = () -> LearningRateScheduler.of(s);
            } else {
                String monitor = c.string("monitor", "val_loss");
                double factor = c.number("factor", Double.MIN_VALUE, 1, true, 0.1);
                int patience = c.integer("patience", 0, 1_000_000, 10);
                String mode = c.string("mode", "auto");
                double minDelta = c.number("minDelta", 0, Float.MAX_VALUE, false, 1e-4);
                int cooldown = c.integer("cooldown", 0, 1_000_000, 0);
                double minLr = c.number("minLr", 0, Float.MAX_VALUE, false, 0);
                make = () -> new ReduceLROnPlateau(monitor, factor, patience, mode, minDelta, cooldown, minLr);
                try {
                    make.get();
                } catch (IllegalArgumentException e) {
                    throw c.error("mode", e.getMessage());
                }
            }
            out.add(make);
        }
        return out;
    }
}

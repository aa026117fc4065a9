package dev.clgrad.nn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The registry of losses by Keras name ({@code "mse"}, {@code "huber"}, …), with the config keys
 * each takes besides {@code type} and how it reads them, as {@link LayerTypes} is for layers. A
 * config gives a loss as its name or as an object {@code {"type": "huber", "delta": 2}}; a loss
 * writes its own settings ({@link Loss#config}).
 */
public final class LossTypes {
    /** A loss type: its name, the keys it takes besides {@code type}, its defaults and its reader. */
    public record Type(String name, Set<String> keys, Supplier<Loss> defaults, Function<LayerConfig, Loss> reader) {
    }

    private static final Map<String, Type> TYPES = new LinkedHashMap<>();

    static {
        register(new Type("mse", Set.of(), MSE::new, c -> new MSE()));
        register(new Type("mean_squared_error", Set.of(), MSE::new, c -> new MSE()));
        register(new Type("mae", Set.of(), MAE::new, c -> new MAE()));
        register(new Type("mean_absolute_error", Set.of(), MAE::new, c -> new MAE()));
        register(new Type("huber", Set.of("delta"), Huber::new, Huber::fromConfig));
        register(new Type("binary_crossentropy", Set.of("fromLogits"), BinaryCrossentropy::new,
                c -> new BinaryCrossentropy(c.bool("fromLogits", false))));
        register(new Type("categorical_crossentropy", Set.of("fromLogits"), CategoricalCrossentropy::new,
                c -> new CategoricalCrossentropy(c.bool("fromLogits", false))));
        register(new Type("sparse_categorical_crossentropy", Set.of("fromLogits"), SoftmaxCrossEntropy::new,
                c -> new SoftmaxCrossEntropy(c.bool("fromLogits", true))));
    }

    private LossTypes() {
    }

    private static void register(Type t) {
        TYPES.put(t.name(), t);
    }

    /** The type named {@code name}, or null. */
    public static Type get(String name) {
        return TYPES.get(name);
    }

    /** Every name, aliases included, in registration order. */
    public static List<String> names() {
        return List.copyOf(TYPES.keySet());
    }

    /** The loss {@code name} with its default settings. */
    public static Loss create(String name) {
        return type(name).defaults().get();
    }

    /** The loss {@code name} with the settings {@code config} holds. */
    public static Loss create(String name, LayerConfig config) {
        return type(name).reader().apply(config);
    }

    private static Type type(String name) {
        Type t = TYPES.get(name);
        if (t == null) {
            throw new IllegalArgumentException("unknown loss '" + name + "'; expected one of " + names());
        }
        return t;
    }
}

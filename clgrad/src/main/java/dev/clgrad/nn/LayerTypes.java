package dev.clgrad.nn;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The registry of layer types by config name ({@code "dense"}, {@code "dropout"}, …): which keys
 * each takes and how it reads them. A layer writes its own config ({@link Layer#config}); io walks
 * these without knowing layer types. A new layer is one line here and its own class.
 */
public final class LayerTypes {
    /** A layer type: its config name, the keys it takes besides {@code type}, and its reader. */
    public record Type(String name, Set<String> keys, Function<LayerConfig, Layer> reader) {
    }

    private static final Map<String, Type> TYPES = new LinkedHashMap<>();

    static {
        register(new Type("dense", with(WeightRules.KEYS, "units", "activation", "dropConnect"), Dense::fromConfig));
        register(new Type("dropout", Set.of("rate"), Dropout::fromConfig));
        register(new Type("relu", Set.of(), c -> new ReLU()));
        register(new Type("tanh", Set.of(), c -> new Tanh()));
        register(new Type("sigmoid", Set.of(), c -> new Sigmoid()));
        register(new Type("flatten", Set.of(), c -> new Flatten()));
        register(new Type("conv2d", with(WeightRules.KEYS, "filters", "kernelSize", "strides", "padding", "dilation",
                "activation", "useBias"), Conv2D::fromConfig));
        register(new Type("reshape", Set.of("targetShape"), Reshape::fromConfig));
        register(new Type("max_pooling2d", Set.of("poolSize", "strides", "padding"), MaxPooling2D::fromConfig));
        register(new Type("average_pooling2d", Set.of("poolSize", "strides", "padding"), AveragePooling2D::fromConfig));
        register(new Type("global_average_pooling2d", Set.of(), c -> new GlobalAveragePooling2D()));
        register(new Type("batch_normalization", Set.of("momentum", "epsilon", "center", "scale"),
                BatchNormalization::fromConfig));
        register(new Type("spatial_dropout2d", Set.of("rate"), SpatialDropout2D::fromConfig));
        register(new Type("activation", Set.of("activation"), ActivationLayer::fromConfig));
        register(new Type("leaky_relu", Set.of("negativeSlope"), LeakyReLU::fromConfig));
        register(new Type("elu", Set.of("alpha"), ELU::fromConfig));
        register(new Type("gelu", Set.of("approximate"), GELU::fromConfig));
        register(new Type("selu", Set.of(), c -> ActivationLayer.named("selu")));
        register(new Type("swish", Set.of(), c -> ActivationLayer.named("swish")));
        register(new Type("silu", Set.of(), c -> ActivationLayer.named("silu")));
        register(new Type("softmax", Set.of("axis"), Softmax::fromConfig));
        register(new Type("gaussian_dropout", Set.of("rate"), GaussianDropout::fromConfig));
        register(new Type("alpha_dropout", Set.of("rate"), AlphaDropout::fromConfig));
    }

    private LayerTypes() {
    }

    /** {@code keys} and {@code more}. */
    private static Set<String> with(Set<String> keys, String... more) {
        Set<String> all = new HashSet<>(keys);
        all.addAll(List.of(more));
        return Set.copyOf(all);
    }

    private static void register(Type t) {
        TYPES.put(t.name(), t);
    }

    /** The type named {@code name}, or null. */
    public static Type get(String name) {
        return TYPES.get(name);
    }

    /** Every config name, in registration order. */
    public static List<String> names() {
        return List.copyOf(TYPES.keySet());
    }

    /** A new layer of type {@code name} read from {@code config}. */
    public static Layer create(String name, LayerConfig config) {
        Type t = TYPES.get(name);
        if (t == null) {
            throw config.error("type", "unknown layer type '" + name + "'; expected one of " + names());
        }
        return t.reader().apply(config);
    }

    /** What {@link Layer#config} gives, as a map of key to value (numbers, strings). */
    static Map<String, Object> entries(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}

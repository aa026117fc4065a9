package dev.clgrad.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The constraints and penalties of a layer's kernel and bias, Keras's {@code kernel_constraint},
 * {@code bias_constraint}, {@code kernel_regularizer} and {@code bias_regularizer} (each null when
 * unset): what Dense and Conv2D attach to the parameters they declare ({@link ParamSpec}), and
 * read and write as their config keys {@link #KEYS}.
 */
public record WeightRules(Constraint kernelConstraint, Constraint biasConstraint, Regularizer kernelRegularizer,
                          Regularizer biasRegularizer) {
    /** None set. */
    public static final WeightRules NONE = new WeightRules(null, null, null, null);
    /** The config keys. */
    public static final Set<String> KEYS = Set.of("kernelConstraint", "biasConstraint", "kernelRegularizer",
            "biasRegularizer");

    public WeightRules withKernelConstraint(Constraint c) {
        return new WeightRules(c, biasConstraint, kernelRegularizer, biasRegularizer);
    }

    public WeightRules withBiasConstraint(Constraint c) {
        return new WeightRules(kernelConstraint, c, kernelRegularizer, biasRegularizer);
    }

    public WeightRules withKernelRegularizer(Regularizer r) {
        return new WeightRules(kernelConstraint, biasConstraint, r, biasRegularizer);
    }

    public WeightRules withBiasRegularizer(Regularizer r) {
        return new WeightRules(kernelConstraint, biasConstraint, kernelRegularizer, r);
    }

    /** The kernel's spec with its constraint and penalty. */
    ParamSpec kernel(ParamSpec s) {
        return s.with(kernelConstraint, kernelRegularizer);
    }

    /** The bias's spec with its constraint and penalty. */
    ParamSpec bias(ParamSpec s) {
        return s.with(biasConstraint, biasRegularizer);
    }

    /** The set entries, each as its config object. */
    Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (kernelConstraint != null) {
            m.put("kernelConstraint", kernelConstraint.config());
        }
        if (biasConstraint != null) {
            m.put("biasConstraint", biasConstraint.config());
        }
        if (kernelRegularizer != null) {
            m.put("kernelRegularizer", kernelRegularizer.config());
        }
        if (biasRegularizer != null) {
            m.put("biasRegularizer", biasRegularizer.config());
        }
        return m;
    }

    /** The rules of a layer's config {@code c}: each key an object or a plain type name, or absent. */
    static WeightRules fromConfig(LayerConfig c) {
        return new WeightRules(constraint(c, "kernelConstraint"), constraint(c, "biasConstraint"),
                regularizer(c, "kernelRegularizer"), regularizer(c, "biasRegularizer"));
    }

    private static Constraint constraint(LayerConfig c, String key) {
        LayerConfig o = c.object(key);
        return o == null ? null : Constraint.fromConfig(o);
    }

    private static Regularizer regularizer(LayerConfig c, String key) {
        LayerConfig o = c.object(key);
        return o == null ? null : Regularizer.fromConfig(o);
    }
}

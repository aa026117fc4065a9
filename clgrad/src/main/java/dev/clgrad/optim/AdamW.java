package dev.clgrad.optim;

import dev.clgrad.ops.AdamHyper;

import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter, ICLR 2019): decoupled weight decay {@code p -= lr·wd·p} before the
 * Adam update, in the same launch. Defaults lr 1e-3, wd 0.01.
 */
public final class AdamW extends Adam {
    public AdamW() {
        this(1e-3, 0.01);
    }

    public AdamW(double lr, double weightDecay) {
        this(AdamHyper.adamW((float) lr, (float) weightDecay));
    }

    /** AdamW with every hyperparameter given (weightDecay among them). */
    public AdamW(AdamHyper hyper) {
        super("adamw", hyper);
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> c = super.hyperparameters();
        c.put("weightDecay", exact(hyper().weightDecay()));
        return c;
    }
}

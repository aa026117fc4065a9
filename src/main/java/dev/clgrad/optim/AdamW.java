package dev.clgrad.optim;

import dev.clgrad.ops.AdamHyper;

/**
 * AdamW (Loshchilov and Hutter, ICLR 2019): decoupled weight decay {@code p -= lr·wd·p} before the
 * Adam update, in the same launch. Defaults lr 1e-3, wd 0.01.
 */
public final class AdamW extends Adam {
    public AdamW() {
        this(1e-3, 0.01);
    }

    public AdamW(double lr, double weightDecay) {
        super(AdamHyper.adamW((float) lr, (float) weightDecay));
    }

    /** AdamW with every hyperparameter given (weightDecay among them). */
    public AdamW(AdamHyper hyper) {
        super(hyper);
    }

    @Override
    public String name() {
        return "adamw";
    }
}

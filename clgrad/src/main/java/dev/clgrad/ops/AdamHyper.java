package dev.clgrad.ops;

/**
 * Hyperparameters of one Adam/AdamW step (PyTorch's formulation; the update op is {@link AdamUpdate}).
 *
 * @param weightDecay decoupled weight decay (AdamW); 0 gives plain Adam
 */
public record AdamHyper(float lr, float beta1, float beta2, float eps, float weightDecay) {
    public AdamHyper {
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("adam: learning rate must be > 0 and finite, got " + lr);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("adam: betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("adam: eps must be > 0, got " + eps);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw new IllegalArgumentException("adam: weight decay must be >= 0 and finite, got " + weightDecay);
        }
    }

    public static AdamHyper adam(float lr) {
        return new AdamHyper(lr, 0.9f, 0.999f, 1e-8f, 0f);
    }

    public static AdamHyper adamW(float lr, float weightDecay) {
        return new AdamHyper(lr, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    /** {@code 1 - beta1^step}, computed in double on the host. */
    public float biasCorrection1(long step) {
        return (float) (1 - Math.pow(beta1, step));
    }

    /** {@code 1 - beta2^step}, computed in double on the host. */
    public float biasCorrection2(long step) {
        return (float) (1 - Math.pow(beta2, step));
    }
}

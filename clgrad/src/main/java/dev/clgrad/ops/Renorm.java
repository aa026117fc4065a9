package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The norm constraints of Keras ({@code MaxNorm}, {@code UnitNorm}, {@code MinMaxNorm}) on w: (R, C),
 * in place, column by column: {@code n_c = sqrt(Σ_r w[r, c]²)},
 * {@code d_c = rate·clip(n_c, minNorm, maxNorm) + (1 − rate)·n_c},
 * {@code w[r, c] ← w[r, c]·d_c / (EPS + n_c)} with Keras's {@link #EPS}. MaxNorm(m) is (0, m, 1),
 * UnitNorm (1, 1, 1). A vector (n) is one column. Modified: w.
 */
public record Renorm(Tensor w, float minNorm, float maxNorm, float rate) implements Op {
    /** Keras's {@code backend.epsilon()}. */
    public static final float EPS = 1e-7f;

    @Override
    public String name() {
        return "renorm";
    }

    @Override
    public void validate() {
        if (w.shape().rank() > 2) {
            throw new IllegalArgumentException("renorm: w is " + w.shape() + "; expected (R, C) or (n), the "
                    + "columns the norms run over");
        }
        if (!(minNorm >= 0 && minNorm <= maxNorm && Float.isFinite(maxNorm) && rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("renorm: expected 0 <= minNorm <= maxNorm < inf and rate in [0, 1], "
                    + "got minNorm " + minNorm + ", maxNorm " + maxNorm + ", rate " + rate);
        }
    }

    @Override
    public Cost cost() {
        long n = w.shape().size();
        return new Cost(3.0 * n, Cost.F * 3 * n);
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(w);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(w);
    }

    @Override
    public Renorm rebind(UnaryOperator<Tensor> f) {
        return new Renorm(f.apply(w), minNorm, maxNorm, rate);
    }
}

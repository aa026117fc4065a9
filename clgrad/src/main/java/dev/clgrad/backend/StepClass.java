package dev.clgrad.backend;

import java.util.Locale;

/**
 * The size class of one training step, which {@code auto} keys its CPU choice by ({@link CpuChoice}):
 * which CPU path is faster depends on it. A small step is dominated by the cost of each launch
 * (PoCL's is tens of microseconds per command, Java's next to nothing), a large one by the GEMMs.
 * The boundary is {@value #SMALL_BELOW_FLOPS} FLOPs per step, counting each layer's three products
 * (forward, input and weight gradients) as 6 FLOPs per weight and position: {@code 6·B·I·O} for a
 * Dense layer, {@code 6·B·OH·OW·KH·KW·C·F} for a convolution. Each class is measured with one
 * representative step, two Dense layers as the models of {@code samples/} have them:
 * <ul>
 *   <li>{@code small} — batch 32, 20 → 10 (ReLU, dropout 0.5) → 1, MSE: the seed model's step,
 *       40 kFLOP;</li>
 *   <li>{@code large} — batch 128, 784 → 256 (ReLU, dropout 0.5) → 10, MSE: an MNIST MLP's step,
 *       156 MFLOP.</li>
 * </ul>
 */
public enum StepClass {
    SMALL(32, 20, 10, 1, 1_000),
    LARGE(128, 784, 256, 10, 10_000);

    /** Steps of fewer FLOPs than this are {@link #SMALL}. */
    public static final long SMALL_BELOW_FLOPS = 1L << 24;

    final int batch;
    final int in;
    final int hidden;
    final int out;
    /**
     * The longest warm-up of one path: a small step's scalar loops compile quickly, a large step's
     * Vector API GEMM runs 100× slower until C2 has compiled it (seconds on a loaded machine).
     */
    final long maxWarmUpMs;

    StepClass(int batch, int in, int hidden, int out, long maxWarmUpMs) {
        this.batch = batch;
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        this.maxWarmUpMs = maxWarmUpMs;
    }

    /**
     * The class of a training step of {@code flops} FLOPs (as {@code ModelConfig.trainingStepFlops}
     * counts them: every layer's kernels, Dense and convolution alike); NaN, a step not counted,
     * is {@link #LARGE}.
     */
    public static StepClass of(double flops) {
        return flops < SMALL_BELOW_FLOPS ? SMALL : LARGE;
    }

    /** {@code small} or {@code large}, as the cache files and messages spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The representative step in words: {@code batch 32, 20 → 10 → 1}. */
    String describe() {
        return "batch " + batch + ", " + in + "→" + hidden + "→" + out;
    }
}

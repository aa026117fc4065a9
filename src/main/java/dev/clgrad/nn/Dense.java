package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fully connected layer, Keras's {@code Dense(units, activation)}: x: (B, I), kernel W: (I, O),
 * bias: (O) → {@code y = act(x·W + bias)}: (B, O), with {@code act} the identity ("linear") or
 * ReLU. W is glorot-uniform, drawn from {@code U(-l, l)} with {@code l = sqrt(6 / (I + O))}
 * (Glorot and Bengio, AISTATS 2010) from the layer's seed; the bias starts at zero.
 *
 * <p>Forward is one {@link Backend#denseForward} (GEMM, bias and ReLU in one launch on OpenCL).
 * Backward: {@code dZ = dY·[y > 0]} (ReLU only), {@code dW = xᵀ·dZ}, {@code dBias = Σ_b dZ},
 * {@code dX = dZ·Wᵀ}; dW and dBias are one {@link Backend#denseBackwardWeights} (one launch on
 * OpenCL for small layers).
 *
 * <p>Fusion, set up by {@link Sequential} when the layer sequence allows: a Dense(relu) followed by
 * a {@link Dropout} applies that layer's mask in its own forward launch (the Dropout then passes x
 * through); and when the next Dense consumes this layer's (dropped-out) ReLU output h, that layer
 * computes {@code dX = (dZ·Wᵀ)·[h > 0]/(1-p)} ({@link Backend#denseBackwardMasked}), so neither the
 * dropout backward nor this layer's ReLU backward launches; its whole backward is then one
 * {@link Backend#denseBackward} (one launch on OpenCL for small layers). The masks and results equal the
 * unfused layers'. When such a linear layer is the last one and the loss is {@link MSE}, the model
 * calls {@link #backwardWithMse} instead of computing the loss gradient first: the loss, its
 * gradient and this layer's whole backward are one {@link Backend#mseDenseBackward}.
 */
public final class Dense extends Layer {
    private final int units;
    private final boolean relu;
    private long seed;
    private Tensor kernel;
    private Tensor bias;
    private Tensor dKernel;
    private Tensor dBias;
    private Tensor lastX;
    private Tensor lastY;
    private Dropout dropout;
    private boolean reluMaskedByNext;
    private boolean maskInput;
    private float inputRate;

    /** A linear layer of {@code units} outputs. */
    public Dense(int units) {
        this(units, "linear");
    }

    /** @param activation {@code "relu"}, or {@code "linear"} / {@code null} for none */
    public Dense(int units, String activation) {
        if (units < 1) {
            throw new IllegalArgumentException("Dense: units must be >= 1, got " + units);
        }
        this.units = units;
        this.relu = parseActivation(activation);
    }

    private static boolean parseActivation(String activation) {
        if (activation == null || activation.equals("linear")) {
            return false;
        }
        if (activation.equals("relu")) {
            return true;
        }
        throw new IllegalArgumentException("Dense: unknown activation '" + activation
                + "'; expected \"relu\", \"linear\" or null");
    }

    public int units() {
        return units;
    }

    /** {@code "relu"} or {@code "linear"}. */
    public String activation() {
        return relu ? "relu" : "linear";
    }

    @Override
    public String type() {
        return "Dense";
    }

    @Override
    public String namePrefix() {
        return "dense";
    }

    @Override
    protected int outputWidth(int in) {
        return units;
    }

    @Override
    protected void onBuild(long layerSeed) {
        this.seed = layerSeed;
    }

    @Override
    protected List<ParamShape> parameterShapes() {
        return List.of(new ParamShape("kernel", Shape.of(inFeatures(), units)), new ParamShape("bias", Shape.of(units)));
    }

    @Override
    protected void initialize(float[] flat, int offset) {
        int n = inFeatures() * units;
        double limit = Math.sqrt(6.0 / (inFeatures() + units));
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            flat[offset + i] = (float) ((2 * rng.nextDouble() - 1) * limit);
        }
        Arrays.fill(flat, offset + n, offset + n + units, 0f);
    }

    @Override
    protected void bind(List<Tensor> params, List<Tensor> grads) {
        kernel = params.get(0);
        bias = params.get(1);
        dKernel = grads.get(0);
        dBias = grads.get(1);
    }

    /** Applies the mask of {@code next} (which directly follows this ReLU layer) in this layer's forward. */
    void fuseDropout(Dropout next) {
        dropout = next;
        next.fuseInto();
    }

    /** The next Dense masks the gradient by this layer's output, so backward skips the ReLU backward. */
    void reluMaskedByNext() {
        reluMaskedByNext = true;
    }

    /** This layer's input is a fused ReLU (and dropout at {@code rate}) output: dX is masked by it. */
    void maskInputGradient(float rate) {
        maskInput = true;
        inputRate = rate;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Tensor out = output(x.shape().rows());
        if (dropout != null && training) {
            long offset = dropout.claimCounters(out.shape().size());
            backend().denseForward(x, kernel, bias, relu, dropout.rate(), dropout.seed(), offset, out);
        } else {
            backend().denseForward(x, kernel, bias, relu, 0f, 0, 0, out);
        }
        lastX = x;
        lastY = out;
        return out;
    }

    @Override
    public Tensor backward(Tensor dY, boolean inputGradient) {
        if (relu && !reluMaskedByNext) {
            backend().reluBackward(lastY, dY, dY);
        }
        if (!inputGradient) {
            backend().denseBackwardWeights(lastX, dY, dKernel, dBias);
            return null;
        }
        Tensor out = inputGradient(dY.shape().rows());
        if (maskInput) {
            backend().denseBackward(lastX, dY, kernel, inputRate, dKernel, dBias, out);
        } else {
            backend().denseBackwardWeights(lastX, dY, dKernel, dBias);
            backend().gemm(false, true, 1f, dY, kernel, 0f, out);
        }
        return out;
    }

    /** Whether {@link #backwardWithMse} applies: the layer is linear and masks its input gradient. */
    boolean takesMseGradient() {
        return !relu && maskInput;
    }

    /**
     * The backward of this last layer with MSE folded in, for the batch of the last forward (its
     * output the prediction): target: (B, O) → dX: (B, I); writes dPred = 2·(pred − target)/(B·O)
     * into dPred: (B, O) and this layer's parameter gradients, and adds the batch loss to the device
     * scalar lossSum ({@link Backend#mseDenseBackward}). target not modified; lossSum, dPred modified.
     */
    Tensor backwardWithMse(Tensor target, Tensor lossSum, Tensor dPred) {
        Tensor out = inputGradient(dPred.shape().rows());
        backend().mseDenseBackward(lastY, target, lastX, kernel, inputRate, lossSum, true, dPred, dKernel, dBias,
                out);
        return out;
    }
}

package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A fused computation the planner formed from several ops, named by its {@link Kind} and carrying
 * its decomposition: the parts, in order, are both its reference and what a backend without a
 * kernel for the kind runs. A backend with the kernel runs the whole in one launch and must give
 * what the parts give (within the float32 tolerance of the ops).
 */
public record Composite(Kind kind, List<Op> parts) implements Op {

    /** The fused computations backends may have one kernel for. */
    public enum Kind {
        /**
         * A Dense layer's parameter gradients, x: (B, I), dY: (B, O):
         * parts {@code [MatMul TN (x, dY → dW: (I, O)), ColumnSum (dY → dBias: (O))]}; a Conv2D's
         * too, x its cols (B·OH·OW, KH·KW·C) and dY its (B·OH·OW, F).
         */
        DENSE_WEIGHT_GRADS("denseWeightGrads", 2),
        /**
         * A Dense layer's (or a pointwise Conv2D's) whole backward when its input h is a ReLU output:
         * parts {@code [MatMul TN (h, dY → dW), ColumnSum (dY → dBias), MatMul NT (dY, W → dX) gated by h]}.
         */
        DENSE_BACKWARD("denseBackward", 3),
        /**
         * The last Dense layer's backward with MSE folded in: parts
         * {@code [MseLoss (pred, target → loss, dPred), MatMul TN (h, dPred → dW), ColumnSum (dPred → dBias),
         * MatMul NT (dPred, W → dX) gated by h]}.
         */
        MSE_DENSE_BACKWARD("mseDenseBackward", 4);

        private final String opName;
        private final int parts;

        Kind(String opName, int parts) {
            this.opName = opName;
            this.parts = parts;
        }
    }

    public Composite {
        parts = List.copyOf(parts);
    }

    /** {@link Kind#DENSE_WEIGHT_GRADS} of x: (B, I) and dY: (B, O) into dW: (I, O), dBias: (O). */
    public static Composite denseWeightGrads(Tensor x, Tensor dY, Tensor dW, Tensor dBias) {
        return new Composite(Kind.DENSE_WEIGHT_GRADS,
                List.of(MatMul.of(true, false, 1f, x, dY, 0f, dW), new ColumnSum(dY, dBias)));
    }

    @Override
    public String name() {
        return kind.opName;
    }

    /** Part {@code i} as a {@link MatMul}. */
    public MatMul matmul(int i) {
        return (MatMul) parts.get(i);
    }

    /** The ColumnSum part. */
    public ColumnSum columnSum() {
        return (ColumnSum) parts.get(kind == Kind.MSE_DENSE_BACKWARD ? 2 : 1);
    }

    /** The weight-gradient product {@code dW = xᵀ·dY}. */
    public MatMul weightGrad() {
        return matmul(kind == Kind.MSE_DENSE_BACKWARD ? 1 : 0);
    }

    /** The gated input-gradient product; only DENSE_BACKWARD and MSE_DENSE_BACKWARD. */
    public MatMul inputGrad() {
        return matmul(kind == Kind.MSE_DENSE_BACKWARD ? 3 : 2);
    }

    /** The loss part of MSE_DENSE_BACKWARD. */
    public MseLoss mse() {
        return (MseLoss) parts.get(0);
    }

    @Override
    public void validate() {
        if (parts.size() != kind.parts) {
            throw new IllegalArgumentException(name() + ": expected " + kind.parts + " parts, got " + parts.size());
        }
        for (Op p : parts) {
            p.validate();
        }
        MatMul dW = weightGrad();
        Tensor dY = dW.b();
        if (!dW.transA() || dW.transB() || dW.alpha() != 1f || dW.beta() != 0f || !dW.epilogue().isNone()) {
            throw new IllegalArgumentException(name() + ": the weight gradient must be a plain TN product, got " + dW);
        }
        if (!Shapes.sameStorage(columnSum().x(), dY)) {
            throw new IllegalArgumentException(name() + ": the bias gradient must sum the same dY as the weight gradient");
        }
        if (kind == Kind.DENSE_WEIGHT_GRADS) {
            return;
        }
        MatMul dX = inputGrad();
        if (dX.transA() || !dX.transB() || !Shapes.sameStorage(dX.a(), dY) || dX.beta() != 0f || !dX.epilogue().isGate()
                || dX.epilogue().activation() != Activation.RELU || !Shapes.sameStorage(dX.epilogue().gate(), dW.a())) {
            throw new IllegalArgumentException(name() + ": the input gradient must be dY·Wᵀ gated by ReLU of the "
                    + "layer input, got " + dX);
        }
        if (kind == Kind.MSE_DENSE_BACKWARD && (!Shapes.sameStorage(mse().dPred(), dY) || mse().loss() == null)) {
            throw new IllegalArgumentException(name() + ": the loss must write both the loss and the dPred the "
                    + "gradients read");
        }
    }

    @Override
    public Cost cost() {
        Cost c = Cost.NONE;
        for (Op p : parts) {
            c = c.plus(p.cost());
        }
        return c;
    }

    @Override
    public List<Tensor> inputs() {
        Set<Tensor> written = new LinkedHashSet<>();
        Set<Tensor> in = new LinkedHashSet<>();
        for (Op p : parts) {
            for (Tensor t : p.inputs()) {
                if (!written.contains(t)) {
                    in.add(t);
                }
            }
            written.addAll(p.outputs());
        }
        return List.copyOf(in);
    }

    @Override
    public List<Tensor> outputs() {
        Set<Tensor> out = new LinkedHashSet<>();
        for (Op p : parts) {
            out.addAll(p.outputs());
        }
        return List.copyOf(out);
    }

    @Override
    public Composite rebind(UnaryOperator<Tensor> f) {
        List<Op> re = new ArrayList<>(parts.size());
        for (Op p : parts) {
            re.add(p.rebind(f));
        }
        return new Composite(kind, re);
    }

    @Override
    public String toString() {
        return name() + " " + parts;
    }
}

package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One computation on device tensors, as data: what a layer's forward or backward, a loss or an
 * optimizer lowers to, what the planner fuses, and what a backend runs ({@code Backend.run}).
 * Every op checks its own operands ({@link #validate}, the one shape contract all backends share)
 * and declares its own {@link #cost}. Tensors are float32, row-major; a 2-D view takes dimension 0
 * as rows. Inputs are never modified; outputs are overwritten (or accumulated where the op says
 * so), and may alias an input only where the op says so.
 *
 * <p>The family is sealed: the conformance suite derives its list of ops from
 * {@code Op.class.getPermittedSubclasses()}, so an op without a check fails the build.
 */
public sealed interface Op permits MatMul, BiasAct, Act, ActBackward, ApplyMask, Fill, Copy, ColumnSum, Sum,
        AdamUpdate, SgdUpdate, MseLoss, SoftmaxCrossEntropy, AccuracyCount, Composite,
        Im2Col, Col2Im, ConvGemm,
        Pool, PoolBackward,
        BatchNormStats, BatchNormApply, BatchNormBackward,
        ApplyChannelMask,
        Renorm, Regularize,
        SumSquares, RmspropUpdate, AdagradUpdate,
        ElementwiseLoss, CategoricalCrossEntropy, RowMetric,
        Softmax, SoftmaxBackward,
        ApplyGaussianNoise, ApplyAlphaMask {

    /** The op's name in profiles and plans, such as {@code matmul}. */
    String name();

    /**
     * Checks shapes and arguments.
     *
     * @throws IllegalArgumentException naming the op, the operands and their shapes
     */
    void validate();

    /** FLOPs and bytes moved, each input read once and each output written once. */
    Cost cost();

    /** The tensors the op reads. */
    List<Tensor> inputs();

    /** The tensors the op writes. */
    List<Tensor> outputs();

    /** The same op over other tensors: {@code f} maps each operand (the planner's workspace binding). */
    Op rebind(UnaryOperator<Tensor> f);

    /** {@code f(t)}, or null for a null operand. */
    static Tensor map(UnaryOperator<Tensor> f, Tensor t) {
        return t == null ? null : f.apply(t);
    }
}

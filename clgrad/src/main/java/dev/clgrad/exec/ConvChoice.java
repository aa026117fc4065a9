package dev.clgrad.exec;

import dev.clgrad.Config;
import dev.clgrad.backend.Backend;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.MatMul;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The convolution algorithm of each Conv2D in a fused program, chosen per backend and per program
 * kind by {@link Backend#implicitConv} (training: the backward reads cols), or by {@code clgrad.conv}
 * ({@link Config#convAlgorithm}) wherever it is set: an {@code Im2Col} x → cols whose product
 * {@code MatMul NN(cols, kernel)} (with its fused bias, activation and dropout epilogue) becomes one
 * {@link ConvGemm} of x. In inference cols has no other reader, so the Im2Col goes; in a training
 * step the backward's filter gradient (colsᵀ·dZ) still reads cols, so the Im2Col stays and only the
 * product reads x instead. Applied after {@link Fusion}, whose epilogue rules see the MatMul.
 */
final class ConvChoice {
    private ConvChoice() {
    }

    /** Rewrites each convolution the backend runs implicit. Modified: nodes. */
    static void apply(List<Node> nodes, Backend backend) {
        for (int i = 0; i < nodes.size(); i++) {
            if (!(nodes.get(i).op() instanceof Im2Col im)) {
                continue;
            }
            Tensor cols = im.cols();
            List<Integer> readers = new ArrayList<>();
            for (int j = 0; j < nodes.size(); j++) {
                for (Tensor in : nodes.get(j).op().inputs()) {
                    if (Fusion.Key.of(in).equals(Fusion.Key.of(cols))) {
                        readers.add(j);
                        break;
                    }
                }
            }
            int product = -1;
            for (int j : readers) {
                if (product < 0 && nodes.get(j).op() instanceof MatMul m && !m.transA() && !m.transB()
                        && m.alpha() == 1f && m.beta() == 0f && !m.epilogue().isGate()
                        && Fusion.Key.of(m.a()).equals(Fusion.Key.of(cols))) {
                    product = j;
                }
            }
            if (product < 0) {
                continue;
            }
            MatMul m = (MatMul) nodes.get(product).op();
            ConvGemm conv = new ConvGemm(im.x(), im.window(), m.b(), m.c(), m.epilogue());
            boolean kept = readers.size() > 1;
            String forced = Config.convAlgorithm();
            if (!(forced != null ? forced.equals("implicit") : backend.implicitConv(conv, kept))) {
                continue;
            }
            if (kept) {
                nodes.set(product, nodes.get(product).withOp(conv));
            } else {
                nodes.set(product, nodes.get(i).absorb(conv, nodes.get(product)));
                nodes.remove(i);
                i--;
            }
        }
    }
}

package dev.clgrad.exec;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.DeviceBuffer;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The fusion rules, written over ops: each matches a pattern in the lowered step wherever it
 * occurs, whatever layers emitted it, and replaces it by one op computing the same function (the
 * same bits on every backend, since each fused op's decomposition is the ops it replaced).
 * Applied in this order until none matches:
 * <ol>
 *   <li><b>epilogue</b>: {@code MatMul NN} → {@code BiasAct} (or {@code Act}) on its product, the
 *       product read by nothing else → one MatMul with a bias/activation epilogue;</li>
 *   <li><b>dropout in the epilogue</b>: a ReLU epilogue's output read only by an {@code ApplyMask}
 *       and by the ReLU's backward → the mask joins the epilogue, and the ReLU backward reads the
 *       masked output instead (where kept, [h' > 0] = [h > 0]; where dropped, the gradient is 0 either way);</li>
 *   <li><b>masked input gradient</b>: {@code MatMul NT} (dX = dY·Wᵀ) read only by the dropout
 *       backward of that mask and then the ReLU backward, or only by an activation backward →
 *       one MatMul gated by the activation output (alpha scaled by 1/(1-p));</li>
 *   <li><b>weight gradients</b>: {@code MatMul TN} (dW = xᵀ·dY) next to {@code ColumnSum} of the
 *       same dY → {@link Composite.Kind#DENSE_WEIGHT_GRADS};</li>
 *   <li><b>whole small-layer backward</b>: those weight gradients next to the ReLU-gated input
 *       gradient of the same dY → {@link Composite.Kind#DENSE_BACKWARD};</li>
 *   <li><b>loss folded into the last backward</b>: {@code MseLoss} writing dPred next to the
 *       whole backward of dPred → {@link Composite.Kind#MSE_DENSE_BACKWARD}.</li>
 *   <li><b>activation keeping its input</b>: a linear-epilogue {@code MatMul NN} whose product z is
 *       read by one {@code Act} of an activation that {@link Activation#savesInput} (gelu, silu,
 *       elu, selu) and otherwise only by that activation's backwards reading z (ActBackward, or a
 *       product gated by it: rule 3) → one MatMul whose
 *       epilogue writes the Act's output and keeps z for the backwards;</li>
 *   <li><b>activation after normalisation</b>: a linear {@code BatchNormApply} whose output is read
 *       only by an {@code Act} → one BatchNormApply with that activation (its backward reads the
 *       activation's output, which the fused op still writes).</li>
 * </ol>
 * A backend runs a fused op in one launch where it has the kernel, else its decomposition.
 */
final class Fusion {
    private Fusion() {
    }

    /** A storage range: views of the same elements are the same value. */
    record Key(DeviceBuffer buffer, long offset, long size) {
        static Key of(Tensor t) {
            return new Key(t.buffer(), t.offset(), t.shape().size());
        }
    }

    /** Applies every rule until none matches. Modified: nodes. */
    static void apply(List<Node> nodes) {
        boolean changed = true;
        while (changed) {
            changed = epilogue(nodes) || dropoutInEpilogue(nodes) || maskedInputGradient(nodes)
                    || weightGradients(nodes) || denseBackward(nodes) || lossIntoBackward(nodes)
                    || activationKeepingInput(nodes) || activationAfterNorm(nodes);
        }
    }

    /** {@code t} seen with the shape of {@code shape} (the same elements: a product's matrix view). */
    private static Tensor like(Tensor t, Tensor shape) {
        return t.shape().equals(shape.shape()) ? t : t.reshape(shape.shape().dims());
    }

    private static boolean same(Tensor a, Tensor b) {
        return a != null && b != null && Key.of(a).equals(Key.of(b));
    }

    /** The nodes that read {@code t}, other than {@code except}. */
    private static List<Node> readers(List<Node> nodes, Tensor t, Node except) {
        Key k = Key.of(t);
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n == except) {
                continue;
            }
            for (Tensor in : n.op().inputs()) {
                if (Key.of(in).equals(k)) {
                    out.add(n);
                    break;
                }
            }
        }
        return out;
    }

    /** The one node reading {@code t} (besides its writer), if it satisfies {@code p}; else null. */
    private static Node soleReader(List<Node> nodes, Tensor t, Node writer, Predicate<Op> p) {
        List<Node> r = readers(nodes, t, writer);
        return r.size() == 1 && p.test(r.get(0).op()) ? r.get(0) : null;
    }

    private static boolean plainProduct(Op op, boolean transA, boolean transB) {
        return op instanceof MatMul m && m.transA() == transA && m.transB() == transB && m.beta() == 0f
                && m.epilogue().isNone();
    }

    /** Rule 1: MatMul NN → BiasAct / Act on its product. */
    private static boolean epilogue(List<Node> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!(n.op() instanceof MatMul m) || m.transA() || m.transB() || m.beta() != 0f || m.epilogue().isGate()
                    || m.epilogue().mask() != null) {
                continue;
            }
            Epilogue e = m.epilogue();
            Node r = soleReader(nodes, m.c(), n, op -> op instanceof BiasAct b && same(b.x(), m.c()) && e.isNone()
                    || op instanceof Act a && same(a.x(), m.c()) && e.activation() == Activation.LINEAR);
            if (r == null) {
                continue;
            }
            MatMul fused;
            if (r.op() instanceof BiasAct b) {
                fused = new MatMul(false, false, m.alpha(), m.a(), m.b(), 0f, like(b.y(), m.c()),
                        Epilogue.forward(b.bias(), b.activation(), null));
            } else {
                Act a = (Act) r.op();
                fused = new MatMul(false, false, m.alpha(), m.a(), m.b(), 0f, like(a.y(), m.c()),
                        Epilogue.forward(e.bias(), a.activation(), null));
            }
            nodes.set(i, n.absorb(fused, r));
            nodes.remove(r);
            return true;
        }
        return false;
    }

    /**
     * Rule 2: a ReLU epilogue's output → ApplyMask, read otherwise only by the ReLU backward; or a
     * linear epilogue's output read by nothing but the ApplyMask (nothing needs the unmasked values).
     */
    private static boolean dropoutInEpilogue(List<Node> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!(n.op() instanceof MatMul m) || m.transA() || m.transB() || m.epilogue().isGate()
                    || m.epilogue().mask() != null || (m.epilogue().activation() != Activation.RELU
                    && m.epilogue().activation() != Activation.LINEAR)) {
                continue;
            }
            Tensor h = m.c();
            List<Node> r = readers(nodes, h, n);
            Node mask = null;
            List<Node> reluBackwards = new ArrayList<>();
            boolean others = false;
            for (Node x : r) {
                if (x.op() instanceof ApplyMask am && same(am.x(), h) && mask == null) {
                    mask = x;
                } else if (x.op() instanceof ActBackward ab && ab.activation() == Activation.RELU && same(ab.y(), h)
                        && !same(ab.dY(), h)) {
                    reluBackwards.add(x);
                } else {
                    others = true;
                }
            }
            if (mask == null || others || (m.epilogue().activation() == Activation.LINEAR && !reluBackwards.isEmpty())) {
                continue;
            }
            ApplyMask am = (ApplyMask) mask.op();
            Tensor dropped = am.y();
            MatMul fused = new MatMul(false, false, m.alpha(), m.a(), m.b(), 0f, like(dropped, h),
                    Epilogue.forward(m.epilogue().bias(), m.epilogue().activation(), am.mask()));
            nodes.set(i, n.absorb(fused, mask));
            nodes.remove(mask);
            for (Node rb : reluBackwards) {
                ActBackward ab = (ActBackward) rb.op();
                nodes.set(nodes.indexOf(rb), rb.withOp(new ActBackward(Activation.RELU, like(dropped, ab.y()), ab.dY(),
                        ab.dX())));
            }
            return true;
        }
        return false;
    }

    /** The forward MatMul whose epilogue writes {@code h} with mask {@code mask}, or null. */
    private static MatMul maskedProducer(List<Node> nodes, Tensor h, dev.clgrad.ops.Mask mask) {
        for (Node n : nodes) {
            if (n.op() instanceof MatMul m && same(m.c(), h) && mask.equals(m.epilogue().mask())
                    && m.epilogue().activation() == Activation.RELU) {
                return m;
            }
        }
        return null;
    }

    /** Rule 3: MatMul NT → (dropout backward →) activation backward. */
    private static boolean maskedInputGradient(List<Node> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!plainProduct(n.op(), false, true)) {
                continue;
            }
            MatMul m = (MatMul) n.op();
            Node next = soleReader(nodes, m.c(), n, op -> op instanceof ApplyMask am && same(am.x(), m.c())
                    || op instanceof ActBackward ab && same(ab.dY(), m.c()) && !same(ab.y(), m.c()));
            if (next == null) {
                continue;
            }
            if (next.op() instanceof ActBackward ab) {
                MatMul fused = new MatMul(false, true, m.alpha(), m.a(), m.b(), 0f, like(ab.dX(), m.c()),
                        Epilogue.gate(ab.activation(), like(ab.y(), m.c())));
                nodes.set(i, n.absorb(fused, next));
                nodes.remove(next);
                return true;
            }
            ApplyMask am = (ApplyMask) next.op();
            Node relu = soleReader(nodes, am.y(), next, op -> op instanceof ActBackward ab
                    && ab.activation() == Activation.RELU && same(ab.dY(), am.y()));
            if (relu == null) {
                continue;
            }
            ActBackward ab = (ActBackward) relu.op();
            if (maskedProducer(nodes, ab.y(), am.mask()) == null) {
                continue;
            }
            MatMul fused = new MatMul(false, true, m.alpha() * am.mask().scale(), m.a(), m.b(), 0f,
                    like(ab.dX(), m.c()), Epilogue.gate(Activation.RELU, like(ab.y(), m.c())));
            nodes.set(i, n.absorb(fused, next).absorb(fused, relu));
            nodes.remove(next);
            nodes.remove(relu);
            return true;
        }
        return false;
    }

    /** Rule 4: MatMul TN (dW) next to ColumnSum of the same dY. */
    private static boolean weightGradients(List<Node> nodes) {
        for (int i = 0; i + 1 < nodes.size(); i++) {
            Node n = nodes.get(i);
            Node next = nodes.get(i + 1);
            if (plainProduct(n.op(), true, false) && ((MatMul) n.op()).alpha() == 1f
                    && next.op() instanceof ColumnSum cs && same(cs.x(), ((MatMul) n.op()).b())) {
                MatMul m = (MatMul) n.op();
                Composite c = new Composite(Composite.Kind.DENSE_WEIGHT_GRADS, List.of(m, cs));
                nodes.set(i, n.absorb(c, next));
                nodes.remove(i + 1);
                return true;
            }
        }
        return false;
    }

    /** Rule 5: weight gradients next to the ReLU-gated input gradient of the same dY. */
    private static boolean denseBackward(List<Node> nodes) {
        for (int i = 0; i + 1 < nodes.size(); i++) {
            Node n = nodes.get(i);
            Node next = nodes.get(i + 1);
            if (n.op() instanceof Composite c && c.kind() == Composite.Kind.DENSE_WEIGHT_GRADS
                    && next.op() instanceof MatMul m && !m.transA() && m.transB() && m.beta() == 0f
                    && m.epilogue().isGate() && m.epilogue().activation() == Activation.RELU
                    && same(m.a(), c.weightGrad().b()) && same(m.epilogue().gate(), c.weightGrad().a())) {
                List<Op> parts = new ArrayList<>(c.parts());
                parts.add(m);
                nodes.set(i, n.absorb(new Composite(Composite.Kind.DENSE_BACKWARD, parts), next));
                nodes.remove(i + 1);
                return true;
            }
        }
        return false;
    }

    /** Rule 6: MseLoss writing dPred next to the whole backward of dPred. */
    private static boolean lossIntoBackward(List<Node> nodes) {
        for (int i = 0; i + 1 < nodes.size(); i++) {
            Node n = nodes.get(i);
            Node next = nodes.get(i + 1);
            if (n.op() instanceof MseLoss mse && mse.loss() != null && mse.dPred() != null
                    && next.op() instanceof Composite c && c.kind() == Composite.Kind.DENSE_BACKWARD
                    && same(c.weightGrad().b(), mse.dPred())) {
                List<Op> parts = new ArrayList<>();
                parts.add(mse);
                parts.addAll(c.parts());
                nodes.set(i, n.absorb(new Composite(Composite.Kind.MSE_DENSE_BACKWARD, parts), next));
                nodes.remove(i + 1);
                return true;
            }
        }
        return false;
    }

    /** Rule 7: MatMul NN (linear epilogue) → an Act that saves its input z, z read otherwise only by its backwards. */
    private static boolean activationKeepingInput(List<Node> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!(n.op() instanceof MatMul m) || m.transA() || m.transB() || m.beta() != 0f || m.epilogue().isGate()
                    || m.epilogue().mask() != null || m.epilogue().activation() != Activation.LINEAR
                    || m.epilogue().z() != null) {
                continue;
            }
            Tensor z = m.c();
            Node act = null;
            boolean others = false;
            List<Node> r = readers(nodes, z, n);
            for (Node x : r) {
                if (x.op() instanceof Act a && a.activation().savesInput() && same(a.x(), z) && !same(a.y(), z)
                        && act == null) {
                    act = x;
                } else if (!(x.op() instanceof ActBackward) && !(x.op() instanceof MatMul)) {
                    others = true;
                }
            }
            if (act == null || others) {
                continue;
            }
            Node single = act;
            Activation f = ((Act) act.op()).activation();
            if (!r.stream().allMatch(x -> x == single || readsOnlyAsSaved(x.op(), f, z))) {
                continue;
            }
            Act a = (Act) act.op();
            MatMul fused = new MatMul(false, false, m.alpha(), m.a(), m.b(), 0f, like(a.y(), z),
                    Epilogue.forward(m.epilogue().bias(), f, null).keeping(z));
            nodes.set(i, n.absorb(fused, act));
            nodes.remove(act);
            return true;
        }
        return false;
    }

    /** Whether {@code op} is a backward of {@code f} reading z only as its saved value: an ActBackward or a gate. */
    private static boolean readsOnlyAsSaved(Op op, Activation f, Tensor z) {
        if (op instanceof ActBackward ab) {
            return ab.activation().equals(f) && same(ab.y(), z) && !same(ab.dY(), z) && !same(ab.dX(), z);
        }
        return op instanceof MatMul g && g.epilogue().isGate() && g.epilogue().activation().equals(f)
                && same(g.epilogue().gate(), z) && !same(g.a(), z) && !same(g.b(), z) && !same(g.c(), z);
    }

    /** Rule 8: a linear BatchNormApply → an Act on its output, the output read by nothing else. */
    private static boolean activationAfterNorm(List<Node> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!(n.op() instanceof BatchNormApply bn) || bn.activation() != Activation.LINEAR) {
                continue;
            }
            Node r = soleReader(nodes, bn.y(), n, op -> op instanceof Act a && same(a.x(), bn.y()));
            if (r == null) {
                continue;
            }
            Act a = (Act) r.op();
            BatchNormApply fused = new BatchNormApply(bn.x(), bn.mean(), bn.variance(), bn.gamma(), bn.beta(),
                    bn.epsilon(), a.activation(), like(a.y(), bn.y()));
            nodes.set(i, n.absorb(fused, r));
            nodes.remove(r);
            return true;
        }
        return false;
    }
}

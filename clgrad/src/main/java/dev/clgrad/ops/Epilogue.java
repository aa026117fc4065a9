package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

/**
 * What a {@link MatMul} does to each element of its product {@code s = alpha·op(A)·op(B)} before
 * storing it, in the same launch where the backend has the kernel. Two kinds:
 * <ul>
 *   <li>forward: {@code c = mask(activation(s + bias))}, bias: (N) or null, mask or null — a Dense
 *       layer's forward with its activation and a following dropout; with {@code z}: (M, N) also
 *       {@code z = s + bias}, the pre-activation that the backward of an activation that
 *       {@link Activation#savesInput} reads ({@link #keeping});</li>
 *   <li>gate: {@code c = s·g(gate)} with {@code g} the activation's derivative from its output
 *       ({@link Activation#derivative}; for ReLU the select of {@link ActBackward}),
 *       (or from its input z where it {@link Activation#savesInput}), gate: (M, N) — a masked input gradient, the next layer's backward multiplied through the
 *       previous activation's (and dropout's, folded into alpha) backward.</li>
 * </ul>
 * An epilogue other than {@link #NONE} needs {@code beta == 0}.
 */
public record Epilogue(Tensor bias, Activation activation, Mask mask, Tensor gate, Tensor z) {
    /** Store the product as it is. */
    public static final Epilogue NONE = new Epilogue(null, Activation.LINEAR, null, null, null);

    public Epilogue {
        if (activation == null) {
            throw new IllegalArgumentException("Epilogue: activation is null; use Activation.LINEAR");
        }
        if (gate != null && (bias != null || mask != null)) {
            throw new IllegalArgumentException("Epilogue: a gate cannot be combined with a bias or a mask");
        }
        if (z != null && (gate != null || activation == Activation.LINEAR)) {
            throw new IllegalArgumentException("Epilogue: a kept pre-activation z needs a forward epilogue with an "
                    + "activation, got activation " + activation + (gate != null ? " and a gate" : ""));
        }
    }

    /** {@code c = mask(activation(s + bias))}; bias and mask may be null. */
    public static Epilogue forward(Tensor bias, Activation activation, Mask mask) {
        return new Epilogue(bias, activation, mask, null, null);
    }

    /** This forward epilogue also storing {@code z = s + bias} into {@code z}. */
    public Epilogue keeping(Tensor z) {
        return new Epilogue(bias, activation, mask, null, z);
    }

    /** {@code c = s·g(gate)}, g the derivative of {@code activation} from its output (or its input z). */
    public static Epilogue gate(Activation activation, Tensor gate) {
        return new Epilogue(null, activation, null, gate, null);
    }

    public boolean isNone() {
        return bias == null && activation == Activation.LINEAR && mask == null && gate == null;
    }

    public boolean isGate() {
        return gate != null;
    }

    /** Checks the epilogue's operands against the product c: (M, N). */
    void validate(Tensor c, float beta) {
        if (isNone()) {
            return;
        }
        if (beta != 0f) {
            throw new IllegalArgumentException("matmul: an epilogue (" + this + ") needs beta = 0, got " + beta);
        }
        if (bias != null) {
            Shapes.bias("matmul epilogue", c, bias);
        }
        if (gate != null) {
            Shapes.same("matmul epilogue", "gate", gate, "c", c);
            if (gate.sharesStorageWith(c)) {
                throw new IllegalArgumentException("matmul epilogue: gate must not alias c");
            }
        }
        if (z != null) {
            Shapes.same("matmul epilogue", "z", z, "c", c);
            if (z.sharesStorageWith(c)) {
                throw new IllegalArgumentException("matmul epilogue: z must not alias c");
            }
        }
    }

    Epilogue rebind(java.util.function.UnaryOperator<Tensor> f) {
        return isNone() ? this : new Epilogue(Op.map(f, bias), activation, mask, Op.map(f, gate), Op.map(f, z));
    }

    @Override
    public String toString() {
        if (isNone()) {
            return "none";
        }
        if (gate != null) {
            return "gate " + activation + "'(" + gate.name() + ")";
        }
        StringBuilder sb = new StringBuilder();
        if (bias != null) {
            sb.append("+bias");
        }
        if (activation != Activation.LINEAR) {
            sb.append(sb.length() > 0 ? " " : "").append(activation);
        }
        if (mask != null) {
            sb.append(sb.length() > 0 ? " " : "").append(mask);
        }
        if (z != null) {
            sb.append(" keep z");
        }
        return sb.toString();
    }
}

package dev.clgrad.exec;

import dev.clgrad.backend.Backend;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.ParameterStore;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The text of {@code explain}: a program's launches with their layers, fused ops and buffers. */
final class Explain {
    private Explain() {
    }

    static String of(Backend backend, Program p, Planner.Kind kind, int rows, List<Layer> layers, ParameterStore store,
                     long perLayerBytes) {
        StringBuilder sb = new StringBuilder();
        String what = switch (kind) {
            case TRAIN -> "training step";
            case EVALUATE -> "evaluation batch";
            case PREDICT -> "prediction batch";
        };
        List<Op> ops = p.ops();
        sb.append(String.format(Locale.ROOT, "%s, batch %d on %s: %d launches after the batch upload%n", what, rows,
                backend.id(), ops.size()));
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            boolean one = backend.fuses(op);
            int parts = op instanceof Composite c ? c.parts().size()
                    : op instanceof MatMul m ? m.decompose().size() : 1;
            sb.append(String.format(Locale.ROOT, "%3d  %-44s %s%n", i + 1, describe(op), p.label(i)));
            sb.append(String.format(Locale.ROOT, "     fuses %s; %s%n", String.join(" + ", p.fused(i)),
                    one ? "one launch" : "runs as " + parts + " launches (no fused kernel for these shapes)"));
            sb.append("     ").append(buffers(op)).append('\n');
        }
        long peak = p.arenaFloats() * Float.BYTES;
        sb.append(String.format(Locale.ROOT, "peak workspace: %s (%,d bytes) in one arena; per-layer y/dX buffers "
                + "would take %s (%,d bytes)%n", human(peak), peak, human(perLayerBytes), perLayerBytes));
        sb.append(String.format(Locale.ROOT, "parameters: %,d trainable, %,d non-trainable, in %d flat group(s)%n",
                store.trainableCount(), store.bufferCount(), store.bufferCount() > 0 ? 2 : 1));
        return sb.toString();
    }

    private static String describe(Op op) {
        if (op instanceof Composite c) {
            return c.name() + " (" + c.parts().size() + " ops)";
        }
        return op.toString().length() > 44 ? op.name() : op.toString();
    }

    private static String buffers(Op op) {
        Set<Tensor> in = new LinkedHashSet<>(op.inputs());
        StringBuilder sb = new StringBuilder();
        for (Tensor t : in) {
            sb.append(sb.length() > 0 ? ", " : "").append(t.name()).append(' ').append(t.shape());
        }
        sb.append(" -> ");
        boolean first = true;
        for (Tensor t : op.outputs()) {
            sb.append(first ? "" : ", ").append(t.name()).append(' ').append(t.shape());
            first = false;
        }
        return sb.toString();
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }
}

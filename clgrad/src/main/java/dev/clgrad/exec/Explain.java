package dev.clgrad.exec;

import dev.clgrad.backend.Backend;
import dev.clgrad.nn.ParameterStore;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code explain}: a program's launches with their layers, fused ops and buffers, as data
 * ({@link Planner.Plan}) and as the text printed from that data.
 */
final class Explain {
    private Explain() {
    }

    /** The plan of program {@code p}, which {@code backend} runs. */
    static Planner.Plan plan(Backend backend, Program p, Planner.Kind kind, int rows, ParameterStore store,
                             long perLayerBytes) {
        List<Op> ops = p.ops();
        List<Planner.Plan.Launch> launches = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            launches.add(new Planner.Plan.Launch(op.name(), describe(op), p.label(i), p.fused(i), backend.kernels(op),
                    buffers(op)));
        }
        return new Planner.Plan(kind, rows, backend.id(), launches, p.arenaFloats() * Float.BYTES, perLayerBytes,
                store.trainableCount(), store.bufferCount());
    }

    /** The text of {@code plan}: a header, three lines per launch, the workspace and the parameters. */
    static String text(Planner.Plan plan) {
        StringBuilder sb = new StringBuilder();
        String what = switch (plan.kind()) {
            case TRAIN -> "training step";
            case EVALUATE -> "evaluation batch";
            case PREDICT -> "prediction batch";
            case SAMPLE -> "Monte-Carlo prediction batch";
        };
        List<Planner.Plan.Launch> launches = plan.launches();
        sb.append(String.format(Locale.ROOT, "%s, batch %d on %s: %d fused ops, %d kernel launches after the batch "
                + "upload; prepared once, replayed with plain enqueues%n", what, plan.rows(), plan.device(),
                launches.size(), plan.kernelLaunches()));
        for (int i = 0; i < launches.size(); i++) {
            Planner.Plan.Launch l = launches.get(i);
            sb.append(String.format(Locale.ROOT, "%3d  %-44s %s%n", i + 1, describe(l), l.layers()));
            sb.append(String.format(Locale.ROOT, "     fuses %s; %s%n", String.join(" + ", l.fuses()),
                    l.oneLaunch() ? "one kernel, " + l.kernels().get(0)
                            : l.kernels().size() + " kernels here, " + String.join(", ", l.kernels())));
            sb.append("     ").append(l.buffers()).append('\n');
        }
        long peak = plan.peakWorkspaceBytes();
        long perLayer = plan.perLayerBytes();
        sb.append(String.format(Locale.ROOT, "peak workspace: %s (%,d bytes) in one arena; per-layer y/dX buffers "
                + "would take %s (%,d bytes)%n", human(peak), peak, human(perLayer), perLayer));
        sb.append(String.format(Locale.ROOT, "parameters: %,d trainable, %,d non-trainable, in %d flat group(s)%n",
                plan.trainable(), plan.buffers(), plan.buffers() > 0 ? 2 : 1));
        return sb.toString();
    }

    /** The op column: the op with its epilogue, or just its name where that does not fit. */
    private static String describe(Planner.Plan.Launch l) {
        return l.op().length() > 44 ? l.name() : l.op();
    }

    /** A composite as its name and size ({@code denseBackward (3 ops)}), any other op as it prints itself. */
    private static String describe(Op op) {
        return op instanceof Composite c ? c.name() + " (" + c.parts().size() + " ops)" : op.toString();
    }

    /**
     * {@code in, … -> out, …}, each tensor as its name and shape, once: the parts of a composite read
     * the same value through views of their own, so tensors are told apart by what they print.
     */
    private static String buffers(Op op) {
        return operands(op.inputs()) + " -> " + operands(op.outputs());
    }

    private static String operands(List<Tensor> ts) {
        Set<String> seen = new LinkedHashSet<>();
        for (Tensor t : ts) {
            seen.add(t.name() + " " + t.shape());
        }
        return String.join(", ", seen);
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

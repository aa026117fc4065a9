package dev.clgrad.exec;

import dev.clgrad.backend.MemoryLimits;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * What a model takes in memory for batches of up to {@code rows} rows, planned before anything is
 * allocated ({@link Planner#memoryPlan}), and the check of that plan against what the device can
 * hold ({@link MemoryLimits}), so that a model too big for it fails in one line naming the sizes
 * and the limit instead of in an allocation. Each part lives for one {@link Life}; the peak is
 * what the model keeps plus the larger of what building it and running its steps add.
 *
 * @param device     the backend's id
 * @param parameters the model's parameter values, trainable and buffers (for messages)
 * @param rows       the batch size planned for
 * @param parts      what takes memory, in the order it is allocated
 */
public record MemoryPlan(String device, long parameters, int rows, List<Part> parts) {
    public MemoryPlan {
        parts = List.copyOf(parts);
    }

    /** When a part is allocated and for how long. */
    public enum Life {
        /** Allocated when the model is built, and kept: the parameter groups. */
        MODEL,
        /** Only while the model is built: the initial values on the host. */
        BUILD,
        /** Allocated when its steps are planned, and kept: the optimizer's state, the workspace, the batch. */
        STEPS
    }

    /**
     * One thing that takes memory.
     *
     * @param what    what it is, for messages: {@code parameters}, {@code adam state}
     * @param buffers how many buffers (or host arrays) of {@code floats} each
     * @param host    a host array in the JVM heap rather than a device buffer
     */
    public record Part(String what, int buffers, long floats, boolean host, Life life) {
        public long bytes() {
            return buffers * floats * Float.BYTES;
        }
    }

    /** Peak bytes of the parts {@code which} selects: what the model keeps plus the larger of building and steps. */
    public long peakBytes(Predicate<Part> which) {
        long[] by = new long[Life.values().length];
        for (Part p : parts) {
            if (which.test(p)) {
                by[p.life().ordinal()] += p.bytes();
            }
        }
        return by[Life.MODEL.ordinal()] + Math.max(by[Life.BUILD.ordinal()], by[Life.STEPS.ordinal()]);
    }

    /**
     * Checks the plan against {@code limits}: every device buffer against the largest one buffer,
     * the device parts' peak against what is available, and the host arrays against the JVM heap
     * (together with the device parts where the device memory is the heap).
     *
     * @throws IllegalArgumentException when something does not fit, naming the part, the sizes of
     *                                  every part, the limit and how to make it fit
     */
    public void check(MemoryLimits limits) {
        MemoryLimits heap = limits.onHeap() ? limits : null;
        for (Part p : parts) {
            if (p.host() && heap == null) {
                heap = MemoryLimits.heap();
            }
            MemoryLimits l = p.host() ? heap : limits;
            if (p.floats() * Float.BYTES > l.maxBufferBytes()) {
                Predicate<Part> same = q -> q.host() == p.host() || limits.onHeap();
                throw new IllegalArgumentException(head() + "a buffer of " + count(p.floats()) + " floats ("
                        + MemoryLimits.size(p.floats() * Float.BYTES) + ") for the " + p.what() + " is more than the "
                        + MemoryLimits.size(l.maxBufferBytes()) + " one buffer can hold (" + l.bufferLimit()
                        + "); in all it needs " + needs(same) + " of the " + MemoryLimits.size(l.availableBytes())
                        + " free in " + l.memory());
            }
        }
        if (limits.onHeap()) {
            fits(q -> true, limits, "it needs ");
            return;
        }
        fits(q -> !q.host(), limits, "it needs ");
        if (heap != null) {
            fits(Part::host, heap, "its host arrays need ");
        }
    }

    private void fits(Predicate<Part> which, MemoryLimits l, String subject) {
        long need = peakBytes(which);
        if (need > l.availableBytes()) {
            throw new IllegalArgumentException(head() + subject + needs(which) + ", more than the "
                    + MemoryLimits.size(l.availableBytes()) + " free in " + l.memory() + "; " + l.hint(need));
        }
    }

    private String head() {
        return "the model of " + count(parameters) + " parameters does not fit on " + device + " at batch size " + rows
                + ": ";
    }

    /** {@code 6.24 GiB at its peak (parameters 1.45 GiB, gradients 1.45 GiB, …)}. */
    private String needs(Predicate<Part> which) {
        List<String> items = new ArrayList<>();
        for (Part p : parts) {
            if (which.test(p)) {
                items.add(p.what() + " " + MemoryLimits.size(p.bytes()));
            }
        }
        return MemoryLimits.size(peakBytes(which)) + " at its peak (" + String.join(", ", items) + ")";
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}

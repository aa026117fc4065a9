package dev.clgrad.exec;

import dev.clgrad.tensor.DeviceBuffer;
import dev.clgrad.tensor.Placeholders;

/**
 * The memory a step is lowered against before its workspace exists: each workspace value is a
 * buffer with no storage, numbered in the order the layers asked for them. The planner replaces
 * every symbolic tensor by a view of the arena ({@link Layout}) before anything runs.
 */
final class Symbols extends Placeholders {
    /** A workspace value: the {@code index}-th asked for in the lowering, of {@code floats} elements. */
    static final class Symbol extends DeviceBuffer {
        final int index;
        final String name;

        Symbol(int index, long floats, String name) {
            super(floats);
            this.index = index;
            this.name = name;
        }
    }

    private int next;
    private String pendingName = "value";

    /** Names the next allocation (the tensor name the layer asked for). */
    void name(String n) {
        pendingName = n;
    }

    @Override
    public String id() {
        return "symbolic";
    }

    @Override
    public DeviceBuffer allocate(long floats) {
        return new Symbol(next++, floats, pendingName);
    }
}

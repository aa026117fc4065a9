package dev.clgrad.exec;

import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where each workspace value of a fused program lives in the one arena: values are live from the
 * first launch that touches them to the last (inclusive, so a launch's outputs never share memory
 * with its inputs), and each is placed first-fit at the lowest offset (a multiple of
 * {@link #ALIGN} floats) that no overlapping live value holds. Values the fusion removed get no
 * place. The layout of the largest batch serves every smaller one: value k keeps its offset.
 */
final class Layout {
    static final int ALIGN = 32;
    private static final long UNUSED = -1;

    private final long[] offsets;
    private final long peak;

    private Layout(long[] offsets, long peak) {
        this.offsets = offsets;
        this.peak = peak;
    }

    /**
     * Places {@code values} (the symbolic tensors of a lowering, in order) by their liveness over
     * {@code nodes}; values in {@code keepToEnd} stay live after the last launch (a program's output).
     */
    static Layout of(List<Tensor> values, List<Node> nodes, List<Tensor> keepToEnd) {
        int v = values.size();
        int[] first = new int[v];
        int[] last = new int[v];
        Arrays.fill(first, Integer.MAX_VALUE);
        Arrays.fill(last, -1);
        for (int i = 0; i < nodes.size(); i++) {
            Op op = nodes.get(i).op();
            for (List<Tensor> ts : List.of(op.inputs(), op.outputs())) {
                for (Tensor t : ts) {
                    if (t.buffer() instanceof Symbols.Symbol s) {
                        first[s.index] = Math.min(first[s.index], i);
                        last[s.index] = Math.max(last[s.index], i);
                    }
                }
            }
        }
        for (Tensor t : keepToEnd) {
            if (t.buffer() instanceof Symbols.Symbol s && last[s.index] >= 0) {
                last[s.index] = nodes.size();
            }
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> first[i]).thenComparing(i -> i));
        long[] offsets = new long[v];
        Arrays.fill(offsets, UNUSED);
        List<Integer> placed = new ArrayList<>();
        long peak = 0;
        for (int idx : order) {
            if (last[idx] < 0) {
                continue;
            }
            long size = aligned(values.get(idx).buffer().floats());
            List<long[]> busy = new ArrayList<>();
            for (int p : placed) {
                if (last[p] >= first[idx] && first[p] <= last[idx]) {
                    busy.add(new long[]{offsets[p], offsets[p] + aligned(values.get(p).buffer().floats())});
                }
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long at = 0;
            for (long[] r : busy) {
                if (at + size <= r[0]) {
                    break;
                }
                at = Math.max(at, r[1]);
            }
            offsets[idx] = at;
            placed.add(idx);
            peak = Math.max(peak, at + size);
        }
        return new Layout(offsets, peak);
    }

    private static long aligned(long floats) {
        return (floats + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** Floats the arena needs. */
    long peakFloats() {
        return peak;
    }

    /** Value {@code index}'s offset in the arena, or -1 where no launch uses it. */
    long offset(int index) {
        return offsets[index];
    }

    int size() {
        return offsets.length;
    }
}

package dev.clgrad.train;

import dev.clgrad.nn.Parameter;
import dev.clgrad.tensor.Tensor;

import java.util.List;

/**
 * Finds the first parameter, in model order, whose values in a flat group (the weights or their
 * gradients) include NaN or ±∞, reading the group from the device a block at a time, so that the
 * check takes no host array of the group's size.
 */
final class NonFiniteScan {
    private static final int BLOCK = 1 << 20;

    /** A parameter with non-finite values: {@code bad} of its {@code size}. */
    record Found(String parameter, long bad, long size) {
        /** The layer the parameter belongs to: {@code dense_1} of {@code dense_1.kernel}. */
        String layer() {
            return parameter.substring(0, parameter.lastIndexOf('.'));
        }

        @Override
        public String toString() {
            return parameter + ": " + bad + " of " + size + " values";
        }
    }

    private NonFiniteScan() {
    }

    /**
     * The first of {@code parameters} (views by offset into {@code group}, in flat order) holding a
     * non-finite value, or null. Reads the whole group in blocks (one copy for a group of up to a
     * million values), then, only when a value is bad, that parameter once more to count.
     */
    static Found first(Tensor group, List<Parameter> parameters) {
        long n = group.shape().size();
        float[] block = new float[(int) Math.min(BLOCK, Math.max(n, 1))];
        for (long start = 0; start < n; start += block.length) {
            int count = (int) Math.min(block.length, n - start);
            group.memory().download(group.buffer(), group.offset() + start, block, 0, count);
            for (int i = 0; i < count; i++) {
                Parameter p = Float.isFinite(block[i]) ? null : owner(parameters, start + i);
                if (p != null) {
                    return new Found(p.name(), countBad(group, p, block), p.shape().size());
                }
            }
        }
        return null;
    }

    /** The parameter whose values include flat index {@code at}, or null for alignment padding. */
    private static Parameter owner(List<Parameter> parameters, long at) {
        for (Parameter p : parameters) {
            if (at >= p.offset() && at < p.offset() + p.shape().size()) {
                return p;
            }
        }
        return null;
    }

    private static long countBad(Tensor group, Parameter p, float[] block) {
        long size = p.shape().size();
        long bad = 0;
        for (long done = 0; done < size; done += block.length) {
            int count = (int) Math.min(block.length, size - done);
            group.memory().download(group.buffer(), group.offset() + p.offset() + done, block, 0, count);
            for (int i = 0; i < count; i++) {
                if (!Float.isFinite(block[i])) {
                    bad++;
                }
            }
        }
        return bad;
    }
}

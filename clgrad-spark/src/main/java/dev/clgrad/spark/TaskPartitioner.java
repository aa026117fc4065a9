package dev.clgrad.spark;

import org.apache.spark.Partitioner;

/** Sends global row k (the key) to the partition of the barrier task that trains it ({@link BatchPlan#task}). */
final class TaskPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;

    private final BatchPlan plan;

    TaskPartitioner(BatchPlan plan) {
        this.plan = plan;
    }

    @Override
    public int numPartitions() {
        return plan.tasks();
    }

    @Override
    public int getPartition(Object key) {
        return plan.task((Long) key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskPartitioner t && t.plan.rows() == plan.rows() && t.plan.batch() == plan.batch()
                && t.plan.tasks() == plan.tasks() && t.plan.split(0)[1] == plan.split(0)[1];
    }

    @Override
    public int hashCode() {
        return Long.hashCode(plan.rows()) * 31 + plan.batch() * 7 + plan.tasks();
    }
}

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
        return o instanceof TaskPartitioner t && t.plan.equals(plan);
    }

    @Override
    public int hashCode() {
        return plan.hashCode();
    }
}

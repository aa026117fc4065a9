package dev.clgrad.spark;

import java.io.Serializable;

/**
 * Called in every barrier task after each training step, on the executor (so it is serialized
 * with the job): progress reporting, or, in the tests, a failure injected into one task. An
 * exception thrown here fails the task, and with it the stage attempt.
 */
@FunctionalInterface
public interface StepListener extends Serializable {

    /** After step {@code step} (from 0) of {@code epoch} (from 0) ended in task {@code task} of {@code tasks}. */
    void onStepEnd(Step step);

    /**
     * Where a task stands: its index among the barrier tasks, the stage attempt (0, then 1 after a
     * retry), the epoch and step within it that just ended, and the steps since the fit began.
     */
    record Step(int task, int tasks, int stageAttempt, int epoch, int step, long globalStep) implements Serializable {
    }
}

package dev.terway.plan;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How the plans this process ran went wrong, counted by every {@link PlanRunner} in it: steps that failed
 * (or were refused), rollbacks (completed steps undone, after a failure or on a caller's request) and undos
 * that failed in turn, which leave the node part-changed. One set per process because runners are made
 * wherever a plan runs (the CNI verbs, the pod-network upkeep, setup and the bridge repair); the daemon's
 * metrics read it. Plain Java, so the plugin's in-process fallback pays nothing for it.
 */
public final class PlanOutcomes {

    /** This process's counts. */
    public static final PlanOutcomes PROCESS = new PlanOutcomes();

    private final AtomicLong stepsFailed = new AtomicLong();
    private final AtomicLong rollbacks = new AtomicLong();
    private final AtomicLong undosFailed = new AtomicLong();

    public PlanOutcomes() {
    }

    void stepFailed() {
        stepsFailed.incrementAndGet();
    }

    void rolledBack(int failedUndos) {
        rollbacks.incrementAndGet();
        undosFailed.addAndGet(failedUndos);
    }

    public long stepsFailed() {
        return stepsFailed.get();
    }

    public long rollbacks() {
        return rollbacks.get();
    }

    public long undosFailed() {
        return undosFailed.get();
    }
}

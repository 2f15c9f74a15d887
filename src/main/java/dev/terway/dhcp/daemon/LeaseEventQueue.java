package dev.terway.dhcp.daemon;

import dev.terway.log.EventLog;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where the lease events of every pod go to be handled off the pods' locks: one executor (the address
 * upkeep), in the order the events were emitted. A queue that refuses work is shutting down: the next start
 * reconciles the pod's address when it takes the lease up again.
 */
final class LeaseEventQueue {

    /** How long a lost lease's DISCOVER waits for the old address to come off the pod (see {@link PodLease#lost}). */
    static final Duration REMOVAL_WAIT = Duration.ofSeconds(2);

    private final Executor executor;
    private final EventLog log;

    LeaseEventQueue(Executor executor, EventLog log) {
        this.executor = executor;
        this.log = log;
    }

    void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // shutting down: the next start reconciles the address when it takes the lease up again
        }
    }

    /** As {@link #submit}, and waits for the task (after those queued before it) at most {@link #REMOVAL_WAIT}. */
    void submitAndWait(Runnable task) {
        CompletableFuture<Void> done;
        try {
            done = CompletableFuture.runAsync(task, executor);
        } catch (RejectedExecutionException e) {
            return; // shutting down, as above
        }
        try {
            done.get(REMOVAL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("upkeep.behind", "address upkeep is more than " + REMOVAL_WAIT.toMillis() + " ms behind; going on without"
                    + " waiting for it");
        } catch (ExecutionException e) {
            log.error("upkeep.failed", "address upkeep failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

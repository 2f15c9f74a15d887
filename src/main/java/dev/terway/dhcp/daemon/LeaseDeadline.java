package dev.terway.dhcp.daemon;

import java.time.Instant;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * One pending deadline of a pod's lease, for both lease services: the client's next timer or the retry after a
 * failed acquisition, and the end of the window the pod's socket stays open after a transmission. Scheduling
 * cancels what was pending, and a task that fires after it was cancelled or replaced finds out through
 * {@link #fired} and does nothing (a cancel can lose the race with a timer thread that already started the task).
 * Not thread-safe: used under the owning pod lease's monitor, which the fired tasks take before calling
 * {@link #fired}.
 */
public final class LeaseDeadline {

    private final LeaseTimer timer;
    private LeaseTimer.Scheduled scheduled;
    private Instant scheduledAt;
    private long generation;

    public LeaseDeadline(LeaseTimer timer) {
        this.timer = timer;
    }

    /** Replaces what was pending with {@code task} of this schedule's generation, run at {@code at}. */
    public void schedule(Instant at, LongFunction<Runnable> task) {
        cancel();
        long gen = ++generation;
        scheduledAt = at;
        scheduled = timer.at(at, task.apply(gen));
    }

    /**
     * Follows the client's next deadline: nothing to do when it is the one pending, else the pending one is
     * cancelled and {@code next}, if any, scheduled.
     */
    public void follow(Optional<Instant> next, LongFunction<Runnable> task) {
        if (next.isPresent() && next.get().equals(scheduledAt)) {
            return;
        }
        cancel();
        next.ifPresent(at -> schedule(at, task));
    }

    /**
     * Called by a task of generation {@code gen} when it runs: true when it is still the pending one (which is then
     * no longer pending), false when it was cancelled or replaced since and must do nothing.
     */
    public boolean fired(long gen) {
        if (gen != generation) {
            return false;
        }
        scheduled = null;
        scheduledAt = null;
        return true;
    }

    public void cancel() {
        generation++;
        if (scheduled != null) {
            scheduled.cancel();
        }
        scheduled = null;
        scheduledAt = null;
    }
}

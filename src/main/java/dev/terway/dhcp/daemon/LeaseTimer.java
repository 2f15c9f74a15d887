package dev.terway.dhcp.daemon;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs a task at an instant of the lease clock. The daemon's is a scheduler; tests step a fake clock. */
public interface LeaseTimer {

    /** A scheduled task that can be called off. */
    interface Scheduled {
        void cancel();
    }

    Scheduled at(Instant when, Runnable task);

    static LeaseTimer of(ScheduledExecutorService scheduler, Clock clock) {
        return (when, task) -> {
            long delay = Math.max(0, Duration.between(clock.instant(), when).toNanos());
            var future = scheduler.schedule(task, delay, TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        };
    }
}

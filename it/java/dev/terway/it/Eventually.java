package dev.terway.it;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition the system reaches on its own: a daemon DEL replies before its tail (veth
 * deletion, release) has run, a server rewrites its lease file when it gets to it. Polls every 50 ms.
 */
public final class Eventually {

    private Eventually() {
    }

    /** Whether {@code condition} held within {@code limit} (checked once more at the deadline). */
    public static boolean within(Duration limit, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline)) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return condition.getAsBoolean();
            }
        }
        return condition.getAsBoolean();
    }

    /** How long a daemon DEL may take to finish after its reply before a test calls it a leak. */
    public static final Duration DEL_TAIL = Duration.ofSeconds(5);
}

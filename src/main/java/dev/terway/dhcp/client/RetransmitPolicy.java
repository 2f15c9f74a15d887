package dev.terway.dhcp.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * RFC 2131 section 4.1 retransmission: the wait doubles from {@code initial} up to {@code max}, each
 * wait randomised by up to {@code jitterFraction} of itself either way. The RFC's "4 s, ±1 s" is
 * initial 4 s with fraction 0.25; proportional jitter keeps the same shape for the short LAN intervals
 * the daemon uses (250 ms ± 62 ms).
 */
public record RetransmitPolicy(Duration initial, Duration max, double jitterFraction) {

    public static final RetransmitPolicy RFC_2131 = new RetransmitPolicy(Duration.ofSeconds(4), Duration.ofSeconds(64), 0.25);

    public RetransmitPolicy {
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("initial retransmission interval must be positive: " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("maximum retransmission interval " + max + " is below the initial "
                    + initial);
        }
        if (!(jitterFraction >= 0 && jitterFraction < 1)) {
            throw new IllegalArgumentException("jitter fraction must be in [0, 1): " + jitterFraction);
        }
    }

    /** The wait after the {@code attempt}-th transmission (0 = first) before jitter. */
    public Duration base(int attempt) {
        Duration wait = initial;
        for (int i = 0; i < attempt && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }

    /** The jittered wait after the {@code attempt}-th transmission; always within base·(1 ± fraction). */
    public Duration delay(int attempt, RandomGenerator random) {
        long base = base(attempt).toNanos();
        double offset = jitterFraction == 0 ? 0 : random.nextDouble(-1.0, 1.0) * jitterFraction;
        return Duration.ofNanos(Math.max(1, Math.round(base * (1 + offset))));
    }
}

package dev.terway.dhcp6.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * RFC 8415 §15 retransmission parameters of one message type: initial and maximum retransmission time (IRT,
 * MRT; MRT zero: no maximum), maximum count (MRC, zero: none) and maximum duration (MRD, zero: none; the
 * client also bounds RENEW by T2 and REBIND by the valid lifetime). RT = IRT + RAND·IRT first, then
 * 2·RTprev + RAND·RTprev, capped at MRT + RAND·MRT, with RAND uniform in [-0.1, 0.1]; for SOLICIT the
 * first RAND is strictly positive, so that the first wait (when ADVERTISEs are collected) exceeds IRT.
 */
public record Retransmission(Duration initial, Duration max, int maxCount, Duration maxDuration) {

    // RFC 8415 §7.6
    public static final Retransmission SOLICIT = new Retransmission(Duration.ofSeconds(1), Duration.ofSeconds(3600), 0,
            Duration.ZERO);
    public static final Retransmission REQUEST = new Retransmission(Duration.ofSeconds(1), Duration.ofSeconds(30), 10,
            Duration.ZERO);
    public static final Retransmission CONFIRM = new Retransmission(Duration.ofSeconds(1), Duration.ofSeconds(4), 0,
            Duration.ofSeconds(10));
    public static final Retransmission RENEW = new Retransmission(Duration.ofSeconds(10), Duration.ofSeconds(600), 0,
            Duration.ZERO);
    public static final Retransmission REBIND = new Retransmission(Duration.ofSeconds(10), Duration.ofSeconds(600), 0,
            Duration.ZERO);

    public Retransmission {
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("initial retransmission time must be positive: " + initial);
        }
        if (max.isNegative() || (!max.isZero() && max.compareTo(initial) < 0)) {
            throw new IllegalArgumentException("maximum retransmission time " + max + " is below the initial "
                    + initial);
        }
        if (maxCount < 0 || maxDuration.isNegative()) {
            throw new IllegalArgumentException("maximum count and duration must not be negative");
        }
    }

    /** The wait after the first transmission; {@code strictlyLonger}: RAND in (0, 0.1] (SOLICIT). */
    public Duration first(RandomGenerator random, boolean strictlyLonger) {
        double rand = strictlyLonger ? Math.nextUp(random.nextDouble(0.0, 0.1)) : random.nextDouble(-0.1, 0.1);
        return cap(scale(initial, 1 + rand), random);
    }

    /** The wait after a retransmission whose wait before was {@code previous}. */
    public Duration next(Duration previous, RandomGenerator random) {
        return cap(scale(previous, 2 + random.nextDouble(-0.1, 0.1)), random);
    }

    private Duration cap(Duration rt, RandomGenerator random) {
        if (!max.isZero() && rt.compareTo(max) > 0) {
            return scale(max, 1 + random.nextDouble(-0.1, 0.1));
        }
        return rt;
    }

    private static Duration scale(Duration d, double factor) {
        return Duration.ofNanos(Math.max(1, Math.round(d.toNanos() * factor)));
    }
}

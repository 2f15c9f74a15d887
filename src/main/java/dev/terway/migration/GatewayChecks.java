package dev.terway.migration;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gateway checks this process made through a bridge it set up or re-created ({@link BridgeSetup}): how
 * many the gateways answered, how many they did not (the change was rolled back), and the last one's verdict.
 * One set per process: under {@code terway run} the setup at start and the daemon's later bridge repairs run in
 * the same JVM, and the daemon's metrics read both from here.
 */
public final class GatewayChecks {

    /** This process's checks. */
    public static final GatewayChecks PROCESS = new GatewayChecks();

    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();
    private final AtomicReference<Boolean> last = new AtomicReference<>();

    public GatewayChecks() {
    }

    public void checked(boolean gatewayAnswered) {
        (gatewayAnswered ? answered : unanswered).incrementAndGet();
        last.set(gatewayAnswered);
    }

    public long answered() {
        return answered.get();
    }

    public long unanswered() {
        return unanswered.get();
    }

    /** Whether the gateway answered the last check; empty before the first. */
    public Optional<Boolean> lastAnswered() {
        return Optional.ofNullable(last.get());
    }
}

package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.ExchangeOutcome;
import dev.terway.dhcp.client.LeaseLoss;
import java.time.Duration;

/**
 * What the lease service counts since the daemon started, read by the daemon's metrics
 * ({@code dev.terway.metrics}) without a second count: every value is read from the service's own counters
 * when it is asked for. Plain Java: the metrics library stays out of the lease service.
 */
public interface LeaseStatistics {

    /** How many exchanges of {@code exchange} ended in {@code result}. */
    long exchanges(ExchangeOutcome.Exchange exchange, ExchangeOutcome.Result result);

    /** Held leases that ended without a release, by reason. */
    long leasesLost(LeaseLoss.Reason reason);

    /** Renewals that got no answer from the leasing server by T2. */
    long renewalsMissed();

    /** Renewals whose first REQUEST went out more than a second after T1. */
    long renewalsLate();

    /** Stored leases taken up at the daemon's start. */
    long leasesRestored();

    /** Acknowledged addresses the ARP probe found in use (declined). */
    long addressConflicts();

    long arpProbesSent();

    /** Where the service reports events that have a duration rather than a count. */
    @FunctionalInterface
    interface Timings {
        /** No one listens. */
        Timings NONE = timeToLease -> {
        };

        /**
         * A pod's first lease was bound: {@code timeToLease} from the acquire call to the bound lease (DISCOVER,
         * OFFER, REQUEST, ACK, the ARP probe, and any decline and retry on the way).
         */
        void leaseAcquired(Duration timeToLease);
    }
}

package dev.terway.dhcp6.daemon;

import dev.terway.dhcp6.client.Dhcp6ExchangeOutcome;
import dev.terway.dhcp6.client.Dhcp6LossReason;

/**
 * What the DHCPv6 lease service counts since the daemon started, read by the daemon's metrics
 * ({@code dev.terway.metrics}, {@code family="ipv6"}) from the service's own counters when asked: the DHCPv6
 * counterpart of {@link dev.terway.dhcp.daemon.LeaseStatistics}, with DHCPv6's exchanges and loss reasons.
 */
public interface Lease6Statistics {

    /** How many exchanges of {@code exchange} ended in {@code result}. */
    long exchanges(Dhcp6ExchangeOutcome.Exchange exchange, Dhcp6ExchangeOutcome.Result result);

    /** Held leases that ended without a release, by reason. */
    long leasesLost(Dhcp6LossReason reason);

    /** RENEWs that got no answer from the granting server by T2 (the client then rebinds with any server). */
    default long renewalsMissed() {
        return exchanges(Dhcp6ExchangeOutcome.Exchange.RENEW, Dhcp6ExchangeOutcome.Result.TIMEOUT);
    }

    /** Renewals (RENEW, or REBIND straight away) whose first message left more than a second after T1. */
    long renewalsLate();

    /** Stored leases taken up at the daemon's start. */
    long leasesRestored();
}

package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.ExchangeOutcome;
import dev.terway.dhcp.client.LeaseLoss;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lease service's counters since the daemon started: ARP probes sent, acknowledged addresses found in
 * use and declined, addresses bound without the check because a probe could not be sent; lost leases that
 * came back with the same address, and those that came back with another one, followed or removed
 * ({@code onAddressChange}); how every exchange with the servers ended, leases lost by reason, renewals
 * that went out late, and the leases taken up at start. {@code terway dhcp stats} prints a
 * {@link #snapshot}, and the daemon's metrics read the same counters ({@link LeaseStatistics}).
 */
final class LeaseCounters extends LeaseTally<ExchangeOutcome.Exchange, ExchangeOutcome.Result, LeaseLoss.Reason>
        implements LeaseStatistics {

    final AtomicLong arpProbesSent = new AtomicLong();
    final AtomicLong addressConflicts = new AtomicLong();
    final AtomicLong unprobedBinds = new AtomicLong();
    final AtomicLong addressesRegained = new AtomicLong();
    final AtomicLong addressChangesFollowed = new AtomicLong();
    final AtomicLong addressChangesRemoved = new AtomicLong();

    LeaseCounters() {
        super(ExchangeOutcome.Exchange.class, ExchangeOutcome.Result.class, LeaseLoss.Reason.class);
    }

    void exchanged(ExchangeOutcome outcome) {
        exchanged(outcome.exchange(), outcome.result());
    }

    /** A renewal that got no answer from the leasing server by T2 (the client then rebinds). */
    @Override
    public long renewalsMissed() {
        return exchanges(ExchangeOutcome.Exchange.RENEW, ExchangeOutcome.Result.TIMEOUT);
    }

    @Override
    public long addressConflicts() {
        return addressConflicts.get();
    }

    @Override
    public long arpProbesSent() {
        return arpProbesSent.get();
    }

    Map<String, Long> snapshot() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("arpProbesSent", arpProbesSent.get());
        counters.put("addressConflicts", addressConflicts.get());
        counters.put("unprobedBinds", unprobedBinds.get());
        counters.put("addressesRegained", addressesRegained.get());
        counters.put("addressChangesFollowed", addressChangesFollowed.get());
        counters.put("addressChangesRemoved", addressChangesRemoved.get());
        counters.put("renewalsLate", renewalsLate());
        counters.put("renewalsMissed", renewalsMissed());
        counters.put("leasesLostExpired", leasesLost(LeaseLoss.Reason.EXPIRED));
        counters.put("leasesLostNak", leasesLost(LeaseLoss.Reason.NAK));
        counters.put("leasesLostAddressChanged", leasesLost(LeaseLoss.Reason.ADDRESS_CHANGED));
        counters.put("leasesRestored", leasesRestored());
        return counters;
    }
}

package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.ExchangeOutcome;
import dev.terway.dhcp.client.LeaseLoss;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The lease service's counters since the daemon started: ARP probes sent, acknowledged addresses found in
 * use and declined, addresses bound without the check because a probe could not be sent; lost leases that
 * came back with the same address, and those that came back with another one, followed or removed
 * ({@code onAddressChange}); how every exchange with the servers ended, leases lost by reason, renewals
 * that went out late, and the leases taken up at start. {@code terway dhcp stats} prints a
 * {@link #snapshot}, and the daemon's metrics read the same counters ({@link LeaseStatistics}).
 */
final class LeaseCounters implements LeaseStatistics {

    /**
     * A renewal whose first REQUEST goes out more than this after T1 is late: the lease timer fires within
     * milliseconds of its deadline on a daemon that keeps up, so a late one means a starved timer thread, a
     * stopped daemon, or a lease restored after its T1.
     */
    static final Duration LATE_RENEWAL = Duration.ofSeconds(1);

    private static final int RESULTS = ExchangeOutcome.Result.values().length;

    final AtomicLong arpProbesSent = new AtomicLong();
    final AtomicLong addressConflicts = new AtomicLong();
    final AtomicLong unprobedBinds = new AtomicLong();
    final AtomicLong addressesRegained = new AtomicLong();
    final AtomicLong addressChangesFollowed = new AtomicLong();
    final AtomicLong addressChangesRemoved = new AtomicLong();
    final AtomicLong renewalsLate = new AtomicLong();
    final AtomicLong leasesRestored = new AtomicLong();
    private final AtomicLongArray exchanges = new AtomicLongArray(ExchangeOutcome.Exchange.values().length * RESULTS);
    private final AtomicLongArray leasesLost = new AtomicLongArray(LeaseLoss.Reason.values().length);

    void exchanged(ExchangeOutcome outcome) {
        exchanges.incrementAndGet(outcome.exchange().ordinal() * RESULTS + outcome.result().ordinal());
    }

    void lost(LeaseLoss.Reason reason) {
        leasesLost.incrementAndGet(reason.ordinal());
    }

    @Override
    public long exchanges(ExchangeOutcome.Exchange exchange, ExchangeOutcome.Result result) {
        return exchanges.get(exchange.ordinal() * RESULTS + result.ordinal());
    }

    @Override
    public long leasesLost(LeaseLoss.Reason reason) {
        return leasesLost.get(reason.ordinal());
    }

    /** A renewal that got no answer from the leasing server by T2 (the client then rebinds). */
    @Override
    public long renewalsMissed() {
        return exchanges(ExchangeOutcome.Exchange.RENEW, ExchangeOutcome.Result.TIMEOUT);
    }

    @Override
    public long renewalsLate() {
        return renewalsLate.get();
    }

    @Override
    public long leasesRestored() {
        return leasesRestored.get();
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
        counters.put("renewalsLate", renewalsLate.get());
        counters.put("renewalsMissed", renewalsMissed());
        counters.put("leasesLostExpired", leasesLost(LeaseLoss.Reason.EXPIRED));
        counters.put("leasesLostNak", leasesLost(LeaseLoss.Reason.NAK));
        counters.put("leasesLostAddressChanged", leasesLost(LeaseLoss.Reason.ADDRESS_CHANGED));
        counters.put("leasesRestored", leasesRestored.get());
        return counters;
    }
}

package dev.terway.dhcp.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The counters both lease services keep since the daemon started, over each family's own fixed sets: how every
 * exchange with the servers ended (by exchange and result), leases lost by reason, renewals that went out late and
 * leases taken up at start. {@link LeaseCounters} (DHCPv4) and the DHCPv6 service's counters extend it with what
 * only their family counts; the metrics and {@code terway dhcp stats} read both.
 *
 * @param <E> the family's exchanges
 * @param <R> how an exchange can end
 * @param <L> why a held lease can be lost
 */
public class LeaseTally<E extends Enum<E>, R extends Enum<R>, L extends Enum<L>> {

    /**
     * A renewal whose first message goes out more than this after T1 is late: the lease timer fires within
     * milliseconds of its deadline on a daemon that keeps up, so a late one means a starved timer thread, a
     * stopped daemon, or a lease restored after its T1.
     */
    public static final Duration LATE_RENEWAL = Duration.ofSeconds(1);

    private final int results;
    private final AtomicLongArray exchanges;
    private final AtomicLongArray leasesLost;
    private final AtomicLong renewalsLate = new AtomicLong();
    private final AtomicLong leasesRestored = new AtomicLong();

    protected LeaseTally(Class<E> exchanges, Class<R> results, Class<L> lossReasons) {
        this.results = results.getEnumConstants().length;
        this.exchanges = new AtomicLongArray(exchanges.getEnumConstants().length * this.results);
        this.leasesLost = new AtomicLongArray(lossReasons.getEnumConstants().length);
    }

    public void exchanged(E exchange, R result) {
        exchanges.incrementAndGet(exchange.ordinal() * results + result.ordinal());
    }

    public void lost(L reason) {
        leasesLost.incrementAndGet(reason.ordinal());
    }

    /** A renewal's first message went out {@code now}, for a lease due for renewal at {@code renewAt} (T1). */
    public void renewalBegan(Instant renewAt, Instant now) {
        if (Duration.between(renewAt, now).compareTo(LATE_RENEWAL) > 0) {
            renewalsLate.incrementAndGet();
        }
    }

    public void restored(long leases) {
        leasesRestored.addAndGet(leases);
    }

    public long exchanges(E exchange, R result) {
        return exchanges.get(exchange.ordinal() * results + result.ordinal());
    }

    public long leasesLost(L reason) {
        return leasesLost.get(reason.ordinal());
    }

    public long renewalsLate() {
        return renewalsLate.get();
    }

    public long leasesRestored() {
        return leasesRestored.get();
    }
}

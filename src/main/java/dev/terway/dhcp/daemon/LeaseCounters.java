package dev.terway.dhcp.daemon;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lease service's counters since the daemon started: ARP probes sent, acknowledged addresses found in
 * use and declined, addresses bound without the check because a probe could not be sent; lost leases that
 * came back with the same address, and those that came back with another one, followed or removed
 * ({@code onAddressChange}).
 */
final class LeaseCounters {

    final AtomicLong arpProbesSent = new AtomicLong();
    final AtomicLong addressConflicts = new AtomicLong();
    final AtomicLong unprobedBinds = new AtomicLong();
    final AtomicLong addressesRegained = new AtomicLong();
    final AtomicLong addressChangesFollowed = new AtomicLong();
    final AtomicLong addressChangesRemoved = new AtomicLong();

    Map<String, Long> snapshot() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("arpProbesSent", arpProbesSent.get());
        counters.put("addressConflicts", addressConflicts.get());
        counters.put("unprobedBinds", unprobedBinds.get());
        counters.put("addressesRegained", addressesRegained.get());
        counters.put("addressChangesFollowed", addressChangesFollowed.get());
        counters.put("addressChangesRemoved", addressChangesRemoved.get());
        return counters;
    }
}

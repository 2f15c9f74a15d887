package dev.terway.metrics;

import dev.terway.dhcp.client.ClientState;
import dev.terway.dhcp.client.ExchangeOutcome;
import dev.terway.dhcp.client.LeaseLoss;
import dev.terway.dhcp.daemon.LeaseStatistics;
import dev.terway.dhcp6.client.Dhcp6ClientState;
import dev.terway.dhcp6.client.Dhcp6ExchangeOutcome;
import dev.terway.dhcp6.client.Dhcp6LossReason;
import dev.terway.dhcp6.daemon.Lease6Statistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * One address family's lease service as the DHCP metrics read it, in label values: the metrics share their names
 * across the families and only the {@code family} label (and the family's own fixed sets of states, exchanges,
 * outcomes and loss reasons) differs. Every value is read from the service's own counters at each scrape. Made by
 * {@link #ipv4} and {@link #ipv6}, the only place that turns each family's enums into labels.
 */
public interface LeaseSource {

    /** Held leases by state, every state of the family's fixed set present (0 when none). */
    Map<String, Long> leasesByState();

    /** Exchanges by what the client sent and how it ended, every possible pair present. */
    Map<String, Map<String, Long>> exchanges();

    /** Held leases that ended without a release, by reason, every reason present. */
    Map<String, Long> leasesLost();

    long renewalsMissed();

    long renewalsLate();

    long leasesRestored();

    /** Acknowledged addresses the ARP probe found in use: IPv4 only (IPv6 leaves duplicates to the kernel's DAD). */
    default OptionalLong addressConflicts() {
        return OptionalLong.empty();
    }

    /** ARP probes sent: IPv4 only. */
    default OptionalLong arpProbesSent() {
        return OptionalLong.empty();
    }

    /** The IPv4 client states in which a pod holds a lease. */
    List<ClientState> HELD_IPV4 = List.of(ClientState.BOUND, ClientState.RENEWING, ClientState.REBINDING,
            ClientState.REBOOTING);

    /**
     * The DHCPv6 client states in which a pod holds a lease: {@code confirming} is IPv4's {@code rebooting} (restored
     * at start, being confirmed), {@code requesting} a held lease asked for again after NoBinding.
     */
    List<Dhcp6ClientState> HELD_IPV6 = List.of(Dhcp6ClientState.BOUND, Dhcp6ClientState.RENEWING,
            Dhcp6ClientState.REBINDING, Dhcp6ClientState.CONFIRMING, Dhcp6ClientState.REQUESTING);

    /** The DHCPv4 lease service's counts and its clients by state. */
    static LeaseSource ipv4(LeaseStatistics statistics, Supplier<Map<ClientState, Long>> clientsByState) {
        return new LeaseSource() {
            @Override
            public Map<String, Long> leasesByState() {
                Map<ClientState, Long> states = clientsByState.get();
                Map<String, Long> held = new LinkedHashMap<>();
                HELD_IPV4.forEach(s -> held.put(label(s), states.getOrDefault(s, 0L)));
                return held;
            }

            @Override
            public Map<String, Map<String, Long>> exchanges() {
                Map<String, Map<String, Long>> all = new LinkedHashMap<>();
                for (ExchangeOutcome.Exchange exchange : ExchangeOutcome.Exchange.values()) {
                    for (ExchangeOutcome.Result result : ExchangeOutcome.Result.values()) {
                        if (ExchangeOutcome.possible(exchange, result)) {
                            all.computeIfAbsent(exchange.label(), e -> new LinkedHashMap<>())
                                    .put(result.label(), statistics.exchanges(exchange, result));
                        }
                    }
                }
                return all;
            }

            @Override
            public Map<String, Long> leasesLost() {
                Map<String, Long> lost = new LinkedHashMap<>();
                for (LeaseLoss.Reason reason : LeaseLoss.Reason.values()) {
                    lost.put(label(reason), statistics.leasesLost(reason));
                }
                return lost;
            }

            @Override
            public long renewalsMissed() {
                return statistics.renewalsMissed();
            }

            @Override
            public long renewalsLate() {
                return statistics.renewalsLate();
            }

            @Override
            public long leasesRestored() {
                return statistics.leasesRestored();
            }

            @Override
            public OptionalLong addressConflicts() {
                return OptionalLong.of(statistics.addressConflicts());
            }

            @Override
            public OptionalLong arpProbesSent() {
                return OptionalLong.of(statistics.arpProbesSent());
            }
        };
    }

    /** The DHCPv6 lease service's counts and its clients by state. */
    static LeaseSource ipv6(Lease6Statistics statistics, Supplier<Map<Dhcp6ClientState, Long>> clientsByState) {
        return new LeaseSource() {
            @Override
            public Map<String, Long> leasesByState() {
                Map<Dhcp6ClientState, Long> states = clientsByState.get();
                Map<String, Long> held = new LinkedHashMap<>();
                HELD_IPV6.forEach(s -> held.put(label(s), states.getOrDefault(s, 0L)));
                return held;
            }

            @Override
            public Map<String, Map<String, Long>> exchanges() {
                Map<String, Map<String, Long>> all = new LinkedHashMap<>();
                for (Dhcp6ExchangeOutcome.Exchange exchange : Dhcp6ExchangeOutcome.Exchange.values()) {
                    for (Dhcp6ExchangeOutcome.Result result : Dhcp6ExchangeOutcome.Result.values()) {
                        if (Dhcp6ExchangeOutcome.possible(exchange, result)) {
                            all.computeIfAbsent(exchange.label(), e -> new LinkedHashMap<>())
                                    .put(result.label(), statistics.exchanges(exchange, result));
                        }
                    }
                }
                return all;
            }

            @Override
            public Map<String, Long> leasesLost() {
                Map<String, Long> lost = new LinkedHashMap<>();
                for (Dhcp6LossReason reason : Dhcp6LossReason.values()) {
                    lost.put(reason.label(), statistics.leasesLost(reason));
                }
                return lost;
            }

            @Override
            public long renewalsMissed() {
                return statistics.renewalsMissed();
            }

            @Override
            public long renewalsLate() {
                return statistics.renewalsLate();
            }

            @Override
            public long leasesRestored() {
                return statistics.leasesRestored();
            }
        };
    }

    private static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}

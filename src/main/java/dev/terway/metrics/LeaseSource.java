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
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongBiFunction;
import java.util.function.ToLongFunction;

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
                return heldByState(HELD_IPV4, clientsByState.get());
            }

            @Override
            public Map<String, Map<String, Long>> exchanges() {
                return exchangeCounts(ExchangeOutcome.Exchange.values(), ExchangeOutcome.Exchange::label,
                        ExchangeOutcome.Result.values(), ExchangeOutcome.Result::label, ExchangeOutcome::possible,
                        statistics::exchanges);
            }

            @Override
            public Map<String, Long> leasesLost() {
                return countsByLabel(LeaseLoss.Reason.values(), LeaseSource::label, statistics::leasesLost);
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
                return heldByState(HELD_IPV6, clientsByState.get());
            }

            @Override
            public Map<String, Map<String, Long>> exchanges() {
                return exchangeCounts(Dhcp6ExchangeOutcome.Exchange.values(), Dhcp6ExchangeOutcome.Exchange::label,
                        Dhcp6ExchangeOutcome.Result.values(), Dhcp6ExchangeOutcome.Result::label,
                        Dhcp6ExchangeOutcome::possible, statistics::exchanges);
            }

            @Override
            public Map<String, Long> leasesLost() {
                return countsByLabel(Dhcp6LossReason.values(), Dhcp6LossReason::label, statistics::leasesLost);
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

    /** Every held state of the family's fixed set, in its order, with its count (0 when none). */
    private static <S extends Enum<S>> Map<String, Long> heldByState(List<S> heldStates, Map<S, Long> states) {
        Map<String, Long> held = new LinkedHashMap<>();
        heldStates.forEach(s -> held.put(label(s), states.getOrDefault(s, 0L)));
        return held;
    }

    /** Every possible (exchange, result) pair of a family, by labels, with its count. */
    private static <E, R> Map<String, Map<String, Long>> exchangeCounts(E[] exchanges,
            Function<E, String> exchangeLabel, R[] results, Function<R, String> resultLabel,
            BiPredicate<E, R> possible, ToLongBiFunction<E, R> count) {
        Map<String, Map<String, Long>> all = new LinkedHashMap<>();
        for (E exchange : exchanges) {
            for (R result : results) {
                if (possible.test(exchange, result)) {
                    all.computeIfAbsent(exchangeLabel.apply(exchange), e -> new LinkedHashMap<>())
                            .put(resultLabel.apply(result), count.applyAsLong(exchange, result));
                }
            }
        }
        return all;
    }

    /** Every value of a fixed set, by label, with its count. */
    private static <V> Map<String, Long> countsByLabel(V[] values, Function<V, String> label, ToLongFunction<V> count) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (V value : values) {
            counts.put(label.apply(value), count.applyAsLong(value));
        }
        return counts;
    }

    private static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}

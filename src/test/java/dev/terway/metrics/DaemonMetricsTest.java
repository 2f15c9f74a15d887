package dev.terway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp.client.ClientState;
import dev.terway.dhcp.client.ExchangeOutcome;
import dev.terway.dhcp.client.LeaseLoss;
import dev.terway.dhcp.daemon.LeaseStatistics;
import dev.terway.dhcp6.client.Dhcp6ClientState;
import dev.terway.dhcp6.client.Dhcp6ExchangeOutcome;
import dev.terway.dhcp6.client.Dhcp6LossReason;
import dev.terway.dhcp6.daemon.Lease6Statistics;
import dev.terway.migration.BridgeWatch;
import dev.terway.migration.GatewayChecks;
import dev.terway.plan.CommandResult;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanFailedException;
import dev.terway.plan.PlanOutcomes;
import dev.terway.plan.PlanRunner;
import dev.terway.plan.Step;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Names, labels and values of the daemon's metrics, read back from the text exposition. */
class DaemonMetricsTest {

    /** A lease service's counts, set by the test. */
    static final class FakeStatistics implements LeaseStatistics {
        final Map<String, Long> exchanges = new HashMap<>();
        final Map<LeaseLoss.Reason, Long> lost = new EnumMap<>(LeaseLoss.Reason.class);
        long late;
        long restored;
        long conflicts;
        long probes;

        @Override
        public long exchanges(ExchangeOutcome.Exchange exchange, ExchangeOutcome.Result result) {
            return exchanges.getOrDefault(exchange + "/" + result, 0L);
        }

        @Override
        public long leasesLost(LeaseLoss.Reason reason) {
            return lost.getOrDefault(reason, 0L);
        }

        @Override
        public long renewalsMissed() {
            return exchanges(ExchangeOutcome.Exchange.RENEW, ExchangeOutcome.Result.TIMEOUT);
        }

        @Override
        public long renewalsLate() {
            return late;
        }

        @Override
        public long leasesRestored() {
            return restored;
        }

        @Override
        public long addressConflicts() {
            return conflicts;
        }

        @Override
        public long arpProbesSent() {
            return probes;
        }
    }

    /** The DHCPv6 lease service's counts, set by the test. */
    static final class FakeStatistics6 implements Lease6Statistics {
        final Map<String, Long> exchanges = new HashMap<>();
        final Map<Dhcp6LossReason, Long> lost = new EnumMap<>(Dhcp6LossReason.class);
        long late;
        long restored;

        @Override
        public long exchanges(Dhcp6ExchangeOutcome.Exchange exchange, Dhcp6ExchangeOutcome.Result result) {
            return exchanges.getOrDefault(exchange + "/" + result, 0L);
        }

        @Override
        public long leasesLost(Dhcp6LossReason reason) {
            return lost.getOrDefault(reason, 0L);
        }

        @Override
        public long renewalsLate() {
            return late;
        }

        @Override
        public long leasesRestored() {
            return restored;
        }
    }

    final FakeStatistics statistics = new FakeStatistics();
    final Map<ClientState, Long> states = new EnumMap<>(ClientState.class);
    final FakeStatistics6 statistics6 = new FakeStatistics6();
    final Map<Dhcp6ClientState, Long> states6 = new EnumMap<>(Dhcp6ClientState.class);
    final PlanOutcomes plans = new PlanOutcomes();
    final GatewayChecks gateways = new GatewayChecks();
    final AtomicBoolean bridged = new AtomicBoolean();
    final DaemonMetrics metrics = DaemonMetrics.withoutJvm(new DaemonMetrics.Sources(
            Map.of(DaemonMetrics.IPV4, LeaseSource.ipv4(statistics, () -> states),
                    DaemonMetrics.IPV6, LeaseSource.ipv6(statistics6, () -> states6)), plans, gateways, bridged::get));

    ExpositionText scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
        return ExpositionText.parse(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyFamilyIsNamedByTheConventions() throws Exception {
        Map<String, String> types = scrape().types();
        assertEquals(17, types.size(), "all but the gateway's verdict, absent before a check: " + types);
        types.forEach((name, type) -> {
            assertTrue(name.startsWith("terway_"), name);
            assertTrue(name.matches("[a-z_]+"), name);
            if (type.equals("counter")) {
                assertTrue(name.endsWith("_total"), name + " is a counter");
            } else {
                assertFalse(name.endsWith("_total"), name + " is a " + type);
            }
            if (type.equals("histogram")) {
                assertTrue(name.endsWith("_seconds"), name + " measures time in seconds");
            }
        });
        assertEquals("gauge", types.get("terway_dhcp_leases"));
        assertEquals("counter", types.get("terway_dhcp_exchanges_total"));
        assertEquals("histogram", types.get("terway_dhcp_time_to_lease_seconds"));
        assertEquals("histogram", types.get("terway_cni_request_duration_seconds"));
    }

    @Test
    void leaseCountsAreReadFromTheLeaseServiceAtEachScrape() throws Exception {
        states.put(ClientState.BOUND, 7L);
        states.put(ClientState.RENEWING, 2L);
        states.put(ClientState.SELECTING, 1L);
        statistics.exchanges.put("RENEW/ACK", 12L);
        statistics.exchanges.put("RENEW/TIMEOUT", 3L);
        statistics.exchanges.put("REQUEST/DECLINED", 1L);
        statistics.lost.put(LeaseLoss.Reason.NAK, 2L);
        statistics.late = 4;
        statistics.restored = 9;
        ExpositionText text = scrape();
        assertEquals(7, text.require("terway_dhcp_leases", "family", "ipv4", "state", "bound"));
        assertEquals(2, text.require("terway_dhcp_leases", "family", "ipv4", "state", "renewing"));
        assertEquals(0, text.require("terway_dhcp_leases", "family", "ipv4", "state", "rebinding"));
        assertEquals(0, text.require("terway_dhcp_leases", "family", "ipv4", "state", "rebooting"));
        assertEquals(4, text.samples().stream().filter(s -> s.name().equals("terway_dhcp_leases")
                        && s.labels().get("family").equals("ipv4")).count(),
                "only the states that hold a lease: an acquisition under way holds none");
        assertEquals(12, text.require("terway_dhcp_exchanges_total", "family", "ipv4", "exchange", "renew", "outcome",
                "ack"));
        assertEquals(1, text.require("terway_dhcp_exchanges_total", "exchange", "request", "outcome", "declined"));
        assertEquals(0, text.require("terway_dhcp_exchanges_total", "exchange", "discover", "outcome", "timeout"));
        assertEquals(3, text.require("terway_dhcp_renewals_missed_total", "family", "ipv4"));
        assertEquals(4, text.require("terway_dhcp_renewals_late_total", "family", "ipv4"));
        assertEquals(2, text.require("terway_dhcp_leases_lost_total", "reason", "nak"));
        assertEquals(0, text.require("terway_dhcp_leases_lost_total", "family", "ipv4", "reason", "expired"));
        assertEquals(9, text.require("terway_dhcp_leases_restored", "family", "ipv4"));

        statistics.exchanges.put("RENEW/ACK", 13L);
        assertEquals(13, scrape().require("terway_dhcp_exchanges_total", "exchange", "renew", "outcome", "ack"));
    }

    @Test
    void dhcpv6LeasesAreTheSameMetricsUnderFamilyIpv6() throws Exception {
        states6.put(Dhcp6ClientState.BOUND, 5L);
        states6.put(Dhcp6ClientState.CONFIRMING, 2L);
        states6.put(Dhcp6ClientState.SOLICITING, 3L);
        statistics6.exchanges.put("SOLICIT/ADVERTISE", 6L);
        statistics6.exchanges.put("REQUEST/NO_ADDRS_AVAIL", 1L);
        statistics6.exchanges.put("RENEW/REPLY", 8L);
        statistics6.exchanges.put("RENEW/TIMEOUT", 2L);
        statistics6.exchanges.put("CONFIRM/NOT_ON_LINK", 1L);
        statistics6.exchanges.put("RELEASE/SENT", 4L);
        statistics6.lost.put(Dhcp6LossReason.NOT_ON_LINK, 1L);
        statistics6.late = 3;
        statistics6.restored = 2;
        states.put(ClientState.BOUND, 9L);
        statistics.exchanges.put("RENEW/TIMEOUT", 7L);
        ExpositionText text = scrape();
        assertEquals(5, text.require("terway_dhcp_leases", "family", "ipv6", "state", "bound"));
        assertEquals(2, text.require("terway_dhcp_leases", "family", "ipv6", "state", "confirming"));
        assertEquals(0, text.require("terway_dhcp_leases", "family", "ipv6", "state", "requesting"));
        assertEquals(9, text.require("terway_dhcp_leases", "family", "ipv4", "state", "bound"), "the families apart");
        assertEquals(5, text.samples().stream().filter(s -> s.name().equals("terway_dhcp_leases")
                && s.labels().get("family").equals("ipv6")).count(), "soliciting holds no lease");
        assertEquals(6, text.require("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", "solicit",
                "outcome", "advertise"));
        assertEquals(1, text.require("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", "request",
                "outcome", "no_addrs_avail"));
        assertEquals(8, text.require("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", "renew",
                "outcome", "reply"));
        assertEquals(1, text.require("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", "confirm",
                "outcome", "not_on_link"));
        assertEquals(4, text.require("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", "release",
                "outcome", "sent"));
        assertEquals(2, text.require("terway_dhcp_renewals_missed_total", "family", "ipv6"), "RENEW timeouts");
        assertEquals(7, text.require("terway_dhcp_renewals_missed_total", "family", "ipv4"));
        assertEquals(3, text.require("terway_dhcp_renewals_late_total", "family", "ipv6"));
        assertEquals(1, text.require("terway_dhcp_leases_lost_total", "family", "ipv6", "reason", "not_on_link"));
        assertEquals(0, text.require("terway_dhcp_leases_lost_total", "family", "ipv6", "reason", "withdrawn"));
        assertTrue(text.value("terway_dhcp_leases_lost_total", "family", "ipv6", "reason", "nak").isEmpty(),
                "no DHCPNAK in DHCPv6");
        assertEquals(2, text.require("terway_dhcp_leases_restored", "family", "ipv6"));
        assertTrue(text.value("terway_dhcp_arp_probes_total", "family", "ipv6").isEmpty(), "no ARP in IPv6");
        assertTrue(text.value("terway_dhcp_address_conflicts_total", "family", "ipv6").isEmpty());
        assertEquals(0, text.require("terway_dhcp_arp_probes_total", "family", "ipv4"));

        metrics.timings(DaemonMetrics.IPV6).leaseAcquired(Duration.ofMillis(1700));
        ExpositionText later = scrape();
        assertEquals(1, later.require("terway_dhcp_time_to_lease_seconds_count", "family", "ipv6"));
        assertEquals(0, later.require("terway_dhcp_time_to_lease_seconds_count", "family", "ipv4"));
        assertEquals(1, later.require("terway_dhcp_time_to_lease_seconds_bucket", "family", "ipv6", "le", "2.5"));
        assertEquals(0, later.require("terway_dhcp_time_to_lease_seconds_bucket", "family", "ipv6", "le", "1.0"));
    }

    @Test
    void onlyPossibleExchangeOutcomesAreExposed() throws Exception {
        ExpositionText text = scrape();
        assertTrue(text.value("terway_dhcp_exchanges_total", "exchange", "renew", "outcome", "offer").isEmpty());
        assertTrue(text.value("terway_dhcp_exchanges_total", "exchange", "renew", "outcome", "declined").isEmpty());
        assertTrue(text.value("terway_dhcp_exchanges_total", "exchange", "discover", "outcome", "ack").isEmpty());
        // discover: offer, timeout; request: ack, nak, timeout, declined; renew, rebind, reboot: ack, nak, timeout
        assertEquals(2 + 4 + 3 * 3, text.samples().stream()
                .filter(s -> s.name().equals("terway_dhcp_exchanges_total") && s.labels().get("family").equals("ipv4"))
                .count());
        // solicit: advertise, reply, no_addrs_avail, timeout; request: reply, no_addrs_avail, no_binding,
        // not_on_link, unusable, timeout; renew, rebind: reply, no_binding, not_on_link, withdrawn, timeout;
        // confirm: reply, not_on_link, timeout; release: sent
        assertEquals(4 + 6 + 2 * 5 + 3 + 1, text.samples().stream()
                .filter(s -> s.name().equals("terway_dhcp_exchanges_total") && s.labels().get("family").equals("ipv6"))
                .count());
        assertTrue(text.value("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", "release", "outcome",
                "timeout").isEmpty(), "a RELEASE's REPLY is not waited for");
    }

    @Test
    void timeToLeaseIsAHistogramInSeconds() throws Exception {
        LeaseStatistics.Timings timings = metrics.timings(DaemonMetrics.IPV4);
        timings.leaseAcquired(Duration.ofMillis(230));
        timings.leaseAcquired(Duration.ofMillis(40));
        timings.leaseAcquired(Duration.ofSeconds(12));
        ExpositionText text = scrape();
        assertEquals(3, text.require("terway_dhcp_time_to_lease_seconds_count", "family", "ipv4"));
        assertEquals(12.27, text.require("terway_dhcp_time_to_lease_seconds_sum", "family", "ipv4"), 1e-9);
        assertEquals(1, text.require("terway_dhcp_time_to_lease_seconds_bucket", "family", "ipv4", "le", "0.05"));
        assertEquals(2, text.require("terway_dhcp_time_to_lease_seconds_bucket", "family", "ipv4", "le", "0.25"));
        assertEquals(2, text.require("terway_dhcp_time_to_lease_seconds_bucket", "family", "ipv4", "le", "10.0"));
        assertEquals(3, text.require("terway_dhcp_time_to_lease_seconds_bucket", "family", "ipv4", "le", "+Inf"));
    }

    @Test
    void cniCallsAreCountedByVerbAndCodeWithBoundedLabels() throws Exception {
        metrics.cniCalls().answered("ADD", 0, Duration.ofMillis(300));
        metrics.cniCalls().answered("ADD", 7, Duration.ofMillis(2));
        metrics.cniCalls().answered("DEL", 0, Duration.ofMillis(3));
        metrics.cniCalls().answered("default/web-0", 4, Duration.ofMillis(1));
        metrics.cniCalls().answered("CHECK", 4242, Duration.ofMillis(1));
        ExpositionText text = scrape();
        assertEquals(1, text.require("terway_cni_requests_total", "verb", "ADD", "code", "0"));
        assertEquals(1, text.require("terway_cni_requests_total", "verb", "ADD", "code", "7"));
        assertEquals(1, text.require("terway_cni_requests_total", "verb", "DEL", "code", "0"));
        assertEquals(1, text.require("terway_cni_requests_total", "verb", "unknown", "code", "4"));
        assertEquals(1, text.require("terway_cni_requests_total", "verb", "CHECK", "code", "other"));
        assertEquals(0, text.require("terway_cni_requests_total", "verb", "GC", "code", "0"), "every verb from the start");
        assertEquals(2, text.require("terway_cni_request_duration_seconds_count", "verb", "ADD"));
        assertEquals(0.302, text.require("terway_cni_request_duration_seconds_sum", "verb", "ADD"), 1e-9);
        assertTrue(text.samples().stream().noneMatch(s -> s.labels().containsValue("default/web-0")));
    }

    @Test
    void noLabelValueComesFromOutsideAFixedSet() throws Exception {
        metrics.cniCalls().answered("ADD; rm -rf /", 12345, Duration.ZERO);
        Set<String> allowed = new java.util.HashSet<>(Set.of("ipv4", "ipv6", "bound", "renewing", "rebinding",
                "rebooting", "confirming", "requesting", "expired", "nak", "not_on_link", "withdrawn",
                "address_changed", "answered", "unanswered", "unknown", "other", "present", "repaired", "left_alone",
                "failed", "+Inf"));
        for (Dhcp6ExchangeOutcome.Exchange e : Dhcp6ExchangeOutcome.Exchange.values()) {
            allowed.add(e.label());
        }
        for (Dhcp6ExchangeOutcome.Result r : Dhcp6ExchangeOutcome.Result.values()) {
            allowed.add(r.label());
        }
        for (ExchangeOutcome.Exchange e : ExchangeOutcome.Exchange.values()) {
            allowed.add(e.label());
        }
        for (ExchangeOutcome.Result r : ExchangeOutcome.Result.values()) {
            allowed.add(r.label());
        }
        for (dev.terway.cni.spec.Verb v : dev.terway.cni.spec.Verb.values()) {
            allowed.add(v.name());
        }
        DaemonMetrics.CODES.forEach(c -> allowed.add(c.toString()));
        for (double b : DaemonMetrics.TIME_TO_LEASE_BOUNDS) {
            allowed.add(Double.toString(b));
        }
        for (double b : DaemonMetrics.CNI_BOUNDS) {
            allowed.add(Double.toString(b));
        }
        for (ExpositionText.Sample s : scrape().samples()) {
            for (String value : s.labels().values()) {
                assertTrue(allowed.contains(value), s + " has label value " + value);
            }
        }
    }

    @Test
    void planFailuresAreReadFromThePlanRunners() throws Exception {
        PlanRunner runner = new PlanRunner(argv -> new CommandResult(argv, argv.contains("fail") ? 2 : 0, "",
                argv.contains("fail") ? "boom" : "", Duration.ZERO), plans);
        Plan plan = new Plan(List.of(Step.undoable("make a", List.of("ip", "link", "add", "a"),
                List.of("ip", "link", "del", "a")), Step.of("then fail", List.of("ip", "fail"))));
        assertThrows(PlanFailedException.class, () -> runner.run(plan));
        ExpositionText text = scrape();
        assertEquals(1, text.require("terway_plan_steps_failed_total"));
        assertEquals(1, text.require("terway_plan_rollbacks_total"));
        assertEquals(0, text.require("terway_plan_undos_failed_total"));
    }

    @Test
    void theNodeIsBridgedAndItsGatewayCheckedAsTheSourcesSay() throws Exception {
        ExpositionText before = scrape();
        assertEquals(0, before.require("terway_node_bridged"));
        assertTrue(before.value("terway_node_gateway_answered").isEmpty(), "no check made: no verdict");
        bridged.set(true);
        gateways.checked(true);
        gateways.checked(false);
        metrics.bridgeChecked(BridgeWatch.Outcome.PRESENT);
        metrics.bridgeChecked(BridgeWatch.Outcome.PRESENT);
        metrics.bridgeChecked(BridgeWatch.Outcome.REPAIRED);
        ExpositionText text = scrape();
        assertEquals(1, text.require("terway_node_bridged"));
        assertEquals(1, text.require("terway_node_gateway_checks_total", "result", "answered"));
        assertEquals(1, text.require("terway_node_gateway_checks_total", "result", "unanswered"));
        assertEquals(0, text.require("terway_node_gateway_answered"), "the last check failed");
        assertEquals(2, text.require("terway_node_bridge_checks_total", "outcome", "present"));
        assertEquals(1, text.require("terway_node_bridge_checks_total", "outcome", "repaired"));
        assertEquals(0, text.require("terway_node_bridge_checks_total", "outcome", "failed"));
    }

    @Test
    void jvmMetricsComeWithTheDaemonsOwnRegistry() throws Exception {
        DaemonMetrics withJvm = DaemonMetrics.create(new DaemonMetrics.Sources(Map.of(), plans, gateways,
                bridged::get));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, withJvm.registry().scrape());
        ExpositionText text = ExpositionText.parse(out.toString(StandardCharsets.UTF_8));
        assertTrue(text.require("jvm_memory_used_bytes", "area", "heap") > 0);
        assertTrue(text.types().containsKey("process_resident_memory_bytes"), text.types().keySet().toString());
    }
}

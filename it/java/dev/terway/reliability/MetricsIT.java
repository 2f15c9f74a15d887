package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.it.DaemonProcess;
import dev.terway.it.NetnsLab;
import dev.terway.metrics.ExpositionText;
import dev.terway.plan.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon's /metrics after a scripted life of one pod on a lab node under `terway run` (real dnsmasq with T1
 * 10 s and 2 minute leases): ADD, a renewal, a refused ADD, a DHCPNAK on renewal (the server replaced by one
 * serving another range, as {@link FaultsIT} does it) and DEL. Each step scrapes the metrics over HTTP inside the
 * node's namespace, parses the text format and checks that each counter moved as it should, and no label names
 * the pod, its container or its addresses. Root only.
 */
class MetricsIT {

    private static final String HOST = "127.0.0.1";
    private static final int PORT = 9153;
    private static final String POD = "metrics-pod-7";

    @BeforeEach
    void rootOnly() {
        assumeTrue(NetnsLab.isRoot(), "the metrics test needs root (network namespaces)");
    }

    private static ExpositionText scrape(FaultNode node) {
        return ExpositionText.parse(DaemonProcess.scrapeMetrics(node.ns(), HOST, PORT));
    }

    private static double exchanges(ExpositionText text, String exchange, String outcome) {
        return text.require("terway_dhcp_exchanges_total", "family", "ipv4", "exchange", exchange, "outcome", outcome);
    }

    private static double leases(ExpositionText text, String state) {
        return text.require("terway_dhcp_leases", "family", "ipv4", "state", state);
    }

    /** Scrapes until {@code condition} holds (at most {@code seconds}); the last scrape either way. */
    private static ExpositionText scrapeUntil(FaultNode node, int seconds, Predicate<ExpositionText> condition) {
        ExpositionText[] last = {scrape(node)};
        FaultNode.eventually(seconds, () -> condition.test(last[0] = scrape(node)));
        return last[0];
    }

    @Test
    void aScriptedLifeOfAPodMovesEachCounterAsItShould() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.startRun(List.of("--metrics-address", HOST + ":" + PORT));
            assertTrue(node.log().contains("metrics on http://127.0.0.1:9153/metrics"), node.log());

            ExpositionText start = scrape(node);
            assertEquals(1, start.require("terway_node_bridged"), "setup bridged the node");
            assertTrue(start.require("terway_node_gateway_checks_total", "result", "answered") >= 1,
                    "the gateways (IPv4, IPv6) answered setup's check, made in the same process");
            assertEquals(0, start.require("terway_node_gateway_checks_total", "result", "unanswered"));
            assertEquals(1, start.require("terway_node_gateway_answered"));
            assertEquals(0, start.require("terway_dhcp_leases_restored", "family", "ipv4"));
            assertEquals(0, leases(start, "bound"));
            assertEquals(0, start.require("terway_dhcp_leases", "family", "ipv6", "state", "bound"),
                    "the DHCPv6 series are there, at 0, before any DHCPv6 pod");
            assertEquals(0, start.require("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", "solicit",
                    "outcome", "advertise"));
            assertEquals(0, exchanges(start, "request", "ack"));
            assertTrue(start.require("jvm_memory_used_bytes", "area", "heap") > 0);
            assertTrue(start.require("process_resident_memory_bytes") > 0);

            String pod = node.newPod(POD);
            FaultNode.Result add = node.cni("ADD", POD, pod);
            assertEquals(0, add.exit(), add::describe);
            String first = add.address();
            ExpositionText added = scrape(node);
            assertEquals(1, exchanges(added, "discover", "offer"));
            assertEquals(1, exchanges(added, "request", "ack"));
            assertEquals(1, added.require("terway_dhcp_time_to_lease_seconds_count", "family", "ipv4"));
            double timeToLease = added.require("terway_dhcp_time_to_lease_seconds_sum", "family", "ipv4");
            assertTrue(timeToLease >= 0.2 && timeToLease < 10, "the ARP probe's 200 ms at least: " + timeToLease);
            assertEquals(3, added.require("terway_dhcp_arp_probes_total", "family", "ipv4"));
            assertEquals(1, added.require("terway_cni_requests_total", "verb", "ADD", "code", "0"));
            assertEquals(1, added.require("terway_cni_request_duration_seconds_count", "verb", "ADD"));
            assertEquals(1, leases(added, "bound"));

            // T1 is 10 s: the renewal is acknowledged by the server that granted the lease
            ExpositionText renewed = scrapeUntil(node, 25, t -> exchanges(t, "renew", "ack") >= 1
                    && leases(t, "bound") == 1);
            assertTrue(exchanges(renewed, "renew", "ack") >= 1, "no renewal:\n" + node.log());
            assertEquals(1, leases(renewed, "bound"), node.log());
            assertEquals(0, renewed.require("terway_dhcp_renewals_missed_total", "family", "ipv4"));
            assertEquals(0, renewed.require("terway_dhcp_renewals_late_total", "family", "ipv4"));

            // an ADD the daemon refuses is counted under its CNI error code, not as a success
            FaultNode.Result refused = node.cni("ADD", "no-such-netns", lab.id() + "-missing");
            assertNotEquals(0, refused.exit(), refused::describe);
            ExpositionText afterRefusal = scrape(node);
            assertEquals(1, afterRefusal.require("terway_cni_requests_total", "verb", "ADD", "code",
                    Integer.toString(refused.code())), refused::describe);
            assertEquals(1, afterRefusal.require("terway_cni_requests_total", "verb", "ADD", "code", "0"));

            // the server is replaced by an authoritative one of another range: the next renewal gets a DHCPNAK,
            // the lease is lost and acquired again (another address, followed)
            dhcp.process().destroy();
            dhcp.process().waitFor();
            Path nakLog = lab.dir().resolve("dnsmasq-nak.log");
            Process nakServer = FaultsIT.startOtherRangeServer(lab, nakLog);
            try {
                assertTrue(FaultNode.eventually(60, () -> node.log().contains("acquired again")),
                        "no fresh lease after the NAK:\n" + node.log() + "\n" + Files.readString(nakLog));
                String second = node.leases().get(POD + "/eth0");
                ExpositionText naked = scrapeUntil(node, 10, t -> leases(t, "bound") == 1);
                assertEquals(1, exchanges(naked, "renew", "nak"), node.log());
                assertEquals(1, naked.require("terway_dhcp_leases_lost_total", "family", "ipv4", "reason", "nak"));
                assertEquals(0, naked.require("terway_dhcp_leases_lost_total", "family", "ipv4", "reason", "expired"));
                assertEquals(2, exchanges(naked, "discover", "offer"));
                assertEquals(2, exchanges(naked, "request", "ack"));
                assertEquals(1, naked.require("terway_dhcp_time_to_lease_seconds_count", "family", "ipv4"),
                        "time to lease is an ADD's; the re-acquisition is counted as exchanges");
                assertEquals(1, leases(naked, "bound"));

                FaultNode.Result del = node.cni("DEL", POD, pod);
                assertEquals(0, del.exit(), del::describe);
                ExpositionText deleted = scrapeUntil(node, 10, t -> leases(t, "bound") == 0);
                assertEquals(0, leases(deleted, "bound"), "the lease is released");
                assertEquals(1, deleted.require("terway_cni_requests_total", "verb", "DEL", "code", "0"));
                assertEquals(0, deleted.require("terway_plan_undos_failed_total"));

                // nothing that names a pod: no container id, netns, pod name or address in any label
                List<String> named = List.of(POD, pod, first, second == null ? first : second.split("/")[0]);
                for (ExpositionText.Sample s : deleted.samples()) {
                    for (String value : s.labels().values()) {
                        assertTrue(named.stream().noneMatch(value::contains), s + " names the pod");
                    }
                }
                String body = DaemonProcess.scrapeMetrics(node.ns(), HOST, PORT);
                System.out.printf("metrics: one scrape of a lab node's daemon: %d samples, %d bytes%n",
                        ExpositionText.parse(body).samples().size(), body.length());
                assertTrue(deleted.types().keySet().stream().filter(n -> !n.startsWith("jvm_")
                        && !n.startsWith("process_")).allMatch(n -> n.startsWith("terway_")), deleted.types()::toString);
            } finally {
                nakServer.destroyForcibly();
                nakServer.waitFor();
            }
        }
    }

    @Test
    void anAddressThatCannotBeHadStopsTheDaemonBeforeItServes() {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            lab.startDhcpServer();
            node.setup();
            node.startDaemon(java.util.Map.of(), List.of(), List.of("--metrics-address", HOST + ":" + PORT));
            Path other = node.dir.resolve("second");
            CommandResult taken = NetnsLab.exec(node.ns(), "timeout", "60", FaultNode.home().resolve("bin/terway")
                    .toString(), "dhcp", "daemon", "--socket", other.resolve("dhcp.sock").toString(), "--state-dir",
                    other.resolve("state").toString(), "--metrics-address", HOST + ":" + PORT);
            assertEquals(1, taken.exitCode(), taken.stderr());
            assertTrue(taken.stderr().contains("cannot serve metrics on 127.0.0.1:9153"), taken.stderr());
            assertFalse(Files.exists(other.resolve("dhcp.sock")), "it never served");

            CommandResult bad = NetnsLab.exec(node.ns(), "timeout", "60", FaultNode.home().resolve("bin/terway")
                    .toString(), "dhcp", "daemon", "--socket", other.resolve("dhcp.sock").toString(), "--state-dir",
                    other.resolve("state").toString(), "--metrics-address", "9153");
            assertEquals(2, bad.exitCode(), bad.stderr());
            assertTrue(bad.stderr().contains("--metrics-address: metrics address '9153' is not HOST:PORT"),
                    bad.stderr());
            assertTrue(node.ping(), "the first daemon still serves");
        }
    }
}

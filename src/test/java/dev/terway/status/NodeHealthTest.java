package dev.terway.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.netstate.Link;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class NodeHealthTest {

    private static final Instant NOW = Instant.parse("2026-12-05T02:00:00Z");
    private static final String VETH1 = "tw1111111111111";
    private static final String VETH2 = "tw2222222222222";

    private static Link link(String name, Optional<String> master, Optional<String> kind, boolean up) {
        return new Link(name.hashCode() & 0xffff, name, up ? Set.of("UP") : Set.of(), 1500, "02:00:00:00:00:01",
                master, kind, master.map(m -> "bridge"), up ? "UP" : "DOWN");
    }

    private static List<Link> healthyLinks() {
        return List.of(link("lo", Optional.empty(), Optional.empty(), true),
                link("eth0", Optional.of("mybr0"), Optional.of("veth"), true), // a VM's NIC may be a veth: no orphan
                link("mybr0", Optional.empty(), Optional.of("bridge"), true),
                link(VETH1, Optional.of("mybr0"), Optional.of("veth"), true),
                link(VETH2, Optional.of("mybr0"), Optional.of("veth"), true));
    }

    private static NodeObservation node(List<Link> links) {
        return new NodeObservation("mybr0", Optional.of(new NodeObservation.Setup("eth0", "mybr0",
                Optional.of(NOW.minusSeconds(3600)))), Optional.empty(), links,
                Map.of("eth0", "forwarding", VETH1, "forwarding", VETH2, "forwarding"), Optional.empty());
    }

    private static DaemonStatus.Lease bound(String id, String name, String address) {
        return new DaemonStatus.Lease(id, "eth0", Optional.of("default"), Optional.of(name), "ipv4",
                "bound", Optional.of(address), Optional.of("10.0.0.2"), Optional.of(NOW.plusSeconds(250)),
                Optional.of(250L),
                Optional.of(NOW.plusSeconds(550)), Optional.of(550L), false, Optional.empty(), Optional.empty());
    }

    private static DaemonStatus daemon(UnaryOperator<List<DaemonStatus.Lease>> leases, List<DaemonStatus.Problem> problems) {
        List<DaemonStatus.Lease> two = new ArrayList<>(List.of(bound("c1", "web-1", "10.0.0.110/24"),
                bound("c2", "web-2", "10.0.0.111/24")));
        return new DaemonStatus("0.1.0", NOW.minusSeconds(7380), NOW,
                List.of(new DaemonStatus.Attachment("c1", "eth0", VETH1, "mybr0", Optional.of("10.0.0.110/24")),
                        new DaemonStatus.Attachment("c2", "eth0", VETH2, "mybr0", Optional.of("10.0.0.111/24"))),
                leases.apply(two), List.of(new DaemonStatus.Server("10.0.0.2", NOW.minusSeconds(12), 4)), problems);
    }

    private static DaemonStatus healthyDaemon() {
        return daemon(l -> l, List.of());
    }

    private static List<String> checks(StatusReport report) {
        return report.findings().stream().map(f -> f.check().text()).toList();
    }

    @Test
    void aHealthyNodeWithTwoPodsExitsZeroAndShowsBothLeases() throws Exception {
        StatusReport report = NodeHealth.assess(node(healthyLinks()), Optional.of(healthyDaemon()), "");
        assertEquals(List.of(), checks(report));
        assertEquals(0, report.exitCode());
        String text = report.text();
        assertTrue(text.startsWith("terway status: healthy\n"), text);
        assertTrue(text.contains("setup:   eth0 bridged into mybr0 since 2026-12-05T01:00:00Z"), text);
        assertTrue(text.contains("daemon:  up 2h03m"), text);
        assertTrue(text.contains("default/web-1 eth0  ipv4  10.0.0.110/24  bound  renew in 4m10s  expires in 9m10s"
                + "  server 10.0.0.2"), text);
        assertTrue(text.contains("default/web-2 eth0  ipv4  10.0.0.111/24  bound"), text);
        assertTrue(text.contains("10.0.0.2  last reply 12s ago, 4 replies"), text);
        JsonNode json = new ObjectMapper().readTree(report.toJson().toString());
        assertTrue(json.get("healthy").asBoolean());
        assertEquals(2, json.get("daemon").get("leases").size());
        assertEquals(3, json.get("bridge").get("ports").size());
        assertEquals(healthyDaemon(), DaemonStatus.fromJson(json.get("daemon")), "the answer reads back as itself");
    }

    @Test
    void aMissingBridgeLeavesTheNicAndThePodsOffIt() {
        List<Link> links = List.of(link("eth0", Optional.empty(), Optional.empty(), true),
                link(VETH1, Optional.empty(), Optional.of("veth"), true),
                link(VETH2, Optional.empty(), Optional.of("veth"), true));
        StatusReport report = NodeHealth.assess(node(links), Optional.of(healthyDaemon()), "");
        assertEquals(List.of("bridge-missing", "nic-not-enslaved", "veth-off-bridge", "veth-off-bridge"),
                checks(report));
        assertEquals(1, report.exitCode());
        assertTrue(report.text().startsWith("terway status: NEEDS ATTENTION (4 problems)\n"
                + "  ! bridge-missing: bridge mybr0 does not exist; `terway run` re-creates it"), report.text());
    }

    @Test
    void aDownDaemonIsExitThreeAndTheNodeIsStillJudged() throws Exception {
        List<Link> links = new ArrayList<>(healthyLinks());
        links.set(2, link("mybr0", Optional.empty(), Optional.of("bridge"), false));
        StatusReport report = NodeHealth.assess(node(links), Optional.empty(),
                "cannot reach the terway daemon: /run/terway/dhcp.sock does not exist");
        assertEquals(List.of("daemon-down", "bridge-down"), checks(report));
        assertEquals(StatusReport.EXIT_DAEMON_DOWN, report.exitCode());
        assertTrue(report.text().contains("daemon:  DOWN: cannot reach the terway daemon"), report.text());
        JsonNode json = new ObjectMapper().readTree(report.toJson().toString());
        assertTrue(json.get("daemon").isNull());
        assertEquals(3, json.get("exitCode").asInt());
    }

    @Test
    void orphansEitherWayAreNamed() {
        List<Link> links = new ArrayList<>(healthyLinks());
        links.remove(4); // VETH2 is gone: its attachment has no veth
        links.add(link("tw9999999999999", Optional.of("mybr0"), Optional.of("veth"), true));
        links.add(link(VETH2.replace('2', '3'), Optional.of("other0"), Optional.of("veth"), true)); // not on mybr0
        StatusReport report = NodeHealth.assess(node(links), Optional.of(healthyDaemon()), "");
        assertEquals(List.of("veth-missing", "orphan-veth"), checks(report));
        assertTrue(report.findings().get(0).message().contains("attachment c2/eth0 has no host veth " + VETH2),
                report.findings().toString());
        assertTrue(report.findings().get(1).message().startsWith("veth tw9999999999999 is on bridge mybr0 but no"
                + " attachment names it"), report.findings().toString());
    }

    @Test
    void lostExpiredRebindingAndFailingLeasesNeedAttention() {
        DaemonStatus.Lease lost = new DaemonStatus.Lease("c1", "eth0", Optional.of("default"), Optional.of("web-1"),
                "ipv4", "selecting", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(),
                Optional.empty(), true, Optional.of("10.0.0.110"), Optional.of("no answer to 4 DISCOVERs"));
        DaemonStatus.Lease rebinding = new DaemonStatus.Lease("c2", "eth0", Optional.empty(), Optional.empty(),
                "ipv4", "rebinding", Optional.of("10.0.0.111/24"), Optional.of("10.0.0.2"), Optional.of(NOW.minusSeconds(300)),
                Optional.of(-300L), Optional.of(NOW.plusSeconds(75)), Optional.of(75L), false, Optional.empty(),
                Optional.empty());
        DaemonStatus.Lease expired = new DaemonStatus.Lease("c3", "eth1", Optional.empty(), Optional.empty(),
                "ipv4", "rebinding", Optional.of("10.0.0.112/24"), Optional.of("10.0.0.2"), Optional.of(NOW.minusSeconds(600)),
                Optional.of(-600L), Optional.of(NOW), Optional.of(0L), false, Optional.empty(), Optional.empty());
        DaemonStatus.Lease failing = new DaemonStatus.Lease("c4", "eth0", Optional.empty(), Optional.empty(),
                "ipv4", "stopped", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), false, Optional.empty(), Optional.of("DHCPNAK from 10.0.0.2"));
        DaemonStatus d = daemon(l -> List.of(lost, rebinding, expired, failing), List.of());
        StatusReport report = NodeHealth.assess(node(healthyLinks()), Optional.of(d), "");
        assertEquals(List.of("lease-lost", "lease-rebinding", "lease-expired", "lease-failing"), checks(report));
        assertEquals("lease of default/web-1 eth0 was lost (10.0.0.110) and is being acquired again (selecting);"
                + " last failure: no answer to 4 DISCOVERs", report.findings().get(0).message());
        assertTrue(report.findings().get(1).message().contains("expires in 1m15s"), report.findings().toString());
        assertTrue(report.text().contains("container c3 eth1  ipv4  10.0.0.112/24  rebinding  renew due  expires"
                + " EXPIRED"),
                report.text());
        assertTrue(report.text().contains("default/web-1 eth0  ipv4  (none)  selecting (lost 10.0.0.110)"),
                report.text());
    }

    @Test
    void dhcpv6LeasesCountInTheVerdictLikeIpv4OnesAndSayTheirFamily() {
        DaemonStatus.Lease lost6 = new DaemonStatus.Lease("c1", "eth0", Optional.of("default"), Optional.of("web-1"),
                "ipv6", "soliciting", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), true, Optional.of("fd00:db8::100"),
                Optional.of("no DHCPv6 lease for eth0: no server answered"));
        DaemonStatus.Lease expired6 = new DaemonStatus.Lease("c2", "eth0", Optional.of("default"), Optional.of("web-2"),
                "ipv6", "rebinding", Optional.of("fd00:db8::101"), Optional.of("000100012c4f5a100242ac110002"),
                Optional.of(NOW.minusSeconds(120)), Optional.of(-120L), Optional.of(NOW.minusSeconds(1)),
                Optional.of(-1L), false, Optional.empty(), Optional.empty());
        DaemonStatus d = daemon(l -> {
            List<DaemonStatus.Lease> all = new ArrayList<>(l);
            all.add(lost6);
            all.add(expired6);
            return all;
        }, List.of());
        StatusReport report = NodeHealth.assess(node(healthyLinks()), Optional.of(d), "");
        assertEquals(List.of("lease-lost", "lease-expired"), checks(report), "the IPv4 leases are bound");
        assertEquals(1, report.exitCode());
        assertEquals("DHCPv6 lease of default/web-1 eth0 was lost (fd00:db8::100) and is being acquired again"
                + " (soliciting); last failure: no DHCPv6 lease for eth0: no server answered",
                report.findings().get(0).message());
        assertTrue(report.findings().get(1).message().startsWith("DHCPv6 lease of default/web-2 eth0 for"
                + " fd00:db8::101 has expired"), report.findings().toString());
        assertTrue(report.text().contains("default/web-1 eth0  ipv6  (none)  soliciting (lost fd00:db8::100)"),
                report.text());
        assertTrue(report.text().contains("default/web-1 eth0  ipv4  10.0.0.110/24  bound"), report.text());

        JsonNode json = report.toJson();
        List<String> families = new ArrayList<>();
        json.path("daemon").path("leases").forEach(l -> families.add(l.path("family").asText()));
        assertEquals(List.of("ipv4", "ipv4", "ipv6", "ipv6"), families);
        DaemonStatus back = DaemonStatus.fromJson(json.path("daemon"));
        assertEquals(d.leases(), back.leases(), "the family survives the daemon's answer");
        ((ObjectNode) json.path("daemon").path("leases").get(2)).remove("family");
        ((ObjectNode) json.path("daemon").path("leases").get(0)).remove("family");
        DaemonStatus older = DaemonStatus.fromJson(json.path("daemon"));
        assertEquals("ipv6", older.leases().get(2).family(), "a daemon from before the field: by the address");
        assertEquals("ipv4", older.leases().get(0).family());
    }

    @Test
    void onlyRecentErrorsCountWarningsAreShownNotJudged() {
        List<DaemonStatus.Problem> problems = List.of(
                new DaemonStatus.Problem(NOW.minusSeconds(3600), "error", "bridge.recreate_failed", Optional.empty(),
                        "an hour ago"),
                new DaemonStatus.Problem(NOW.minusSeconds(60), "warn", "lease.conflict", Optional.of("c1"), "declined"),
                new DaemonStatus.Problem(NOW.minusSeconds(30), "error", "pod.upkeep_failed", Optional.of("c2"),
                        "upkeep of default/web-2 eth0 failed: \u001b[31mred"));
        StatusReport report = NodeHealth.assess(node(healthyLinks()), Optional.of(daemon(l -> l, problems)), "");
        assertEquals(List.of("recent-error"), checks(report));
        assertTrue(report.findings().get(0).message().startsWith("pod.upkeep_failed at 2026-12-05T01:59:30Z:"),
                report.findings().toString());
        String text = report.text();
        assertTrue(text.contains("warn lease.conflict: declined"), text);
        assertFalse(text.contains("\u001b"), "no escape sequence reaches the terminal: " + text);
    }

    @Test
    void aNodeNeverSetUpOrUnreadableSaysSo() {
        NodeObservation bare = new NodeObservation("mybr0", Optional.empty(), Optional.empty(),
                List.of(link("eth0", Optional.empty(), Optional.empty(), true)), Map.of(), Optional.empty());
        assertEquals(List.of("setup-missing", "bridge-missing"),
                checks(NodeHealth.assess(bare, Optional.of(daemon(l -> List.of(), List.of())), "")).subList(0, 2));
        NodeObservation unreadable = new NodeObservation("mybr0", Optional.empty(), Optional.of("setup.json is not"
                + " JSON"), List.of(), Map.of(), Optional.of("ip -j -d link show exited 1: wedged"));
        StatusReport report = NodeHealth.assess(unreadable, Optional.of(daemon(l -> List.of(), List.of())), "");
        assertEquals(List.of("setup-unreadable", "links-unreadable"), checks(report));
        assertTrue(report.text().contains("bridge:  mybr0 (links not readable)"), report.text());
    }

    @Test
    void durationsReadAtAGlance() {
        assertEquals("45s", StatusReport.duration(45));
        assertEquals("3m05s", StatusReport.duration(185));
        assertEquals("2h03m", StatusReport.duration(7380));
        assertEquals("4d02h", StatusReport.duration(4 * 86400 + 7200));
        assertEquals("0s", StatusReport.duration(-5));
    }
}

package dev.terway.cni.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.result.Dns;
import dev.terway.cni.spec.CniException;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PodPlansTest {

    static final PodSpec SPEC = new PodSpec("c1", "eth0", Path.of("/run/netns/p1"), "twaaaaaaaaaaaaa",
            "fe:00:00:00:00:01", "02:00:00:00:00:01", "mybr0", 1450, true);
    static final NodeView NODE = new NodeView("mybr0", true, 1450, Optional.of(Ipv4Cidr.parseOrNull("10.0.0.5/24")),
            Optional.of(Ipv4.parseOrNull("10.0.0.1")), false);

    static PodAddress lease(String cidr, String router, PodAddress.SourceRoute... routes) {
        return new PodAddress(Ipv4Cidr.parseOrNull(cidr), Optional.ofNullable(router).map(Ipv4::parseOrNull),
                List.of(routes), Dns.empty(), OptionalLong.of(120));
    }

    static PodAddress.SourceRoute route(String dst, String gw) {
        return new PodAddress.SourceRoute(Ipv4Cidr.parseOrNull(dst), Optional.ofNullable(gw).map(Ipv4::parseOrNull));
    }

    static List<String> describe(List<PodRoute> routes) {
        return routes.stream().map(r -> r.destination() + r.via().map(v -> " via " + v.toString()).orElse("")
                + (r.onlink() ? " onlink" : "")).toList();
    }

    @Test
    void linkPlanIsOneBatchOnTheNodeThatLeavesThePodEndUpAndTheHostEndOnTheBridge() {
        Plan plan = PodPlans.link(SPEC, NODE);
        assertEquals(1, plan.steps().size(), "no command inside the pod");
        Step batch = plan.steps().get(0);
        assertEquals(List.of("ip", "-batch", "-"), batch.argv());
        assertEquals(Optional.of("link add name eth0 address " + SPEC.podMac() + " mtu 1450 netns /run/netns/p1 up"
                + " type veth peer name twaaaaaaaaaaaaa address " + SPEC.hostMac() + " mtu 1450\n"
                + "link set dev twaaaaaaaaaaaaa master mybr0 up alias " + VethNames.alias(SPEC.containerId(), SPEC.ifname())
                + "\nlink set dev twaaaaaaaaaaaaa type bridge_slave hairpin on\n"), batch.input());
        assertEquals(Optional.of(List.of("ip", "link", "del", "twaaaaaaaaaaaaa")), batch.undo());
        assertTrue(PodPlans.createsVeth(batch));
        PodSpec noHairpin = new PodSpec("c1", "eth0", Path.of("/n"), "twx", "fe:00:00:00:00:01", "02:00:00:00:00:01",
                "mybr0", 1450, false);
        assertTrue(PodPlans.link(noHairpin, NODE).steps().get(0).input().orElseThrow()
                .endsWith("\nlink set dev twx master mybr0 up alias " + VethNames.alias("c1", "eth0") + "\n"));
    }

    @Test
    void aNetnsPathThatIpBatchWouldSplitGetsTheCommandsOneByOne() {
        PodSpec blank = new PodSpec("c1", "eth0", Path.of("/run/netns/my pod"), "twaaaaaaaaaaaaa",
                "fe:00:00:00:00:01", "02:00:00:00:00:01", "mybr0", 1450, true);
        Plan plan = PodPlans.link(blank, NODE);
        assertEquals(3, plan.steps().size());
        assertEquals(List.of("ip", "link", "add", "name", "eth0", "address", "02:00:00:00:00:01", "mtu", "1450",
                "netns", "/run/netns/my pod", "up", "type", "veth", "peer", "name", "twaaaaaaaaaaaaa", "address",
                "fe:00:00:00:00:01", "mtu", "1450"), plan.steps().get(0).argv());
        assertEquals(Optional.of(List.of("ip", "link", "del", "twaaaaaaaaaaaaa")), plan.steps().get(0).undo());
        assertTrue(PodPlans.createsVeth(plan.steps().get(0)));
        assertEquals(List.of("ip", "link", "set", "dev", "twaaaaaaaaaaaaa", "master", "mybr0", "up", "alias",
                VethNames.alias("c1", "eth0")), plan.steps().get(1).argv());
        assertEquals(List.of("ip", "link", "set", "dev", "twaaaaaaaaaaaaa", "type", "bridge_slave", "hairpin", "on"),
                plan.steps().get(2).argv());
        assertFalse(PodPlans.createsVeth(plan.steps().get(1)));
    }

    @Test
    void leftoverVethIsRemovedFirst() {
        NodeView leftover = new NodeView("mybr0", true, 1450, Optional.empty(), Optional.empty(), true);
        assertEquals(List.of("ip", "link", "del", "twaaaaaaaaaaaaa"), PodPlans.link(SPEC, leftover).steps().get(0).argv());
    }

    @Test
    void defaultRouteViaTheDhcpRouter() throws Exception {
        assertEquals(List.of("0.0.0.0/0 via 10.0.0.254"),
                describe(PodPlans.routes(lease("10.0.0.77/24", "10.0.0.254"), NODE, Optional.empty())));
    }

    @Test
    void nodeGatewayWhenDhcpNamesNoRouter() throws Exception {
        assertEquals(List.of("0.0.0.0/0 via 10.0.0.1"),
                describe(PodPlans.routes(lease("10.0.0.77/24", null), NODE, Optional.empty())));
        assertEquals(List.of("0.0.0.0/0 via 10.0.0.1 onlink"),
                describe(PodPlans.routes(lease("192.168.3.3/24", null), NODE, Optional.empty())));
    }

    @Test
    void classlessRoutesWinOverTheRouterAndSkipTheConnectedSubnet() throws Exception {
        PodAddress a = lease("10.0.0.77/24", "10.0.0.254", route("0.0.0.0/0", "10.0.0.2"),
                route("172.16.0.0/16", "10.0.0.3"), route("10.0.0.0/24", null), route("10.9.0.0/16", null));
        assertEquals(List.of("0.0.0.0/0 via 10.0.0.2", "172.16.0.0/16 via 10.0.0.3", "10.9.0.0/16"),
                describe(PodPlans.routes(a, NODE, Optional.empty())));
        PodAddress noDefault = lease("10.0.0.77/24", "10.0.0.254", route("172.16.0.0/16", "10.0.0.3"));
        assertEquals(List.of("0.0.0.0/0 via 10.0.0.254", "172.16.0.0/16 via 10.0.0.3"),
                describe(PodPlans.routes(noDefault, NODE, Optional.empty())));
    }

    @Test
    void serviceNetworkViaTheNodeBridgeAddress() throws Exception {
        assertEquals(List.of("0.0.0.0/0 via 10.0.0.254", "10.96.0.0/12 via 10.0.0.5"),
                describe(PodPlans.routes(lease("10.0.0.77/24", "10.0.0.254"), NODE,
                        Optional.of(Ipv4Cidr.parseOrNull("10.96.0.0/12")))));
        NodeView noAddress = new NodeView("mybr0", true, 1450, Optional.empty(), Optional.empty(), false);
        CniException e = assertThrows(CniException.class, () -> PodPlans.routes(lease("10.0.0.77/24", "10.0.0.254"),
                noAddress, Optional.of(Ipv4Cidr.parseOrNull("10.96.0.0/12"))));
        assertTrue(e.getMessage().contains("terway setup"));
    }

    @Test
    void addressPlanCarriesTheLeaseLifetime() {
        Plan plan = PodPlans.address(SPEC, lease("10.0.0.77/24", "10.0.0.254"), List.of());
        assertEquals(1, plan.steps().size());
        assertEquals(List.of("nsenter", "--net=/run/netns/p1", "ip", "-4", "addr", "add", "10.0.0.77/24", "dev", "eth0",
                "valid_lft", "120", "preferred_lft", "120"), plan.steps().get(0).argv());
        assertTrue(plan.steps().get(0).input().isEmpty(), "a single change needs no batch");
    }

    @Test
    void addressAndRoutesGoInOneBatchInThePod() throws Exception {
        PodAddress lease = lease("10.0.0.77/24", "10.0.0.254");
        List<PodRoute> routes = PodPlans.routes(lease, NODE, Optional.of(Ipv4Cidr.parseOrNull("10.96.0.0/12")));
        Plan plan = PodPlans.address(SPEC, lease, routes);
        assertEquals(1, plan.steps().size());
        assertEquals(List.of("nsenter", "--net=/run/netns/p1", "ip", "-4", "-batch", "-"), plan.steps().get(0).argv());
        assertEquals(Optional.of("""
                addr add 10.0.0.77/24 dev eth0 valid_lft 120 preferred_lft 120
                route replace default via 10.0.0.254 dev eth0
                route replace 10.96.0.0/12 via 10.0.0.5 dev eth0
                """), plan.steps().get(0).input());
        assertTrue(plan.steps().get(0).reason().contains("service network"), plan.steps().get(0).reason());
        String printed = PlanPrinter.render(plan);
        assertTrue(printed.contains("ip -4 -batch - <<'EOF'\naddr add 10.0.0.77/24"), printed);
        assertTrue(printed.endsWith("dev eth0\nEOF\n"), printed);
    }

    @Test
    void anInterfaceNameThatIpBatchWouldSplitGetsOneCommandPerChange() throws Exception {
        PodSpec hashName = new PodSpec("c1", "eth#0", Path.of("/run/netns/p1"), "twaaaaaaaaaaaaa",
                "fe:00:00:00:00:01", "02:00:00:00:00:01", "mybr0", 1450, true);
        PodAddress lease = lease("10.0.0.77/24", "10.0.0.254");
        Plan plan = PodPlans.address(hashName, lease, PodPlans.routes(lease, NODE, Optional.empty()));
        assertEquals(2, plan.steps().size());
        assertTrue(plan.steps().stream().allMatch(s -> s.input().isEmpty()));
        assertEquals(List.of("nsenter", "--net=/run/netns/p1", "ip", "-4", "route", "replace", "default", "via",
                "10.0.0.254", "dev", "eth#0"), plan.steps().get(1).argv());
        for (String word : List.of("eth\"0", "eth'0", "eth\\0", "eth#0", "eth 0", "")) {
            assertFalse(PodPlans.plainBatchWord(word), word);
        }
        for (String word : List.of("eth0", "net-1", "10.96.0.0/12", "valid_lft", "fe80::1", "vlan.100@x")) {
            assertTrue(PodPlans.plainBatchWord(word), word);
        }
    }

    @Test
    void deletePlanDeletesTheHostVeth() {
        assertEquals(List.of("ip", "link", "del", "twx"), PodPlans.delete("twx").steps().get(0).argv());
    }

    @Test
    void nodeGatewayIsNeededOnlyWithoutAnyDefault() {
        assertTrue(PodPlans.needsNodeGateway(lease("10.0.0.77/24", null)));
        assertTrue(!PodPlans.needsNodeGateway(lease("10.0.0.77/24", "10.0.0.1")));
        assertTrue(!PodPlans.needsNodeGateway(lease("10.0.0.77/24", null, route("0.0.0.0/0", "10.0.0.2"))));
    }
}

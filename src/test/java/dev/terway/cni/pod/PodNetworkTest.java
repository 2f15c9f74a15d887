package dev.terway.cni.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.result.Dns;
import dev.terway.cni.spec.CniException;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The one pod-network planner, for every event that reaches a pod: ADD (fresh link), CHECK (drift), renewal,
 * lease lost, re-acquired with the same or another address, restored after a restart with the address present
 * or missing, a route deleted by hand, and the lease's MTU (option 26) at, below and above the bridge's.
 * The lab's case: serviceCIDR 10.96.0.0/12, the lease names router 10.0.0.1, the bridge has 10.0.0.5/24.
 */
class PodNetworkTest {

    static final Path NETNS = Path.of("/run/netns/p1");
    static final List<Ipv4Cidr> SERVICES = List.of(Ipv4Cidr.parseOrNull("10.96.0.0/12"));
    static final NodeView NODE = new NodeView("mybr0", true, 1500, Optional.of(Ipv4Cidr.parseOrNull("10.0.0.5/24")),
            Optional.of(Ipv4.parseOrNull("10.0.0.254")), false);

    static PodAddress lease(String cidr, OptionalInt mtu) {
        return new PodAddress(Ipv4Cidr.parseOrNull(cidr), Optional.of(Ipv4.parseOrNull("10.0.0.1")), List.of(),
                Dns.empty(), OptionalLong.of(120), mtu);
    }

    static PodNetwork.Target target(String cidr) throws CniException {
        return PodNetwork.target(NETNS, "eth0", lease(cidr, OptionalInt.empty()), NODE, SERVICES, 1500);
    }

    /** What the pod has after ADD of {@code cidr}: the address (lifetime {@code lifetime}) and its routes. */
    static PodNetwork.Observed afterAdd(String cidr, long lifetime, int mtu) {
        String[] parts = cidr.split("/");
        List<IpAddress> addresses = List.of(new IpAddress("eth0", Family.INET, parts[0], Integer.parseInt(parts[1]),
                "global", false, Optional.empty(), Optional.empty(), lifetime, lifetime));
        String network = Ipv4Cidr.parseOrNull(cidr).networkCidr().toString();
        return new PodNetwork.Observed(OptionalInt.of(mtu), addresses, routes("["
                + "{\"dst\":\"default\",\"gateway\":\"10.0.0.1\",\"dev\":\"eth0\",\"flags\":[]},"
                + "{\"dst\":\"" + network + "\",\"dev\":\"eth0\",\"protocol\":\"kernel\",\"scope\":\"link\","
                + "\"prefsrc\":\"" + parts[0] + "\",\"flags\":[]},"
                + "{\"dst\":\"10.96.0.0/12\",\"gateway\":\"10.0.0.5\",\"dev\":\"eth0\",\"flags\":[]}]"));
    }

    static List<Route> routes(String json) {
        return IpJson.routes(json, Family.INET);
    }

    static PodNetwork.Observed without(PodNetwork.Observed o, String dst) {
        List<Route> kept = new ArrayList<>(o.routes());
        kept.removeIf(r -> r.dst().equals(dst));
        return new PodNetwork.Observed(o.mtu(), o.addresses(), kept);
    }

    /** The lines of the plan's one batch, or the argv of its single steps (after `nsenter --net=… ip -4`). */
    static List<String> lines(Plan plan) {
        List<String> out = new ArrayList<>();
        for (Step s : plan.steps()) {
            if (s.input().isPresent()) {
                assertEquals(List.of("nsenter", "--net=" + NETNS, "ip", "-4", "-batch", "-"), s.argv());
                out.addAll(s.input().get().lines().toList());
            } else {
                assertEquals(List.of("nsenter", "--net=" + NETNS, "ip", "-4"), s.argv().subList(0, 4));
                out.add(String.join(" ", s.argv().subList(4, s.argv().size())));
            }
        }
        return out;
    }

    static final List<String> ADD_LINES = List.of(
            "addr add 10.0.0.141/24 dev eth0 valid_lft 120 preferred_lft 120",
            "route replace default via 10.0.0.1 dev eth0",
            "route replace 10.96.0.0/12 via 10.0.0.5 dev eth0");

    @Test
    void addOnAFreshLinkConfiguresAddressDefaultAndServiceRouteInOneBatchAndRepairsNothing() throws CniException {
        PodNetwork.Repair add = PodNetwork.plan(target("10.0.0.141/24"), PodNetwork.Observed.freshLink(1500));
        assertEquals(1, add.plan().steps().size(), "one process start");
        assertEquals(ADD_LINES, lines(add.plan()));
        assertEquals(List.of(), add.repaired());
    }

    @Test
    void serviceAndDefaultRouteGoOnlinkWhenTheirGatewayIsOutsideThePodSubnet() throws CniException {
        NodeView elsewhere = new NodeView("mybr0", true, 1500, Optional.of(Ipv4Cidr.parseOrNull("192.168.7.5/24")),
                Optional.of(Ipv4.parseOrNull("192.168.7.1")), false);
        PodAddress noRouter = new PodAddress(Ipv4Cidr.parseOrNull("10.0.0.141/24"), Optional.empty(), List.of(),
                Dns.empty(), OptionalLong.of(120));
        PodNetwork.Target t = PodNetwork.target(NETNS, "eth0", noRouter, elsewhere, SERVICES, 1500);
        assertEquals(List.of("addr add 10.0.0.141/24 dev eth0 valid_lft 120 preferred_lft 120",
                "route replace default via 192.168.7.1 dev eth0 onlink",
                "route replace 10.96.0.0/12 via 192.168.7.5 dev eth0 onlink"),
                lines(PodNetwork.plan(t, PodNetwork.Observed.freshLink(1500)).plan()));
    }

    @Test
    void checkSeesNoDriftRightAfterAddAndNamesWhatIsMissing() throws CniException {
        PodNetwork.Target t = target("10.0.0.141/24");
        assertEquals(List.of(), PodNetwork.drift(t, afterAdd("10.0.0.141/24", 120, 1500)));
        assertEquals(List.of("service route 10.96.0.0/12 was missing"),
                PodNetwork.drift(t, without(afterAdd("10.0.0.141/24", 120, 1500), "10.96.0.0/12")));
    }

    @Test
    void renewalOnlyExtendsTheLifetimeOfAPodThatHasEverything() throws CniException {
        PodNetwork.Repair renewed = PodNetwork.plan(target("10.0.0.141/24"), afterAdd("10.0.0.141/24", 60, 1500));
        assertEquals(List.of("addr change 10.0.0.141/24 dev eth0 valid_lft 120 preferred_lft 120"),
                lines(renewed.plan()));
        assertEquals(List.of(), renewed.repaired());
    }

    @Test
    void aRenewalDueOnAPodThatHasEverythingRunsNothing() throws CniException {
        PodNetwork.Repair due = PodNetwork.plan(target("10.0.0.141/24"), afterAdd("10.0.0.141/24", 119, 1500));
        assertTrue(due.plan().isEmpty(), due.plan().toString());
    }

    @Test
    void serviceRouteDeletedByHandIsPutBackAtTheRenewal() throws CniException {
        PodNetwork.Repair renewed = PodNetwork.plan(target("10.0.0.141/24"),
                without(afterAdd("10.0.0.141/24", 60, 1500), "10.96.0.0/12"));
        assertEquals(List.of("addr change 10.0.0.141/24 dev eth0 valid_lft 120 preferred_lft 120",
                "route replace 10.96.0.0/12 via 10.0.0.5 dev eth0"), lines(renewed.plan()));
        assertEquals(List.of("service route 10.96.0.0/12 was missing"), renewed.repaired());
    }

    @Test
    void aDefaultRouteThatGoesAnotherWayIsReplaced() throws CniException {
        PodNetwork.Observed o = afterAdd("10.0.0.141/24", 120, 1500);
        List<Route> routes = new ArrayList<>(without(o, "default").routes());
        routes.addAll(routes("[{\"dst\":\"default\",\"gateway\":\"10.0.0.99\",\"dev\":\"eth0\",\"flags\":[]}]"));
        PodNetwork.Repair r = PodNetwork.plan(target("10.0.0.141/24"),
                new PodNetwork.Observed(o.mtu(), o.addresses(), routes));
        assertEquals(List.of("route replace default via 10.0.0.1 dev eth0"), lines(r.plan()));
        assertEquals(List.of("default route went via 10.0.0.99, not via 10.0.0.1"), r.repaired());
    }

    /** Flushed address (with the daemon running, or then a restart): the kernel took the routes with it. */
    static PodNetwork.Observed flushed() {
        return new PodNetwork.Observed(OptionalInt.of(1500), List.of(), List.of());
    }

    @Test
    void reacquiredWithTheSameAddressAfterAFlushGetsAddressDefaultAndServiceRouteBack() throws CniException {
        PodNetwork.Repair r = PodNetwork.plan(target("10.0.0.141/24"), flushed());
        assertEquals(ADD_LINES, lines(r.plan()), "what ADD gave the pod");
        assertEquals(List.of("address 10.0.0.141/24 was missing", "default route was missing",
                "service route 10.96.0.0/12 was missing"), r.repaired());
    }

    @Test
    void reacquiredWithAnotherAddressAfterANakGetsEverythingNotOnlyTheDefaultRoute() throws CniException {
        // the lost lease's address came off the pod (lease lost), and with it the routes
        Plan lost = PodNetwork.removal(NETNS, "eth0", "10.0.0.141/24",
                afterAdd("10.0.0.141/24", 50, 1500).addresses(), "lease ended (DHCPNAK)");
        assertEquals(List.of("addr del 10.0.0.141/24 dev eth0"), lines(lost));
        PodNetwork.Repair r = PodNetwork.plan(target("10.0.0.207/24"), flushed());
        assertEquals(List.of("addr add 10.0.0.207/24 dev eth0 valid_lft 120 preferred_lft 120",
                "route replace default via 10.0.0.1 dev eth0",
                "route replace 10.96.0.0/12 via 10.0.0.5 dev eth0"), lines(r.plan()));
    }

    @Test
    void lostRemovesOnlyAnAddressThePodHas() {
        assertTrue(PodNetwork.removal(NETNS, "eth0", "10.0.0.141/24", List.of(), "x").isEmpty());
    }

    @Test
    void restoredAfterARestartWithTheAddressPresentRefreshesAndPutsBackMissingRoutes() throws CniException {
        PodNetwork.Repair r = PodNetwork.plan(target("10.0.0.141/24"),
                without(without(afterAdd("10.0.0.141/24", 30, 1500), "10.96.0.0/12"), "default"));
        assertEquals(List.of("addr change 10.0.0.141/24 dev eth0 valid_lft 120 preferred_lft 120",
                "route replace default via 10.0.0.1 dev eth0",
                "route replace 10.96.0.0/12 via 10.0.0.5 dev eth0"), lines(r.plan()));
    }

    @Test
    void restoredAfterARestartWithTheAddressMissingPutsItBack() throws CniException {
        PodNetwork.Repair r = PodNetwork.plan(target("10.0.0.141/24"), flushed());
        assertTrue(lines(r.plan()).contains("addr add 10.0.0.141/24 dev eth0 valid_lft 120 preferred_lft 120"));
        assertTrue(r.repaired().contains("address 10.0.0.141/24 was missing"), r.repaired().toString());
    }

    @Test
    void leaseMtuAtOrBelowTheBridgesIsAppliedAtAddAndRepaired() throws CniException {
        PodNetwork.Target t = PodNetwork.target(NETNS, "eth0", lease("10.0.0.141/24", OptionalInt.of(1400)), NODE,
                SERVICES, 1500);
        assertEquals(OptionalInt.of(1400), t.mtu());
        List<String> add = lines(PodNetwork.plan(t, PodNetwork.Observed.freshLink(1500)).plan());
        assertEquals("link set dev eth0 mtu 1400", add.get(0));
        assertEquals(ADD_LINES, add.subList(1, add.size()));
        assertEquals(List.of(), PodNetwork.drift(t, afterAdd("10.0.0.141/24", 120, 1400)));
        assertEquals(List.of("MTU of eth0 was 1500, not 1400"), PodNetwork.drift(t, afterAdd("10.0.0.141/24", 120,
                1500)));
        PodNetwork.Target equal = PodNetwork.target(NETNS, "eth0", lease("10.0.0.141/24", OptionalInt.of(1500)), NODE,
                SERVICES, 1500);
        assertEquals(ADD_LINES, lines(PodNetwork.plan(equal, PodNetwork.Observed.freshLink(1500)).plan()));
    }

    @Test
    void leaseMtuAboveTheBridgesIsNotTaken() throws CniException {
        PodNetwork.Target t = PodNetwork.target(NETNS, "eth0", lease("10.0.0.141/24", OptionalInt.of(9000)), NODE,
                SERVICES, 1500);
        assertEquals(OptionalInt.of(1500), t.mtu());
        assertTrue(t.mtuNote().orElseThrow().contains("9000"), t.mtuNote().toString());
        assertEquals(ADD_LINES, lines(PodNetwork.plan(t, PodNetwork.Observed.freshLink(1500)).plan()));
        assertEquals(List.of(), PodNetwork.drift(t, afterAdd("10.0.0.141/24", 120, 1500)));
    }

    @Test
    void anUnknownBridgeLeavesTheMtuAlone() throws CniException {
        PodNetwork.Target t = PodNetwork.target(NETNS, "eth0", lease("10.0.0.141/24", OptionalInt.of(1400)), NODE,
                SERVICES, 0);
        assertEquals(OptionalInt.empty(), t.mtu());
        assertEquals(List.of(), PodNetwork.drift(t, afterAdd("10.0.0.141/24", 120, 9000)));
    }
}

package dev.terway.cni.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
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
import java.util.Map;
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
        return lines(plan, "-4");
    }

    /** The lines of the plan's {@code family} ("-4", "-6") `ip` steps; other steps are left out. */
    static List<String> lines(Plan plan, String family) {
        List<String> out = new ArrayList<>();
        for (Step s : plan.steps()) {
            if (!s.argv().get(2).equals("ip") || !s.argv().get(3).equals(family)) {
                continue;
            }
            if (s.input().isPresent()) {
                assertEquals(List.of("nsenter", "--net=" + NETNS, "ip", family, "-batch", "-"), s.argv());
                out.addAll(s.input().get().lines().toList());
            } else {
                assertEquals(List.of("nsenter", "--net=" + NETNS, "ip", family), s.argv().subList(0, 4));
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

    // IPv6. The lab's dual-stack case: the LAN announces fd00:1::/64 from router fe80::1, the bridge has
    // fd00:1::5/64, the IPv6 service network is fd00:96::/108.

    static final NodeView NODE6 = new NodeView("mybr0", true, 1500, Optional.of(Ipv4Cidr.parseOrNull("10.0.0.5/24")),
            Optional.of(Ipv4.parseOrNull("10.0.0.254")), false, Optional.of(Ipv6Cidr.parse("fd00:1::5/64")));
    static final List<Ipv6Cidr> SERVICES6 = List.of(Ipv6Cidr.parse("fd00:96::/108"));
    static final Optional<Ipv6> ROUTER = Optional.of(Ipv6.parse("fe80::1"));
    static final PodIpv6.Address SLAAC = PodIpv6.Address.slaac(Ipv6Cidr.parse("fd00:1::ff:fe00:141/64"));
    static final PodIpv6.Address LEASED = PodIpv6.Address.leased(Ipv6Cidr.parse("fd00:1::77/64"), 3600, 1800);

    static PodNetwork.Target dual(PodIpv6.Settings settings, List<PodIpv6.Address> addresses) throws CniException {
        return target("10.0.0.141/24").withIpv6(PodIpv6.of(settings, true, addresses, ROUTER, NODE6, SERVICES6));
    }

    static IpAddress address6(String cidr, long valid, long preferred) {
        Ipv6Cidr c = Ipv6Cidr.parse(cidr);
        return new IpAddress("eth0", Family.INET6, c.address().toString(), c.prefixLength(), "global", false,
                Optional.empty(), Optional.empty(), valid, preferred);
    }

    // as the kernel writes an RA's on-link prefix: proto kernel, with the prefix's lifetime
    static final String ROUTES6 = "[{\"dst\":\"fd00:1::/64\",\"dev\":\"eth0\",\"protocol\":\"kernel\",\"metric\":256,"
            + "\"flags\":[],\"expires\":2591000},"
            + "{\"dst\":\"fd00:96::/108\",\"gateway\":\"fd00:1::5\",\"dev\":\"eth0\",\"metric\":1024,\"flags\":[]},"
            + "{\"dst\":\"default\",\"gateway\":\"fe80::1\",\"dev\":\"eth0\",\"protocol\":\"ra\",\"metric\":1024,"
            + "\"flags\":[],\"expires\":1790}]";

    /** What a dual-stack pod has after ADD: afterAdd's IPv4, the IPv6 {@code addresses}, the routes of ROUTES6. */
    static PodNetwork.Observed afterDualAdd(String routes6, IpAddress... addresses) {
        PodNetwork.Observed v4 = afterAdd("10.0.0.141/24", 120, 1500);
        List<IpAddress> all = new ArrayList<>(v4.addresses());
        all.addAll(List.of(addresses));
        List<Route> routes = new ArrayList<>(v4.routes());
        routes.addAll(IpJson.routes(routes6, Family.INET6));
        return new PodNetwork.Observed(v4.mtu(), all, routes);
    }

    @Test
    void aSlaacPodNeedsNoIpv6CommandAtAddTheKernelMadeAddressAndDefaultRoute() throws CniException {
        PodNetwork.Target t = dual(PodIpv6.Settings.SLAAC, List.of(SLAAC));
        // What ADD saw after the wait: the SLAAC address and the RA's routes, but not yet the service route.
        PodNetwork.Observed seen = new PodNetwork.Observed(OptionalInt.of(1500),
                List.of(address6("fd00:1::ff:fe00:141/64", 2591999, 604799)),
                IpJson.routes(ROUTES6, Family.INET6).stream().filter(r -> !r.dst().startsWith("fd00:96")).toList(),
                true);
        PodNetwork.Repair add = PodNetwork.plan(t, seen);
        assertEquals(ADD_LINES, lines(add.plan(), "-4"));
        assertEquals(List.of("route replace fd00:96::/108 via fd00:1::5 dev eth0"), lines(add.plan(), "-6"),
                "the node's address is on the pod's /64: no onlink");
        assertEquals(2, add.plan().steps().size(), "one batch per family");
        assertEquals(List.of(), add.repaired());
        assertEquals(List.of(), add.leftToKernel());
    }

    @Test
    void aDhcpv6AddressIsAddedWithTheLeasesTwoLifetimesAndItsServiceRouteInOneBatch() throws CniException {
        PodNetwork.Repair add = PodNetwork.plan(dual(PodIpv6.Settings.MANAGED, List.of(LEASED)),
                PodNetwork.Observed.freshLink(1500));
        assertEquals(List.of("addr add fd00:1::77/64 dev eth0 valid_lft 3600 preferred_lft 1800",
                "route replace fd00:96::/108 via fd00:1::5 dev eth0"), lines(add.plan(), "-6"));
        assertEquals(List.of(), add.repaired());
    }

    @Test
    void aDhcpv6Slash128ReachesTheNodesAddressOnlink() throws CniException {
        PodIpv6.Address host = PodIpv6.Address.leased(Ipv6Cidr.parse("fd00:1::77/128"), 3600, 1800);
        PodNetwork.Repair add = PodNetwork.plan(dual(PodIpv6.Settings.MANAGED, List.of(host)),
                PodNetwork.Observed.freshLink(1500));
        assertEquals(List.of("addr add fd00:1::77/128 dev eth0 valid_lft 3600 preferred_lft 1800",
                "route replace fd00:96::/108 via fd00:1::5 dev eth0 onlink"), lines(add.plan(), "-6"));
    }

    @Test
    void aDhcpv6RenewalOnlyRetimesTheAddressAndAMissingOneIsPutBack() throws CniException {
        PodNetwork.Target t = dual(PodIpv6.Settings.MANAGED, List.of(LEASED));
        PodNetwork.Repair renewed = PodNetwork.plan(t, afterDualAdd(ROUTES6, address6("fd00:1::77/64", 1700, 100)));
        assertEquals(List.of("addr change fd00:1::77/64 dev eth0 valid_lft 3600 preferred_lft 1800"),
                lines(renewed.plan(), "-6"));
        assertEquals(List.of(), lines(renewed.plan(), "-4"));
        assertEquals(List.of(), renewed.repaired());
        assertTrue(PodNetwork.plan(t, afterDualAdd(ROUTES6, address6("fd00:1::77/64", 3599, 1799))).plan().isEmpty(),
                "within the slack nothing runs");
        PodNetwork.Repair flushed = PodNetwork.plan(t, afterDualAdd(ROUTES6));
        assertEquals(List.of("addr add fd00:1::77/64 dev eth0 valid_lft 3600 preferred_lft 1800"),
                lines(flushed.plan(), "-6"));
        assertEquals(List.of("address fd00:1::77/64 was missing"), flushed.repaired());
    }

    @Test
    void checkReportsWhatOnlyTheKernelPutsBackWithoutPlanningIt() throws CniException {
        PodNetwork.Target t = dual(PodIpv6.Settings.SLAAC, List.of(SLAAC));
        assertEquals(List.of(), PodNetwork.drift(t, afterDualAdd(ROUTES6, address6("fd00:1::ff:fe00:141/64", 9, 9))));
        String noDefault = ROUTES6.replaceAll(",\\{\"dst\":\"default\".*\\}\\]$", "]");
        PodNetwork.Repair gone = PodNetwork.plan(t, afterDualAdd(noDefault));
        assertTrue(gone.plan().isEmpty(), gone.plan().toString());
        assertEquals(List.of("SLAAC address fd00:1::ff:fe00:141/64 was missing (the kernel makes it again from the"
                        + " router's next advertisement)",
                "IPv6 default route via fe80::1 was missing (the kernel learns it from the router's advertisements)"),
                gone.leftToKernel());
        assertEquals(gone.leftToKernel(), PodNetwork.drift(t, afterDualAdd(noDefault)));
        String otherRouter = ROUTES6.replace("\"gateway\":\"fe80::1\"", "\"gateway\":\"fe80::2\"");
        assertEquals(List.of("IPv6 default route went via fe80::2, not via fe80::1 (the kernel learns it from the"
                        + " router's advertisements)"),
                PodNetwork.drift(t, afterDualAdd(otherRouter, address6("fd00:1::ff:fe00:141/64", 9, 9))));
    }

    @Test
    void anIpv6ServiceRouteDeletedByHandIsPutBack() throws CniException {
        PodNetwork.Target t = dual(PodIpv6.Settings.SLAAC, List.of(SLAAC));
        String noService = ROUTES6.replaceAll("\\{\"dst\":\"fd00:96::/108\"[^}]*\\},", "");
        PodNetwork.Repair r = PodNetwork.plan(t, afterDualAdd(noService, address6("fd00:1::ff:fe00:141/64", 9, 9)));
        assertEquals(List.of("route replace fd00:96::/108 via fd00:1::5 dev eth0"), lines(r.plan(), "-6"));
        assertEquals(List.of("IPv6 service route fd00:96::/108 via fd00:1::5 was missing"), r.repaired());
    }

    @Test
    void ipv6SettingsAreSetInOneSysctlAndRepairedWhereTheyWereRead() throws CniException {
        PodNetwork.Target t = dual(PodIpv6.Settings.SLAAC, List.of(SLAAC));
        Step set = PodNetwork.ipv6SettingsStep(NETNS, "eth0", t.ipv6().orElseThrow());
        assertEquals(List.of("nsenter", "--net=" + NETNS, "sysctl", "-q", "-w",
                "net/ipv6/conf/eth0/addr_gen_mode=0", "net/ipv6/conf/eth0/use_tempaddr=0",
                "net/ipv6/conf/eth0/router_solicitation_delay=0",
                "net/ipv6/conf/eth0/accept_ra=1", "net/ipv6/conf/eth0/autoconf=1"), set.argv());
        assertEquals(List.of("net/ipv6/conf/eth0/addr_gen_mode", "net/ipv6/conf/eth0/use_tempaddr",
                "net/ipv6/conf/eth0/router_solicitation_delay",
                "net/ipv6/conf/eth0/accept_ra", "net/ipv6/conf/eth0/autoconf"), PodNetwork.ipv6SettingKeys("eth0"));
        assertTrue(PodNetwork.ipv6SettingsStep(NETNS, "eth0", PodIpv6.off()).argv().contains("-e"),
                "off does not fail on a kernel without IPv6");
        PodNetwork.Observed ok = afterDualAdd(ROUTES6, address6("fd00:1::ff:fe00:141/64", 9, 9));
        assertEquals(List.of(), PodNetwork.drift(t, ok.withIpv6Sysctls(Map.of("addr_gen_mode", "0",
                "use_tempaddr", "0", "router_solicitation_delay", "0", "accept_ra", "1", "autoconf", "1"))));
        PodNetwork.Repair r = PodNetwork.plan(t, ok.withIpv6Sysctls(Map.of("addr_gen_mode", "0",
                "use_tempaddr", "2", "router_solicitation_delay", "0", "accept_ra", "0", "autoconf", "1")));
        assertEquals(List.of(set), r.plan().steps());
        assertEquals(List.of("IPv6 settings of eth0 were off: use_tempaddr 2, not 0, accept_ra 0, not 1"),
                r.repaired());
    }

    @Test
    void anIpv6ServiceNetworkNeedsAGlobalBridgeAddressOnlyForAPodWithIpv6() throws CniException {
        CniException e = assertThrows(CniException.class,
                () -> PodIpv6.of(PodIpv6.Settings.SLAAC, true, List.of(SLAAC), ROUTER, NODE, SERVICES6));
        assertEquals(102, e.code());
        assertTrue(e.getMessage().contains("bridge mybr0 has no global IPv6 address")
                && e.getMessage().contains("fd00:96::/108"), e.getMessage());
        PodIpv6 none = PodIpv6.of(PodIpv6.Settings.SLAAC, false, List.of(), Optional.empty(), NODE, SERVICES6);
        assertEquals(List.of(), none.routes());
        assertTrue(PodNetwork.plan(target("10.0.0.141/24").withIpv6(none), PodNetwork.Observed.freshLink(1500))
                .plan().steps().stream().noneMatch(s -> s.argv().contains("-6")));
    }

    @Test
    void anEndedDhcpv6LeaseTakesItsAddressOffWithIp6() {
        Plan lost = PodNetwork.removal(NETNS, "eth0", "fd00:1::77/64", List.of(address6("fd00:1::77/64", 5, 0)),
                "DHCPv6 lease ended");
        assertEquals(List.of("addr del fd00:1::77/64 dev eth0"), lines(lost, "-6"));
    }

    @Test
    void aLeasedAddressTakesTheRaOnlinkPrefixThatHoldsItElse128AndTheRouterIsTheLearntDefaultsGateway() {
        List<Route> ra = IpJson.routes(ROUTES6, Family.INET6);
        assertEquals(Ipv6Cidr.parse("fd00:1::77/64"),
                PodIpv6.Address.leased(Ipv6.parse("fd00:1::77"), 3600, 1800, ra).cidr());
        assertEquals(Ipv6Cidr.parse("fd00:2::77/128"),
                PodIpv6.Address.leased(Ipv6.parse("fd00:2::77"), 3600, 1800, ra).cidr(), "no prefix holds it");
        assertEquals(Ipv6Cidr.parse("fd00:1::77/128"), PodIpv6.Address.leased(Ipv6.parse("fd00:1::77"), 3600, 1800,
                ra.stream().filter(r -> !PodIpv6.learntFromLan(r) || r.isDefault()).toList()).cidr(),
                "no RA prefix learnt");
        assertTrue(PodIpv6.learntFromLan(ra.get(0)), "an expiring on-link prefix (proto kernel) is the RA's");
        assertFalse(PodIpv6.learntFromLan(IpJson.routes("[{\"dst\":\"fd00:1::/64\",\"dev\":\"eth0\","
                + "\"protocol\":\"kernel\",\"metric\":256,\"flags\":[]}]", Family.INET6).get(0)),
                "a static address's prefix route never expires");
        assertEquals(ROUTER, PodIpv6.learntRouter(ra, "eth0"));
        assertEquals(Optional.empty(), PodIpv6.learntRouter(ra, "eth1"));
        assertEquals(Optional.empty(), PodIpv6.learntRouter(List.of(), "eth0"));
    }
}

package dev.terway.netstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Fixtures were captured from a real `ip -j` (iproute2 6.1) in a throwaway namespace. */
class IpJsonTest {

    static String fixture(String name) throws IOException {
        try (InputStream in = IpJsonTest.class.getResourceAsStream("/netstate/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void readsLinksWithKindAndMaster() throws IOException {
        List<Link> links = IpJson.links(fixture("link.json"));
        Link bridge = links.stream().filter(l -> l.name().equals("b0")).findFirst().orElseThrow();
        Link port = links.stream().filter(l -> l.name().equals("e1")).findFirst().orElseThrow();
        Link nic = links.stream().filter(l -> l.name().equals("e0")).findFirst().orElseThrow();
        assertTrue(bridge.isBridge());
        assertEquals(Optional.of("b0"), port.master());
        assertEquals(Optional.of("bridge"), port.slaveKind());
        assertEquals(Optional.empty(), nic.master());
        assertTrue(nic.isUp());
        assertEquals(1500, nic.mtu());
        assertTrue(nic.mac().matches("[0-9a-f:]{17}"));
    }

    @Test
    void readsAddressesOfEveryFamilyAndMarksSecondaries() throws IOException {
        NetState state = new NetState(List.of(), IpJson.addresses(fixture("addr.json")), List.of());
        List<IpAddress> e0 = state.addressesOf("e0");
        assertEquals(List.of("10.99.0.5/24", "10.99.0.6/24", "2001:db8::5/64"),
                e0.stream().filter(IpAddress::isGlobal).map(IpAddress::cidr).toList());
        assertFalse(e0.get(0).secondary());
        assertTrue(e0.get(1).secondary());
        assertEquals(Family.INET6, e0.get(2).family());
        assertTrue(e0.get(2).isPermanent());
        assertTrue(e0.stream().anyMatch(a -> a.scope().equals("link")));
    }

    @Test
    void readsRoutesWithGatewaysMetricsSourceAndOnlink() throws IOException {
        List<Route> v4 = IpJson.routes(fixture("route4.json"), Family.INET);
        Route def = v4.stream().filter(Route::isDefault).findFirst().orElseThrow();
        assertEquals(Optional.of("10.99.0.1"), def.gateway());
        assertEquals(Optional.of(100), def.metric());
        Route withSrc = v4.stream().filter(r -> r.dst().equals("10.98.0.0/16")).findFirst().orElseThrow();
        assertEquals(List.of("10.98.0.0/16", "via", "10.99.0.254", "dev", "e0", "proto", "static",
                "src", "10.99.0.6", "table", "main"), withSrc.args());
        Route onlink = v4.stream().filter(r -> r.dst().equals("10.97.0.0/16")).findFirst().orElseThrow();
        assertEquals(List.of("10.97.0.0/16", "via", "10.99.0.253", "dev", "br", "onlink", "table", "main"),
                onlink.withDev("br").args());
        assertTrue(v4.stream().anyMatch(Route::isKernelRoute));

        List<Route> v6 = IpJson.routes(fixture("route6.json"), Family.INET6);
        Route def6 = v6.stream().filter(Route::isDefault).findFirst().orElseThrow();
        assertEquals(List.of("default", "via", "2001:db8::1", "dev", "e0", "metric", "1024", "pref", "medium",
                "table", "main"), def6.args());
    }

    @Test
    void addressArgsCarryLifetimesAndSkipDadForIpv6() {
        IpAddress v6 = new IpAddress("eth0", Family.INET6, "2001:db8::5", 64, "global", false, Optional.empty(),
                Optional.empty(), 3600, 1800);
        assertEquals(List.of("2001:db8::5/64", "valid_lft", "3600", "preferred_lft", "1800", "nodad", "dev", "br0"),
                v6.addArgs("br0"));
        IpAddress aliased = new IpAddress("eth0", Family.INET, "10.0.0.2", 24, "global", true,
                Optional.of("10.0.0.255"), Optional.of("eth0:1"), IpAddress.FOREVER, IpAddress.FOREVER);
        assertEquals(List.of("10.0.0.2/24", "broadcast", "10.0.0.255", "label", "br0:1", "dev", "br0"),
                aliased.addArgs("br0"));
    }

    /** Captured from `ip -j` (iproute2 6.1) after `ip route add … mtu lock 1400 rtt 30ms … congctl cubic`. */
    @Test
    void routeMetricsAreReadAndWrittenBackTheWayIpRouteTakesThem() throws IOException {
        Route r = IpJson.routes(fixture("route-metrics.json"), Family.INET).get(1);
        assertEquals("10", r.metrics().get("hoplimit"));
        assertEquals("", r.metrics().get("ecn"));
        assertEquals(List.of("10.9.0.0/16", "via", "10.1.0.1", "dev", "va", "advmss", "1300", "congctl", "cubic",
                "cwnd", "3", "features", "ecn", "fastopen_no_cookie", "1", "hoplimit", "10", "initcwnd", "10",
                "initrwnd", "20", "mtu", "1400", "quickack", "1", "reordering", "4", "rto_min", "50ms", "rtt", "30ms",
                "rttvar", "10ms", "ssthresh", "5", "window", "100", "table", "main"), r.args());
    }

    @Test
    void routesLearntFromRouterAdvertisementsKeepTheirExpiryAndHopLimit() throws IOException {
        String json = """
                [{"dst":"default","gateway":"fe80::aff:fe63:1","dev":"eth0","protocol":"ra","metric":1024,"flags":[],
                  "expires":1798,"metrics":[{"hoplimit":64}],"pref":"medium"}]""";
        Route r = IpJson.routes(json, Family.INET6).get(0);
        assertTrue(r.isRaRoute());
        assertEquals(Optional.of(1798), r.expires());
        assertEquals(List.of("default", "via", "fe80::aff:fe63:1", "dev", "br0", "proto", "ra", "metric", "1024",
                "expires", "1798", "hoplimit", "64", "pref", "medium", "table", "main"), r.withDev("br0").args());
        assertEquals(Optional.empty(), r.withExpires(Optional.empty()).expires());
    }

    /** Captured from `ip -j addr` after `ip addr add … noprefixroute metric 100` and a SLAAC-like IPv6 address. */
    @Test
    void addressFlagsThatAreConfigurationAreReadAndCarried() throws IOException {
        List<IpAddress> a = IpJson.addresses(fixture("addr-flags.json"));
        IpAddress v4 = a.get(0);
        IpAddress v6 = a.get(1);
        assertEquals(Set.of("noprefixroute"), v4.flags());
        assertEquals(Optional.of(100), v4.metric());
        assertEquals(Set.of("mngtmpaddr", "noprefixroute"), v6.flags(), "nodad and dynamic are not configuration");
        assertEquals(Set.of(), a.get(2).flags(), "tentative is state");
        assertEquals(List.of("10.1.0.5/24", "noprefixroute", "metric", "100", "dev", "br0"), v4.addArgs("br0"));
        assertEquals(List.of("fd01::5/64", "valid_lft", "300", "preferred_lft", "200", "mngtmpaddr", "noprefixroute",
                "nodad", "dev", "br0"), v6.addArgs("br0"));
    }

    @Test
    void anAddressKnowsTheKernelPrefixRouteItBringsAlong() throws IOException {
        IpAddress v4 = IpJson.addresses(fixture("addr.json")).stream().filter(x -> x.local().equals("10.99.0.5"))
                .findFirst().orElseThrow();
        List<Route> v4Routes = IpJson.routes(fixture("route4.json"), Family.INET);
        Route prefix = v4Routes.stream().filter(r -> r.dst().equals("10.99.0.0/24")).findFirst().orElseThrow();
        assertTrue(v4.isPrefixRoute(prefix));
        assertTrue(v4Routes.stream().filter(r -> r != prefix).noneMatch(v4::isPrefixRoute), v4Routes::toString);

        IpAddress slaac = new IpAddress("e0", Family.INET6, "2001:db8::aff:fe63:5", 64, "global", false,
                Optional.empty(), Optional.empty(), 600, 600, Set.of("mngtmpaddr"), Optional.empty());
        Route ra = IpJson.routes("""
                [{"dst":"2001:db8::/64","dev":"e0","protocol":"kernel","metric":256,"flags":[],"expires":598}]""",
                Family.INET6).get(0);
        assertTrue(slaac.isPrefixRoute(ra));
        Route otherPrefix = IpJson.routes("""
                [{"dst":"2001:db8:7::/64","dev":"e0","protocol":"kernel","metric":256,"flags":[],"expires":598}]""",
                Family.INET6).get(0);
        assertFalse(slaac.isPrefixRoute(otherPrefix));
        IpAddress noPrefixRoute = new IpAddress("e0", Family.INET6, "2001:db8::aff:fe63:5", 64, "global", false,
                Optional.empty(), Optional.empty(), 600, 600, Set.of("noprefixroute"), Optional.empty());
        assertFalse(noPrefixRoute.isPrefixRoute(ra), "NetworkManager's own prefix route is not the kernel's");
        IpAddress withMetric = new IpAddress("e0", Family.INET6, "2001:db8::aff:fe63:5", 64, "global", false,
                Optional.empty(), Optional.empty(), 600, 600, Set.of(), Optional.of(100));
        assertFalse(withMetric.isPrefixRoute(ra), "an address with metric 100 has its prefix route at 100");
    }

    @Test
    void garbageIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpJson.links("{not json"));
        assertTrue(e.getMessage().contains("unreadable JSON from ip link"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpJson.routes("{}", Family.INET));
        assertThrows(IllegalArgumentException.class, () -> IpJson.addresses("[{\"addr_info\":[]}]"));
    }
}

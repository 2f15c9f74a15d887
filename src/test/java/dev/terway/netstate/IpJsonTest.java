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

    @Test
    void garbageIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpJson.links("{not json"));
        assertTrue(e.getMessage().contains("unreadable JSON from ip link"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpJson.routes("{}", Family.INET));
        assertThrows(IllegalArgumentException.class, () -> IpJson.addresses("[{\"addr_info\":[]}]"));
    }
}

package dev.terway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Link;
import dev.terway.netstate.NetState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lab itself: the other integration tests are only as good as the network it builds. */
class NetnsLabIT {

    @Test
    void staticNodeReachesEveryRouteAndIsReachable() {
        try (NetnsLab lab = NetnsLab.create()) {
            NetnsLab.Node node = lab.addNode().configureStatic();
            NetnsLab.Addressing net = lab.net();
            assertTrue(node.ping(lab.gateway().ipv4()), "gateway from node");
            assertTrue(node.ping(lab.secondHost().ipv4()), "second host from node");
            assertTrue(node.ping(net.remoteV4()), "remote net via the IPv4 default route");
            assertTrue(node.ping(net.extraHost()), "extra net via the static route");
            assertTrue(node.ping(net.remoteV6()), "remote net via the IPv6 default route");
            assertTrue(NetnsLab.ping(lab.gateway().ns(), node.ipv4()), "node from the LAN");
            assertTrue(NetnsLab.ping(lab.secondHost().ns(), node.ipv6()), "node from the LAN over IPv6");
        }
    }

    @Test
    void nodesAreIsolatedUntilConfigured() {
        try (NetnsLab lab = NetnsLab.create()) {
            NetnsLab.Node node = lab.addNode();
            assertFalse(node.ping(lab.gateway().ipv4()), "a node without address must not reach the LAN");
            List<Link> links = IpJson.links(NetnsLab.ip(node.ns(), "-j", "-d", "link", "show"));
            assertEquals(List.of("eth0", "lo"), links.stream().map(Link::name).sorted().toList());
        }
    }

    @Test
    void dhcpServerRunsOnTheSwitchAndStopsWithTheLab() {
        Process dnsmasq;
        try (NetnsLab lab = NetnsLab.create()) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            dnsmasq = dhcp.process();
            assertTrue(dnsmasq.isAlive());
            String pids = Cmd.check("ip", "netns", "pids", lab.lanNs());
            assertTrue(pids.lines().anyMatch(p -> p.strip().equals(Long.toString(dnsmasq.pid()))),
                    "dnsmasq runs inside the LAN namespace");
        }
        assertFalse(dnsmasq.isAlive(), "closing the lab stops dnsmasq");
    }

    @Test
    void routerAdvertisementsGiveNodesSlaacAddressesAndADefaultRoute() {
        try (NetnsLab lab = NetnsLab.create()) {
            lab.startDhcpServer(); // both dnsmasq instances share the switch
            lab.startRouterAdvertisements();
            NetnsLab.Node node = lab.addNode();
            // SLAAC addresses read fd00:A:B:0:<interface id>
            String prefix = "fd00:" + Integer.toHexString(lab.net().a()) + ":" + Integer.toHexString(lab.net().b()) + ":0:";
            Instant deadline = Instant.now().plusSeconds(20);
            NetState state = node.observe();
            while (!(hasSlaacAddress(state, prefix) && hasRaDefaultRoute(state)) && Instant.now().isBefore(deadline)) {
                NetnsLab.sleep(Duration.ofMillis(250));
                state = node.observe();
            }
            assertTrue(hasSlaacAddress(state, prefix), "SLAAC address in " + prefix + ": " + state.addresses());
            assertTrue(hasRaDefaultRoute(state), "RA default route: " + state.routes());
            assertTrue(node.ping(lab.net().lanV6(0xfe)), "the switch over IPv6 from the SLAAC address");
        }
    }

    private static boolean hasSlaacAddress(NetState state, String prefix) {
        return state.addressesOf(NetnsLab.NIC).stream()
                .anyMatch(a -> a.family() == Family.INET6 && a.local().startsWith(prefix) && !a.isPermanent());
    }

    private static boolean hasRaDefaultRoute(NetState state) {
        return state.defaultRoutes().stream()
                .anyMatch(r -> r.family() == Family.INET6 && r.protocol().filter("ra"::equals).isPresent());
    }

    @Test
    void closeRemovesEverythingAndIsIdempotent() {
        NetnsLab lab = NetnsLab.create();
        List<String> namespaces;
        Path dir = lab.dir();
        try {
            lab.addNode().configureStatic();
            // a stray process inside a namespace must not keep it alive
            Cmd.check("ip", "netns", "exec", lab.secondHost().ns(), "sh", "-c", "sleep 300 >/dev/null 2>&1 &");
            namespaces = lab.namespaces();
            assertEquals(4, namespaces.size(), namespaces.toString());
        } finally {
            lab.close();
        }
        lab.close();
        String left = Cmd.check("ip", "netns", "list");
        for (String ns : namespaces) {
            assertFalse(left.contains(ns), ns + " still exists: " + left);
        }
        assertFalse(Files.exists(dir), dir + " still exists");
        assertFalse(Files.exists(LabRegistry.DIR.resolve(lab.id() + ".lab")), "registry entry left behind");
    }
}

package dev.terway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * `terway setup` / `teardown` on a node of an IPv6-only LAN (issue 14's last case): its NIC has no IPv4 address
 * or route at all, a static global IPv6 address, and from the LAN's router advertisements (SLAAC) a second global
 * address and its only default route, via the router's link-local address; no DHCPv4 server runs. Setup must find
 * the NIC from that IPv6 default route when no --iface is given, move the addresses, keep the advertisements
 * working on the bridge, check the IPv6 gateway, and teardown must give the node back exactly. Root only.
 */
class Ipv6OnlySetupIT {

    private static final String NIC = NetnsLab.NIC;
    private static final String BRIDGE = "mybr0";
    private static final Duration RA_WAIT = Duration.ofSeconds(15);

    private NetnsLab lab;
    private NetnsLab.Node node;

    @BeforeEach
    void buildLab() {
        lab = NetnsLab.create();
        lab.startRouterAdvertisements("ra-only");
        node = lab.addNode().configureIpv6Only();
        await(s -> slaac(s, NIC) && raDefaultRoute(s, NIC).isPresent(),
                "a SLAAC address and a default router learnt on " + NIC);
    }

    @AfterEach
    void removeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private static boolean slaac(NetState s, String dev) {
        return s.addressesOf(dev).stream().anyMatch(a -> a.family() == Family.INET6 && a.isGlobal()
                && !a.isPermanent());
    }

    private static Optional<Route> raDefaultRoute(NetState s, String dev) {
        return s.routesVia(dev).stream().filter(r -> r.isDefault() && r.isRaRoute()).findFirst();
    }

    private NetState await(Predicate<NetState> condition, String what) {
        Instant deadline = Instant.now().plus(RA_WAIT);
        NetState s = node.observe();
        while (!condition.test(s)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + what + " within " + RA_WAIT.toSeconds() + " s: " + NsState.of(s));
            }
            NetnsLab.sleep(Duration.ofMillis(100));
            s = node.observe();
        }
        return s;
    }

    private void assertReachesTheLanOverIpv6(String when) {
        assertTrue(node.ping(lab.secondHost().ipv6()), "a LAN host from the node over IPv6 " + when);
        assertTrue(NetnsLab.ping(lab.secondHost().ns(), node.ipv6()), "the node from the LAN over IPv6 " + when);
    }

    private static void assertSucceeded(Terway.Run r) {
        assertEquals(0, r.exit(), r::describe);
    }

    /** Sets the node up (with {@code iface}, or detecting it), checks it on the bridge, tears it down, compares. */
    private void setupAndTeardown(Optional<String> iface) {
        NetState original = node.observe();
        NsState before = NsState.of(original);
        Path state = lab.dir().resolve("state");
        List<String> ifaceArgs = iface.map(i -> List.of("--iface", i)).orElse(List.of());

        Terway.Run dry = Terway.run(node.ns(), concat(List.of("setup", "--dry-run", "--state-dir", state.toString()),
                ifaceArgs));
        assertSucceeded(dry);
        assertTrue(dry.planCommands().contains("ip link set dev eth0 master mybr0"), dry::describe);

        Terway.Run setup = Terway.run(node.ns(), concat(List.of("setup", "--state-dir", state.toString()), ifaceArgs));
        assertSucceeded(setup);
        String router = raDefaultRoute(original, NIC).orElseThrow().gateway().orElseThrow();
        assertTrue(setup.out().contains("gateway " + router + " answered on " + BRIDGE), setup::describe);

        NetState learnt = await(s -> raDefaultRoute(s, BRIDGE).isPresent() && slaac(s, BRIDGE),
                "default router learnt and SLAAC address kept on " + BRIDGE);
        assertEquals(NsState.addressesMoved(original, NIC, BRIDGE), NsState.addressesWithoutLinkLocal(learnt, BRIDGE),
                "the bridge carries exactly the NIC's former addresses");
        assertEquals(List.of(), NsState.addressesWithoutLinkLocal(learnt, NIC), "the NIC keeps no global address");
        assertEquals(List.of(), learnt.addresses().stream().filter(a -> a.family() == Family.INET
                && !a.local().startsWith("127.")).toList(), "still no IPv4 on the node");
        assertReachesTheLanOverIpv6("after setup");

        assertSucceeded(Terway.run(node.ns(), "teardown", "--state-dir", state.toString()));
        await(s -> raDefaultRoute(s, NIC).isPresent(), "default router learnt again on " + NIC);
        String diff = before.diff(node.state());
        assertTrue(diff.isEmpty(), () -> "node state changed by setup and teardown (lifetimes aside):" + diff);
        assertReachesTheLanOverIpv6("after teardown");
    }

    private static String[] concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }

    @Test
    void setupFindsTheNicFromTheIpv6DefaultRouteAndTeardownRestoresTheNode() {
        setupAndTeardown(Optional.empty());
    }

    @Test
    void setupOfTheNamedNicAndTeardownRestoreTheNode() {
        setupAndTeardown(Optional.of(NIC));
    }

    /** `terway run` as the DaemonSet runs it, without --iface: setup from the IPv6 default route, then the daemon. */
    @Test
    void terwayRunBridgesTheNodeFromItsIpv6DefaultRouteAndServes() throws IOException {
        NsState before = node.state();
        Path state = lab.dir().resolve("state");
        Path socket = lab.dir().resolve("run/dhcp.sock");
        Files.createDirectories(socket.getParent());
        Path log = lab.dir().resolve("run.log");
        Process run = new ProcessBuilder(Terway.argv(node.ns(), List.of("run", "--socket", socket.toString(),
                "--state-dir", state.toString(), "--metrics-address", "[::1]:9153"))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(Eventually.within(Duration.ofSeconds(60), () -> DaemonProcess.ping(socket, 2_000)
                    || !run.isAlive()), "terway run answers");
            assertTrue(run.isAlive(), () -> "terway run exited " + run.exitValue() + ": " + DaemonProcess.log(log));
            NetState learnt = await(s -> raDefaultRoute(s, BRIDGE).isPresent() && slaac(s, BRIDGE),
                    "default router learnt and SLAAC address kept on " + BRIDGE);
            assertEquals(Optional.of(BRIDGE), learnt.link(NIC).orElseThrow().master(), "eth0 is a port of " + BRIDGE);
            assertReachesTheLanOverIpv6("under terway run");
            // metrics on the IPv6 loopback: a node without IPv4 on the LAN still serves them
            String metrics = DaemonProcess.scrapeMetrics(node.ns(), "::1", 9153);
            assertTrue(metrics.lines().anyMatch("terway_node_bridged 1.0"::equals), metrics);
            // setup's check of the IPv6 default router, made in the same process, is counted like an IPv4 gateway's
            assertTrue(metrics.lines().anyMatch("terway_node_gateway_answered 1.0"::equals), metrics);
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("terway_node_gateway_checks_total{result=\"answered\"}")
                    && !l.endsWith(" 0.0")), metrics);
        } finally {
            DaemonProcess.stop(run);
        }
        assertSucceeded(Terway.run(node.ns(), "teardown", "--state-dir", state.toString()));
        await(s -> raDefaultRoute(s, NIC).isPresent(), "default router learnt again on " + NIC);
        String diff = before.diff(node.state());
        assertTrue(diff.isEmpty(), () -> "node state changed by terway run and teardown (lifetimes aside):" + diff);
    }
}

package dev.terway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Link;
import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * `terway setup` / `teardown` run for real in a node namespace on a namespace LAN. The node has a
 * static IPv4 address, an IPv4 default route via the LAN gateway, a static route (metric, src) via a
 * second router, an IPv6 address and an IPv6 default route; see {@link NetnsLab.Node#configureStatic()}.
 */
class SetupIT {

    private static final String NIC = NetnsLab.NIC;
    private static final String BRIDGE = "mybr0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private NetnsLab lab;
    private NetnsLab.Node node;
    private Path stateDir;
    private NetState original;

    @BeforeEach
    void buildLab() {
        lab = NetnsLab.create();
        node = lab.addNode().configureStatic();
        stateDir = lab.dir().resolve("state");
        original = node.observe();
    }

    @AfterEach
    void removeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private Terway.Run terway(String... args) {
        return Terway.run(node.ns(), args);
    }

    private Terway.Run setup(String... extra) {
        List<String> args = new ArrayList<>(List.of("setup", "--iface", NIC, "--state-dir", stateDir.toString()));
        args.addAll(List.of(extra));
        return terway(args.toArray(String[]::new));
    }

    private static Terway.Run setupOn(NetnsLab.Node on, Path state) {
        return Terway.run(on.ns(), "setup", "--iface", NIC, "--state-dir", state.toString());
    }

    private static Terway.Run teardownOn(NetnsLab.Node on, Path state) {
        return Terway.run(on.ns(), "teardown", "--state-dir", state.toString());
    }

    private Terway.Run teardown(String... extra) {
        List<String> args = new ArrayList<>(List.of("teardown", "--state-dir", stateDir.toString()));
        args.addAll(List.of(extra));
        return terway(args.toArray(String[]::new));
    }

    private static void assertSucceeded(Terway.Run r) {
        assertEquals(0, r.exit(), r::describe);
    }

    /** Exit 1 with a `terway: …` message, as the CLI contract promises for a refused or failed operation. */
    private static void assertFailedCleanly(Terway.Run r) {
        assertEquals(1, r.exit(), r::describe);
        assertTrue(r.err().startsWith("terway: "), r::describe);
    }

    private void assertUnchanged(NsState before, String when) {
        String diff = before.diff(node.state());
        assertTrue(diff.isEmpty(), () -> "node state changed " + when + ":" + diff);
    }

    /** The commands terway ran, from the audit log in the state directory (JSON lines, see AuditLog). */
    private List<List<String>> auditedCommands() {
        Path log = stateDir.resolve("audit.log");
        assertTrue(Files.exists(log), "audit log " + log);
        try {
            List<List<String>> commands = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                JsonNode entry = JSON.readTree(line);
                assertTrue(entry.has("timestamp") && entry.has("exitCode") && entry.has("durationMs")
                        && entry.has("stderr"), () -> "audit entry lacks a field: " + line);
                List<String> argv = new ArrayList<>();
                entry.path("argv").forEach(a -> argv.add(a.asText()));
                commands.add(argv);
            }
            return commands;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many times the audit log shows the bridge being created. */
    private long bridgeCreations() {
        return auditedCommands().stream()
                .filter(argv -> Collections.indexOfSubList(argv, List.of("link", "add", BRIDGE)) >= 0)
                .count();
    }

    private void assertNodeConnected(String when) {
        NetnsLab.Addressing net = lab.net();
        assertTrue(node.ping(lab.gateway().ipv4()), "gateway from the node " + when);
        assertTrue(node.ping(lab.secondHost().ipv4()), "second LAN host from the node " + when);
        assertTrue(node.ping(net.remoteV4()), "a network beyond the IPv4 default route " + when);
        assertTrue(node.ping(net.extraHost()), "the network behind the static route " + when);
        assertTrue(node.ping(net.remoteV6()), "a network beyond the IPv6 default route " + when);
        assertTrue(NetnsLab.ping(lab.gateway().ns(), node.ipv4()), "the node from the gateway " + when);
        assertTrue(NetnsLab.ping(lab.secondHost().ns(), node.ipv6()), "the node from the LAN over IPv6 " + when);
    }

    @Test
    void setupMovesAddressesAndRoutesOntoABridgeWithTheNicsIdentity() {
        assertSucceeded(setup());

        NetState after = node.observe();
        Link nicBefore = original.link(NIC).orElseThrow();
        Link bridge = after.link(BRIDGE).orElseThrow(() -> new AssertionError("no bridge " + BRIDGE + ": " + after.links()));
        Link nic = after.link(NIC).orElseThrow();
        assertTrue(bridge.isBridge(), bridge::toString);
        assertTrue(bridge.isUp(), bridge::toString);
        assertEquals(nicBefore.mac(), bridge.mac(), "the bridge keeps the node's MAC address on the LAN");
        assertEquals(nicBefore.mtu(), bridge.mtu(), "the bridge takes the NIC's MTU");
        assertEquals(NetnsLab.NODE_MTU, nic.mtu(), "the NIC keeps its MTU");
        assertEquals(nicBefore.mac(), nic.mac(), "the NIC keeps its MAC");
        assertEquals(BRIDGE, nic.master().orElse("(none)"), "the NIC is a port of the bridge");
        assertTrue(nic.isUp(), nic::toString);

        assertEquals(List.of(), NsState.addressesWithoutLinkLocal(after, NIC), "the NIC keeps no global address");
        assertEquals(NsState.addressesMoved(original, NIC, BRIDGE), NsState.addressesWithoutLinkLocal(after, BRIDGE),
                "the bridge carries exactly the NIC's former addresses");
        List<String> expectedRoutes = NsState.routesMoved(original, NIC, BRIDGE);
        List<String> actualRoutes = NsState.routesWithoutLinkLocal(after);
        assertTrue(expectedRoutes.equals(actualRoutes),
                () -> "routes must equal the originals with the device changed:"
                        + NsState.diffLines("route", expectedRoutes, actualRoutes));

        assertNodeConnected("after setup");
        assertEquals(1, bridgeCreations(), () -> "audit log: " + auditedCommands());
    }

    @Test
    void secondSetupIsANoOp() {
        assertSucceeded(setup());
        NsState migrated = node.state();

        Terway.Run again = setup();
        assertSucceeded(again);
        assertTrue(again.out().contains("nothing to do"), again::describe);
        assertUnchanged(migrated, "by a second setup");

        Terway.Run dryAgain = setup("--dry-run");
        assertSucceeded(dryAgain);
        assertTrue(dryAgain.out().contains("nothing to do"), dryAgain::describe);
    }

    /**
     * Issue 13, item 4: `ip link del mybr0` takes the node's addresses and routes with the bridge and frees
     * the NIC; `terway setup` re-creates it from the record (its dry run shows that and changes nothing), the
     * node is exactly as after the first setup and reaches everything again, and teardown still restores the
     * original node.
     */
    @Test
    void setupRepairsANodeWhoseBridgeWasDeleted() {
        NsState before = node.state();
        assertSucceeded(setup());
        NsState migrated = node.state();
        NetnsLab.ip(node.ns(), "link", "del", BRIDGE);
        assertFalse(node.ping(lab.gateway().ipv4()), "the node is cut off without its bridge");
        NsState broken = node.state();

        Terway.Run dry = setup("--dry-run");
        assertSucceeded(dry);
        assertTrue(dry.out().startsWith("# repair: bridge mybr0 is gone and eth0 has no address of its own"),
                dry::describe);
        assertTrue(dry.planCommands().get(0).startsWith("ip link add mybr0 address "), dry::describe);
        assertTrue(dry.planCommands().contains("ip link set dev eth0 master mybr0"), dry::describe);
        assertUnchanged(broken, "by setup --dry-run of the repair");

        Terway.Run repair = setup();
        assertSucceeded(repair);
        assertTrue(repair.out().startsWith("repaired bridge mybr0 on eth0 from the record "), repair::describe);
        assertTrue(repair.out().contains("gateway " + lab.gateway().ipv4() + " answered on mybr0"), repair::describe);
        assertUnchanged(migrated, "by the repair: addresses, routes, MAC and MTU are those of the first setup");
        assertNodeConnected("after the repair");
        assertEquals(2, bridgeCreations(), "setup, then the repair");

        assertSucceeded(teardown());
        assertUnchanged(before, "by teardown after the repair");
    }

    @Test
    void dryRunPrintsAPlanAndChangesNothing() {
        NsState before = node.state();
        Terway.Run dry = setup("--dry-run");
        assertSucceeded(dry);
        assertFalse(dry.planCommands().isEmpty(), dry::describe);
        assertTrue(dry.out().lines().anyMatch(l -> l.startsWith("#")), () -> "reasons as comments: " + dry.describe());
        assertTrue(dry.out().contains(BRIDGE) && dry.out().contains(NIC), dry::describe);
        assertUnchanged(before, "by setup --dry-run");

        // nothing was recorded either: there is nothing to tear down
        Terway.Run down = teardown();
        assertSucceeded(down);
        assertTrue((down.out() + down.err()).contains("not set up"), down::describe);
        assertUnchanged(before, "by teardown after a dry run");
    }

    @Test
    void setupFindsTheInterfaceFromTheDefaultRoute() {
        Terway.Run dry = terway("setup", "--state-dir", stateDir.toString(), "--dry-run");
        assertSucceeded(dry);
        assertTrue(dry.out().contains(NIC), dry::describe);

        assertSucceeded(terway("setup", "--state-dir", stateDir.toString()));
        assertEquals(BRIDGE, node.observe().link(NIC).flatMap(Link::master).orElse("(none)"));
    }

    @Test
    void aFailureAtAnyStepRollsBackToExactlyTheOriginalState() {
        NsState before = node.state();
        int steps = setup("--dry-run").planCommands().size();
        assertTrue(steps >= 3, "a migration takes several steps, got " + steps);
        for (int completed = 0; completed < steps; completed++) {
            Terway.Run failed = setup("--inject-fault", "fail-after-step=" + completed);
            assertFailedCleanly(failed);
            assertUnchanged(before, "by a setup that failed after " + completed + " of " + steps + " steps");
        }
        assertNodeConnected("after the rollbacks");

        // no lock or record was left behind: teardown has nothing to do and a real setup still works
        Terway.Run down = teardown();
        assertSucceeded(down);
        assertTrue((down.out() + down.err()).contains("not set up"), down::describe);
        assertSucceeded(setup());
        assertEquals(BRIDGE, node.observe().link(NIC).flatMap(Link::master).orElse("(none)"));
    }

    @Test
    void aBridgeNameTakenByAnotherDeviceFailsWithoutChangingAnything() {
        node.occupyName(BRIDGE);
        NsState before = node.state();
        Terway.Run r = setup();
        assertFailedCleanly(r);
        assertTrue(r.err().contains(BRIDGE), r::describe);
        assertUnchanged(before, "by a setup whose bridge name was taken");
        assertNodeConnected("after the refused setup");
    }

    @Test
    void aSilentGatewayRollsTheMigrationBack() {
        NsState before = node.state();
        // the node's routes still point at the gateway, but nothing answers there any more
        NetnsLab.ip(lab.gateway().ns(), "link", "set", NIC, "down");
        Terway.Run r = setup("--verify-timeout", "1s");
        assertFailedCleanly(r);
        assertTrue(r.err().contains(lab.gateway().ipv4()), () -> "names the gateway that did not answer: " + r.describe());
        assertUnchanged(before, "by a setup whose verification failed");
    }

    @Test
    void teardownRestoresTheOriginalState() {
        NsState before = node.state();
        assertSucceeded(setup());
        NsState migrated = node.state();

        Terway.Run dry = teardown("--dry-run");
        assertSucceeded(dry);
        assertFalse(dry.planCommands().isEmpty(), dry::describe);
        assertUnchanged(migrated, "by teardown --dry-run");

        assertSucceeded(teardown());
        assertUnchanged(before, "by setup followed by teardown");
        assertFalse(node.observe().link(BRIDGE).isPresent(), "the bridge is gone");
        assertNodeConnected("after teardown");

        Terway.Run again = teardown();
        assertSucceeded(again);
        assertTrue((again.out() + again.err()).contains("not set up"), again::describe);
        assertUnchanged(before, "by a second teardown");
    }

    @Test
    void teardownOfANodeNeverSetUpIsHarmless() {
        NsState before = node.state();
        Terway.Run r = teardown();
        assertSucceeded(r);
        assertTrue((r.out() + r.err()).contains("not set up"), r::describe);
        assertUnchanged(before, "by teardown without a record");
    }

    @Test
    void aNodeSetUpWithOneBridgeRefusesAnother() {
        assertSucceeded(setup());
        NsState migrated = node.state();
        Terway.Run r = setup("--bridge", "br1");
        assertFailedCleanly(r);
        assertTrue(r.err().contains(BRIDGE), () -> "names the bridge already in use: " + r.describe());
        assertUnchanged(migrated, "by a setup with a different bridge");
    }

    @Test
    void badInterfacesAreRefusedWithAClearError() {
        NsState before = node.state();
        Terway.Run missing = terway("setup", "--iface", "nope0", "--state-dir", stateDir.toString());
        assertFailedCleanly(missing);
        assertTrue(missing.err().contains("nope0"), missing::describe);

        NetnsLab.Node bare = lab.addNode(); // eth0 up, but no IPv4 address
        Terway.Run noAddress = Terway.run(bare.ns(), "setup", "--iface", NIC, "--state-dir",
                lab.dir().resolve("state-bare").toString());
        assertFailedCleanly(noAddress);
        assertTrue(noAddress.err().contains(NIC), noAddress::describe);
        assertUnchanged(before, "by refused setups");
    }

    @Test
    void concurrentSetupsMigrateOnce() {
        CompletableFuture<Terway.Run> first = CompletableFuture.supplyAsync(this::setup);
        CompletableFuture<Terway.Run> second = CompletableFuture.supplyAsync(this::setup);
        Terway.Run a = first.join();
        Terway.Run b = second.join();
        assertSucceeded(a);
        assertSucceeded(b);
        long noOps = List.of(a, b).stream().filter(r -> r.out().contains("nothing to do")).count();
        assertEquals(1, noOps, () -> "exactly one run migrates, the other finds nothing to do:\n"
                + a.describe() + "\n" + b.describe());

        assertEquals(1, bridgeCreations(), () -> "audit log: " + auditedCommands());
        NetState after = node.observe();
        assertEquals(NsState.addressesMoved(original, NIC, BRIDGE), NsState.addressesWithoutLinkLocal(after, BRIDGE));
        assertEquals(NsState.routesMoved(original, NIC, BRIDGE), NsState.routesWithoutLinkLocal(after));
        assertNodeConnected("after concurrent setups");
    }

    // --- a LAN with IPv6 router advertisements ---------------------------------------------------------

    /** How long the kernel may take to learn from router advertisements (every 3 s in the lab). */
    private static final Duration RA_WAIT = Duration.ofSeconds(15);

    /**
     * A node of a LAN with router advertisements, configured as the bug report has it: static IPv4 address
     * and default route, and from the advertisements a SLAAC address, its prefix route and the default router.
     * The switch, which sends the advertisements, also answers for an address beyond the default router.
     */
    private NetnsLab.Node raNode() {
        lab.startRouterAdvertisements();
        NetnsLab.ip(lab.lanNs(), "-6", "addr", "add", beyondRaRouter() + "/128", "dev", "lo");
        NetnsLab.Node n = lab.addNode();
        NetnsLab.ip(n.ns(), "addr", "add", n.ipv4() + "/24", "dev", NIC);
        NetnsLab.ip(n.ns(), "route", "add", "default", "via", lab.gateway().ipv4(), "dev", NIC);
        await(n, s -> slaac(s, NIC).isPresent() && raDefaultRoute(s, NIC).isPresent(),
                "a SLAAC address and a default router learnt on " + NIC);
        return n;
    }

    /** An address of the router that sends the advertisements, reachable only through its default route. */
    private String beyondRaRouter() {
        return "2001:db8:" + Integer.toHexString(lab.net().a()) + ":" + Integer.toHexString(lab.net().b() + 1) + "::1";
    }

    private static Optional<IpAddress> slaac(NetState s, String dev) {
        return s.addressesOf(dev).stream().filter(a -> a.family() == Family.INET6 && a.isGlobal() && !a.isPermanent())
                .findFirst();
    }

    private static Optional<Route> raDefaultRoute(NetState s, String dev) {
        return s.routesVia(dev).stream().filter(r -> r.isDefault() && r.isRaRoute()).findFirst();
    }

    private static NetState await(NetnsLab.Node n, Predicate<NetState> condition, String what) {
        Instant deadline = Instant.now().plus(RA_WAIT);
        NetState s = n.observe();
        while (!condition.test(s)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + what + " within " + RA_WAIT.toSeconds() + " s: " + NsState.of(s));
            }
            NetnsLab.sleep(Duration.ofMillis(100));
            s = n.observe();
        }
        return s;
    }

    @Test
    void onALanWithRouterAdvertisementsIpv6KeepsWorkingAndTheBridgeKeepsItFresh() {
        NetnsLab.Node n = raNode();
        NetState before = n.observe();
        IpAddress slaacBefore = slaac(before, NIC).orElseThrow();
        assertTrue(slaacBefore.flags().contains("mngtmpaddr"), slaacBefore::toString);

        assertSucceeded(setupOn(n, lab.dir().resolve("state-ra")));
        NetState after = n.observe();

        // The bug: the prefix route the kernel made for the SLAAC prefix stayed on eth0 and won the lookup, so
        // neighbour discovery for LAN hosts the node had not talked to yet went out of the port, and the
        // answers went to the bridge. Nothing IPv6 may be left on the port.
        assertEquals(List.of(), after.routesVia(NIC).stream().filter(slaacBefore::isPrefixRoute).toList(),
                "the SLAAC prefix route left on the bridge port " + NIC);
        assertTrue(n.ping(lab.secondHost().ipv6()), "a LAN host the node never talked to, over IPv6");
        assertEquals(List.of(), after.routesVia(NIC).stream().filter(r -> r.family() == Family.INET6).toList(),
                "IPv6 routes left on the bridge port " + NIC);
        assertTrue(NetnsLab.ping(lab.secondHost().ns(), slaacBefore.local()), "the node's SLAAC address from the LAN");

        IpAddress moved = slaac(after, BRIDGE).orElseThrow(() -> new AssertionError("no SLAAC address on " + BRIDGE
                + ": " + NsState.of(after)));
        assertEquals(slaacBefore.cidr(), moved.cidr());
        assertEquals(slaacBefore.flags(), moved.flags(), "the SLAAC address keeps its flags");
        assertFalse(moved.isPermanent(), "the SLAAC address keeps a finite lifetime");
        Route prefix = after.routesVia(BRIDGE).stream().filter(moved::isPrefixRoute).findFirst()
                .orElseThrow(() -> new AssertionError("no prefix route for " + moved.cidr() + ": "
                        + NsState.of(after)));
        assertTrue(prefix.expires().isPresent(), () -> "the SLAAC prefix route expires: " + prefix);

        // The bridge learns the default router from the router itself (setup does not copy it: a copy would
        // stop the kernel from adding its own, and with it from reading the rest of every advertisement).
        NetState learnt = await(n, s -> raDefaultRoute(s, BRIDGE).isPresent(), "default router learnt on " + BRIDGE);
        Route router = raDefaultRoute(learnt, BRIDGE).orElseThrow();
        assertTrue(router.expires().isPresent(), router::toString);
        assertEquals(raDefaultRoute(before, NIC).orElseThrow().withDev(BRIDGE).withExpires(Optional.empty()),
                router.withExpires(Optional.empty()), "the same router, hop limit and preference");
        assertTrue(n.ping(beyondRaRouter()), "beyond the default router over IPv6");

        NetState settled = n.observe();
        List<String> expectedRoutes = NsState.routesMoved(before, NIC, BRIDGE);
        List<String> actualRoutes = NsState.routesWithoutLinkLocal(settled);
        assertTrue(expectedRoutes.equals(actualRoutes), () -> "routes must equal the originals with the device"
                + " changed:" + NsState.diffLines("route", expectedRoutes, actualRoutes));
        assertEquals(NsState.addressesMoved(before, NIC, BRIDGE), NsState.addressesWithoutLinkLocal(settled, BRIDGE));

        // The bridge reads every advertisement to the end: a prefix the router starts to announce now gets a
        // SLAAC address there. (A copied default route would have made the kernel drop each advertisement
        // before its prefixes, so the moved SLAAC address would never be renewed either.)
        String newPrefix = "fd00:" + Integer.toHexString(lab.net().a()) + ":" + Integer.toHexString(lab.net().b())
                + ":1:";
        NetnsLab.ip(lab.lanNs(), "-6", "addr", "add", newPrefix + ":fe/64", "dev", NetnsLab.SWITCH, "nodad");
        await(n, s -> slaacIn(s, BRIDGE, newPrefix), "SLAAC address in the new prefix " + newPrefix + ":/64 on "
                + BRIDGE);
    }

    private static boolean slaacIn(NetState s, String dev, String prefix) {
        return s.addressesOf(dev).stream().anyMatch(a -> a.local().startsWith(prefix) && !a.isPermanent());
    }

    @Test
    void onALanWithRouterAdvertisementsTeardownRestoresTheOriginalState() {
        NetnsLab.Node n = raNode();
        NsState before = n.state();
        Path state = lab.dir().resolve("state-ra");
        assertSucceeded(setupOn(n, state));
        await(n, s -> raDefaultRoute(s, BRIDGE).isPresent(), "default router learnt on " + BRIDGE);

        assertSucceeded(teardownOn(n, state));
        // the NIC learns the default router again from the router, as it did before setup
        await(n, s -> raDefaultRoute(s, NIC).isPresent(), "default router learnt again on " + NIC);
        String diff = before.diff(n.state());
        assertTrue(diff.isEmpty(), () -> "node state changed by setup and teardown (lifetimes aside):" + diff);
        assertTrue(n.ping(lab.secondHost().ipv6()), "a LAN host over IPv6 after teardown");
        assertTrue(n.ping(beyondRaRouter()), "beyond the default router over IPv6 after teardown");
    }
}

package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Settings;
import dev.terway.netstate.Link;
import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BridgeRestorationTest {

    private static final String NIC = "eth0";
    private final Fixture migrated = Fixture.of("migrated");
    private final Fixture restored = Fixture.of("static-routes");

    private static SetupRecord record() throws MigrationException {
        return BridgeMigrationTest.staticRoutesRecord();
    }

    @Test
    void teardownOfAMigratedNodePlansExactlyTheGoldenSteps() throws MigrationException {
        Plan plan = BridgeRestoration.plan(record(), migrated.state(), migrated.ipv6(NIC), migrated.neighbours());
        assertEquals(migrated.golden("teardown-plan.txt"), PlanPrinter.render(plan));
    }

    @Test
    void teardownMirrorsSetupSoTheNodeStaysReachable() throws MigrationException {
        List<Step> steps = BridgeRestoration.plan(record(), migrated.state(), migrated.ipv6(NIC), migrated.neighbours())
                .steps();
        List<String> verbs = steps.stream().map(s -> String.join(" ", s.argv().subList(0, Math.min(4,
                s.argv().size())))).toList();
        int lastAddressBack = verbs.lastIndexOf("ip -6 addr add");
        int neighbours = verbs.indexOf("ip -4 neigh replace");
        int firstRoute = verbs.indexOf("ip -4 route append");
        int firstBridgeAddressDel = verbs.indexOf("ip -4 addr del");
        int release = verbs.indexOf("ip link set dev");
        assertTrue(lastAddressBack < neighbours && neighbours < firstRoute, verbs::toString);
        assertEquals(List.of("sysctl", "-w", "net/ipv6/conf/eth0/disable_ipv6=0"), steps.get(0).argv(),
                "IPv6 is back on the NIC before its IPv6 addresses and neighbours");
        assertTrue(verbs.lastIndexOf("ip -6 route replace") < firstBridgeAddressDel, verbs::toString);
        assertTrue(firstBridgeAddressDel < release, "the NIC leaves the bridge only when it has everything");
        assertEquals(List.of("ip", "link", "set", "dev", "eth0", "nomaster"), steps.get(release).argv());
        assertEquals(List.of("ip", "link", "del", "dev", "mybr0"), steps.get(steps.size() - 1).argv());
        assertTrue(steps.get(steps.size() - 1).undo().isEmpty());
        assertEquals(List.of("ip", "-4", "route", "replace", "default", "via", "10.99.0.1", "dev", "mybr0", "metric",
                "100", "table", "main"), steps.get(verbs.indexOf("ip -4 route replace")).undo().orElseThrow());
    }

    @Test
    void teardownOnARouterAdvertisedLanPlansExactlyTheGoldenSteps() throws MigrationException {
        Fixture raMigrated = Fixture.of("ra-migrated");
        SetupRecord record = BridgeMigrationTest.plan("router-advertisements").record();
        Plan plan = BridgeRestoration.plan(record, raMigrated.state(), raMigrated.ipv6(NIC), raMigrated.neighbours());
        assertEquals(raMigrated.golden("teardown-plan.txt"), PlanPrinter.render(plan));
        assertTrue(plan.steps().stream().noneMatch(s -> s.argv().contains("ra")),
                "eth0 learns its default router again, from the router");
    }

    @Test
    void whatTheNicLearnsAgainIsNeitherMissingNorUnexpected() throws MigrationException {
        // Right after teardown the NIC has not yet heard the router again; a little later it has.
        SetupRecord record = BridgeMigrationTest.plan("router-advertisements").record();
        Fixture original = Fixture.of("router-advertisements");
        NetState relearnt = original.state();
        NetState notYet = new NetState(relearnt.links(), relearnt.addresses(),
                relearnt.routes().stream().filter(r -> !r.isRaRoute()).toList());
        for (NetState s : List.of(relearnt, notYet)) {
            BridgeRestoration.Differences d = BridgeRestoration.compare(record, s, original.ipv6(NIC));
            assertTrue(d.restored(), d::toString);
            assertEquals(List.of(), d.unexpected());
        }
        // but a SLAAC address that lost mngtmpaddr is not restored
        List<IpAddress> withoutFlag = relearnt.addresses().stream().map(a -> a.flags().isEmpty() ? a
                : new IpAddress(a.dev(), a.family(), a.local(), a.prefixLen(), a.scope(), a.secondary(), a.broadcast(),
                        a.label(), a.validLifetime(), a.preferredLifetime())).toList();
        BridgeRestoration.Differences d = BridgeRestoration.compare(record,
                new NetState(relearnt.links(), withoutFlag, relearnt.routes()), original.ipv6(NIC));
        assertTrue(d.missing().contains("address 2001:db8::aff:fe63:5/64 mngtmpaddr is not on eth0"), d::toString);
    }

    @Test
    void aRestoredNodeMatchesItsRecordAndNeedsNothing() throws MigrationException {
        NetState before = Fixture.of("static-routes").state();
        assertTrue(BridgeRestoration.plan(record(), before, restored.ipv6(NIC), List.of()).isEmpty());
        BridgeRestoration.Differences d = BridgeRestoration.compare(record(), before, restored.ipv6(NIC));
        assertTrue(d.restored(), d::toString);
        assertEquals(List.of(), d.unexpected());
    }

    @Test
    void comparisonNamesEverythingThatIsNotBack() throws MigrationException {
        BridgeRestoration.Differences d = BridgeRestoration.compare(record(), migrated.state(), migrated.ipv6(NIC));
        assertFalse(d.restored());
        assertTrue(d.missing().contains("eth0 is still a port of mybr0"), d::toString);
        assertTrue(d.missing().contains("bridge mybr0 still exists"), d::toString);
        assertTrue(d.missing().contains("address 10.99.0.6/24 (secondary) brd 10.99.0.255 is not on eth0"),
                d::toString);
        assertTrue(d.missing().contains("route default via 10.99.0.1 dev eth0 metric 100 is missing"), d::toString);
        assertTrue(d.missing().contains("disable_ipv6 of eth0 is 1, recorded 0"), d::toString);
        assertEquals(3 + 7 + 3, d.missing().size(), d::toString);
    }

    @Test
    void extraConfigurationOnTheNicIsReportedButIsNotAFailure() throws MigrationException {
        NetState before = Fixture.of("static-routes").state();
        List<IpAddress> addresses = new ArrayList<>(before.addresses());
        addresses.add(new IpAddress("eth0", Family.INET, "10.99.0.77", 24, "global", true, Optional.empty(),
                Optional.of("eth0"), IpAddress.FOREVER, IpAddress.FOREVER));
        BridgeRestoration.Differences d = BridgeRestoration.compare(record(),
                new NetState(before.links(), addresses, before.routes()), restored.ipv6(NIC));
        assertTrue(d.restored());
        assertEquals(List.of("address 10.99.0.77/24 (secondary) on eth0 is not in the record"), d.unexpected());
    }

    @Test
    void remainingLifetimesDoNotCountAsDifferences() throws MigrationException {
        // A DHCP-style address: recorded with 3600 s left, read back later with 1200 s left.
        NetState before = Fixture.of("default-route").state();
        List<IpAddress> now = before.addresses().stream().map(a -> !a.local().equals("10.99.0.5") ? a
                : withLifetimes(a, 1200, 600)).toList();
        IpAddress recorded = withLifetimes(now.stream().filter(a -> a.local().equals("10.99.0.5")).findFirst()
                .orElseThrow(), 3600, 1800);
        SetupRecord record = new SetupRecord("eth0", "mybr0", 1500, "02:00:0a:63:00:05", List.of(recorded),
                before.routesVia("eth0").stream().filter(r -> BridgeMigration.moves(r, before.addresses(), true))
                        .toList());
        Ipv6Settings ipv6 = Fixture.of("default-route").ipv6(NIC);
        assertTrue(BridgeRestoration.compare(record, new NetState(before.links(), now, before.routes()), ipv6)
                .restored());
        // but a permanent address where a dynamic one was recorded is a different configuration
        BridgeRestoration.Differences d = BridgeRestoration.compare(record, before, ipv6);
        assertFalse(d.restored(), d::toString);
    }

    private static IpAddress withLifetimes(IpAddress a, long valid, long preferred) {
        return new IpAddress(a.dev(), a.family(), a.local(), a.prefixLen(), a.scope(), a.secondary(), a.broadcast(),
                a.label(), valid, preferred);
    }

    @Test
    void afterARebootWithoutTheBridgeOnlyTheNicIsRestored() throws MigrationException {
        // The bridge vanished and eth0 came up bare: the record is put back, nothing is released or deleted.
        NetState before = Fixture.of("static-routes").state();
        List<IpAddress> bare = before.addresses().stream().filter(a -> !a.dev().equals("eth0") || !a.isGlobal())
                .toList();
        List<Route> routes = before.routes().stream().filter(r -> !r.dev().equals(Optional.of("eth0"))).toList();
        Plan plan = BridgeRestoration.plan(record(), new NetState(before.links(), bare, routes), restored.ipv6(NIC),
                List.of());
        List<String> rendered = plan.steps().stream().map(s -> String.join(" ", s.argv())).toList();
        assertEquals(3 + 1 + 6, plan.steps().size(), rendered::toString); // addresses, link route, gateway routes
        assertTrue(rendered.stream().noneMatch(s -> s.contains("mybr0") && !s.contains("replace")), rendered::toString);
        assertTrue(rendered.stream().noneMatch(s -> s.contains("nomaster") || s.startsWith("ip link del")));
        Step gatewayRoute = plan.steps().stream().filter(s -> s.argv().contains("replace")).findFirst().orElseThrow();
        assertEquals("del", gatewayRoute.undo().orElseThrow().get(3), "nothing to move back to: undo deletes");
    }

    @Test
    void changedMtuAndMacAreRestored() throws MigrationException {
        NetState state = migrated.state();
        List<Link> links = state.links().stream().map(l -> !l.name().equals("eth0") ? l
                : new Link(l.index(), l.name(), l.flags(), 1400, "02:00:00:00:00:77", l.master(), l.kind(),
                        l.slaveKind(), l.operstate())).toList();
        List<Step> steps = BridgeRestoration.plan(record(), new NetState(links, state.addresses(), state.routes()),
                migrated.ipv6(NIC), List.of()).steps();
        Step mtu = steps.stream().filter(s -> s.argv().contains("mtu")).findFirst().orElseThrow();
        assertEquals(List.of("ip", "link", "set", "dev", "eth0", "mtu", "1500"), mtu.argv());
        assertEquals(List.of("ip", "link", "set", "dev", "eth0", "mtu", "1400"), mtu.undo().orElseThrow());
        Step mac = steps.stream().filter(s -> s.argv().contains("address")).findFirst().orElseThrow();
        assertEquals(List.of("ip", "link", "set", "dev", "eth0", "address", "02:00:0a:63:00:05"), mac.argv());
    }

    @Test
    void neighboursTheNicAlreadyKnowsAreNotCopied() throws MigrationException {
        List<Neighbour> known = new ArrayList<>(migrated.neighbours());
        known.add(new Neighbour(Family.INET, "10.99.0.1", "eth0", "02:00:0a:63:00:01", Set.of("STALE")));
        known.add(new Neighbour(Family.INET, "10.99.0.42", "mybr0", "", Set.of("FAILED")));
        List<Step> steps = BridgeRestoration.plan(record(), migrated.state(), migrated.ipv6(NIC), known).steps();
        List<List<String>> copies = steps.stream().filter(s -> s.argv().contains("neigh")).map(Step::argv).toList();
        assertEquals(List.of(List.of("ip", "-6", "neigh", "replace", "2001:db8::1", "lladdr", "02:00:0a:63:00:01",
                "dev", "eth0", "nud", "stale")), copies);
    }

    @Test
    void teardownRefusesWhatItMustNotTouch() throws MigrationException {
        SetupRecord r = record();
        MigrationException gone = assertThrows(MigrationException.class, () -> BridgeRestoration.plan(
                new SetupRecord("eth7", r.bridge(), r.mtu(), r.mac(), r.addresses(), r.routes()),
                migrated.state(), migrated.ipv6(NIC), List.of()));
        assertTrue(gone.getMessage().contains("the recorded interface eth7 no longer exists"), gone.getMessage());

        MigrationException taken = assertThrows(MigrationException.class, () -> BridgeRestoration.plan(
                new SetupRecord("eth0", "mybr0", r.mtu(), r.mac(), List.of(), List.of()),
                Fixture.of("name-taken").state(), Ipv6Settings.NONE, List.of()));
        assertTrue(taken.getMessage().contains("now belongs to a veth device"), taken.getMessage());

        MigrationException elsewhere = assertThrows(MigrationException.class, () -> BridgeRestoration.plan(
                new SetupRecord("eth0", "mybr0", r.mtu(), r.mac(), List.of(), List.of()),
                Fixture.of("port-of-other-bridge").state(), Ipv6Settings.NONE, List.of()));
        assertTrue(elsewhere.getMessage().contains("eth0 is now a port of br9"), elsewhere.getMessage());
    }
}

package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Conf;
import dev.terway.netstate.Ipv6Settings;
import dev.terway.netstate.Link;
import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BridgeMigrationTest {

    private static final String NIC = "eth0";
    private static final String BRIDGE = "mybr0";

    static MigrationPlan plan(Fixture f, Optional<SetupRecord> record) throws MigrationException {
        return BridgeMigration.plan(f.state(), f.ipv6(NIC, BRIDGE), f.bridgeOptions(BRIDGE), record, NIC, BRIDGE);
    }

    static MigrationPlan plan(String fixture) throws MigrationException {
        return plan(Fixture.of(fixture), Optional.empty());
    }

    /** The record a first setup of the static-routes node writes. */
    static SetupRecord staticRoutesRecord() throws MigrationException {
        return plan("static-routes").record();
    }

    private static String message(String fixture, String iface, String bridge, Optional<SetupRecord> record) {
        Fixture f = Fixture.of(fixture);
        return assertThrows(MigrationException.class,
                () -> BridgeMigration.plan(f.state(), f.ipv6(iface, bridge), f.bridgeOptions(bridge), record, iface,
                        bridge)).getMessage();
    }

    @ParameterizedTest
    @ValueSource(strings = {"default-route", "static-routes", "partial-bridge", "router-advertisements",
            "networkmanager"})
    void firstSetupPlansExactlyTheGoldenSteps(String fixture) throws MigrationException {
        assertEquals(Fixture.of(fixture).golden("setup-plan.txt"), PlanPrinter.render(plan(fixture).plan()));
    }

    @Test
    void anInterruptedSetupPlansOnlyTheMissingSteps() throws MigrationException {
        Plan rest = plan(Fixture.of("partial-enslaved"), Optional.of(staticRoutesRecord())).plan();
        assertEquals(Fixture.of("partial-enslaved").golden("setup-plan.txt"), PlanPrinter.render(rest));
        // exactly the full plan without what ran already: bridge creation, accept_ra 0, up and enslave
        List<Step> full = plan("static-routes").plan().steps();
        assertEquals(full.subList(4, full.size()), rest.steps());
    }

    @Test
    void aMigratedNodeGetsAnEmptyPlanWithOrWithoutItsRecord() throws MigrationException {
        assertTrue(plan(Fixture.of("migrated"), Optional.of(staticRoutesRecord())).plan().isEmpty());
        assertTrue(plan(Fixture.of("migrated"), Optional.empty()).plan().isEmpty());
    }

    @Test
    void theMigratedFixtureIsExactlyWhatThePlanDescribes() throws MigrationException {
        // Independent check of the planner's idea of "done": the hand-migrated namespace has every recorded
        // address on the bridge and every recorded route with dev mybr0, and nothing of it left on eth0.
        NetState migrated = Fixture.of("migrated").state();
        SetupRecord record = staticRoutesRecord();
        for (IpAddress a : record.addresses()) {
            assertTrue(NetIdentity.hasAddress(migrated, BRIDGE, a), a::toString);
            assertFalse(NetIdentity.hasAddress(migrated, NIC, a), a::toString);
        }
        for (Route r : record.routes()) {
            assertTrue(NetIdentity.hasRoute(migrated, r.withDev(BRIDGE)), r::toString);
            assertFalse(NetIdentity.hasRoute(migrated, r), r::toString);
        }
    }

    @Test
    void theRecordHoldsTheNicsConfigurationBeforeSetup() throws MigrationException {
        SetupRecord record = staticRoutesRecord();
        assertEquals(NIC, record.iface());
        assertEquals(BRIDGE, record.bridge());
        assertEquals(1500, record.mtu());
        assertEquals("02:00:0a:63:00:05", record.mac());
        assertEquals(List.of("10.99.0.5/24", "10.99.0.6/24", "2001:db8::5/64"),
                record.addresses().stream().map(IpAddress::cidr).toList());
        assertTrue(record.addresses().stream().allMatch(a -> a.dev().equals(NIC)));
        assertTrue(record.addresses().get(1).secondary());
        // every non-kernel route of eth0, IPv4 and IPv6, nothing of aux0 and no kernel route
        assertEquals(Set.of("inet default", "inet 10.95.0.0/16", "inet 10.96.0.0/24", "inet 10.97.0.0/16",
                        "inet 10.98.0.0/16", "inet6 default", "inet6 2001:db8:1::/48"),
                Set.copyOf(record.routes().stream().map(r -> r.family().jsonName() + " " + r.dst()).toList()));
        assertTrue(record.routes().stream().allMatch(r -> r.dev().equals(Optional.of(NIC)) && !r.isKernelRoute()));
    }

    @Test
    void stepsComeInTheOrderThatKeepsTheNodeReachable() throws MigrationException {
        List<Step> steps = plan("static-routes").plan().steps();
        int enslave = index(steps, s -> s.argv().contains("master"));
        int firstAddressAdd = index(steps, s -> s.argv().contains("addr") && s.argv().contains("add"));
        int lastAddressAdd = lastIndex(steps, s -> s.argv().contains("addr") && s.argv().contains("add"));
        int linkCopy = index(steps, s -> s.argv().contains("append"));
        int firstReplace = index(steps, s -> s.argv().contains("replace"));
        int lastReplace = lastIndex(steps, s -> s.argv().contains("replace"));
        int linkDelete = index(steps, s -> s.argv().contains("route") && s.argv().contains("del"));
        int firstAddressDel = index(steps, s -> s.argv().contains("addr") && s.argv().contains("del"));
        int lastAddressDel = lastIndex(steps, s -> s.argv().contains("addr") && s.argv().contains("del"));
        int up = index(steps, s -> s.argv().equals(List.of("ip", "link", "set", "dev", BRIDGE, "up")));
        int quiet = index(steps, s -> s.argv().contains("net/ipv6/conf/mybr0/accept_ra=0"));
        int nicIpv6Off = index(steps, s -> s.argv().contains("net/ipv6/conf/eth0/disable_ipv6=1"));
        int raOn = index(steps, s -> s.argv().contains("net/ipv6/conf/mybr0/accept_ra=1"));
        assertEquals(0, index(steps, s -> s.argv().containsAll(List.of("link", "add"))), "bridge first");
        assertTrue(quiet < up, "the bridge ignores advertisements before it can receive one");
        assertTrue(lastAddressDel < nicIpv6Off, "IPv6 goes off on the NIC only when it holds nothing to move");
        assertEquals(steps.size() - 1, raOn, "the bridge learns from advertisements once everything has moved");
        assertTrue(enslave < firstAddressAdd, "enslave before the addresses move");
        assertTrue(lastAddressAdd < linkCopy, "addresses on the bridge before routes need them");
        assertTrue(linkCopy < firstReplace, "link routes before the gateway routes that use them");
        assertTrue(lastReplace < linkDelete, "link-route originals stay until the gateway routes moved");
        assertTrue(linkDelete < firstAddressDel, "addresses leave the NIC last");
        List<String> deleted = steps.subList(firstAddressDel, lastAddressDel + 1).stream()
                .map(s -> s.argv().get(4)).toList();
        assertEquals(List.of("10.99.0.6/24", "10.99.0.5/24", "2001:db8::5/64"), deleted, "secondary before primary");
    }

    @Test
    void everyChangeCanBeUndoneWithTheOriginalArguments() throws MigrationException {
        List<Step> steps = plan("static-routes").plan().steps();
        for (Step s : steps) {
            boolean bringUpCreatedBridge = s.argv().equals(List.of("ip", "link", "set", "dev", BRIDGE, "up"));
            // a sysctl step undoes itself by writing back the value it found
            s.argv().stream().filter(a -> a.startsWith("net/ipv6/")).findFirst().ifPresent(a -> assertEquals(
                    a.substring(0, a.indexOf('=')), s.undo().orElseThrow().get(2).substring(0, a.indexOf('='))));
            assertTrue(s.undo().isPresent() || bringUpCreatedBridge, () -> "no undo: " + s);
        }
        Step moveDefault = steps.stream().filter(s -> s.argv().contains("replace") && s.argv().contains("default")
                && s.argv().contains("-4")).findFirst().orElseThrow();
        assertEquals(List.of("ip", "-4", "route", "replace", "default", "via", "10.99.0.1", "dev", NIC, "metric",
                "100", "table", "main"), moveDefault.undo().orElseThrow());
        Step removeSecondary = steps.stream().filter(s -> s.argv().contains("10.99.0.6/24")
                && s.argv().contains("del")).findFirst().orElseThrow();
        assertEquals(List.of("ip", "-4", "addr", "add", "10.99.0.6/24", "broadcast", "10.99.0.255", "dev", NIC),
                removeSecondary.undo().orElseThrow());
        assertEquals(List.of("ip", "link", "del", "dev", BRIDGE), steps.get(0).undo().orElseThrow());
    }

    @Test
    void defaultGatewaysOfBothFamiliesAreVerified() throws MigrationException {
        assertEquals(List.of(new Gateway(Family.INET, "10.99.0.1", NIC), new Gateway(Family.INET6, "2001:db8::1", NIC)),
                plan("static-routes").gateways());
    }

    @Test
    void aRebootedNodeIsRecordedAnewFromWhatItsNicHoldsNow() throws MigrationException {
        // The record of an earlier setup says 10.99.0.9, but the bridge is gone (reboot) and the
        // distribution configured 10.99.0.5: that is what must move, and what teardown must restore.
        SetupRecord stale = new SetupRecord(NIC, BRIDGE, 9000, "02:00:00:00:00:99", List.of(new IpAddress(NIC,
                Family.INET, "10.99.0.9", 24, "global", false, Optional.empty(), Optional.empty(), IpAddress.FOREVER,
                IpAddress.FOREVER)), List.of());
        MigrationPlan m = plan(Fixture.of("default-route"), Optional.of(stale));
        assertEquals(List.of("10.99.0.5/24"), m.record().addresses().stream().map(IpAddress::cidr).toList());
        assertEquals(1500, m.record().mtu());
        assertEquals(Fixture.of("default-route").golden("setup-plan.txt"), PlanPrinter.render(m.plan()));
    }

    @Test
    void whileTheBridgeExistsTheRecordStaysTheTruth() throws MigrationException {
        // Interrupted after the addresses left eth0 but before the record's routes reappeared anywhere:
        // the record still knows the default route and gets it onto the bridge.
        NetState migrated = Fixture.of("migrated").state();
        List<Route> withoutDefault = migrated.routes().stream()
                .filter(r -> !(r.isDefault() && r.family() == Family.INET)).toList();
        NetState lost = new NetState(migrated.links(), migrated.addresses(), withoutDefault);
        MigrationPlan m = BridgeMigration.plan(lost, Fixture.of("migrated").ipv6(NIC, BRIDGE),
                Optional.of(BridgeOptions.WANTED), Optional.of(staticRoutesRecord()), NIC, BRIDGE);
        assertEquals("# add route default via 10.99.0.1 dev mybr0 metric 100 as recorded; it is on no device now\n"
                + "ip -4 route replace default via 10.99.0.1 dev mybr0 metric 100 table main\n",
                PlanPrinter.render(m.plan()));
        assertEquals(List.of("ip", "-4", "route", "del", "default", "via", "10.99.0.1", "dev", BRIDGE, "metric",
                "100", "table", "main"), m.plan().steps().get(0).undo().orElseThrow());
    }

    @Test
    void anExistingBridgeWithStpGetsItTurnedOffAndBackOnUndo() throws MigrationException {
        List<Step> steps = plan("partial-bridge").plan().steps();
        Step stp = steps.stream().filter(s -> s.argv().contains("stp_state")).findFirst().orElseThrow();
        assertEquals(List.of("ip", "link", "set", "dev", BRIDGE, "type", "bridge", "stp_state", "1"),
                stp.undo().orElseThrow());
        Step delay = steps.stream().filter(s -> s.argv().contains("forward_delay")).findFirst().orElseThrow();
        assertEquals(List.of("ip", "link", "set", "dev", BRIDGE, "type", "bridge", "forward_delay", "400"),
                delay.undo().orElseThrow());
        assertTrue(steps.indexOf(stp) < steps.indexOf(delay), "the kernel refuses delay 0 while STP is on");
        Step mac = steps.get(0);
        assertEquals(List.of("ip", "link", "set", "dev", BRIDGE, "address", "02:00:00:00:00:aa"),
                mac.undo().orElseThrow());
    }

    // --- router advertisements (fixtures: a LAN with dnsmasq announcing 2001:db8::/64 for SLAAC and
    // 2001:db8:7::/64 as on-link only; NetworkManager's way of configuring the same) ---------------------

    @Test
    void whatTheKernelLearntFromRouterAdvertisementsIsLeftToTheBridgeAndTheRestIsCarried() throws Exception {
        MigrationPlan m = plan("router-advertisements");
        SetupRecord record = m.record();
        IpAddress slaac = record.addresses().stream().filter(a -> a.family() == Family.INET6).findFirst()
                .orElseThrow();
        assertEquals("2001:db8::aff:fe63:5/64", slaac.cidr());
        assertEquals(Set.of("mngtmpaddr"), slaac.flags());
        assertFalse(slaac.isPermanent());
        // the SLAAC prefix route comes with the address; the default router is learnt again on the bridge;
        // the on-link prefix without an address is carried, with what lifetime it has left
        assertEquals(List.of("inet default", "inet6 2001:db8:7::/64"),
                record.routes().stream().map(r -> r.family().jsonName() + " " + r.dst()).sorted().toList());
        Route onLink = record.routes().stream().filter(r -> r.family() == Family.INET6).findFirst().orElseThrow();
        assertTrue(onLink.isKernelRoute() && onLink.expires().isPresent(), onLink::toString);
        assertEquals(Optional.of(new Ipv6Conf(0, 1, 1, 0)), record.nicIpv6());
        assertTrue(m.plan().steps().stream().noneMatch(s -> s.argv().contains("ra")),
                "no `proto ra` route is copied: " + m.plan().steps());
    }

    @Test
    void theLearntDefaultRouterMustAnswerOnTheBridgeToo() throws Exception {
        assertEquals(List.of(new Gateway(Family.INET, "10.99.0.1", NIC),
                        new Gateway(Family.INET6, "fe80::aff:fe63:1", NIC)),
                plan("router-advertisements").gateways());
    }

    @Test
    void aNodeMigratedOnARouterAdvertisedLanNeedsNothingWithOrWithoutItsRecord() throws Exception {
        SetupRecord record = plan("router-advertisements").record();
        Plan with = plan(Fixture.of("ra-migrated"), Optional.of(record)).plan();
        assertTrue(with.isEmpty(), () -> PlanPrinter.render(with));
        MigrationPlan without = plan(Fixture.of("ra-migrated"), Optional.empty());
        assertTrue(without.plan().isEmpty(), () -> PlanPrinter.render(without.plan()));
        assertEquals(Optional.of(new Ipv6Conf(0, 1, 1, 0)), without.record().nicIpv6(),
                "without a record, the bridge's settings stand for the NIC's, whose IPv6 is off now");
    }

    @Test
    void aRouterThatLearnsFromAdvertisementsGetsItsAcceptRaOnTheBridge() throws Exception {
        // accept_ra 2 on a node that forwards: a new bridge would start with the default 1, which ignores
        // advertisements there
        Fixture f = Fixture.of("router-advertisements");
        Ipv6Settings forwarding = new Ipv6Settings(Map.of(Ipv6Settings.DEFAULT, new Ipv6Conf(0, 1, 1, 1),
                NIC, new Ipv6Conf(0, 2, 1, 1)));
        List<Step> steps = BridgeMigration.plan(f.state(), forwarding, Optional.empty(), Optional.empty(), NIC, BRIDGE)
                .plan().steps();
        assertEquals(List.of("sysctl", "-w", "net/ipv6/conf/mybr0/accept_ra=0"), steps.get(1).argv());
        assertEquals(List.of("sysctl", "-w", "net/ipv6/conf/mybr0/accept_ra=2"), steps.get(steps.size() - 1).argv());
        assertEquals(List.of("sysctl", "-w", "net/ipv6/conf/mybr0/accept_ra=0"),
                steps.get(steps.size() - 1).undo().orElseThrow());
        assertTrue(steps.stream().noneMatch(s -> s.argv().contains("ra")), "its learnt routes are not copied either");

        // a NIC with SLAAC off and IPv6 off keeps them off on the bridge
        Ipv6Settings noSlaac = new Ipv6Settings(Map.of(Ipv6Settings.DEFAULT, new Ipv6Conf(0, 1, 1, 0),
                NIC, new Ipv6Conf(0, 1, 0, 0)));
        assertTrue(BridgeMigration.plan(f.state(), noSlaac, Optional.empty(), Optional.empty(), NIC, BRIDGE).plan()
                .steps().stream().anyMatch(s -> s.argv().contains("net/ipv6/conf/mybr0/autoconf=0")));
        Fixture plain = Fixture.of("default-route");
        Ipv6Settings off = new Ipv6Settings(Map.of(Ipv6Settings.DEFAULT, new Ipv6Conf(0, 1, 1, 0),
                NIC, new Ipv6Conf(1, 1, 1, 0)));
        List<List<String>> sysctls = BridgeMigration.plan(plain.state(), off, Optional.empty(), Optional.empty(), NIC,
                BRIDGE).plan().steps().stream().map(Step::argv).filter(a -> a.get(0).equals("sysctl")).toList();
        assertEquals(List.of(List.of("sysctl", "-w", "net/ipv6/conf/mybr0/disable_ipv6=1")), sysctls);
    }

    @Test
    void aKernelWithoutIpv6GetsNoIpv6Steps() throws Exception {
        Fixture f = Fixture.of("default-route");
        List<Step> steps = BridgeMigration.plan(f.state(), Ipv6Settings.NONE, Optional.empty(), Optional.empty(), NIC,
                BRIDGE).plan().steps();
        assertTrue(steps.stream().noneMatch(s -> s.argv().get(0).equals("sysctl")), steps::toString);
        assertEquals(6, steps.size(), "create, up, enslave, address, default route, address");
    }

    @Test
    void networkManagersNoprefixrouteAddressesAndRoutesMoveAsTheyAre() throws Exception {
        MigrationPlan m = plan("networkmanager");
        // the kernel does not learn from advertisements there (accept_ra 0): the bridge must not start either,
        // and the proto ra routes are NetworkManager's, carried with their expiry and hop limit
        assertEquals(List.of("sysctl", "-w", "net/ipv6/conf/mybr0/accept_ra=0"), m.plan().steps().get(1).argv());
        assertTrue(m.plan().steps().stream().noneMatch(s -> s.argv().contains("net/ipv6/conf/mybr0/accept_ra=1")));
        assertEquals(Set.of("inet 10.99.0.0/24 proto kernel", "inet default proto dhcp", "inet6 2001:db8::/64 proto ra",
                        "inet6 default proto ra"), Set.copyOf(m.record().routes().stream()
                        .map(r -> r.family().jsonName() + " " + r.dst() + " proto " + r.protocol().orElse("boot"))
                        .toList()));
        Route router = m.record().routes().stream().filter(r -> r.isDefault() && r.family() == Family.INET6)
                .findFirst().orElseThrow();
        assertEquals(Map.of("hoplimit", "64"), router.metrics());
        assertTrue(router.expires().isPresent());
        assertTrue(m.record().addresses().stream().allMatch(a -> a.flags().contains("noprefixroute")));
    }

    @Test
    void aMissingInterfaceIsRefusedByName() {
        assertEquals("cannot bridge nope0: no such interface", message("default-route", "nope0", BRIDGE,
                Optional.empty()));
    }

    @Test
    void anIpv6OnlyInterfaceIsBridgedWithItsGlobalAddressAndDefaultRoute() throws MigrationException {
        // An IPv6-only LAN: the NIC has a global IPv6 address and an IPv6 default route, no IPv4 at all.
        MigrationPlan m = plan("no-ipv4");
        assertEquals(List.of("2001:db8::5/64"), m.record().addresses().stream().map(IpAddress::cidr).toList());
        String plan = PlanPrinter.render(m.plan());
        assertTrue(plan.contains("ip -6 addr add 2001:db8::5/64 nodad dev mybr0"), plan);
        assertTrue(plan.contains("ip -6 route replace default via 2001:db8::1 dev mybr0"), plan);
        assertEquals(List.of(new Gateway(Family.INET6, "2001:db8::1", NIC)), m.gateways(),
                "setup checks the IPv6 gateway, the node's only way out");
    }

    @Test
    void anInterfaceWithoutIpv4OrGlobalIpv6IsRefused() {
        Fixture f = Fixture.of("no-ipv4");
        NetState linkLocalOnly = new NetState(f.state().links(), f.state().addresses().stream()
                .filter(a -> !a.isGlobal() || a.family() != Family.INET6).toList(), f.state().routes());
        String m = assertThrows(MigrationException.class, () -> BridgeMigration.plan(linkLocalOnly,
                f.ipv6(NIC, BRIDGE), f.bridgeOptions(BRIDGE), Optional.empty(), NIC, BRIDGE)).getMessage();
        assertEquals("cannot bridge eth0: it has no IPv4 or global IPv6 address to move to mybr0; the node would lose"
                + " its address on the LAN", m);
    }

    @Test
    void aPortOfAnotherBridgeIsRefused() {
        assertEquals("cannot bridge eth0: it is already a port of bridge br9",
                message("port-of-other-bridge", NIC, BRIDGE, Optional.empty()));
    }

    @Test
    void aBridgeIsNotBridgedAgain() {
        String m = message("migrated", BRIDGE, "br1", Optional.empty());
        assertTrue(m.startsWith("cannot bridge mybr0: it is itself a bridge"), m);
        assertTrue(message("migrated", BRIDGE, BRIDGE, Optional.empty()).contains("name the same device"));
    }

    @Test
    void aBridgeNameTakenByAnotherDeviceIsRefused() {
        assertEquals("cannot create bridge mybr0: the name is taken by a veth device",
                message("name-taken", NIC, BRIDGE, Optional.empty()));
    }

    @Test
    void aNodeSetUpWithAnotherBridgeIsRefused() throws MigrationException {
        SetupRecord record = staticRoutesRecord();
        String m = message("migrated", NIC, "br1", Optional.of(record));
        assertTrue(m.startsWith("cannot set up bridge br1: this node was already set up with bridge mybr0 on eth0"),
                m);
        assertTrue(m.contains("terway teardown"), m);
        SetupRecord otherNic = new SetupRecord("eth1", BRIDGE, 1500, "02:00:00:00:00:01", List.of(), List.of());
        assertTrue(message("migrated", NIC, BRIDGE, Optional.of(otherNic))
                .contains("mybr0 was already set up for eth1"));
    }

    @Test
    void invalidBridgeNamesAndLoopbackAreRefused() {
        assertTrue(message("default-route", NIC, "a-name-longer-than-15", Optional.empty())
                .contains("not a valid interface name"));
        assertTrue(message("default-route", NIC, "my/br", Optional.empty()).contains("not a valid interface name"));
        assertEquals("cannot bridge lo: it is the loopback device",
                message("default-route", "lo", BRIDGE, Optional.empty()));
    }

    @Test
    void aRouteThatReplaceCouldConfuseWithAnotherDevicesRouteIsRefused() {
        String m = message("route-clash", NIC, BRIDGE, Optional.empty());
        assertTrue(m.startsWith("cannot move route default via 10.99.0.1 dev eth0 metric 100 from eth0 to mybr0:"
                + " route default via 10.98.1.1 dev aux0 metric 100 has the same destination and metric"), m);
    }

    @Test
    void theInterfaceComesFromTheDefaultRouteOrTheRecord() throws MigrationException {
        assertEquals(NIC, BridgeMigration.detectInterface(Fixture.of("default-route").state(), Optional.empty()));
        assertEquals(NIC, BridgeMigration.detectInterface(Fixture.of("migrated").state(),
                Optional.of(staticRoutesRecord())));
        MigrationException onBridge = assertThrows(MigrationException.class,
                () -> BridgeMigration.detectInterface(Fixture.of("migrated").state(), Optional.empty()));
        assertTrue(onBridge.getMessage().contains("already goes through bridge mybr0"), onBridge.getMessage());

        NetState noDefault = new NetState(Fixture.of("no-ipv4").state().links(),
                Fixture.of("no-ipv4").state().addresses(), List.of());
        MigrationException none = assertThrows(MigrationException.class,
                () -> BridgeMigration.detectInterface(noDefault, Optional.empty()));
        assertTrue(none.getMessage().contains("no IPv4 or IPv6 default route"), none.getMessage());
        assertEquals(NIC, BridgeMigration.detectInterface(noDefault, Optional.of(staticRoutesRecord())));
    }

    @Test
    void onAnIpv6OnlyNodeTheInterfaceComesFromTheIpv6DefaultRoute() throws MigrationException {
        NetState only6 = Fixture.of("no-ipv4").state(); // only an IPv6 default route, via eth0
        assertEquals(NIC, BridgeMigration.detectInterface(only6, Optional.empty()));
        // An IPv4 default route, where there is one, still decides: here via wlan0 although eth0 has IPv6's.
        List<Link> links = new ArrayList<>(only6.links());
        links.add(new Link(9, "wlan0", Set.of("UP"), 1500, "02:00:00:00:00:09", Optional.empty(), Optional.empty(),
                Optional.empty(), "UP"));
        List<Route> routes = new ArrayList<>(only6.routes());
        routes.add(defaultVia("wlan0", 600));
        assertEquals("wlan0", BridgeMigration.detectInterface(new NetState(links, only6.addresses(), routes),
                Optional.empty()));
    }

    @Test
    void theDefaultRouteWithTheLowestMetricWins() throws MigrationException {
        NetState base = Fixture.of("default-route").state();
        List<Link> links = new ArrayList<>(base.links());
        links.add(new Link(9, "wlan0", Set.of("UP"), 1500, "02:00:00:00:00:09", Optional.empty(), Optional.empty(),
                Optional.empty(), "UP"));
        List<Route> routes = new ArrayList<>();
        routes.add(defaultVia("wlan0", 600));
        routes.addAll(base.routes().stream().filter(r -> !r.isDefault()).toList());
        routes.add(defaultVia(NIC, 100));
        assertEquals(NIC, BridgeMigration.detectInterface(new NetState(links, base.addresses(), routes),
                Optional.empty()));
    }

    private static Route defaultVia(String dev, int metric) {
        return new Route(Family.INET, "default", Optional.of("10.99.0.1"), Optional.of(dev), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(metric), Set.of(), Optional.empty(), Optional.empty());
    }

    private static int index(List<Step> steps, Predicate<Step> p) {
        for (int i = 0; i < steps.size(); i++) {
            if (p.test(steps.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such step in " + steps);
    }

    private static int lastIndex(List<Step> steps, Predicate<Step> p) {
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (p.test(steps.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such step in " + steps);
    }
}

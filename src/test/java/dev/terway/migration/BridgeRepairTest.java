package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Link;
import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, item 4: `ip link del mybr0` on a set-up node (fixture bridge-deleted: the migrated node after
 * that command, captured from a real namespace) is repaired from the setup record.
 */
class BridgeRepairTest {

    private static final String NIC = "eth0";
    private static final String BRIDGE = "mybr0";

    static MigrationPlan repair() throws MigrationException {
        return BridgeMigrationTest.plan(Fixture.of("bridge-deleted"), Optional.of(BridgeMigrationTest.staticRoutesRecord()));
    }

    @Test
    void aDeletedBridgeIsRecreatedFromTheRecordExactlyAsTheGoldenPlanSays() throws MigrationException {
        MigrationPlan m = repair();
        assertEquals(Optional.of("bridge mybr0 is gone and eth0 has no address of its own: the bridge was deleted,"
                + " and the node's addresses and routes with it; re-creating it from the setup record"), m.repair());
        assertEquals(Fixture.of("bridge-deleted").golden("setup-plan.txt"), PlanPrinter.render(m.plan()));
    }

    @Test
    void withoutARecordTheNodeCannotBeRepairedAndSetupSaysWhy() {
        Fixture f = Fixture.of("bridge-deleted");
        MigrationException e = assertThrows(MigrationException.class, () -> BridgeMigration.plan(f.state(),
                f.ipv6(NIC, BRIDGE), f.bridgeOptions(BRIDGE), Optional.empty(), NIC, BRIDGE));
        assertEquals("cannot bridge eth0: it has no IPv4 or global IPv6 address to move to mybr0; the node would lose its"
                + " address on the LAN", e.getMessage());
    }

    @Test
    void theRepairPutsBackWhatTheMigratedNodeHad() throws MigrationException {
        // Independent of the golden text: every address and route the hand-migrated node has on mybr0 (the
        // migrated fixture, before `ip link del`) is added by the repair, nothing else, and the bridge gets
        // the migrated bridge's MAC and MTU.
        NetState migrated = Fixture.of("migrated").state();
        List<Step> steps = repair().plan().steps();
        List<String> added = steps.stream().map(Step::argv)
                .filter(a -> a.contains("addr") && a.contains("add")).map(a -> a.get(4)).toList();
        assertEquals(migrated.addressesOf(BRIDGE).stream().filter(BridgeMigration::moves).map(IpAddress::cidr)
                .sorted().toList(), added.stream().sorted().toList());
        SetupRecord record = BridgeMigrationTest.staticRoutesRecord();
        for (Route r : record.routes()) {
            assertTrue(NetIdentity.hasRoute(migrated, r.withDev(BRIDGE)), r::toString);
            assertTrue(steps.stream().anyMatch(s -> s.argv().containsAll(r.withDev(BRIDGE).args())),
                    "a step adds " + r.withDev(BRIDGE).args());
        }
        assertEquals(record.routes().size(), steps.stream().filter(s -> s.argv().contains("route")).count());
        Link bridge = migrated.link(BRIDGE).orElseThrow();
        assertEquals(List.of("ip", "link", "add", BRIDGE, "address", bridge.mac(), "mtu",
                Integer.toString(bridge.mtu()), "type", "bridge", "stp_state", "0", "forward_delay", "0"),
                steps.get(0).argv());
        // and once done, the node is the migrated one: setup plans nothing more
        assertTrue(BridgeMigrationTest.plan(Fixture.of("migrated"), Optional.of(record)).plan().isEmpty());
    }

    @Test
    void everyStepButBringingTheBridgeUpHasAnUndoAndTheFirstUndoDeletesTheBridge() throws MigrationException {
        List<Step> steps = repair().plan().steps();
        for (Step s : steps) {
            assertEquals(!s.argv().equals(List.of("ip", "link", "set", "dev", BRIDGE, "up")), s.undo().isPresent(),
                    s::toString);
        }
        assertEquals(List.of("ip", "link", "del", "dev", BRIDGE), steps.get(0).undo().orElseThrow());
        assertEquals(List.of("ip", "link", "set", "dev", NIC, "nomaster"),
                steps.stream().filter(s -> s.argv().contains("master")).findFirst().orElseThrow().undo().orElseThrow());
    }

    @Test
    void theRecordStaysAsItIsAndTheRecordedDefaultGatewaysAreChecked() throws MigrationException {
        MigrationPlan m = repair();
        assertEquals(BridgeMigrationTest.staticRoutesRecord(), m.record());
        assertEquals(List.of(new Gateway(Family.INET, "10.99.0.1", BRIDGE), new Gateway(Family.INET6, "2001:db8::1",
                BRIDGE)), m.gateways());
    }

    @Test
    void aNicThatHasAnAddressAgainIsSetUpFromWhatItHasNotRepaired() throws MigrationException {
        // After a reboot the distribution configures the NIC again: that is the truth, as before.
        NetState deleted = Fixture.of("bridge-deleted").state();
        List<IpAddress> addresses = new ArrayList<>(deleted.addresses());
        addresses.add(new IpAddress(NIC, Family.INET, "10.99.0.50", 24, "global", false, Optional.empty(),
                Optional.of(NIC), IpAddress.FOREVER, IpAddress.FOREVER));
        NetState configured = new NetState(deleted.links(), addresses, deleted.routes());
        Fixture f = Fixture.of("bridge-deleted");
        MigrationPlan m = BridgeMigration.plan(configured, f.ipv6(NIC, BRIDGE), Optional.empty(),
                Optional.of(BridgeMigrationTest.staticRoutesRecord()), NIC, BRIDGE);
        assertEquals(Optional.empty(), m.repair());
        assertEquals(List.of("10.99.0.50/24"), m.record().addresses().stream().map(IpAddress::cidr).toList());
    }

    @Test
    void aRecordOfAnEarlierBootIsNoEvidenceOfADeletedBridge() throws MigrationException {
        // After a reboot the bridge is gone too; a NIC the distribution has not configured (yet) is not
        // given the record's configuration: setup fails as it always did, and `terway run` tries again.
        Fixture f = Fixture.of("bridge-deleted");
        SetupRecord record = BridgeMigrationTest.staticRoutesRecord().withNetns(Optional.of(
                new SetupRecord.BridgedNamespace(new dev.terway.cni.pod.NetnsIdentity(4, 4026531840L), "boot-a")));
        MigrationException e = assertThrows(MigrationException.class, () -> BridgeMigration.plan(f.state(),
                f.ipv6(NIC, BRIDGE), Optional.empty(), Optional.of(record), NIC, BRIDGE, Optional.of("boot-b")));
        assertTrue(e.getMessage().startsWith("cannot bridge eth0: it has no IPv4 or global IPv6 address to move"), e.getMessage());
        assertTrue(BridgeMigration.plan(f.state(), f.ipv6(NIC, BRIDGE), Optional.empty(), Optional.of(record), NIC,
                BRIDGE, Optional.of("boot-a")).repair().isPresent(), "the same boot: repaired");
        assertTrue(BridgeMigration.plan(f.state(), f.ipv6(NIC, BRIDGE), Optional.empty(), Optional.of(record), NIC,
                BRIDGE, Optional.empty()).repair().isPresent(), "boot unknown: repaired");
    }

    @Test
    void aNicThatIsAPortOfSomethingElseIsNoRepair() {
        NetState deleted = Fixture.of("bridge-deleted").state();
        assertEquals(Optional.empty(), BridgeRepair.diagnose(deleted, Optional.empty(), NIC, BRIDGE), "no record");
        SetupRecord record = repairRecord();
        assertTrue(BridgeRepair.diagnose(deleted, Optional.of(record), NIC, BRIDGE).isPresent());
        assertEquals(Optional.empty(), BridgeRepair.diagnose(deleted, Optional.of(record), "aux0", BRIDGE),
                "another NIC than the recorded one");
        NetState migrated = Fixture.of("migrated").state();
        assertEquals(Optional.empty(), BridgeRepair.diagnose(migrated, Optional.of(record), NIC, BRIDGE),
                "the bridge exists");
        List<Link> links = deleted.links().stream()
                .map(l -> l.name().equals(NIC) ? Fixture.of("migrated").state().link(NIC).orElseThrow() : l).toList();
        assertEquals(Optional.empty(), BridgeRepair.diagnose(new NetState(links, deleted.addresses(),
                deleted.routes()), Optional.of(record), NIC, BRIDGE), "the NIC is a port (of a bridge now missing)");
    }

    @Test
    void whatTheKernelLearntFromRouterAdvertisementsIsLeftToTheRouter() throws MigrationException {
        // The record of a node on a LAN with router advertisements has a SLAAC address and an expiring
        // on-link prefix route; the repair leaves both to the bridge's own learning, as setup does with the
        // default router, and puts back the static IPv4 configuration.
        SetupRecord ra = BridgeMigrationTest.plan("router-advertisements").record();
        assertTrue(ra.nicLearnsRa());
        assertTrue(ra.addresses().stream().anyMatch(a -> a.family() == Family.INET6 && !a.isPermanent()));
        assertTrue(ra.routes().stream().anyMatch(r -> r.expires().isPresent()));
        Fixture f = Fixture.of("router-advertisements");
        NetState before = f.state();
        NetState deleted = new NetState(before.links(),
                before.addresses().stream().filter(a -> !a.dev().equals(NIC) || !BridgeMigration.moves(a)).toList(),
                before.routes().stream().filter(r -> !r.dev().equals(Optional.of(NIC))).toList());
        MigrationPlan m = BridgeMigration.plan(deleted, f.ipv6(NIC, BRIDGE), Optional.empty(), Optional.of(ra), NIC,
                BRIDGE);
        assertTrue(m.repair().isPresent());
        String plan = PlanPrinter.render(m.plan());
        assertTrue(plan.contains("ip -4 addr add 10.99.0.5/24 dev mybr0"), plan);
        assertTrue(plan.contains("ip -4 route replace default via 10.99.0.1 dev mybr0"), plan);
        assertFalse(plan.contains("ip -6 addr add"), plan);
        assertFalse(plan.contains("2001:db8:7::/64"), plan);
        assertFalse(plan.contains("accept_ra=0"), "nothing keeps the bridge from learning them: " + plan);
    }

    private static SetupRecord repairRecord() {
        try {
            return BridgeMigrationTest.staticRoutesRecord();
        } catch (MigrationException e) {
            throw new AssertionError(e);
        }
    }
}

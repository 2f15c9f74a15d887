package dev.terway.migration;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Settings;
import dev.terway.netstate.Link;
import dev.terway.netstate.NetState;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Plans the repair of a node whose bridge was deleted ({@code ip link del mybr0}, a tool that "cleans up"
 * bridges, a botched manual change): a pure function of the observed state and the setup record, like
 * {@link BridgeMigration} and {@link BridgeRestoration}.
 *
 * <p>Deleting the bridge deletes its addresses and routes, which were the node's, and releases its ports:
 * the NIC is left without master and, since setup moved everything to the bridge and turned IPv6 off on
 * it, without any address to move. Setup's usual plan (take the NIC's configuration over) has nothing to
 * take; the record has it all. The repair re-creates the bridge with the recorded MAC and MTU and the
 * recorded IPv6 settings, enslaves the NIC, and puts back the recorded addresses and routes, in setup's
 * order (bridge, port, addresses, link routes, gateway routes, router advertisements last), every step
 * with its undo. The daemon puts the pods' host veths back on the new bridge by itself
 * ({@code dev.terway.cni.attachment.Reattachment}).
 *
 * <p>When the kernel learns IPv6 configuration from router advertisements, what it learnt with a lifetime
 * (SLAAC addresses, on-link prefix routes that expire) is not put back: the record has the lifetimes of
 * setup time, and the bridge learns them again from the router, as it learns the default router.
 *
 * <p>The repair applies only to that state: the record's bridge missing, the record's NIC there, no port
 * of anything, and without any address setup would move, in the boot the record was written in (when the
 * record says which boot that was). After a reboot the bridge is gone as well, but the NIC's configuration
 * is the distribution's again: a NIC that has addresses is set up from what it has, as always, and one that
 * has none yet is not given the record's (setup fails as before, and `terway run` tries again).
 */
final class BridgeRepair {

    private BridgeRepair() {
    }

    /**
     * Why the node needs a repair rather than a setup, or empty when it does not: the record's bridge is
     * gone and the NIC has nothing setup could move.
     */
    static Optional<String> diagnose(NetState state, Optional<SetupRecord> record, String iface, String bridge) {
        return diagnose(state, record, iface, bridge, Optional.empty());
    }

    /**
     * @param thisBoot the current boot's id, when known: a record of another boot is no evidence of a
     *                 deleted bridge
     */
    static Optional<String> diagnose(NetState state, Optional<SetupRecord> record, String iface, String bridge,
                                     Optional<String> thisBoot) {
        if (record.isEmpty() || !record.get().bridge().equals(bridge) || !record.get().iface().equals(iface)
                || state.link(bridge).isPresent()) {
            return Optional.empty();
        }
        Optional<String> recordedBoot = record.get().netns().map(SetupRecord.BridgedNamespace::bootId);
        if (recordedBoot.isPresent() && thisBoot.isPresent() && !recordedBoot.equals(thisBoot)) {
            return Optional.empty();
        }
        Optional<Link> nic = state.link(iface);
        if (nic.isEmpty() || nic.get().master().isPresent()
                || state.addressesOf(iface).stream().anyMatch(BridgeMigration::moves)
                || record.get().addresses().stream().noneMatch(a -> a.family() == Family.INET)) {
            return Optional.empty();
        }
        return Optional.of("bridge " + bridge + " is gone and " + iface + " has no address of its own: the bridge was"
                + " deleted, and the node's addresses and routes with it; re-creating it from the setup record");
    }

    /**
     * @param ipv6  the IPv6 settings of the NIC and the defaults (the bridge does not exist)
     * @param why   what {@link #diagnose} found
     */
    static MigrationPlan plan(NetState state, Ipv6Settings ipv6, SetupRecord record, String why)
            throws MigrationException {
        String iface = record.iface();
        String bridge = record.bridge();
        boolean kernelLearnsRa = record.nicLearnsRa();

        List<IpAddress> addresses = new ArrayList<>(record.addresses().stream()
                .filter(a -> !(kernelLearnsRa && a.family() == Family.INET6 && !a.isPermanent())).toList());
        addresses.sort(Comparator.comparing(IpAddress::family).thenComparing(IpAddress::secondary));
        List<Route> routes = record.routes().stream()
                .filter(r -> !(kernelLearnsRa && r.family() == Family.INET6 && r.expires().isPresent())).toList();

        Plan.Builder plan = Plan.builder();
        plan.add(Step.undoable("re-create bridge " + bridge + ", which was deleted, with " + iface + "'s recorded MAC"
                        + " and MTU, so the node keeps its identity on the LAN; STP off so the port forwards at once",
                List.of("ip", "link", "add", bridge, "address", record.mac(), "mtu", Integer.toString(record.mtu()),
                        "type", "bridge", "stp_state", "0", "forward_delay", "0"),
                List.of("ip", "link", "del", "dev", bridge)));
        boolean ipv6Arrives = addresses.stream().anyMatch(a -> a.family() == Family.INET6)
                || routes.stream().anyMatch(r -> r.family() == Family.INET6);
        Ipv6Takeover takeover = Ipv6Takeover.plan(ipv6, record.nicIpv6(), false, iface, bridge, ipv6Arrives);
        takeover.beforeUp().forEach(plan::add);
        plan.add(Step.of("bring " + bridge + " up", List.of("ip", "link", "set", "dev", bridge, "up")));
        plan.add(Step.undoable("enslave " + iface + " to " + bridge + " again: deleting the bridge released it",
                List.of("ip", "link", "set", "dev", iface, "master", bridge),
                List.of("ip", "link", "set", "dev", iface, "nomaster")));
        for (IpAddress recorded : addresses) {
            IpAddress a = BridgeMigration.onDevice(recorded, bridge);
            plan.add(Step.undoable("put recorded address " + a.cidr() + " on " + bridge + ": it went with the deleted"
                            + " bridge" + (a.family() == Family.INET6 ? " (nodad: it is this node's)" : ""),
                    BridgeMigration.addr(a, "add", recorded.addArgs(bridge)),
                    BridgeMigration.addr(a, "del", List.of(a.cidr(), "dev", bridge))));
        }
        RouteMover.Moves moves = RouteMover.plan(state, routes, iface, bridge);
        moves.early().forEach(plan::add);
        moves.late().forEach(plan::add);
        takeover.last().forEach(plan::add);

        List<Gateway> gateways = new ArrayList<>();
        for (Route r : routes) {
            if (r.isDefault() && r.gateway().isPresent()) {
                Gateway g = new Gateway(r.family(), r.gateway().get(), bridge);
                if (!gateways.contains(g)) {
                    gateways.add(g);
                }
            }
        }
        return new MigrationPlan(iface, bridge, plan.build(), record, gateways, Optional.of(why));
    }
}

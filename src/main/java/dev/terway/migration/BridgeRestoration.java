package dev.terway.migration;

import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Conf;
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
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Plans teardown: puts the recorded configuration back on the NIC and removes the bridge. Pure, like
 * {@link BridgeMigration}, and ordered as its mirror image so the node stays reachable:
 * <ol>
 * <li>turn IPv6 back on on the NIC if setup turned it off. The kernel gives the NIC its link-local address
 *     again and, when duplicate detection ends a second or two later (the NIC has left the bridge by then),
 *     sends a Router Solicitation: what it learns from router advertisements (default router, route
 *     information) is not put back by hand, it comes from the router's answer, as setup left it to the
 *     bridge;</li>
 * <li>add the recorded addresses back to the NIC (it is still a port, so packets keep arriving on the
 *     bridge, and Linux accepts them for any local address);</li>
 * <li>copy the bridge's learnt neighbours to the NIC. The kernel flushed the NIC's ARP cache when setup
 *     removed its last IPv4 address, and while the NIC is a port it cannot learn again: the answers to its
 *     ARP requests are delivered to the bridge. Without the copies, traffic that moves to the NIC would
 *     wait for the next ARP retry after the release, about a second;</li>
 * <li>move the routes back ({@link RouteMover}): gateways are reachable through the NIC's prefix routes;</li>
 * <li>remove the addresses from the bridge, secondaries first;</li>
 * <li>release the NIC from the bridge: only now do its frames reach the NIC's own stack, which by then has
 *     everything;</li>
 * <li>restore MTU and MAC if something changed them, and delete the bridge.</li>
 * </ol>
 * Pieces already in place are skipped, so a teardown interrupted half-way can simply be run again.
 */
public final class BridgeRestoration {

    /**
     * How the node differs from the record after a teardown.
     *
     * @param missing    recorded configuration that is not back: the teardown did not do its job
     * @param unexpected configuration on the NIC that the record does not have (added since setup)
     */
    public record Differences(List<String> missing, List<String> unexpected) {

        public Differences {
            missing = List.copyOf(missing);
            unexpected = List.copyOf(unexpected);
        }

        public boolean restored() {
            return missing.isEmpty();
        }
    }

    private BridgeRestoration() {
    }

    /**
     * @param ipv6       the IPv6 settings of the NIC now
     * @param neighbours the neighbour caches of all devices ({@code ip -j neigh show})
     */
    public static Plan plan(SetupRecord record, NetState state, Ipv6Settings ipv6, List<Neighbour> neighbours)
            throws MigrationException {
        String iface = record.iface();
        String bridge = record.bridge();
        Link nic = state.link(iface).orElseThrow(() -> new MigrationException("cannot tear down bridge " + bridge
                + ": the recorded interface " + iface + " no longer exists"));
        Optional<Link> br = state.link(bridge);
        if (br.isPresent() && !br.get().isBridge()) {
            throw new MigrationException("cannot tear down bridge " + bridge + ": that name now belongs to a "
                    + br.get().kind().orElse("non-bridge") + " device, which teardown will not delete");
        }
        if (nic.master().isPresent() && !nic.master().get().equals(bridge)) {
            throw new MigrationException("cannot tear down bridge " + bridge + ": " + iface + " is now a port of "
                    + nic.master().get() + ", not of " + bridge);
        }

        Plan.Builder plan = Plan.builder();
        Optional<Ipv6Conf> nicIpv6 = ipv6.of(iface);
        if (record.nicIpv6().isPresent() && nicIpv6.isPresent()
                && nicIpv6.get().disableIpv6() != record.nicIpv6().get().disableIpv6()) {
            int wanted = record.nicIpv6().get().disableIpv6();
            plan.add(Ipv6Takeover.set(iface, "disable_ipv6", wanted, nicIpv6.get().disableIpv6(),
                    "turn IPv6 " + (wanted == 0 ? "back on" : "off") + " on " + iface + " as it was"
                            + (wanted == 0 ? ", before its addresses return; once its link-local address is ready"
                            + " the kernel solicits router advertisements there again" : "")));
        }
        List<IpAddress> addresses = new ArrayList<>(record.addresses());
        addresses.sort(Comparator.comparing(IpAddress::family).thenComparing(IpAddress::secondary));
        for (IpAddress a : addresses) {
            if (!NetIdentity.hasAddress(state, iface, a)) {
                // The bridge's copy has the up-to-date remaining lifetimes; the record has those of setup time.
                IpAddress source = state.addressesOf(bridge).stream().filter(b -> NetIdentity.sameAddress(a, b))
                        .findFirst().orElse(a);
                plan.add(Step.undoable("put address " + a.cidr() + " back on " + iface,
                        BridgeMigration.addr(a, "add", source.addArgs(iface)),
                        BridgeMigration.addr(a, "del", List.of(a.cidr(), "dev", iface))));
            }
        }
        if (nic.master().isPresent()) {
            for (Neighbour n : neighbours) {
                if (n.dev().equals(bridge) && n.isLearnt() && neighbours.stream().noneMatch(
                        m -> m.dev().equals(iface) && m.address().equals(n.address()) && m.isLearnt())) {
                    plan.add(Step.undoable("let " + iface + " reach " + n.address() + " at once: as a bridge port"
                                    + " it gets no answer to its own ARP/ND requests",
                            List.of("ip", n.family().flag(), "neigh", "replace", n.address(), "lladdr", n.lladdr(),
                                    "dev", iface, "nud", "stale"),
                            List.of("ip", n.family().flag(), "neigh", "del", n.address(), "dev", iface)));
                }
            }
        }
        RouteMover.Moves moves = RouteMover.plan(state, record.routes(), bridge, iface);
        moves.early().forEach(plan::add);
        moves.late().forEach(plan::add);
        List<IpAddress> onBridge = new ArrayList<>(state.addressesOf(bridge).stream()
                .filter(b -> addresses.stream().anyMatch(a -> NetIdentity.sameAddress(a, b))).toList());
        onBridge.sort(Comparator.comparing(IpAddress::family).thenComparing(IpAddress::secondary,
                Comparator.reverseOrder()));
        for (IpAddress b : onBridge) {
            plan.add(Step.undoable("remove address " + b.cidr() + " from " + bridge + "; " + iface + " has it again",
                    BridgeMigration.addr(b, "del", List.of(b.cidr(), "dev", bridge)),
                    BridgeMigration.addr(b, "add", b.addArgs(bridge))));
        }
        if (nic.master().isPresent()) {
            plan.add(Step.undoable("release " + iface + " from " + bridge,
                    List.of("ip", "link", "set", "dev", iface, "nomaster"),
                    List.of("ip", "link", "set", "dev", iface, "master", bridge)));
        }
        if (nic.mtu() != record.mtu()) {
            plan.add(Step.undoable("restore the MTU of " + iface,
                    List.of("ip", "link", "set", "dev", iface, "mtu", Integer.toString(record.mtu())),
                    List.of("ip", "link", "set", "dev", iface, "mtu", Integer.toString(nic.mtu()))));
        }
        if (!nic.mac().equalsIgnoreCase(record.mac())) {
            plan.add(Step.undoable("restore the MAC of " + iface,
                    List.of("ip", "link", "set", "dev", iface, "address", record.mac()),
                    List.of("ip", "link", "set", "dev", iface, "address", nic.mac())));
        }
        if (br.isPresent()) {
            List<String> others = state.portsOf(bridge).stream().map(Link::name).filter(n -> !n.equals(iface))
                    .toList();
            plan.add(Step.of("delete bridge " + bridge
                            + (others.isEmpty() ? "" : "; this detaches its other ports " + String.join(", ", others)),
                    List.of("ip", "link", "del", "dev", bridge)));
        }
        return plan.build();
    }

    /**
     * Compares the NIC with the record, ignoring what changes by itself (remaining lifetimes, linkdown) and
     * what the kernel learns again from router advertisements (which takes a Router Solicitation and its
     * answer, after teardown has finished).
     *
     * @param ipv6 the IPv6 settings of the NIC now
     */
    public static Differences compare(SetupRecord record, NetState state, Ipv6Settings ipv6) {
        String iface = record.iface();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        Optional<Link> nic = state.link(iface);
        if (nic.isEmpty()) {
            return new Differences(List.of(iface + " does not exist"), List.of());
        }
        nic.get().master().ifPresent(m -> missing.add(iface + " is still a port of " + m));
        state.link(record.bridge()).ifPresent(b -> missing.add("bridge " + record.bridge() + " still exists"));
        if (nic.get().mtu() != record.mtu()) {
            missing.add("MTU of " + iface + " is " + nic.get().mtu() + ", recorded " + record.mtu());
        }
        if (!nic.get().mac().equalsIgnoreCase(record.mac())) {
            missing.add("MAC of " + iface + " is " + nic.get().mac() + ", recorded " + record.mac());
        }
        Optional<Ipv6Conf> nicIpv6 = ipv6.of(iface);
        if (record.nicIpv6().isPresent() && nicIpv6.isPresent()
                && record.nicIpv6().get().disableIpv6() != nicIpv6.get().disableIpv6()) {
            missing.add("disable_ipv6 of " + iface + " is " + nicIpv6.get().disableIpv6() + ", recorded "
                    + record.nicIpv6().get().disableIpv6());
        }
        List<IpAddress> now = state.addressesOf(iface).stream().filter(BridgeMigration::moves)
                .map(NetIdentity::configuration).toList();
        List<IpAddress> wanted = record.addresses().stream()
                .map(a -> NetIdentity.configuration(BridgeMigration.onDevice(a, iface))).toList();
        wanted.stream().filter(a -> !now.contains(a))
                .forEach(a -> missing.add("address " + describe(a) + " is not on " + iface));
        now.stream().filter(a -> !wanted.contains(a))
                .forEach(a -> unexpected.add("address " + describe(a) + " on " + iface + " is not in the record"));
        List<IpAddress> prefixRouteOwners = new ArrayList<>(state.addressesOf(iface));
        prefixRouteOwners.addAll(record.addresses());
        List<Route> routesNow = state.routesVia(iface).stream()
                .filter(r -> BridgeMigration.moves(r, prefixRouteOwners, record.nicLearnsRa()))
                .map(NetIdentity::configuration).toList();
        List<Route> routesWanted = record.routes().stream()
                .map(r -> NetIdentity.configuration(r.withDev(iface))).toList();
        routesWanted.stream().filter(r -> !routesNow.contains(r))
                .forEach(r -> missing.add("route " + NetIdentity.describe(r) + " is missing"));
        routesNow.stream().filter(r -> !routesWanted.contains(r))
                .forEach(r -> unexpected.add("route " + NetIdentity.describe(r) + " is not in the record"));
        return new Differences(missing, unexpected);
    }

    private static String describe(IpAddress a) {
        return a.cidr() + (a.secondary() ? " (secondary)" : "") + a.broadcast().map(b -> " brd " + b).orElse("")
                + (a.isGlobal() ? "" : " scope " + a.scope())
                + new TreeSet<>(a.flags()).stream().map(f -> " " + f).collect(Collectors.joining())
                + a.metric().map(m -> " metric " + m).orElse("");
    }
}

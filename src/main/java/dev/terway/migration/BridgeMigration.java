package dev.terway.migration;

import dev.terway.net.InterfaceName;
import dev.terway.netstate.Family;
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

/**
 * Plans the move of a NIC into a bridge: a pure function of the observed state, the record of an earlier
 * setup and the wanted interface and bridge. It never runs anything.
 *
 * <p>Wanted state: bridge B (kind bridge, STP off, no forward delay, the NIC's MAC and MTU, up), the NIC
 * enslaved to B, every IPv4 and global IPv6 address of the NIC on B with its lifetimes and flags and none
 * left on the NIC, every main-table route of the NIC that does not come with an address (see
 * {@link #moves(Route, List, boolean)}) on B with all its attributes, B with the NIC's IPv6 settings
 * ({@code disable_ipv6}, {@code autoconf}, {@code accept_ra}) and IPv6 off on the NIC. Only missing
 * pieces are planned, so a migrated node gets an empty plan and a half-migrated one (an earlier run was
 * killed) gets the rest.
 *
 * <p>Router advertisements: where the kernel learns from them ({@link Ipv6Conf#kernelAcceptsRa()}), B
 * takes over that job. SLAAC addresses move like any other (with lifetimes and {@code mngtmpaddr}) and
 * bring their prefix routes; the learnt routes ({@code proto ra}: default routers, route information)
 * are not copied, B learns them again. They cannot be copied: the kernel recognises its default routers
 * only by flags that a route added with `ip` never has, so on the next advertisement it fails to add its
 * own ("RA: ndisc_router_discovery failed to add default route", because the copy is in the way) and
 * drops the rest of that advertisement, prefixes included: the moved SLAAC addresses would never be
 * refreshed and would expire.
 *
 * <p>Step order keeps the node reachable throughout (see {@link #plan}).
 */
public final class BridgeMigration {

    public static final String DEFAULT_BRIDGE = "mybr0";

    private BridgeMigration() {
    }

    /**
     * The interface to bridge when the operator named none: the device of the main table's IPv4 default
     * route with the lowest metric (the one the kernel uses), or on a node without one (an IPv6-only LAN) the
     * device of its IPv6 default route with the lowest metric, a default router learnt from RAs included. When
     * that device is the bridge of an earlier setup, the recorded NIC is meant; when there is no default route,
     * the recorded NIC if any.
     */
    public static String detectInterface(NetState state, Optional<SetupRecord> record) throws MigrationException {
        Optional<Route> used = defaultRoute(state, Family.INET).or(() -> defaultRoute(state, Family.INET6));
        if (used.isEmpty()) {
            return record.map(SetupRecord::iface).orElseThrow(() -> new MigrationException(
                    "cannot detect the interface to bridge: the main table has no IPv4 or IPv6 default route;"
                            + " name it with --iface"));
        }
        String dev = used.get().dev().orElseThrow();
        if (record.isPresent() && record.get().bridge().equals(dev)) {
            return record.get().iface();
        }
        if (state.link(dev).filter(Link::isBridge).isPresent()) {
            throw new MigrationException("cannot detect the interface to bridge: the "
                    + (used.get().family() == Family.INET ? "IPv4" : "IPv6") + " default route already"
                    + " goes through bridge " + dev + ", and no setup record says which interface that bridges;"
                    + " name it with --iface");
        }
        return dev;
    }

    /** The main table's default route of {@code family} with a device and the lowest metric: the one the kernel uses. */
    private static Optional<Route> defaultRoute(NetState state, Family family) {
        return state.defaultRoutes().stream()
                .filter(r -> r.family() == family && r.dev().isPresent())
                .min(Comparator.comparingInt(NetIdentity::metric));
    }

    /** Whether setup moves this address: every IPv4 address, and IPv6 ones of global scope (link-local
     *  addresses belong to their device; the bridge makes its own from the same MAC). */
    static boolean moves(IpAddress a) {
        return a.family() == Family.INET || a.isGlobal();
    }

    /**
     * Whether setup carries this route of a device over to the bridge itself. Not:
     * <ul>
     * <li>the prefix route the kernel makes for an address of the device ({@link IpAddress#isPrefixRoute}):
     *     it makes one on the bridge when the address arrives there;</li>
     * <li>the link-local prefix route, which every IPv6 device has of its own;</li>
     * <li>routes the kernel learnt from router advertisements ({@code proto ra}) where it learns from them
     *     ({@code kernelLearnsRa}): they cannot be copied (see the class comment); the bridge learns them.</li>
     * </ul>
     * Every other route is carried, kernel routes included: the prefix route of a prefix that a router
     * advertises as on-link without an address of it here (it has an expiry), and the prefix routes that
     * NetworkManager adds as `proto kernel` for its {@code noprefixroute} addresses.
     *
     * @param addresses the addresses whose prefix routes the kernel makes: those of the device, and those
     *                  about to arrive on the bridge
     */
    static boolean moves(Route r, List<IpAddress> addresses, boolean kernelLearnsRa) {
        if (kernelLearnsRa && r.family() == Family.INET6 && r.isRaRoute()) {
            return false;
        }
        if (!r.isKernelRoute()) {
            return true;
        }
        if (r.family() == Family.INET6 && r.dst().equalsIgnoreCase("fe80::/64")) {
            return false;
        }
        return addresses.stream().noneMatch(a -> a.isPrefixRoute(r));
    }

    /**
     * Plans bridging {@code iface} into {@code bridge}.
     *
     * <p>Order, chosen for the shortest connectivity gap:
     * <ol>
     * <li>create the bridge with the NIC's MAC and MTU, STP off, give it the NIC's IPv6 settings but have it
     *     ignore router advertisements for now ({@link Ipv6Takeover}), and bring it up: nothing uses it yet;</li>
     * <li>enslave the NIC. From now on its frames are delivered to the bridge; the node keeps answering
     *     because Linux accepts packets for any of its addresses on any interface, and because the bridge
     *     has the NIC's MAC, the LAN's ARP caches stay right. Sending still works through the NIC's routes,
     *     as a port transmits directly;</li>
     * <li>add the NIC's addresses to the bridge (IPv6 without duplicate detection, so they are usable at
     *     once). Their kernel prefix routes on the bridge make the gateways reachable there;</li>
     * <li>move the routes ({@link RouteMover}): link routes are copied, gateway routes swapped atomically
     *     with {@code replace}, then the link-route originals are deleted;</li>
     * <li>remove the addresses from the NIC, secondaries before primaries, because deleting a primary
     *     deletes its secondaries unless promote_secondaries is set;</li>
     * <li>turn IPv6 off on the NIC and let the bridge process router advertisements ({@link Ipv6Takeover}).</li>
     * </ol>
     * Every step has an undo; run in reverse, the undos restore the previous state in an order that is
     * just as safe (addresses back on the NIC before routes move back to it).
     *
     * @param ipv6          IPv6 settings of {@code iface}, of {@code bridge} if it exists, and the default ones
     * @param bridgeOptions the STP settings of {@code bridge}, when such a bridge exists
     * @param record        the record of an earlier setup on this node, if any
     * @return the plan; a repair ({@link BridgeRepair}) when the record's bridge was deleted and took the node's
     *         addresses and routes with it
     */
    public static MigrationPlan plan(NetState state, Ipv6Settings ipv6, Optional<BridgeOptions> bridgeOptions,
                                     Optional<SetupRecord> record, String iface, String bridge)
            throws MigrationException {
        return plan(state, ipv6, bridgeOptions, record, iface, bridge, Optional.empty());
    }

    /**
     * As {@link #plan(NetState, Ipv6Settings, Optional, Optional, String, String)}, knowing the current boot
     * ({@code /proc/sys/kernel/random/boot_id}): a repair is planned only in the boot the record was written
     * in, when it says.
     */
    public static MigrationPlan plan(NetState state, Ipv6Settings ipv6, Optional<BridgeOptions> bridgeOptions,
                                     Optional<SetupRecord> record, String iface, String bridge,
                                     Optional<String> thisBoot) throws MigrationException {
        Link nic = validate(state, record, iface, bridge);
        Optional<String> repair = BridgeRepair.diagnose(state, record, iface, bridge, thisBoot);
        if (repair.isPresent()) {
            return BridgeRepair.plan(state, ipv6, record.orElseThrow(), repair.get());
        }
        Optional<Link> existing = state.link(bridge);

        // The configuration to move. A record is only trusted while its bridge exists: after a reboot the
        // bridge is gone and the NIC holds whatever the distribution configured, which is the new truth.
        boolean recordApplies = record.isPresent() && existing.isPresent();
        // Setup turns IPv6 off on the NIC, so once it has begun only the record knows the NIC's settings; without
        // one, a NIC already in the bridge has handed them to the bridge, if it was terway that enslaved it.
        boolean enslaved = nic.master().filter(bridge::equals).isPresent();
        Optional<Ipv6Conf> nicIpv6 = recordApplies && record.get().nicIpv6().isPresent() ? record.get().nicIpv6()
                : ipv6.of(enslaved ? bridge : iface);
        boolean kernelLearnsRa = nicIpv6.map(Ipv6Conf::kernelAcceptsRa).orElse(false);
        List<IpAddress> addresses = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        if (recordApplies) {
            addresses.addAll(record.get().addresses());
            routes.addAll(record.get().routes());
        }
        for (IpAddress a : state.addressesOf(iface)) {
            if (moves(a)) {
                addresses.removeIf(known -> NetIdentity.sameAddress(known, a));
                addresses.add(a);
            }
        }
        List<IpAddress> prefixRouteOwners = new ArrayList<>(state.addressesOf(iface));
        prefixRouteOwners.addAll(addresses);
        for (Route r : state.routesVia(iface)) {
            if (moves(r, prefixRouteOwners, kernelLearnsRa)) {
                Route config = NetIdentity.configuration(r);
                routes.removeIf(known -> NetIdentity.configuration(known).equals(config));
                routes.add(r);
            }
        }
        // IPv4 primaries first: the first address of a subnet on a device becomes its primary.
        addresses.sort(Comparator.comparing(IpAddress::family).thenComparing(IpAddress::secondary));
        int mtu = recordApplies ? record.get().mtu() : nic.mtu();
        String mac = recordApplies ? record.get().mac() : nic.mac();

        // An IPv6-only LAN is fine: the node keeps its global IPv6 addresses (static or SLAAC) on the bridge.
        // A NIC with neither family's address would leave the node with no address on the LAN but link-local.
        boolean bridgeHasAddress = state.addressesOf(bridge).stream().anyMatch(BridgeMigration::moves);
        if (addresses.isEmpty() && !(enslaved && bridgeHasAddress)) {
            throw new MigrationException("cannot bridge " + iface + ": it has no IPv4 or global IPv6 address to"
                    + " move to " + bridge + "; the node would lose its address on the LAN");
        }

        List<Step> moving = new ArrayList<>();
        for (IpAddress a : addresses) {
            if (!NetIdentity.hasAddress(state, bridge, a)) {
                moving.add(Step.undoable("copy address " + a.cidr() + " to " + bridge
                                + (a.family() == Family.INET6 ? " (nodad: it is already in use by this node)" : ""),
                        addr(a, "add", a.addArgs(bridge)), addr(a, "del", List.of(a.cidr(), "dev", bridge))));
            }
        }
        RouteMover.Moves moves = RouteMover.plan(state, routes, iface, bridge);
        moving.addAll(moves.early());
        moving.addAll(moves.late());
        List<IpAddress> leaving = new ArrayList<>(addresses.stream()
                .filter(a -> NetIdentity.hasAddress(state, iface, a)).toList());
        leaving.sort(Comparator.comparing(IpAddress::family).thenComparing(IpAddress::secondary,
                Comparator.reverseOrder()));
        for (IpAddress a : leaving) {
            IpAddress current = state.addressesOf(iface).stream()
                    .filter(b -> NetIdentity.sameAddress(a, b)).findFirst().orElseThrow();
            moving.add(Step.undoable("remove address " + a.cidr() + " from " + iface + "; " + bridge + " has it"
                            + (a.secondary() ? " (secondaries go first so no primary takes them along)" : ""),
                    addr(a, "del", List.of(a.cidr(), "dev", iface)), addr(a, "add", current.addArgs(iface))));
        }

        Plan.Builder plan = Plan.builder();
        planBridge(plan, existing, bridgeOptions, bridge, mtu, mac, iface);
        boolean ipv6Arrives = addresses.stream()
                .anyMatch(a -> a.family() == Family.INET6 && !NetIdentity.hasAddress(state, bridge, a))
                || routes.stream().anyMatch(r -> r.family() == Family.INET6 && !NetIdentity.hasRoute(state,
                r.withDev(bridge)));
        Ipv6Takeover takeover = Ipv6Takeover.plan(ipv6, nicIpv6, existing.isPresent(), iface, bridge, ipv6Arrives);
        takeover.beforeUp().forEach(plan::add);
        planUp(plan, existing, bridge);
        if (!enslaved) {
            plan.add(Step.undoable("enslave " + iface + " to " + bridge + "; the node keeps answering because"
                            + " Linux accepts packets for its addresses on any interface",
                    List.of("ip", "link", "set", "dev", iface, "master", bridge),
                    List.of("ip", "link", "set", "dev", iface, "nomaster")));
        }
        moving.forEach(plan::add);
        takeover.last().forEach(plan::add);

        List<Gateway> gateways = new ArrayList<>();
        List<Route> defaults = new ArrayList<>(routes);
        // Learnt default routers are not moved, but they are how the node leaves the LAN over IPv6: they must
        // answer on the bridge as well.
        state.routesVia(iface).stream().filter(r -> kernelLearnsRa && r.family() == Family.INET6 && r.isRaRoute())
                .forEach(defaults::add);
        for (Route r : defaults) {
            if (r.isDefault() && r.gateway().isPresent()) {
                String before = NetIdentity.hasRoute(state, r.withDev(iface)) ? iface : bridge;
                Gateway g = new Gateway(r.family(), r.gateway().get(), before);
                if (!gateways.contains(g)) {
                    gateways.add(g);
                }
            }
        }
        List<Route> recorded = routes.stream().map(r -> r.withDev(iface)).toList();
        List<IpAddress> recordedAddresses = addresses.stream().map(a -> onDevice(a, iface)).toList();
        SetupRecord newRecord = new SetupRecord(iface, bridge, mtu, mac, recordedAddresses, recorded, nicIpv6);
        return new MigrationPlan(iface, bridge, plan.build(), newRecord, gateways);
    }

    private static Link validate(NetState state, Optional<SetupRecord> record, String iface, String bridge)
            throws MigrationException {
        String badName = InterfaceName.problem(bridge);
        if (badName != null) {
            throw new MigrationException("cannot create bridge " + InterfaceName.quoted(bridge) + ": not a valid"
                    + " interface name: it " + badName + "; choose another --bridge");
        }
        if (iface.equals(bridge)) {
            throw new MigrationException("cannot bridge " + iface + " into itself: --iface and --bridge name the"
                    + " same device");
        }
        if (record.isPresent() && !record.get().bridge().equals(bridge)) {
            throw new MigrationException("cannot set up bridge " + bridge + ": this node was already set up with"
                    + " bridge " + record.get().bridge() + " on " + record.get().iface()
                    + "; run `terway teardown` first, or use --bridge " + record.get().bridge());
        }
        if (record.isPresent() && !record.get().iface().equals(iface)) {
            throw new MigrationException("cannot bridge " + iface + " into " + bridge + ": " + bridge
                    + " was already set up for " + record.get().iface() + "; run `terway teardown` first");
        }
        Link nic = state.link(iface).orElseThrow(() -> new MigrationException(
                "cannot bridge " + iface + ": no such interface"));
        if (nic.flags().contains("LOOPBACK")) {
            throw new MigrationException("cannot bridge " + iface + ": it is the loopback device");
        }
        if (nic.isBridge()) {
            throw new MigrationException("cannot bridge " + iface + ": it is itself a bridge; name the physical"
                    + " interface with --iface");
        }
        if (nic.master().isPresent() && !nic.master().get().equals(bridge)) {
            throw new MigrationException("cannot bridge " + iface + ": it is already a port of "
                    + nic.slaveKind().orElse("device") + " " + nic.master().get());
        }
        Optional<Link> existing = state.link(bridge);
        if (existing.isPresent() && !existing.get().isBridge()) {
            throw new MigrationException("cannot create bridge " + bridge + ": the name is taken by a "
                    + existing.get().kind().map(k -> k + " device").orElse("device that is not a bridge"));
        }
        return nic;
    }

    private static void planBridge(Plan.Builder plan, Optional<Link> existing, Optional<BridgeOptions> options,
                                   String bridge, int mtu, String mac, String iface) {
        if (existing.isEmpty()) {
            plan.add(Step.undoable("create bridge " + bridge + " with " + iface + "'s MAC and MTU, so the node"
                            + " keeps its identity on the LAN; STP off so the port forwards at once",
                    List.of("ip", "link", "add", bridge, "address", mac, "mtu", Integer.toString(mtu),
                            "type", "bridge", "stp_state", "0", "forward_delay", "0"),
                    List.of("ip", "link", "del", "dev", bridge)));
            return;
        }
        Link br = existing.get();
        if (!br.mac().equalsIgnoreCase(mac)) {
            plan.add(Step.undoable("give " + bridge + " " + iface + "'s MAC, so the node keeps its identity on"
                            + " the LAN", List.of("ip", "link", "set", "dev", bridge, "address", mac),
                    List.of("ip", "link", "set", "dev", bridge, "address", br.mac())));
        }
        if (br.mtu() != mtu) {
            plan.add(Step.undoable("give " + bridge + " " + iface + "'s MTU",
                    List.of("ip", "link", "set", "dev", bridge, "mtu", Integer.toString(mtu)),
                    List.of("ip", "link", "set", "dev", bridge, "mtu", Integer.toString(br.mtu()))));
        }
        // Two commands, STP first: while STP is on, the kernel rejects a forward delay below 2 s.
        BridgeOptions current = options.orElse(BridgeOptions.WANTED);
        if (current.stpState() != 0) {
            plan.add(Step.undoable("turn STP off on " + bridge + ", or a new port listens and learns for"
                            + " 2 x forward_delay before it forwards",
                    List.of("ip", "link", "set", "dev", bridge, "type", "bridge", "stp_state", "0"),
                    List.of("ip", "link", "set", "dev", bridge, "type", "bridge",
                            "stp_state", Integer.toString(current.stpState()))));
        }
        if (current.forwardDelay() != 0) {
            plan.add(Step.undoable("set the forwarding delay of " + bridge + " to 0",
                    List.of("ip", "link", "set", "dev", bridge, "type", "bridge", "forward_delay", "0"),
                    List.of("ip", "link", "set", "dev", bridge, "type", "bridge",
                            "forward_delay", Integer.toString(current.forwardDelay()))));
        }
    }

    private static void planUp(Plan.Builder plan, Optional<Link> existing, String bridge) {
        if (existing.isEmpty()) {
            plan.add(Step.of("bring " + bridge + " up", List.of("ip", "link", "set", "dev", bridge, "up")));
        } else if (!existing.get().isUp()) {
            plan.add(Step.undoable("bring " + bridge + " up", List.of("ip", "link", "set", "dev", bridge, "up"),
                    List.of("ip", "link", "set", "dev", bridge, "down")));
        }
    }

    static List<String> addr(IpAddress a, String verb, List<String> args) {
        List<String> argv = new ArrayList<>(List.of("ip", a.family().flag(), "addr", verb));
        argv.addAll(args);
        return argv;
    }

    /** The address as it is on {@code dev}; an alias label follows the address ({@code br0:1} -> {@code eth0:1}). */
    static IpAddress onDevice(IpAddress a, String dev) {
        Optional<String> label = a.label().map(l -> l.equals(a.dev()) ? dev
                : l.startsWith(a.dev() + ":") ? dev + l.substring(a.dev().length()) : l);
        return new IpAddress(dev, a.family(), a.local(), a.prefixLen(), a.scope(), a.secondary(), a.broadcast(),
                label, a.validLifetime(), a.preferredLifetime(), a.flags(), a.metric());
    }
}

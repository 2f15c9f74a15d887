package dev.terway.migration;

import dev.terway.cni.pod.NetnsIdentity;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Conf;
import dev.terway.netstate.Route;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the NIC looked like before {@code terway setup} moved it into the bridge: the configuration that
 * {@code terway teardown} puts back. Addresses and routes are kept exactly as {@code ip -j} reported them
 * on the NIC (device = {@link #iface}); routes are only those setup carried over itself (not the prefix
 * routes the kernel makes for addresses, nor what it learns from router advertisements).
 *
 * @param nicIpv6 the NIC's IPv6 settings (empty: the kernel has no IPv6, or a record written before they
 *                were recorded); setup turns IPv6 off on the NIC and teardown puts this back
 * @param netns   the network namespace setup bridged (empty: a record written before it was recorded, or
 *                a host that could not tell); no pod may be given it as its namespace
 */
public record SetupRecord(String iface, String bridge, int mtu, String mac, List<IpAddress> addresses,
                          List<Route> routes, Optional<Ipv6Conf> nicIpv6, Optional<BridgedNamespace> netns) {

    public SetupRecord {
        Objects.requireNonNull(iface);
        Objects.requireNonNull(bridge);
        Objects.requireNonNull(mac);
        Objects.requireNonNull(nicIpv6);
        Objects.requireNonNull(netns);
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
    }

    /** A record without the bridged namespace. */
    public SetupRecord(String iface, String bridge, int mtu, String mac, List<IpAddress> addresses,
                       List<Route> routes, Optional<Ipv6Conf> nicIpv6) {
        this(iface, bridge, mtu, mac, addresses, routes, nicIpv6, Optional.empty());
    }

    /** A record without IPv6 settings. */
    public SetupRecord(String iface, String bridge, int mtu, String mac, List<IpAddress> addresses,
                       List<Route> routes) {
        this(iface, bridge, mtu, mac, addresses, routes, Optional.empty());
    }

    /** This record, saying which namespace was bridged. */
    public SetupRecord withNetns(Optional<BridgedNamespace> bridged) {
        return new SetupRecord(iface, bridge, mtu, mac, addresses, routes, nicIpv6, bridged);
    }

    /**
     * The namespace setup bridged, if it was recorded during the boot {@code bootId}. Namespace identities
     * are valid for one boot only: the nsfs device and the inode numbers of the namespaces made after start
     * are handed out anew at every boot, so one from an earlier boot could name a pod's namespace now.
     */
    public Optional<NetnsIdentity> bridgedNamespace(String bootId) {
        return netns.filter(n -> n.bootId().equals(bootId)).map(BridgedNamespace::identity);
    }

    /** Whether the kernel learnt IPv6 configuration from router advertisements on the NIC. */
    public boolean nicLearnsRa() {
        return nicIpv6.map(Ipv6Conf::kernelAcceptsRa).orElse(false);
    }

    /**
     * The network namespace `terway setup` bridged: its identity and the boot it is valid for
     * ({@code /proc/sys/kernel/random/boot_id}).
     */
    public record BridgedNamespace(NetnsIdentity identity, String bootId) {

        public static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

        public BridgedNamespace {
            Objects.requireNonNull(identity);
            Objects.requireNonNull(bootId);
        }

        /** The namespace this process runs in (the one its commands change), now; empty without /proc. */
        public static Optional<BridgedNamespace> current() {
            Optional<String> boot = thisBoot();
            return boot.flatMap(b -> NetnsIdentity.own().map(id -> new BridgedNamespace(id, b)));
        }

        /** This boot's id; empty without /proc. */
        public static Optional<String> thisBoot() {
            try {
                String id = Files.readString(BOOT_ID).strip();
                return id.isEmpty() ? Optional.empty() : Optional.of(id);
            } catch (IOException e) {
                return Optional.empty();
            }
        }
    }
}

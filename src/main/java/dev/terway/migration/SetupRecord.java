package dev.terway.migration;

import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Conf;
import dev.terway.netstate.Route;
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
 */
public record SetupRecord(String iface, String bridge, int mtu, String mac, List<IpAddress> addresses,
                          List<Route> routes, Optional<Ipv6Conf> nicIpv6) {

    public SetupRecord {
        Objects.requireNonNull(iface);
        Objects.requireNonNull(bridge);
        Objects.requireNonNull(mac);
        Objects.requireNonNull(nicIpv6);
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
    }

    /** A record without IPv6 settings. */
    public SetupRecord(String iface, String bridge, int mtu, String mac, List<IpAddress> addresses,
                       List<Route> routes) {
        this(iface, bridge, mtu, mac, addresses, routes, Optional.empty());
    }

    /** Whether the kernel learnt IPv6 configuration from router advertisements on the NIC. */
    public boolean nicLearnsRa() {
        return nicIpv6.map(Ipv6Conf::kernelAcceptsRa).orElse(false);
    }
}

package dev.terway.migration;

import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Route;
import java.util.List;
import java.util.Objects;

/**
 * What the NIC looked like before {@code terway setup} moved it into the bridge: the configuration that
 * {@code terway teardown} puts back. Addresses and routes are kept exactly as {@code ip -j} reported them
 * on the NIC (device = {@link #iface}).
 */
public record SetupRecord(String iface, String bridge, int mtu, String mac, List<IpAddress> addresses,
                          List<Route> routes) {

    public SetupRecord {
        Objects.requireNonNull(iface);
        Objects.requireNonNull(bridge);
        Objects.requireNonNull(mac);
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
    }
}

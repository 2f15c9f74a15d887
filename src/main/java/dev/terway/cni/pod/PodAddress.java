package dev.terway.cni.pod;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.result.Dns;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The address a pod interface gets, wherever it came from (a DHCP lease, a delegated IPAM plugin, or an
 * operator's pinned address), with what the source said about routing and DNS.
 *
 * @param router   the gateway the source named (DHCP option 3, IPAM "gateway"); absent means the node's
 * @param routes   routes the source named (DHCP option 121, IPAM "routes"); a route without gateway is on-link
 * @param lifetime seconds the address stays valid (a lease's remaining time); absent means forever
 * @param mtu      the interface MTU the source named (DHCP option 26); absent means the bridge's
 */
public record PodAddress(Ipv4Cidr cidr, Optional<Ipv4> router, List<SourceRoute> routes, Dns dns,
                         OptionalLong lifetime, OptionalInt mtu) {

    public PodAddress {
        Objects.requireNonNull(cidr, "cidr");
        routes = List.copyOf(routes);
        Objects.requireNonNull(mtu, "mtu");
    }

    /** An address whose source named no MTU. */
    public PodAddress(Ipv4Cidr cidr, Optional<Ipv4> router, List<SourceRoute> routes, Dns dns,
                      OptionalLong lifetime) {
        this(cidr, router, routes, dns, lifetime, OptionalInt.empty());
    }

    /** A route as the address source gave it. */
    public record SourceRoute(Ipv4Cidr destination, Optional<Ipv4> gateway) {
    }
}

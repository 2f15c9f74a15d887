package dev.terway.dhcp.daemon;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the pod's network configuration adds to its lease, kept with the lease so that the daemon can give the
 * pod after a renewal, a loss or a restart exactly what ADD gave it: the bridge the pod is on (whose address
 * the service routes go through, and whose MTU bounds the pod's), the service networks (CIDR text), and the
 * MTU the configuration set ({@code mtu}; absent: the bridge's), and the IPv6 settings ADD gave the pod's
 * interface ({@code ipv6}: their name, {@code cni.pod.PodIpv6.Settings#name}; absent when ADD left them alone), so
 * that the upkeep keeps the pod's IPv6 service route and settings too, also for a pod whose IPv6 is SLAAC only and
 * so has no DHCPv6 lease of its own to hang them on. The DHCP side stores and hands it back, never reads it.
 */
public record PodNetworkConfig(String bridge, List<String> serviceCidrs, OptionalInt mtu, Optional<String> ipv6) {

    public PodNetworkConfig {
        Objects.requireNonNull(bridge, "bridge");
        serviceCidrs = List.copyOf(serviceCidrs);
        Objects.requireNonNull(mtu, "mtu");
        Objects.requireNonNull(ipv6, "ipv6");
    }

    /** A pod whose interface's IPv6 settings ADD left alone (IPv4-only). */
    public PodNetworkConfig(String bridge, List<String> serviceCidrs, OptionalInt mtu) {
        this(bridge, serviceCidrs, mtu, Optional.empty());
    }
}

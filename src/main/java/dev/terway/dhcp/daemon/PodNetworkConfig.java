package dev.terway.dhcp.daemon;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What the pod's network configuration adds to its lease, kept with the lease so that the daemon can give the
 * pod after a renewal, a loss or a restart exactly what ADD gave it: the bridge the pod is on (whose address
 * the service routes go through, and whose MTU bounds the pod's), the service networks (CIDR text), and the
 * MTU the configuration set ({@code mtu}; absent: the bridge's). The DHCP side stores and hands it back, never
 * reads it.
 */
public record PodNetworkConfig(String bridge, List<String> serviceCidrs, OptionalInt mtu) {

    public PodNetworkConfig {
        Objects.requireNonNull(bridge, "bridge");
        serviceCidrs = List.copyOf(serviceCidrs);
        Objects.requireNonNull(mtu, "mtu");
    }
}

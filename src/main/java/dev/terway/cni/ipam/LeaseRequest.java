package dev.terway.cni.ipam;

import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.daemon.PodNetworkConfig;
import dev.terway.net.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A pod interface asking the DHCP daemon for a lease, with the pod identity from CNI_ARGS and the network
 * configuration's {@code onAddressChange}, and what the configuration adds to the lease for the pod ({@code network}:
 * bridge, service networks, MTU), which the daemon keeps with the lease to keep the pod's network up.
 */
public record LeaseRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                           Optional<String> podName, Optional<Ipv4> requestedAddress, Duration timeout,
                           AddressChangePolicy onAddressChange, Optional<PodNetworkConfig> network) {

    /** A request without the pod's network configuration (the daemon then keeps up the address and the lease's routes only). */
    public LeaseRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                        Optional<String> podName, Optional<Ipv4> requestedAddress, Duration timeout,
                        AddressChangePolicy onAddressChange) {
        this(containerId, netns, ifname, podNamespace, podName, requestedAddress, timeout, onAddressChange,
                Optional.empty());
    }

    /** A request whose pod follows an address change (the default). */
    public LeaseRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                        Optional<String> podName, Optional<Ipv4> requestedAddress, Duration timeout) {
        this(containerId, netns, ifname, podNamespace, podName, requestedAddress, timeout, AddressChangePolicy.FOLLOW);
    }
}

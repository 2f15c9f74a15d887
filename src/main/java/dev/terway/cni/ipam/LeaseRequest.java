package dev.terway.cni.ipam;

import dev.terway.dhcp.client.AddressChangePolicy;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A pod interface asking the DHCP daemon for a lease, with the pod identity from CNI_ARGS and the network
 * configuration's {@code onAddressChange}.
 */
public record LeaseRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                           Optional<String> podName, Optional<Inet4Address> requestedAddress, Duration timeout,
                           AddressChangePolicy onAddressChange) {

    /** A request whose pod follows an address change (the default). */
    public LeaseRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                        Optional<String> podName, Optional<Inet4Address> requestedAddress, Duration timeout) {
        this(containerId, netns, ifname, podNamespace, podName, requestedAddress, timeout, AddressChangePolicy.FOLLOW);
    }
}

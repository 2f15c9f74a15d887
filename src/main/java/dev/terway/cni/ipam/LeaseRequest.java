package dev.terway.cni.ipam;

import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** A pod interface asking the DHCP daemon for a lease, with the pod identity from CNI_ARGS. */
public record LeaseRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                           Optional<String> podName, Optional<Inet4Address> requestedAddress, Duration timeout) {
}

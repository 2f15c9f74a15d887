package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.InterfaceName;
import dev.terway.net.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a pod interface needs a lease for. {@code clientId} and {@code hostname} override the defaults
 * derived from the pod identity (see {@link PodIdentity}); {@code requestedAddress} is asked for in the
 * DISCOVER (option 50) and the server may ignore it. {@code onAddressChange}: what the daemon does when this
 * lease is lost later and the server grants another address in its place. {@code network}: what the pod's
 * network configuration adds, kept with the lease for the daemon's upkeep of the pod (see {@link LeaseEvents}).
 */
public record AcquireRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                             Optional<String> podName, Optional<Ipv4> requestedAddress,
                             Optional<String> clientId, Optional<String> hostname, Duration timeout,
                             AddressChangePolicy onAddressChange, Optional<PodNetworkConfig> network) {

    /** A request without the pod's network configuration (the socket API's {@code acquire}). */
    public AcquireRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                          Optional<String> podName, Optional<Ipv4> requestedAddress,
                          Optional<String> clientId, Optional<String> hostname, Duration timeout,
                          AddressChangePolicy onAddressChange) {
        this(containerId, netns, ifname, podNamespace, podName, requestedAddress, clientId, hostname, timeout,
                onAddressChange, Optional.empty());
    }

    public AcquireRequest {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(ifname, "ifname");
        Objects.requireNonNull(podNamespace, "podNamespace");
        Objects.requireNonNull(podName, "podName");
        Objects.requireNonNull(requestedAddress, "requestedAddress");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(onAddressChange, "onAddressChange");
        if (containerId.isBlank()) {
            throw new IllegalArgumentException("acquire: the container id is empty");
        }
        String badName = InterfaceName.problem(ifname);
        if (badName != null) {
            throw new IllegalArgumentException("acquire: interface name " + InterfaceName.quoted(ifname)
                    + " is not a valid Linux interface name: it " + badName);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("acquire: timeout must be positive, got " + timeout);
        }
        if (podNamespace.isPresent() != podName.isPresent()) {
            throw new IllegalArgumentException("acquire: pod namespace and pod name must be given together");
        }
    }

    /** A request whose pod follows an address change (the default). */
    public AcquireRequest(String containerId, Path netns, String ifname, Optional<String> podNamespace,
                          Optional<String> podName, Optional<Ipv4> requestedAddress,
                          Optional<String> clientId, Optional<String> hostname, Duration timeout) {
        this(containerId, netns, ifname, podNamespace, podName, requestedAddress, clientId, hostname, timeout,
                AddressChangePolicy.FOLLOW);
    }

    /** A request with only the mandatory parts; the daemon derives client id and host name. */
    public static AcquireRequest of(String containerId, Path netns, String ifname, Duration timeout) {
        return new AcquireRequest(containerId, netns, ifname, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), timeout, AddressChangePolicy.FOLLOW);
    }

    public AcquireRequest withPod(String namespace, String name) {
        return new AcquireRequest(containerId, netns, ifname, Optional.of(namespace), Optional.of(name),
                requestedAddress, clientId, hostname, timeout, onAddressChange, network);
    }

    public AcquireRequest withOnAddressChange(AddressChangePolicy policy) {
        return new AcquireRequest(containerId, netns, ifname, podNamespace, podName, requestedAddress, clientId,
                hostname, timeout, policy, network);
    }

    public AcquireRequest withNetwork(PodNetworkConfig config) {
        return new AcquireRequest(containerId, netns, ifname, podNamespace, podName, requestedAddress, clientId,
                hostname, timeout, onAddressChange, Optional.of(config));
    }

    public PodIdentity identity() {
        return new PodIdentity(containerId, ifname, netns, podNamespace, podName);
    }
}

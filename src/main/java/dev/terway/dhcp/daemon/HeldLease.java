package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.Lease;
import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.net.Ipv4;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A lease the daemon holds for one pod interface: who it is for (and the interface's MAC, the chaddr, as
 * {@code aa:bb:cc:dd:ee:ff}), the client identity it was acquired with, what the pod's network configuration
 * asked for ({@code onAddressChange}, {@code network}: kept with the lease so a restart knows them), and the
 * state machine's {@link Lease} itself, as granted. The accessors below the components read the lease: there
 * is one lease type from the client to the pod.
 */
public record HeldLease(PodIdentity identity, String hardwareAddress, String clientId, Optional<String> hostname,
                        AddressChangePolicy onAddressChange, Optional<PodNetworkConfig> network, Lease lease) {

    public HeldLease {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(hardwareAddress, "hardwareAddress");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(onAddressChange, "onAddressChange");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(lease, "lease");
    }

    public String containerId() {
        return identity.containerId();
    }

    public String ifname() {
        return identity.ifname();
    }

    public Ipv4 address() {
        return lease.address();
    }

    public int prefixLength() {
        return lease.prefixLength();
    }

    /** The router for 0.0.0.0/0 (RFC 3442: from option 121 when the server sent it, else option 3's first). */
    public Optional<Ipv4> gateway() {
        return lease.defaultGateway();
    }

    /** The server identifier (option 54). */
    public Ipv4 server() {
        return lease.serverId();
    }

    public List<Ipv4> dns() {
        return lease.dnsServers();
    }

    public Optional<String> domain() {
        return lease.domainName();
    }

    public List<String> search() {
        return lease.searchDomains();
    }

    /** The classless static routes (option 121), empty when the server sent none. */
    public List<ClasslessRoute> routes() {
        return lease.classlessRoutes();
    }

    /** The interface MTU (option 26) when the server sent one. */
    public OptionalInt mtu() {
        return lease.mtu().map(OptionalInt::of).orElse(OptionalInt.empty());
    }

    public Instant boundAt() {
        return lease.acquiredAt();
    }

    public Duration leaseTime() {
        return lease.leaseTime();
    }

    public Instant renewAt() {
        return lease.renewAt();
    }

    public Instant rebindAt() {
        return lease.rebindAt();
    }

    public Instant expires() {
        return lease.expiresAt();
    }

    /** The address with its prefix, as `ip addr` takes it: {@code 192.168.1.20/24}. */
    public String cidr() {
        return lease.cidr();
    }

    /** Whole seconds left until expiry at {@code now} (0 once expired): the address's valid_lft. */
    public long remainingSeconds(Instant now) {
        return Math.max(0, Duration.between(now, expires()).toSeconds());
    }

    public boolean isExpired(Instant now) {
        return !now.isBefore(expires());
    }

    /** The same holding with another lease from the server (a renewal, a new address). */
    public HeldLease withLease(Lease granted) {
        return new HeldLease(identity, hardwareAddress, clientId, hostname, onAddressChange, network, granted);
    }
}

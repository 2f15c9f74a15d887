package dev.terway.dhcp.daemon;

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
 * {@code aa:bb:cc:dd:ee:ff}), what the server granted and when it
 * must be renewed. {@code gateway} is the first router (option 3); {@code routes} are the classless
 * static routes (option 121) when the server sent them. Times are absolute so a restored lease keeps
 * its schedule.
 */
public record HeldLease(PodIdentity identity, String hardwareAddress, String clientId, Optional<String> hostname,
                        Ipv4 address, int prefixLength, Optional<Ipv4> gateway,
                        Ipv4 server, List<Ipv4> dns, Optional<String> domain,
                        List<String> search, List<ClasslessRoute> routes, OptionalInt mtu,
                        Instant boundAt, Duration leaseTime, Instant renewAt, Instant rebindAt,
                        Instant expires) {

    public HeldLease {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(hardwareAddress, "hardwareAddress");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(server, "server");
        dns = List.copyOf(dns);
        Objects.requireNonNull(domain, "domain");
        search = List.copyOf(search);
        routes = List.copyOf(routes);
        Objects.requireNonNull(mtu, "mtu");
        Objects.requireNonNull(boundAt, "boundAt");
        Objects.requireNonNull(leaseTime, "leaseTime");
        Objects.requireNonNull(renewAt, "renewAt");
        Objects.requireNonNull(rebindAt, "rebindAt");
        Objects.requireNonNull(expires, "expires");
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("lease prefix length " + prefixLength + " is not in 0..32");
        }
    }

    public String containerId() {
        return identity.containerId();
    }

    public String ifname() {
        return identity.ifname();
    }

    /** The address with its prefix, as `ip addr` takes it: {@code 192.168.1.20/24}. */
    public String cidr() {
        return address.toString() + "/" + prefixLength;
    }

    /** Whole seconds left until expiry at {@code now} (0 once expired): the address's valid_lft. */
    public long remainingSeconds(Instant now) {
        return Math.max(0, Duration.between(now, expires).toSeconds());
    }

    public boolean isExpired(Instant now) {
        return !now.isBefore(expires);
    }

    /** The held form of the state machine's lease, for {@code pod} and its client's identity. */
    public static HeldLease of(PodIdentity pod, String mac, String clientId, Optional<String> hostname, Lease lease) {
        return new HeldLease(pod, mac, clientId, hostname, lease.address(), lease.prefixLength(),
                lease.defaultGateway(), lease.serverId(),
                lease.dnsServers(), lease.domainName(),
                lease.searchDomains(), lease.classlessRoutes(),
                lease.mtu().map(OptionalInt::of).orElse(OptionalInt.empty()),
                lease.acquiredAt(), lease.leaseTime(), lease.renewAt(), lease.rebindAt(), lease.expiresAt());
    }

    /** The state machine's lease for this one; option 3 is represented by the gateway it implied. */
    public Lease toClientLease() {
        List<Ipv4> routers = routes.isEmpty()
                ? gateway.map(List::of).orElse(List.of())
                : List.of();
        return new Lease(address, prefixLength, routers,
                server, dns,
                domain, search, routes,
                mtu.isPresent() ? Optional.of(mtu.getAsInt()) : Optional.empty(), Optional.empty(),
                leaseTime, Duration.between(boundAt, renewAt),
                Duration.between(boundAt, rebindAt), boundAt);
    }
}

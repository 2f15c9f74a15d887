package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.net.Ipv4;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An address leased from a server with the configuration that came with it. Times count from
 * {@code acquiredAt}, the moment the REQUEST that got the ACK was first sent (RFC 2131 section
 * 4.4.1: measuring from the request, not the reply, errs on the safe side).
 *
 * <p>{@code routers} is option 3 as sent. RFC 3442 says a client that receives option 121 must ignore
 * option 3; {@link #defaultGateway()} applies that rule.
 */
public record Lease(Ipv4 address, int prefixLength, List<Ipv4> routers, Ipv4 serverId, List<Ipv4> dnsServers,
                    Optional<String> domainName, List<String> searchDomains, List<ClasslessRoute> classlessRoutes,
                    Optional<Integer> mtu, Optional<Ipv4> broadcastAddress, Duration leaseTime,
                    Duration renewalTime, Duration rebindingTime, Instant acquiredAt) {

    public Lease {
        routers = List.copyOf(routers);
        dnsServers = List.copyOf(dnsServers);
        searchDomains = List.copyOf(searchDomains);
        classlessRoutes = List.copyOf(classlessRoutes);
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range 0..32: " + prefixLength);
        }
        if (renewalTime.compareTo(rebindingTime) > 0 || rebindingTime.compareTo(leaseTime) > 0) {
            throw new IllegalArgumentException("lease times must satisfy T1 <= T2 <= lease, got T1=" + renewalTime
                    + " T2=" + rebindingTime + " lease=" + leaseTime);
        }
    }

    /** "192.0.2.10/24". */
    public String cidr() {
        return address + "/" + prefixLength;
    }

    /** The router for 0.0.0.0/0: from option 121 when present (RFC 3442), else the first of option 3. */
    public Optional<Ipv4> defaultGateway() {
        if (!classlessRoutes.isEmpty()) {
            return classlessRoutes.stream().filter(ClasslessRoute::isDefault).map(ClasslessRoute::router).findFirst();
        }
        return routers.stream().findFirst();
    }

    /** Lease time 0xffffffff: the address is ours for good. */
    public boolean infinite() {
        return leaseTime.getSeconds() == DhcpOptions.INFINITE_LEASE;
    }

    public Instant renewAt() {
        return acquiredAt.plus(renewalTime);
    }

    public Instant rebindAt() {
        return acquiredAt.plus(rebindingTime);
    }

    public Instant expiresAt() {
        return acquiredAt.plus(leaseTime);
    }

    /** Time left until expiry, zero once expired. */
    public Duration remaining(Instant now) {
        Duration left = Duration.between(now, expiresAt());
        return left.isNegative() ? Duration.ZERO : left;
    }
}

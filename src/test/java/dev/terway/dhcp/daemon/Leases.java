package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.Lease;
import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.net.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Sample held leases for tests. */
final class Leases {

    static final Instant BOUND = Instant.parse("2030-01-01T00:00:00Z");

    private Leases() {
    }

    /** Every option there is: two routers (option 3), option 121, 26, 28 and DNS. */
    static HeldLease sample(String containerId, String address) {
        Lease lease = new Lease(Ipv4.parse(address, "a"), 24,
                List.of(Ipv4.parse("192.0.2.1", "g"), Ipv4.parse("192.0.2.2", "g")), Ipv4.parse("192.0.2.254", "s"),
                List.of(Ipv4.parse("192.0.2.53", "d")), Optional.of("example.org"), List.of("example.org"),
                List.of(new ClasslessRoute(Ipv4.parse("0.0.0.0", "r"), 0, Ipv4.parse("192.0.2.1", "g")),
                        new ClasslessRoute(Ipv4.parse("198.51.100.0", "r"), 24, Ipv4.parse("0.0.0.0", "g"))),
                Optional.of(1450), Optional.of(Ipv4.parse("192.0.2.255", "b")), Duration.ofSeconds(120),
                Duration.ofSeconds(60), Duration.ofSeconds(105), BOUND);
        return new HeldLease(new PodIdentity(containerId, "eth0", Path.of("/run/netns/" + containerId),
                Optional.of("default"), Optional.of("web-" + containerId)), "02:00:00:00:00:01",
                "terway/default/web/eth0", Optional.of("web"), AddressChangePolicy.FOLLOW, Optional.empty(), lease);
    }

    static HeldLease minimal(String containerId, String address) {
        Lease lease = new Lease(Ipv4.parse(address, "a"), 24, List.of(), Ipv4.parse("192.0.2.254", "s"), List.of(),
                Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.empty(), Duration.ofSeconds(120),
                Duration.ofSeconds(60), Duration.ofSeconds(105), BOUND);
        return new HeldLease(new PodIdentity(containerId, "eth0", Path.of("/run/netns/" + containerId),
                Optional.empty(), Optional.empty()), "02:00:00:00:00:02", "terway/" + containerId + "/eth0",
                Optional.empty(), AddressChangePolicy.FOLLOW, Optional.empty(), lease);
    }

    /** Option 3 only (no option 121): the gateway is the first router. */
    static HeldLease routersOnly(String containerId, String address) {
        HeldLease base = minimal(containerId, address);
        Lease l = base.lease();
        return base.withLease(new Lease(l.address(), l.prefixLength(),
                List.of(Ipv4.parse("192.0.2.1", "g"), Ipv4.parse("192.0.2.3", "g")), l.serverId(), l.dnsServers(),
                l.domainName(), l.searchDomains(), l.classlessRoutes(), l.mtu(), l.broadcastAddress(), l.leaseTime(),
                l.renewalTime(), l.rebindingTime(), l.acquiredAt()));
    }
}

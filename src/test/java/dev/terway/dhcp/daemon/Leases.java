package dev.terway.dhcp.daemon;

import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.net.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Sample held leases for tests. */
final class Leases {

    static final Instant BOUND = Instant.parse("2030-01-01T00:00:00Z");

    private Leases() {
    }

    static HeldLease sample(String containerId, String address) {
        return new HeldLease(new PodIdentity(containerId, "eth0", Path.of("/run/netns/" + containerId),
                Optional.of("default"), Optional.of("web-" + containerId)), "02:00:00:00:00:01",
                "terway/default/web/eth0", Optional.of("web"), Ipv4.parse(address, "a"), 24,
                Optional.of(Ipv4.parse("192.0.2.1", "g")), Ipv4.parse("192.0.2.254", "s"),
                List.of(Ipv4.parse("192.0.2.53", "d")), Optional.of("example.org"), List.of("example.org"),
                List.of(new ClasslessRoute(Ipv4.parse("0.0.0.0", "r"), 0, Ipv4.parse("192.0.2.1", "g")),
                        new ClasslessRoute(Ipv4.parse("198.51.100.0", "r"), 24, Ipv4.parse("0.0.0.0", "g"))),
                OptionalInt.of(1450), BOUND, Duration.ofSeconds(120), BOUND.plusSeconds(60), BOUND.plusSeconds(105),
                BOUND.plusSeconds(120));
    }

    static HeldLease minimal(String containerId, String address) {
        return new HeldLease(new PodIdentity(containerId, "eth0", Path.of("/run/netns/" + containerId),
                Optional.empty(), Optional.empty()), "02:00:00:00:00:02", "terway/" + containerId + "/eth0",
                Optional.empty(), Ipv4.parse(address, "a"), 24, Optional.empty(),
                Ipv4.parse("192.0.2.254", "s"), List.of(), Optional.empty(), List.of(), List.of(),
                OptionalInt.empty(), BOUND, Duration.ofSeconds(120), BOUND.plusSeconds(60), BOUND.plusSeconds(105),
                BOUND.plusSeconds(120));
    }
}

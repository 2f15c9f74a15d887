package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.Ipv4;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/** Turns a DHCPACK into a {@link Lease}, or says why the ACK cannot be used. */
final class LeaseReader {

    /** An ACK that matched this client but lacks what a lease needs. */
    static final class UnusableAck extends Exception {
        UnusableAck(String message) {
            super(message);
        }
    }

    private LeaseReader() {
    }

    static Lease read(DhcpMessage ack, Instant requestSentAt, Optional<Ipv4> knownServer) throws UnusableAck {
        if (ack.yiaddr().isAny()) {
            throw new UnusableAck("no address (yiaddr 0.0.0.0)");
        }
        long seconds = ack.leaseTime().orElseThrow(() -> new UnusableAck("no lease time (option 51)"));
        if (seconds == 0) {
            throw new UnusableAck("lease time 0");
        }
        Ipv4 server = ack.serverId().or(() -> knownServer)
                .orElseThrow(() -> new UnusableAck("no server identifier (option 54)"));
        int prefixLength;
        Optional<Ipv4> mask = ack.subnetMask();
        if (mask.isPresent()) {
            OptionalInt length = mask.get().maskPrefixLength();
            if (length.isEmpty()) {
                throw new UnusableAck("non-contiguous subnet mask " + mask.get());
            }
            prefixLength = length.getAsInt();
        } else {
            prefixLength = classfulPrefix(ack.yiaddr());
        }

        Duration lease = Duration.ofSeconds(seconds);
        // RFC 2131 section 4.4.5 defaults; server values are used only when T1 <= T2 <= lease holds.
        Duration rebind = ack.rebindingTime().filter(t -> t > 0 && t <= seconds).map(Duration::ofSeconds)
                .orElse(Duration.ofMillis(seconds * 875));
        Duration renew = ack.renewalTime().filter(t -> t > 0).map(Duration::ofSeconds)
                .filter(t -> t.compareTo(rebind) <= 0)
                .orElseGet(() -> min(Duration.ofMillis(seconds * 500), rebind));

        return new Lease(ack.yiaddr(), prefixLength, ack.routers(), server, ack.dnsServers(), ack.domainName(),
                ack.domainSearch(), ack.classlessRoutes(), ack.mtu(), ack.broadcastAddress(), lease, renew, rebind,
                requestSentAt);
    }

    /** RFC 1122 section 3.3.1.1: without option 1 fall back to the class of the address. */
    static int classfulPrefix(Ipv4 address) {
        int first = address.octet(0);
        return first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}

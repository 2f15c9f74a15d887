package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DomainNames;
import dev.terway.net.Ipv4;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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

    /** A lease and what had to be left out of it. */
    record Reading(Lease lease, List<String> warnings) {
    }

    static Reading read(DhcpMessage ack, Instant requestSentAt, Optional<Ipv4> knownServer) throws UnusableAck {
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

        // Option 15 is free text on the wire but a resolv.conf line in the pod: only a clean name passes.
        List<String> warnings = new ArrayList<>();
        Optional<String> domain = ack.domainName();
        if (domain.isPresent()) {
            Optional<String> problem = DomainNames.problem(domain.get());
            if (problem.isPresent()) {
                warnings.add("ignoring domain name \"" + domain.get() + "\" (option 15) from " + server + ": it "
                        + problem.get());
                domain = Optional.empty();
            } else {
                domain = domain.map(DomainNames::canonical);
            }
        }
        // Routers must be reachable: on the leased subnet (RFC 2132 3.5: "routers on the client's subnet") or
        // on a network the same option 121 declares on-link (router 0.0.0.0, as /32 leases do for their
        // gateway). A classless route's router is a next hop, so the same holds. One elsewhere could
        // only be installed as "onlink", which would have the pod ARP on the LAN for an address that is
        // not there — or that a rogue host answers for. Such routers are left out, with a warning; the
        // rest of the lease stays usable (the pod falls back to the remaining routes).
        Ipv4 subnet = ack.yiaddr().network(prefixLength);
        List<Ipv4> routers = new ArrayList<>();
        for (Ipv4 router : ack.routers()) {
            if (reachable(router, subnet, prefixLength, ack.classlessRoutes())) {
                routers.add(router);
            } else {
                warnings.add("ignoring router " + router + " (option 3) from " + server + ": it is outside the leased"
                        + " subnet " + subnet + "/" + prefixLength + " and every on-link route");
            }
        }
        List<ClasslessRoute> routes = new ArrayList<>();
        for (ClasslessRoute route : ack.classlessRoutes()) {
            if (route.isOnLink() || reachable(route.router(), subnet, prefixLength, ack.classlessRoutes())) {
                routes.add(route);
            } else {
                warnings.add("ignoring classless route " + route + " (option 121) from " + server + ": its router is"
                        + " outside the leased subnet " + subnet + "/" + prefixLength + " and every on-link route");
            }
        }
        Lease result = new Lease(ack.yiaddr(), prefixLength, List.copyOf(routers), server, ack.dnsServers(), domain,
                ack.domainSearch(), List.copyOf(routes), ack.mtu(), ack.broadcastAddress(), lease, renew, rebind,
                requestSentAt);
        return new Reading(result, List.copyOf(warnings));
    }

    /** On the leased subnet, or inside a network that a classless route declares on-link. */
    private static boolean reachable(Ipv4 router, Ipv4 subnet, int prefixLength, List<ClasslessRoute> routes) {
        if (router.network(prefixLength).equals(subnet)) {
            return true;
        }
        return routes.stream().anyMatch(r -> r.isOnLink() && router.network(r.prefixLength()).equals(r.destination()));
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

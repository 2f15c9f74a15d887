package dev.terway.dhcp.daemon;

import dev.terway.net.Ipv4;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The DHCP servers the daemon's leases heard from since it started: each server identifier (option 54) with
 * the time of its last reply that decided something (an ACK bound or renewed a lease, a NAK ended one) and how
 * many such replies it sent. Bounded by the servers of the LAN, not by the pods.
 */
public final class ServersSeen {

    /** One server: its identifier, last decisive reply, and the count of them. */
    public record Server(Ipv4 address, Instant lastReply, long replies) {
    }

    private final ConcurrentHashMap<Ipv4, Server> servers = new ConcurrentHashMap<>();

    void replied(Ipv4 server, Instant at) {
        servers.merge(server, new Server(server, at, 1), (had, now) -> new Server(server,
                had.lastReply().isAfter(at) ? had.lastReply() : at, had.replies() + 1));
    }

    /** The servers by address. */
    public List<Server> all() {
        return servers.values().stream().sorted(Comparator.comparing(s -> s.address().toString())).toList();
    }
}

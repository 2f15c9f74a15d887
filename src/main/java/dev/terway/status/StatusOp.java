package dev.terway.status;

import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.dhcp.daemon.DhcpLeaseService;
import dev.terway.dhcp.daemon.HeldLease;
import dev.terway.dhcp.daemon.LeaseStatus;
import dev.terway.dhcp.daemon.ServersSeen;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.daemon.Dhcp6LeaseService;
import dev.terway.dhcp6.daemon.HeldLease6;
import dev.terway.dhcp6.daemon.Lease6Status;
import dev.terway.log.LogPod;
import dev.terway.log.LoggedEvent;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv6;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The daemon's {@code status} op (docs/protocol.md): its version and start, the attachments on record beside
 * the socket, every lease (IPv4, then DHCPv6) with its state and the seconds to renewal and expiry, the DHCP
 * servers heard from and the last warnings and errors of its log. Reads only: the answer changes nothing.
 */
public final class StatusOp {

    public static final String OP = "status";

    private final String version;
    private final Instant startedAt;
    private final Clock clock;
    private final Supplier<List<LeaseStatus>> leases;
    private final Supplier<List<ServersSeen.Server>> servers;
    private final AttachmentRecords attachments;
    private final Supplier<List<LoggedEvent>> problems;
    private final Supplier<List<Lease6Status>> leases6;

    /**
     * @param leases   every lease and its state now ({@link DhcpLeaseService#statuses()})
     * @param servers  the DHCP servers heard from ({@link DhcpLeaseService#serversSeen()})
     * @param problems the log's last warnings and errors ({@link dev.terway.log.DaemonLog#recentProblems()})
     */
    public StatusOp(String version, Instant startedAt, Clock clock, Supplier<List<LeaseStatus>> leases,
                    Supplier<List<ServersSeen.Server>> servers, AttachmentRecords attachments,
                    Supplier<List<LoggedEvent>> problems) {
        this(version, startedAt, clock, leases, servers, attachments, problems, List::of);
    }

    /** And the DHCPv6 leases ({@link Dhcp6LeaseService#statuses()}), listed after the IPv4 ones. */
    public StatusOp(String version, Instant startedAt, Clock clock, Supplier<List<LeaseStatus>> leases,
                    Supplier<List<ServersSeen.Server>> servers, AttachmentRecords attachments,
                    Supplier<List<LoggedEvent>> problems, Supplier<List<Lease6Status>> leases6) {
        this.leases6 = leases6;
        this.version = version;
        this.startedAt = startedAt;
        this.clock = clock;
        this.leases = leases;
        this.servers = servers;
        this.attachments = attachments;
        this.problems = problems;
    }

    public RequestHandlers.Builder registerOn(RequestHandlers.Builder handlers) {
        return handlers.register(OP, request -> Response.ok(status().toJson().toString()));
    }

    DaemonStatus status() {
        Instant now = clock.instant();
        List<String> unreadable = new ArrayList<>();
        List<DaemonStatus.Attachment> attached = new ArrayList<>();
        for (AttachmentRecord r : attachments.all(unreadable::add)) {
            attached.add(new DaemonStatus.Attachment(r.containerId(), r.ifname(), r.hostVeth(), r.bridge(), r.address()));
        }
        List<DaemonStatus.Lease> held = new ArrayList<>();
        for (LeaseStatus s : leases.get()) {
            held.add(lease(s, now));
        }
        for (Lease6Status s : leases6.get()) {
            held.add(lease6(s, now));
        }
        List<DaemonStatus.Server> heard = new ArrayList<>();
        for (ServersSeen.Server s : servers.get()) {
            heard.add(new DaemonStatus.Server(s.address().toString(), s.lastReply(), s.replies()));
        }
        List<DaemonStatus.Problem> recent = new ArrayList<>();
        for (LoggedEvent e : problems.get()) {
            recent.add(new DaemonStatus.Problem(e.time(), e.event().level().text(), e.event().event(),
                    e.event().pod().map(LogPod::containerId), e.event().message()));
        }
        // An attachment record the daemon cannot read is a problem of its own, though the log said it already.
        for (String u : unreadable) {
            recent.add(new DaemonStatus.Problem(now, "error", "attachment.record_unreadable", Optional.empty(), u));
        }
        return new DaemonStatus(version, startedAt, now, attached, held, heard, recent);
    }

    static DaemonStatus.Lease lease(LeaseStatus s, Instant now) {
        Optional<HeldLease> h = s.held();
        return new DaemonStatus.Lease(s.pod().containerId(), s.pod().ifname(), s.pod().podNamespace(),
                s.pod().podName(), DaemonStatus.Lease.IPV4, s.state(), h.map(HeldLease::cidr),
                h.map(l -> l.server().toString()),
                h.map(HeldLease::renewAt), h.map(l -> Duration.between(now, l.renewAt()).toSeconds()),
                h.map(HeldLease::expires), h.map(l -> Duration.between(now, l.expires()).toSeconds()), s.lost(),
                s.lostAddress().map(Ipv4::toString), s.lastFailure());
    }

    /** A DHCPv6 lease in the same shape: the address without a prefix, the server as its DUID. */
    static DaemonStatus.Lease lease6(Lease6Status s, Instant now) {
        Optional<IaNaLease> h = s.held().map(HeldLease6::lease);
        return new DaemonStatus.Lease(s.pod().containerId(), s.pod().ifname(), s.pod().podNamespace(),
                s.pod().podName(), DaemonStatus.Lease.IPV6, s.state(), h.map(l -> l.address().toString()),
                h.map(l -> l.server().toString()),
                h.map(IaNaLease::renewAt), h.map(l -> Duration.between(now, l.renewAt()).toSeconds()),
                h.map(IaNaLease::expiresAt), h.map(l -> Duration.between(now, l.expiresAt()).toSeconds()), s.lost(),
                s.lostAddress().map(Ipv6::toString), s.lastFailure());
    }
}

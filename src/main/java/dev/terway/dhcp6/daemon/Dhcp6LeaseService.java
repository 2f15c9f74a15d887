package dev.terway.dhcp6.daemon;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.dhcp.daemon.LeaseStatistics;
import dev.terway.dhcp.daemon.LeaseTally;
import dev.terway.dhcp.daemon.LeaseTimer;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp.store.LeaseStore;
import dev.terway.dhcp6.client.Dhcp6Client;
import dev.terway.dhcp6.client.Dhcp6ClientState;
import dev.terway.dhcp6.client.Dhcp6ExchangeOutcome;
import dev.terway.dhcp6.client.Dhcp6LossReason;
import dev.terway.dhcp6.client.Retransmission;
import dev.terway.jni.NetnsUdp6Socket;
import dev.terway.log.EventLog;
import dev.terway.log.LogPod;
import dev.terway.net.Ipv6;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The daemon's DHCPv6 leases (the CNI verbs reach them through {@code cni.ipam.DaemonDhcp6Gateway}, the
 * {@code Dhcp6Gateway} of the daemon,
         as the IPv4 leases through {@code DaemonLeaseGateway}): one {@link Pod6Lease} per pod
 * interface (its {@link dev.terway.dhcp6.client.Dhcp6Client}, timer and socket), leases stored in the
 * {@link LeaseStore} before they are reported ({@link LeaseStore#openDhcp6}: beside the IPv4 leases), taken up
 * again by {@link #restoreAll()} after a restart, released on {@link #release}. Like the IPv4 service, the pod's
 * socket is open only during an exchange, so a held lease costs no thread or descriptor between renewals.
 *
 * <p>The DUID of a pod interface is a DUID-UUID of its container id and interface name
 * ({@link dev.terway.dhcp6.codec.Duid#forAttachment}) and its IAID is fixed ({@link #IAID}): one IA_NA per
 * pod interface, the same after a restart or a re-ADD of the same attachment.
 */
public final class Dhcp6LeaseService implements AutoCloseable {

    /** The IAID of every pod interface's one IA_NA: the DUID already tells the interfaces apart. */
    public static final long IAID = 1;

    /**
     * How the clients behave. {@code solicit}/{@code request}: RFC 8415's retransmission with a LAN's first wait
     * (the first SOLICIT wait is how long ADVERTISEs are collected, which every ADD pays); {@code defaultTimeout}:
     * for re-acquiring after a loss; {@code reacquireRetry}: the pause after a failed re-acquisition;
     * {@code linkLocalWait}: how long an exchange waits for the pod's link-local address to pass DAD.
     */
    public record Settings(Retransmission solicit, Retransmission request, Duration defaultTimeout,
                           Duration reacquireRetry, Duration linkLocalWait) {

        public static Settings lan(Duration defaultTimeout) {
            return new Settings(
                    new Retransmission(Duration.ofMillis(250), Duration.ofSeconds(3600), 0, Duration.ZERO),
                    new Retransmission(Duration.ofMillis(250), Duration.ofSeconds(30), 10, Duration.ZERO),
                    defaultTimeout, Duration.ofSeconds(30), Duration.ofSeconds(5));
        }
    }

    /**
     * Since the daemon started: messages sent and received by type (`terway dhcp stats`), and how exchanges ended,
     * leases lost by reason, late renewals and leases restored, which `terway dhcp stats` prints and the metrics read
     * ({@link Lease6Statistics}).
     */
    static final class Counters
            extends LeaseTally<Dhcp6ExchangeOutcome.Exchange, Dhcp6ExchangeOutcome.Result, Dhcp6LossReason>
            implements Lease6Statistics {

        private final ConcurrentHashMap<String, AtomicLong> counts = new ConcurrentHashMap<>();

        Counters() {
            super(Dhcp6ExchangeOutcome.Exchange.class, Dhcp6ExchangeOutcome.Result.class, Dhcp6LossReason.class);
        }

        void count(String name) {
            counts.computeIfAbsent(name, n -> new AtomicLong()).incrementAndGet();
        }

        void exchanged(Dhcp6ExchangeOutcome outcome) {
            exchanged(outcome.exchange(), outcome.result());
        }

        Map<String, Long> snapshot() {
            Map<String, Long> out = new LinkedHashMap<>();
            for (String type : List.of("Solicit", "Advertise", "Request", "Confirm", "Renew", "Rebind", "Reply",
                    "Release", "Decline")) {
                for (String way : List.of("Sent", "Received")) {
                    AtomicLong n = counts.get("dhcp6" + type + way);
                    if (n != null) {
                        out.put("dhcp6" + type + way, n.get());
                    }
                }
            }
            counts.forEach((name, n) -> out.putIfAbsent(name, n.get()));
            out.put("dhcp6RenewalsLate", renewalsLate());
            out.put("dhcp6RenewalsMissed", renewalsMissed());
            out.put("dhcp6LeasesLostExpired", leasesLost(Dhcp6LossReason.EXPIRED));
            out.put("dhcp6LeasesLostNotOnLink", leasesLost(Dhcp6LossReason.NOT_ON_LINK));
            out.put("dhcp6LeasesLostWithdrawn", leasesLost(Dhcp6LossReason.WITHDRAWN));
            out.put("dhcp6LeasesLostAddressChanged", leasesLost(Dhcp6LossReason.ADDRESS_CHANGED));
            out.put("dhcp6LeasesRestored", leasesRestored());
            return out;
        }
    }

    final Settings settings;
    final LeaseStore store;
    final Pod6Socket.Factory sockets;
    final Dhcp6LeaseEvents events;
    final Executor eventExecutor;
    final ExecutorService receivers;
    final LeaseTimer timer;
    final Clock clock;
    final EventLog log;
    final SecureRandom seeds = new SecureRandom();
    final Counters counters = new Counters();
    final ConcurrentHashMap<LeaseKey, Pod6Lease> pods = new ConcurrentHashMap<>();
    volatile LeaseStatistics.Timings timings = LeaseStatistics.Timings.NONE;
    private volatile boolean closed;
    private volatile Supplier<Optional<String>> nodeLink = Optional::empty;

    /** The daemon's own network namespace, where a RELEASE for a pod whose netns is gone is sent from. */
    static final Path OWN_NETNS = Path.of("/proc/self/ns/net");

    public Dhcp6LeaseService(Settings settings, LeaseStore store, Pod6Socket.Factory sockets, Dhcp6LeaseEvents events,
                             Executor eventExecutor, ExecutorService receivers, LeaseTimer timer, Clock clock,
                             EventLog log) {
        this.settings = settings;
        this.store = store;
        this.sockets = sockets;
        this.events = events;
        this.eventExecutor = eventExecutor;
        this.receivers = receivers;
        this.timer = timer;
        this.clock = clock;
        this.log = log;
    }

    /**
     * Leases an address for the pod interface and keeps it until {@link #release}; returns once the REPLY is
     * bound and stored, or throws with the client's report after {@code timeout}. Acquiring again for an
     * interface that holds a lease returns the held lease.
     */
    public HeldLease6 acquire(PodIdentity pod, Duration timeout) throws Dhcp6LeaseException {
        return acquire(pod, timeout, Set.of());
    }

    /**
     * The pod's duplicate address detection found {@code address}, its lease's, in use by another node: sends
     * DECLINE for it (RFC 8415 §18.2.8), logs and counts the conflict ({@code dhcp6AddressConflicts}), and
     * acquires again within {@code timeout}, never taking an address of {@code declined} (this one and those the
     * same ADD declined before). Throws, naming the declined addresses, when no other address came in time.
     *
     * @param why what the pod saw, for the log ("duplicate address detection failed")
     */
    public HeldLease6 decline(PodIdentity pod, Ipv6 address, Set<Ipv6> declined, String why, Duration timeout)
            throws Dhcp6LeaseException {
        LeaseKey key = new LeaseKey(pod.containerId(), pod.ifname());
        Pod6Lease had = pods.get(key);
        Optional<HeldLease6> held = had == null ? Optional.empty() : had.snapshot();
        if (held.isPresent() && held.get().lease().address().equals(address) && pods.remove(key, had)) {
            had.decline();
        }
        counters.count("dhcp6AddressConflicts");
        Set<Ipv6> avoid = new HashSet<>(declined);
        avoid.add(address);
        log.warn("lease6.conflict", pod.logPod(), "address conflict: " + pod.describe() + " was given " + address
                + " by DHCPv6 server " + held.map(h -> h.lease().server().toString()).orElse("(unknown)") + ", but "
                + why + "; declined it (DECLINE) and soliciting again (" + counters.snapshot()
                .getOrDefault("dhcp6AddressConflicts", 0L) + " DHCPv6 address conflict(s) since the daemon started)",
                "address", address.toString());
        try {
            return acquire(pod, timeout, avoid);
        } catch (Dhcp6LeaseException e) {
            throw new Dhcp6LeaseException("declined " + avoid.stream().map(Ipv6::toString).sorted()
                    .collect(Collectors.joining(", ")) + " (" + why + ") and no other DHCPv6 address came in time: "
                    + e.getMessage(), e);
        }
    }

    private HeldLease6 acquire(PodIdentity pod, Duration timeout, Set<Ipv6> avoid) throws Dhcp6LeaseException {
        if (closed) {
            throw new Dhcp6LeaseException("cannot acquire a DHCPv6 lease for " + pod.interfaceDescription()
                    + ": the daemon is shutting down");
        }
        LeaseKey key = new LeaseKey(pod.containerId(), pod.ifname());
        Pod6Lease fresh = new Pod6Lease(this, pod, true);
        fresh.avoid(avoid);
        Pod6Lease existing = pods.putIfAbsent(key, fresh);
        Pod6Lease lease = existing != null ? existing : fresh;
        try {
            if (existing == null) {
                fresh.begin(timeout);
            }
            return lease.await(timeout.plus(Duration.ofSeconds(2)));
        } catch (Dhcp6LeaseException e) {
            if (existing == null) {
                fresh.forget(true);
            }
            throw e;
        }
    }

    /** Sends RELEASE for the interface's lease and forgets it; false when none was held. */
    public boolean release(String containerId, String ifname) {
        return releaseLease(containerId, ifname).isPresent();
    }

    /** Sends RELEASE for the interface's lease and forgets it; the lease that was held, if any. */
    public Optional<HeldLease6> releaseLease(String containerId, String ifname) {
        Pod6Lease pod = pods.remove(new LeaseKey(containerId, ifname));
        return pod == null ? Optional.empty() : pod.release();
    }

    /** The pod interfaces holding a DHCPv6 lease now (for GC). */
    public Set<LeaseKey> held() {
        Set<LeaseKey> held = new HashSet<>();
        for (Pod6Lease pod : pods.values()) {
            pod.snapshot().ifPresent(l -> held.add(new LeaseKey(l.identity().containerId(), l.identity().ifname())));
        }
        return held;
    }

    /** Every lease held now, by container id and interface. */
    public List<HeldLease6> list() {
        List<HeldLease6> held = new ArrayList<>();
        for (Pod6Lease pod : pods.values()) {
            pod.snapshot().ifPresent(held::add);
        }
        held.sort(Comparator.comparing((HeldLease6 l) -> l.identity().containerId())
                .thenComparing(l -> l.identity().ifname()));
        return held;
    }

    /** Every pod interface's DHCPv6 lease and its state now, for `terway status`. */
    public List<Lease6Status> statuses() {
        List<Lease6Status> all = new ArrayList<>();
        for (Pod6Lease pod : pods.values()) {
            pod.status().ifPresent(all::add);
        }
        all.sort(Comparator.comparing((Lease6Status l) -> l.pod().containerId()).thenComparing(l -> l.pod().ifname()));
        return all;
    }

    /** DHCPv6 messages sent and received since the start, by type ({@code dhcp6RenewSent}, …). */
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    /** What the service counted since the start, read when asked (the metrics' {@code family="ipv6"}). */
    public Lease6Statistics statistics() {
        return counters;
    }

    /**
     * The pod interfaces that hold a lease now, by the state of their client (BOUND, RENEWING, REBINDING,
     * CONFIRMING after a restart, REQUESTING after NoBinding); read without the pods' locks, for the metrics.
     */
    public Map<Dhcp6ClientState, Long> clientsByState() {
        Map<Dhcp6ClientState, Long> states = new EnumMap<>(Dhcp6ClientState.class);
        for (Pod6Lease pod : pods.values()) {
            Dhcp6ClientState state = pod.heldState();
            if (state != null) {
                states.merge(state, 1L, Long::sum);
            }
        }
        return states;
    }

    /** Where each ADD's time to its DHCPv6 lease is reported (the metrics' histogram); set before acquiring. */
    public void reportTimingsTo(LeaseStatistics.Timings sink) {
        timings = sink;
    }

    /**
     * Where a RELEASE for a pod whose netns is gone leaves from: a link of the daemon's own namespace on the pods'
     * LAN (the bridge), from its link-local address and port 546. A server knows the client by its DUID and IAID,
     * not by the source address (dnsmasq, checked in the lab), so the node can give the pod's address back for
     * it. Empty: such leases are only forgotten. Set before {@link #restoreAll}.
     */
    public void releaseGoneFrom(Supplier<Optional<String>> link) {
        this.nodeLink = link;
    }

    /**
     * Takes up every stored DHCPv6 lease after a start: CONFIRM before T1, REBIND past it (see
     * {@link dev.terway.dhcp6.client.Dhcp6Client#restore}); a lease whose netns is gone is released from the node
     * ({@link #releaseGoneFrom}) and forgotten. Returns the number taken up.
     */
    public int restoreAll() throws IOException {
        int restored = 0;
        for (LeaseStore.Loaded<Lease6Json.Stored> stored : store.loadAll(Lease6Json::fromStoredJson)) {
            HeldLease6 lease = stored.value().lease();
            PodIdentity pod = lease.identity();
            if (stored.value().firstRequest()) {
                releaseUnanswered(lease);
                delete(stored.key());
                continue;
            }
            if (!Files.exists(pod.netns())) {
                releaseFromNode(lease, "DHCPv6 lease of " + lease.describe() + " (its netns " + pod.netns()
                        + " is gone)");
                delete(stored.key());
                continue;
            }
            Pod6Lease keeper = new Pod6Lease(this, pod, false);
            if (pods.putIfAbsent(stored.key(), keeper) == null) {
                keeper.restore(lease);
                restored++;
            }
        }
        counters.restored(restored);
        return restored;
    }

    /**
     * A first REQUEST on record whose REPLY was never stored (the daemon stopped in between): the ADD that
     * asked got no lease, but the server may have bound the address to the pod's DUID. One RELEASE from the pod's
     * link-local address while its netns is there; otherwise one from the node ({@link #releaseGoneFrom}).
     */
    private void releaseUnanswered(HeldLease6 request) {
        PodIdentity pod = request.identity();
        String what = "the DHCPv6 REQUEST of " + pod.describe() + " for " + request.lease().address()
                + " (the daemon stopped before its answer was stored)";
        if (!Files.exists(pod.netns())) {
            releaseFromNode(request, what + " (its netns " + pod.netns() + " is gone)");
            return;
        }
        byte[] release = Dhcp6Client.releaseMessage(request.duid(), IAID,
                request.lease().address(), request.lease().server(), seeds.nextInt()).encode();
        try (Pod6Socket socket = sockets.open(pod.netns(), pod.ifname(), settings.linkLocalWait())) {
            socket.send(release, release.length, NetnsUdp6Socket.ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
                    Pod6Lease.SERVER_PORT);
            counters.count("dhcp6ReleaseSent");
            counters.exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.RELEASE,
                    Dhcp6ExchangeOutcome.Result.SENT));
            log.info("lease6.released", pod.logPod(), "released " + what, "address",
                    request.lease().address().toString(), "server", request.lease().server().toString());
        } catch (IOException | RuntimeException e) {
            log.warn("lease6.release_unsent", pod.logPod(), "could not release " + what + ": " + e.getMessage());
        }
    }

    /**
     * One RELEASE of {@code lease} from the node ({@link #releaseGoneFrom}) for a pod whose netns is gone; without a
     * node link, or when it cannot be sent, the lease is only forgotten and the server frees the address when its
     * valid lifetime ends.
     */
    void releaseFromNode(HeldLease6 lease, String what) {
        PodIdentity pod = lease.identity();
        Optional<String> link;
        try {
            link = nodeLink.get();
        } catch (RuntimeException e) {
            link = Optional.empty();
        }
        if (link.isEmpty()) {
            log.info("lease6.forgotten", pod.logPod(), "forgot " + what + ": no link of the node to send its RELEASE"
                    + " from; the server frees it when its valid lifetime ends");
            return;
        }
        byte[] release = Dhcp6Client.releaseMessage(lease.duid(), IAID, lease.lease().address(),
                lease.lease().server(), seeds.nextInt()).encode();
        try (Pod6Socket socket = sockets.open(OWN_NETNS, link.get(), settings.linkLocalWait())) {
            socket.send(release, release.length, NetnsUdp6Socket.ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
                    Pod6Lease.SERVER_PORT);
            counters.count("dhcp6ReleaseSent");
            log.info("lease6.released", pod.logPod(), "released " + what + " from the node's " + link.get(),
                    "address", lease.lease().address().toString(), "server", lease.lease().server().toString());
        } catch (IOException | RuntimeException e) {
            log.warn("lease6.release_unsent", pod.logPod(), "could not release " + what + " from the node's "
                    + link.get() + ": " + e.getMessage() + "; the server frees it when its valid lifetime ends");
        }
    }

    void saveFirstRequest(LeaseKey key, HeldLease6 request) {
        ObjectNode mark = Lease6Json.toJson(request);
        mark.put(Lease6Json.FIRST_REQUEST, true);
        try {
            store.save(key, mark);
        } catch (IOException e) {
            log.warn("lease6.store_problem", request.identity().logPod(), "could not record the DHCPv6 REQUEST of "
                    + request.identity().describe() + " (if the daemon"
                    + " stops before the answer, the server keeps the address until it expires): " + e.getMessage());
        }
    }

    /** Stops every client without a word to the servers; the leases stay on disk for the next start. */
    @Override
    public void close() {
        closed = true;
        pods.values().forEach(Pod6Lease::stop);
    }

    // ---- for Pod6Lease ----

    boolean save(LeaseKey key, HeldLease6 lease) {
        try {
            store.save(key, Lease6Json.toJson(lease));
            return true;
        } catch (IOException e) {
            log.warn("lease6.store_problem", lease.identity().logPod(), "could not save the DHCPv6 lease of "
                    + lease.identity().describe() + " (it is held, but a"
                    + " restart would not know it): " + e.getMessage());
            return false;
        }
    }

    void delete(LeaseKey key) {
        try {
            store.delete(key);
        } catch (IOException e) {
            log.warn("lease6.store_problem", LogPod.of(key.containerId(), key.ifname()),
                    "could not delete the stored DHCPv6 lease of " + key + ": " + e.getMessage());
        }
    }

    /**
     * Runs a lease event of {@code pod} off the pod's lock, in order; dropped while shutting down (the next start
     * reconciles).
     */
    void emit(LogPod pod, Runnable event) {
        try {
            eventExecutor.execute(() -> {
                try {
                    event.run();
                } catch (RuntimeException e) {
                    log.warn("lease6.event_failed", pod, "DHCPv6 lease event failed: " + e);
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }
}

package dev.terway.dhcp.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.ClientState;
import dev.terway.dhcp.client.Lease;
import dev.terway.dhcp.client.RetransmitPolicy;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp.store.LeaseStore;
import dev.terway.log.EventLog;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * The daemon's leases: one {@link dev.terway.dhcp.client.DhcpClient} state machine per pod interface, driven by a timer
 * (T1, T2, expiry, retransmissions) and by a receive loop that runs only while an exchange is under
 * way. The pod's socket (port 68 on the pod interface, inside its netns) is opened for an exchange and
 * closed once the client is BOUND again, so 200 held leases cost 200 small objects and no threads or
 * descriptors between renewals.
 *
 * <p>Every event of one pod (API call, timer, datagram) runs under that pod's lock, which is what the
 * non-thread-safe client needs. Lease changes are persisted in the {@link LeaseStore} before they are
 * reported, so a daemon killed at any moment finds every lease again on start ({@link #restoreAll()}).
 * The pod's network follows the lease through the {@link LeaseEvents} it is told, off the pod's lock (except that a lost
 * address comes off before the client asks for it again; see {@link PodLease#lost}).
 *
 * <p>A lease that is lost (a DHCPNAK on renewal from a server that lost its database, expiry) is acquired
 * again asking for the same address; if the server grants another one, the pod's {@code onAddressChange}
 * policy decides ({@link AddressChangePolicy}), the change is logged as a warning naming the pod, the old and
 * the new address, and reported to {@link #reportAddressChangesTo the record keeper}.
 *
 * <p>With an ARP probe configured ({@link Settings#arpProbe()}), an acknowledged address is probed from
 * the pod's interface before it is bound (RFC 2131 section 4.4.1): the pod's ARP socket is open only while
 * the client is PROBING, and the ARP packets that arrived are read whenever the client's timer fires (at
 * each probe and at the verdict), so a conflict is seen within one probe interval without a thread of its
 * own. A declined address is logged as a warning and counted ({@link #counters()}).
 *
 * <p>The work is split by concern: {@link PodLease} handles one pod's lease and the events it emits,
 * {@link PodExchange} the exchange over the pod's sockets, {@link LeaseRecords} the leases on record.
 */
public final class DhcpLeaseService implements LeaseService, AutoCloseable {

    /** Server port: requests go to 67. */
    static final int SERVER_PORT = PodExchange.SERVER_PORT;
    /** How long the socket stays open after the last transmission ({@link PodExchange#LISTEN_WINDOW}). */
    static final Duration LISTEN_WINDOW = PodExchange.LISTEN_WINDOW;
    /** Room above the client's own deadline before an acquire caller stops waiting on it. */
    private static final Duration ACQUIRE_GRACE = Duration.ofSeconds(2);
    /** How long a lost lease's DISCOVER waits for the old address to come off the pod (see {@link PodLease#lost}). */
    static final Duration REMOVAL_WAIT = LeaseEventQueue.REMOVAL_WAIT;

    /**
     * How the clients behave. {@code retransmit}: back-off for DISCOVER/REQUEST, short because a LAN
     * server answers in milliseconds; {@code defaultTimeout}: acquire timeout when a request gives none,
     * and for re-acquiring after a loss; {@code reacquireRetry}: pause before trying again after a
     * re-acquisition failed; {@code arpProbe}: how long an acknowledged address is probed with
     * {@code arpProbes} ARP probes before it is bound (zero: not probed); {@code declineWait}: the wait
     * after a DHCPDECLINE before discovering again.
     */
    public record Settings(RetransmitPolicy retransmit, Duration defaultTimeout, Duration minRenewRetransmit,
                           int maxRequests, Duration reacquireRetry, Duration arpProbe, int arpProbes,
                           Duration declineWait) {

        /** RFC 5227's PROBE_NUM. */
        public static final int ARP_PROBES = 3;

        /** LAN timings without an ARP probe; see {@link #withArpProbe}. */
        public static Settings lan(Duration defaultTimeout) {
            return new Settings(new RetransmitPolicy(Duration.ofMillis(250), Duration.ofSeconds(4), 0.25),
                    defaultTimeout, Duration.ofSeconds(60), 4, Duration.ofSeconds(30), Duration.ZERO, ARP_PROBES,
                    Duration.ofSeconds(10));
        }

        /** These settings with acknowledged addresses probed for {@code probe} (zero: off). */
        public Settings withArpProbe(Duration probe, Duration waitAfterDecline) {
            return new Settings(retransmit, defaultTimeout, minRenewRetransmit, maxRequests, reacquireRetry, probe,
                    arpProbes, waitAfterDecline);
        }
    }

    private final Settings settings;
    private final LeaseRecords records;
    private final LeaseCounters counters = new LeaseCounters();
    private final ServersSeen servers = new ServersSeen();
    private final ConcurrentHashMap<LeaseKey, PodLease> pods = new ConcurrentHashMap<>();
    private final PodLeaseContext context;
    private volatile boolean closed;
    private volatile Consumer<AddressChangeReport> addressChanges = report -> {
    };
    private volatile LeaseStatistics.Timings timings = LeaseStatistics.Timings.NONE;

    /** A service without ARP sockets: {@code settings} must not ask for an ARP probe (a probe would fail). */
    public DhcpLeaseService(Settings settings, LeaseStore store, PodSocket.Factory sockets, NodeSender nodeSender,
                            LeaseEvents upkeep, Executor upkeepExecutor, ExecutorService receivers,
                            LeaseTimer timer, Clock clock, EventLog log) {
        this(settings, store, sockets, (netns, ifname) -> {
            throw new IOException("this lease service has no ARP sockets");
        }, nodeSender, upkeep, upkeepExecutor, receivers, timer, clock, log);
    }

    public DhcpLeaseService(Settings settings, LeaseStore store, PodSocket.Factory sockets,
                            PodArpSocket.Factory arpSockets, NodeSender nodeSender, LeaseEvents upkeep,
                            Executor upkeepExecutor, ExecutorService receivers, LeaseTimer timer, Clock clock,
                            EventLog log) {
        SecureRandom seeds = new SecureRandom();
        this.settings = settings;
        this.records = new LeaseRecords(store, nodeSender, seeds, log);
        this.context = new PodLeaseContext(settings, records, upkeep, new LeaseEventQueue(upkeepExecutor, log),
                sockets, arpSockets, nodeSender, receivers, timer, clock, log, seeds, counters, servers, pods,
                () -> addressChanges, () -> timings);
    }

    // ---- API ----

    @Override
    public HeldLease acquire(AcquireRequest request) throws LeaseException {
        if (closed) {
            throw new LeaseException("cannot acquire a lease for " + request.identity().interfaceDescription()
                    + ": the daemon is shutting down");
        }
        LeaseKey key = new LeaseKey(request.containerId(), request.ifname());
        PodLease fresh = new PodLease(context, request.identity(), clientIdOf(request), hostnameOf(request), true,
                request.onAddressChange(), request.network());
        PodLease existing = pods.putIfAbsent(key, fresh);
        if (existing != null) {
            return existing.await(request.timeout());
        }
        try {
            fresh.begin(request);
        } catch (LeaseException e) {
            fresh.forget(false);
            throw e;
        }
        // An ARP probe that begins just before the deadline runs its full time (a cut one would check nothing).
        return fresh.await(request.timeout().plus(ACQUIRE_GRACE).plus(settings.arpProbe()));
    }

    @Override
    public boolean release(String containerId, String ifname) {
        return releaseLease(containerId, ifname).isPresent();
    }

    @Override
    public boolean releaseUnplugged(String containerId, String ifname) {
        PodLease pod = pods.remove(new LeaseKey(containerId, ifname));
        return pod != null && pod.release(true).isPresent();
    }

    @Override
    public Optional<HeldLease> releaseLease(String containerId, String ifname) {
        PodLease pod = pods.remove(new LeaseKey(containerId, ifname));
        if (pod == null) {
            return Optional.empty();
        }
        return pod.release(false);
    }

    @Override
    public List<HeldLease> list() {
        List<HeldLease> held = new ArrayList<>();
        for (PodLease pod : pods.values()) {
            pod.snapshot().ifPresent(held::add);
        }
        held.sort(Comparator.comparing(HeldLease::containerId).thenComparing(HeldLease::ifname));
        return held;
    }

    /**
     * Every pod interface the service keeps a lease for, held or being (re-)acquired, in a stable order
     * (container id, then interface): what the daemon's {@code status} shows.
     */
    public List<LeaseStatus> statuses() {
        List<LeaseStatus> all = new ArrayList<>();
        for (PodLease pod : pods.values()) {
            pod.status().ifPresent(all::add);
        }
        all.sort(Comparator.comparing((LeaseStatus l) -> l.pod().containerId()).thenComparing(l -> l.pod().ifname()));
        return all;
    }

    /** The DHCP servers whose ACKs and NAKs decided a lease since the service started, by address. */
    public List<ServersSeen.Server> serversSeen() {
        return servers.all();
    }

    /**
     * Since the daemon started: ARP probes sent, acknowledged addresses found in use and declined, and
     * addresses bound without the check because a probe could not be sent; lost leases that came back with
     * the same address, and those that came back with another one, followed or removed ({@code onAddressChange}).
     */
    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    /** The same counters, for the daemon's metrics: read when asked, never counted twice. */
    public LeaseStatistics statistics() {
        return counters;
    }

    /**
     * How many pods' clients are in each state now (a pod's first acquisition included); a state no client is in
     * is left out. Reads one volatile field per pod, no pod's lock: a scrape never waits on an exchange.
     */
    public Map<ClientState, Long> clientsByState() {
        Map<ClientState, Long> states = new EnumMap<>(ClientState.class);
        for (PodLease pod : pods.values()) {
            states.merge(pod.clientState(), 1L, Long::sum);
        }
        return states;
    }

    /** Where the time each pod's first lease took is reported (the daemon's metrics); set before serving. */
    public void reportTimingsTo(LeaseStatistics.Timings sink) {
        this.timings = sink;
    }

    /**
     * Takes up every stored lease after a start: a lease whose pod netns still exists is confirmed with an
     * INIT-REBOOT REQUEST for its address and then renewed as usual; one whose netns is gone is released
     * from the node (the pod will never use it again) and forgotten.
     *
     * @return the number of leases taken up
     */
    public int restoreAll() throws IOException {
        int restored = records.restoreAll((key, stored) -> {
            HeldLease lease = stored.lease();
            PodLease keeper = new PodLease(context, lease.identity(), lease.clientId(), lease.hostname(), false,
                    stored.onAddressChange(), stored.network());
            if (pods.putIfAbsent(key, keeper) != null) {
                return false;
            }
            keeper.reboot(lease);
            return true;
        });
        counters.restored(restored);
        return restored;
    }

    /**
     * Where address changes are reported (besides the log): the daemon's CNI side, which notes them in the
     * pods' attachment records. Called off the pods' locks; set before {@link #restoreAll}.
     */
    public void reportAddressChangesTo(Consumer<AddressChangeReport> sink) {
        this.addressChanges = sink;
    }

    /**
     * A stored lease document: the held lease (with the pod's policy and network configuration, see
     * {@link LeaseJson#fromJson}) and {@code firstRequest}: the record a pod's first acquisition writes before
     * it sends its REQUEST, replaced by the lease when the ACK is bound ({@link PodLease#requesting}).
     */
    record Stored(HeldLease lease, boolean firstRequest) {

        static final String FIRST_REQUEST = "firstRequestPending";
        static final String ON_ADDRESS_CHANGE = LeaseJson.ON_ADDRESS_CHANGE;
        static final String POD_NETWORK = LeaseJson.POD_NETWORK;

        static Stored fromJson(JsonNode document) {
            return new Stored(LeaseJson.fromJson(document), document.path(FIRST_REQUEST).asBoolean(false));
        }

        AddressChangePolicy onAddressChange() {
            return lease.onAddressChange();
        }

        Optional<PodNetworkConfig> network() {
            return lease.network();
        }
    }

    /**
     * Stops every client without a word to the servers and keeps the leases on disk: the pods keep
     * running and their leases are taken up again by the next start.
     */
    @Override
    public void close() {
        closed = true;
        for (PodLease pod : pods.values()) {
            pod.stop();
        }
    }

    // ---- identity ----

    private static String clientIdOf(AcquireRequest request) {
        return request.clientId().orElseGet(() -> request.identity().defaultClientId());
    }

    private static Optional<String> hostnameOf(AcquireRequest request) {
        return request.hostname().or(() -> request.identity().defaultHostname());
    }
}

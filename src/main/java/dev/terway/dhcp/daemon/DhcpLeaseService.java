package dev.terway.dhcp.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.dhcp.client.AcquireFailure;
import dev.terway.dhcp.client.AddressChange;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.AddressConflict;
import dev.terway.dhcp.client.AddressProbe;
import dev.terway.dhcp.client.ClientState;
import dev.terway.dhcp.client.DhcpClient;
import dev.terway.dhcp.client.DhcpClientConfig;
import dev.terway.dhcp.client.DhcpTransport;
import dev.terway.dhcp.client.Lease;
import dev.terway.dhcp.client.LeaseListener;
import dev.terway.dhcp.client.LeaseLoss;
import dev.terway.dhcp.client.RetransmitPolicy;
import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp.store.LeaseStore;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * The daemon's leases: one {@link DhcpClient} state machine per pod interface, driven by a timer
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
 */
public final class DhcpLeaseService implements LeaseService, AutoCloseable {

    /** Server port: requests go to 67. */
    static final int SERVER_PORT = 67;
    /** 255.255.255.255, where broadcasts go (SO_BINDTODEVICE keeps them on the pod interface). */
    private static final Inet4Address BROADCAST = Ipv4.BROADCAST.toInetAddress();
    /** How long one receive waits before looking whether the exchange is still on. */
    private static final Duration RECEIVE_SLICE = Duration.ofSeconds(2);
    /**
     * How long the socket stays open after the last transmission. Replies come within milliseconds;
     * RENEWING/REBINDING retransmit a minute or more apart, and a socket (with its receive thread) held
     * open across that wait would cost a thread per lease while a server is down.
     */
    static final Duration LISTEN_WINDOW = Duration.ofSeconds(5);
    /** Room above the client's own deadline before an acquire caller stops waiting on it. */
    private static final Duration ACQUIRE_GRACE = Duration.ofSeconds(2);
    /** How long a lost lease's DISCOVER waits for the old address to come off the pod (see {@link PodLease#lost}). */
    static final Duration REMOVAL_WAIT = Duration.ofSeconds(2);

    /** ARP packets read at one timer event at most: a flood of ARP must not hold the pod's lock for long. */
    private static final int MAX_ARP_PER_EVENT = 256;

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
    private final LeaseStore store;
    private final PodSocket.Factory sockets;
    private final PodArpSocket.Factory arpSockets;
    private final NodeSender nodeSender;
    private final LeaseEvents upkeep;
    private final Executor upkeepExecutor;
    private final ExecutorService receivers;
    private final LeaseTimer timer;
    private final Clock clock;
    private final DaemonLog log;
    private final SecureRandom seeds = new SecureRandom();
    private final ConcurrentHashMap<LeaseKey, PodLease> pods = new ConcurrentHashMap<>();
    private final AtomicLong arpProbesSent = new AtomicLong();
    private final AtomicLong addressConflicts = new AtomicLong();
    private final AtomicLong unprobedBinds = new AtomicLong();
    private final AtomicLong addressesRegained = new AtomicLong();
    private final AtomicLong addressChangesFollowed = new AtomicLong();
    private final AtomicLong addressChangesRemoved = new AtomicLong();
    private volatile boolean closed;
    private volatile Consumer<AddressChangeReport> addressChanges = report -> {
    };

    /** A service without ARP sockets: {@code settings} must not ask for an ARP probe (a probe would fail). */
    public DhcpLeaseService(Settings settings, LeaseStore store, PodSocket.Factory sockets, NodeSender nodeSender,
                            LeaseEvents upkeep, Executor upkeepExecutor, ExecutorService receivers,
                            LeaseTimer timer, Clock clock, DaemonLog log) {
        this(settings, store, sockets, (netns, ifname) -> {
            throw new IOException("this lease service has no ARP sockets");
        }, nodeSender, upkeep, upkeepExecutor, receivers, timer, clock, log);
    }

    public DhcpLeaseService(Settings settings, LeaseStore store, PodSocket.Factory sockets,
                            PodArpSocket.Factory arpSockets, NodeSender nodeSender, LeaseEvents upkeep,
                            Executor upkeepExecutor, ExecutorService receivers, LeaseTimer timer, Clock clock,
                            DaemonLog log) {
        this.settings = settings;
        this.store = store;
        this.sockets = sockets;
        this.arpSockets = arpSockets;
        this.nodeSender = nodeSender;
        this.upkeep = upkeep;
        this.upkeepExecutor = upkeepExecutor;
        this.receivers = receivers;
        this.timer = timer;
        this.clock = clock;
        this.log = log;
    }

    // ---- API ----

    @Override
    public HeldLease acquire(AcquireRequest request) throws LeaseException {
        if (closed) {
            throw new LeaseException("cannot acquire a lease for " + request.identity().interfaceDescription()
                    + ": the daemon is shutting down");
        }
        LeaseKey key = new LeaseKey(request.containerId(), request.ifname());
        PodLease fresh = new PodLease(request.identity(), clientIdOf(request), hostnameOf(request), true,
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
    public Optional<HeldLease> releaseLease(String containerId, String ifname) {
        PodLease pod = pods.remove(new LeaseKey(containerId, ifname));
        if (pod == null) {
            return Optional.empty();
        }
        return pod.release();
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
     * Since the daemon started: ARP probes sent, acknowledged addresses found in use and declined, and
     * addresses bound without the check because a probe could not be sent; lost leases that came back with
     * the same address, and those that came back with another one, followed or removed ({@code onAddressChange}).
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("arpProbesSent", arpProbesSent.get());
        counters.put("addressConflicts", addressConflicts.get());
        counters.put("unprobedBinds", unprobedBinds.get());
        counters.put("addressesRegained", addressesRegained.get());
        counters.put("addressChangesFollowed", addressChangesFollowed.get());
        counters.put("addressChangesRemoved", addressChangesRemoved.get());
        return counters;
    }

    /**
     * Takes up every stored lease after a start: a lease whose pod netns still exists is confirmed with an
     * INIT-REBOOT REQUEST for its address and then renewed as usual; one whose netns is gone is released
     * from the node (the pod will never use it again) and forgotten.
     *
     * @return the number of leases taken up
     */
    public int restoreAll() throws IOException {
        int restored = 0;
        for (LeaseStore.Loaded<Stored> stored : store.loadAll(Stored::fromJson)) {
            HeldLease lease = stored.value().lease();
            PodIdentity pod = lease.identity();
            if (stored.value().firstRequest()) {
                // A crash between the first REQUEST and the stored ACK: the ADD that asked got no lease, but the
                // server may have committed one to this client id, which nobody would ever release.
                releaseFromNode(lease, "the daemon stopped while acquiring it, before the server's answer was"
                        + " stored; the ADD that asked for it did not get it");
                deleteStored(stored.key());
                continue;
            }
            if (!Files.exists(pod.netns())) {
                releaseFromNode(lease, "its netns " + pod.netns() + " is gone");
                deleteStored(stored.key());
                continue;
            }
            PodLease keeper = new PodLease(pod, lease.clientId(), lease.hostname(), false,
                    stored.value().onAddressChange(), stored.value().network());
            if (pods.putIfAbsent(stored.key(), keeper) != null) {
                continue;
            }
            keeper.reboot(lease);
            restored++;
        }
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
     * A stored lease document. {@code firstRequest}: the record a pod's first acquisition writes before it
     * sends its REQUEST, replaced by the lease when the ACK is bound ({@link PodLease#requesting}).
     * {@code onAddressChange}: the pod's policy, from its ADD's network configuration (documents written
     * before there was one, or with a value this version does not know, follow). {@code network}: what the
     * pod's network configuration adds (documents written before there was one, or by the socket API, have none).
     */
    record Stored(HeldLease lease, boolean firstRequest, AddressChangePolicy onAddressChange,
                  Optional<PodNetworkConfig> network) {

        static final String FIRST_REQUEST = "firstRequestPending";
        static final String ON_ADDRESS_CHANGE = "onAddressChange";
        static final String POD_NETWORK = "podNetwork";

        static Stored fromJson(JsonNode document) {
            return new Stored(LeaseJson.fromJson(document), document.path(FIRST_REQUEST).asBoolean(false),
                    AddressChangePolicy.parse(document.path(ON_ADDRESS_CHANGE).asText(""))
                            .orElse(AddressChangePolicy.FOLLOW), LeaseJson.networkFromJson(document.get(POD_NETWORK)));
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

    // ---- conversions between the state machine's lease and the held lease ----

    static HeldLease held(PodIdentity pod, String mac, String clientId, Optional<String> hostname, Lease lease) {
        List<LeaseRoute> routes = lease.classlessRoutes().stream()
                .map(r -> new LeaseRoute(r.destination(), r.prefixLength(), r.router()))
                .toList();
        return new HeldLease(pod, mac, clientId, hostname, lease.address(), lease.prefixLength(),
                lease.defaultGateway(), lease.serverId(),
                lease.dnsServers(), lease.domainName(),
                lease.searchDomains(), routes,
                lease.mtu().map(OptionalInt::of).orElse(OptionalInt.empty()),
                lease.acquiredAt(), lease.leaseTime(), lease.renewAt(), lease.rebindAt(), lease.expiresAt());
    }

    /** The state machine's lease for a stored one; option 3 is represented by the gateway it implied. */
    static Lease lease(HeldLease held) {
        List<ClasslessRoute> routes = held.routes().stream()
                .map(r -> new ClasslessRoute(r.destination(), r.prefixLength(),
                        r.gateway()))
                .toList();
        List<Ipv4> routers = held.routes().isEmpty()
                ? held.gateway().map(List::of).orElse(List.of())
                : List.of();
        return new Lease(held.address(), held.prefixLength(), routers,
                held.server(), held.dns(),
                held.domain(), held.search(), routes,
                held.mtu().isPresent() ? Optional.of(held.mtu().getAsInt()) : Optional.empty(), Optional.empty(),
                held.leaseTime(), Duration.between(held.boundAt(), held.renewAt()),
                Duration.between(held.boundAt(), held.rebindAt()), held.boundAt());
    }

    /**
     * DHCPRELEASE for a lease whose pod is gone, sent from the node: no client runs for it any more, and
     * no socket can be opened in a netns that no longer exists.
     */
    private void releaseFromNode(HeldLease lease, String why) {
        PodIdentity pod = lease.identity();
        try {
            DhcpMessage release = DhcpClient.releaseMessage(HardwareAddress.parse(lease.hardwareAddress()),
                    Optional.of(ClientIdentifier.ofText(lease.clientId())), lease.address(),
                    lease.server(), seeds.nextInt());
            nodeSender.send(release.encode(), lease.server().toInetAddress());
            log.info("released " + pod.describe() + " address " + lease.cidr() + " server "
                    + lease.server() + " (from the node: " + why + ")");
        } catch (IOException | RuntimeException e) {
            log.warn("forgot " + pod.describe() + " address " + lease.cidr() + " without a release (" + why
                    + "; sending DHCPRELEASE from the node to " + lease.server() + " failed: "
                    + e.getMessage() + "); the server frees it at " + lease.expires());
        }
    }

    private void deleteStored(LeaseKey key) {
        try {
            store.delete(key);
        } catch (IOException e) {
            log.warn("could not delete the stored lease of " + key + ": " + e.getMessage());
        }
    }

    private void upkeep(Runnable task) {
        try {
            upkeepExecutor.execute(task);
        } catch (RejectedExecutionException e) {
            // shutting down: the next start reconciles the address when it takes the lease up again
        }
    }

    /** As {@link #upkeep}, and waits for the task (after those queued before it) at most {@link #REMOVAL_WAIT}. */
    private void upkeepAndWait(Runnable task) {
        CompletableFuture<Void> done;
        try {
            done = CompletableFuture.runAsync(task, upkeepExecutor);
        } catch (RejectedExecutionException e) {
            return; // shutting down, as above
        }
        try {
            done.get(REMOVAL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("address upkeep is more than " + REMOVAL_WAIT.toMillis() + " ms behind; going on without"
                    + " waiting for it");
        } catch (ExecutionException e) {
            log.warn("address upkeep failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- one pod interface ----

    /** The lease of one pod interface: its client, socket, timer and listeners. Guarded by its own monitor. */
    private final class PodLease implements LeaseListener, DhcpTransport, AddressProbe {

        private final PodIdentity pod;
        private final LeaseKey key;
        private final String clientId;
        private final Optional<String> hostname;
        private final AddressChangePolicy onAddressChange;
        private final Optional<PodNetworkConfig> network;
        /** Obtained through acquire(): CNI ADD configures the first address, so the first bind changes nothing. */
        private boolean firstBindIsTheCallers;

        private DhcpClient client;
        private String mac = "";
        private PodSocket socket;
        /** Open only while the client is PROBING. */
        private PodArpSocket arpSocket;
        private LeaseTimer.Scheduled scheduled;
        private Instant scheduledAt;
        private long generation;
        private LeaseTimer.Scheduled listenTimer;
        private long listenGeneration;
        /** The lease the pod holds now; null while it has none. */
        private HeldLease held;
        /** Completed by the next bind; replaced when a lease is lost. */
        private CompletableFuture<HeldLease> nextBound = new CompletableFuture<>();
        /** The lease was lost (expiry, NAK) and the next bind must put the address back. */
        private boolean lostSinceBound;
        /** The address of the lease lost last, until a lease is bound again. */
        private Ipv4 lostAddress;
        /** Set by the transport when the pod's netns disappeared under a running client. */
        private boolean netnsGone;
        /**
         * Where the next DHCPRELEASE goes out: from the pod only while the pod has the leased address.
         * Without it the kernel sends from 0.0.0.0 "on link" and the server never sees the release.
         */
        private boolean releaseFromPod;
        /** Released, failed or stopped: events that still arrive are ignored. */
        private boolean forgotten;
        private Optional<String> lastFailure = Optional.empty();

        PodLease(PodIdentity pod, String clientId, Optional<String> hostname, boolean firstBindIsTheCallers,
                 AddressChangePolicy onAddressChange, Optional<PodNetworkConfig> network) {
            this.pod = pod;
            this.network = network;
            this.key = new LeaseKey(pod.containerId(), pod.ifname());
            this.clientId = clientId;
            this.hostname = hostname;
            this.firstBindIsTheCallers = firstBindIsTheCallers;
            this.onAddressChange = onAddressChange;
        }

        /** Opens the pod's socket, reads its MAC and sends the first DISCOVER. */
        synchronized void begin(AcquireRequest request) throws LeaseException {
            if (forgotten) {
                // released (or the daemon stopped) between registering the pod and getting here
                throw new LeaseException("the lease of " + pod.interfaceDescription()
                        + " was released while it was being acquired");
            }
            if (!Files.exists(pod.netns())) {
                throw new LeaseException("cannot acquire a lease for " + pod.interfaceDescription()
                        + ": the netns " + pod.netns() + " does not exist");
            }
            try {
                socket = sockets.open(pod.netns(), pod.ifname());
                mac = HardwareAddress.of(socket.hardwareAddress()).toString();
            } catch (IOException | RuntimeException e) {
                throw new LeaseException("cannot acquire a lease for " + pod.interfaceDescription() + ": "
                        + e.getMessage(), e);
            }
            try {
                client = newClient(request.timeout(), request.requestedAddress());
            } catch (IllegalArgumentException e) {
                throw new LeaseException("cannot acquire a lease for " + pod.interfaceDescription() + ": "
                        + e.getMessage(), e);
            }
            startReceiving(socket);
            client.start();
            afterEvent();
        }

        /** Takes up a stored lease: INIT-REBOOT. */
        synchronized void reboot(HeldLease stored) {
            mac = stored.hardwareAddress();
            held = stored;
            try {
                client = newClient(settings.defaultTimeout(), Optional.empty());
                client.reboot(lease(stored));
            } catch (IllegalArgumentException e) {
                log.warn("cannot take up the stored lease of " + pod.describe() + ": " + e.getMessage());
                forget(false);
                return;
            }
            afterEvent();
        }

        private DhcpClient newClient(Duration acquireTimeout, Optional<Ipv4> requested) {
            DhcpClientConfig.Builder config = DhcpClientConfig.builder(pod.interfaceDescription(),
                            HardwareAddress.parse(mac))
                    .clientId(ClientIdentifier.ofText(clientId))
                    .retransmit(settings.retransmit())
                    .acquireTimeout(acquireTimeout)
                    .maxRequests(settings.maxRequests())
                    .minRenewRetransmit(settings.minRenewRetransmit())
                    .arpProbe(settings.arpProbe(), settings.arpProbes())
                    .declineWait(settings.declineWait())
                    .onAddressChange(onAddressChange);
            hostname.ifPresent(config::hostName);
            requested.ifPresent(config::requestedAddress);
            return new DhcpClient(config.build(), this, this, this, clock, new SplittableRandom(seeds.nextLong()));
        }

        /** Waits for the pod's lease: the held one at once, else the next bind, at most {@code timeout}. */
        HeldLease await(Duration timeout) throws LeaseException {
            CompletableFuture<HeldLease> bound;
            synchronized (this) {
                if (held != null && !forgotten) {
                    return held;
                }
                bound = nextBound;
            }
            try {
                return bound.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof LeaseException failure) {
                    throw new LeaseException(failure.getMessage(), failure);
                }
                throw new LeaseException("acquiring a lease for " + pod.interfaceDescription() + " failed: "
                        + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                synchronized (this) {
                    throw new LeaseException("no lease for " + pod.interfaceDescription() + " within "
                            + timeout.toMillis() + " ms: the daemon is still trying to obtain it"
                            + lastFailure.map(f -> "; last failure: " + f).orElse(""));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LeaseException("interrupted while acquiring a lease for " + pod.interfaceDescription());
            }
        }

        synchronized Optional<HeldLease> snapshot() {
            return forgotten ? Optional.empty() : Optional.ofNullable(held);
        }

        /** DHCPRELEASE (from the pod; from the node if that fails) and forget. */
        synchronized Optional<HeldLease> release() {
            HeldLease had = held;
            if (forgotten) {
                return Optional.empty();
            }
            if (client != null) {
                if (client.lease().isPresent() || client.state() == ClientState.PROBING) {
                    // PROBING: acknowledged, so committed by the server, but not on the pod yet
                    releaseFromPod = client.lease().isPresent() && upkeep.holds(pod, client.lease().get().cidr());
                    try {
                        client.release();
                    } catch (IOException e) {
                        log.warn("DHCPRELEASE for " + pod.describe() + " could not be sent: " + e.getMessage());
                    }
                } else {
                    client.stop();
                }
            }
            nextBound.completeExceptionally(new LeaseException("the lease of " + pod.interfaceDescription()
                    + " was released while it was being acquired"));
            forget(true);
            if (had != null) {
                log.info("released " + pod.describe() + " address " + had.cidr() + " server "
                        + had.server());
            }
            return Optional.ofNullable(had);
        }

        /** Daemon shutdown: no release, the file stays. */
        synchronized void stop() {
            if (client != null && !forgotten) {
                client.stop();
            }
            forgotten = true;
            cancelTimer();
            closeSocket();
            closeArpSocket();
        }

        /** Drops the pod: timer, socket, map entry, and (if asked) its stored lease. */
        synchronized void forget(boolean deleteStored) {
            forgotten = true;
            cancelTimer();
            closeSocket();
            closeArpSocket();
            pods.remove(key, this);
            if (deleteStored) {
                deleteStored(key);
            }
        }

        // ---- events ----

        private void onTimer(long forGeneration) {
            synchronized (this) {
                if (forgotten || forGeneration != generation) {
                    return;
                }
                scheduled = null;
                scheduledAt = null;
                readArp();
                client.onTimer();
                afterEvent();
            }
        }

        /**
         * PROBING: hands the ARP packets that arrived since the last event to the client, before it sends the
         * next probe or gives its verdict. A socket that fails is closed and reported; the next probe opens
         * a new one (or, failing that, the client binds the address unchecked and says so).
         */
        private void readArp() {
            if (arpSocket == null || client.state() != ClientState.PROBING) {
                return;
            }
            try {
                for (int i = 0; i < MAX_ARP_PER_EVENT && client.state() == ClientState.PROBING; i++) {
                    Optional<ArpPacket> packet = arpSocket.poll();
                    if (packet.isEmpty()) {
                        return;
                    }
                    client.onArp(packet.get());
                }
            } catch (IOException e) {
                log.warn("reading ARP on " + pod.interfaceDescription() + " failed: " + e.getMessage());
                closeArpSocket();
            }
        }

        private void retryAcquire(long forGeneration) {
            synchronized (this) {
                if (forgotten || forGeneration != generation) {
                    return;
                }
                scheduled = null;
                scheduledAt = null;
                if (!Files.exists(pod.netns())) {
                    log.info("forgot " + pod.describe() + ": its netns " + pod.netns() + " is gone");
                    forget(true);
                    return;
                }
                client.start();
                afterEvent();
            }
        }

        /** After every client event: socket only while exchanging, timer at the next deadline, pod gone. */
        private void afterEvent() {
            if (forgotten) {
                return;
            }
            if (netnsGone && !Files.exists(pod.netns())) {
                podGone();
                return;
            }
            ClientState state = client.state();
            if (state == ClientState.BOUND || state == ClientState.STOPPED) {
                closeSocket();
            }
            if (state != ClientState.PROBING) {
                closeArpSocket();
            }
            if (state == ClientState.STOPPED) {
                return; // failed(): a retry, if any, has been scheduled there
            }
            Optional<Instant> next = client.nextDeadline();
            if (next.isPresent() && next.get().equals(scheduledAt)) {
                return;
            }
            cancelTimer();
            next.ifPresent(at -> schedule(at, gen -> () -> onTimer(gen)));
        }

        private void schedule(Instant at, LongFunction<Runnable> task) {
            long gen = ++generation;
            scheduledAt = at;
            scheduled = timer.at(at, task.apply(gen));
        }

        /** The netns went away without a CNI DEL: nobody will use the lease again. */
        private void podGone() {
            HeldLease had = held;
            if (client.lease().isPresent() || client.state() == ClientState.PROBING) {
                releaseFromPod = false;
                try {
                    client.release(); // the transport falls back to the node
                } catch (IOException e) {
                    log.warn("DHCPRELEASE for " + pod.describe() + " could not be sent: " + e.getMessage());
                }
            } else {
                client.stop();
            }
            nextBound.completeExceptionally(new LeaseException("cannot acquire a lease for "
                    + pod.interfaceDescription() + ": its netns " + pod.netns() + " disappeared"));
            forget(true);
            log.info("released " + pod.describe() + (had == null ? "" : " address " + had.cidr() + " server "
                    + had.server()) + " (its netns " + pod.netns() + " is gone)");
        }

        private void cancelTimer() {
            generation++;
            if (scheduled != null) {
                scheduled.cancel();
            }
            scheduled = null;
            scheduledAt = null;
        }

        // ---- socket and receive loop ----

        private PodSocket openSocket() throws IOException {
            if (socket == null) {
                try {
                    socket = sockets.open(pod.netns(), pod.ifname());
                } catch (IOException | RuntimeException e) {
                    if (!Files.exists(pod.netns())) {
                        netnsGone = true;
                    }
                    throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                }
                startReceiving(socket);
            }
            return socket;
        }

        private void startReceiving(PodSocket s) {
            try {
                receivers.execute(() -> receiveLoop(s));
            } catch (RejectedExecutionException e) {
                log.warn("no receive thread for " + pod.describe() + ": " + e.getMessage());
            }
        }

        private void receiveLoop(PodSocket s) {
            byte[] buffer = new byte[4096];
            while (true) {
                OptionalInt length;
                try {
                    length = s.receive(buffer, RECEIVE_SLICE);
                } catch (IOException e) {
                    synchronized (this) {
                        if (socket == s && !forgotten) {
                            // The interface went down or away; the next send opens a fresh socket.
                            log.warn("receiving on " + pod.interfaceDescription() + " failed: " + e.getMessage());
                            closeSocket();
                        }
                    }
                    return;
                }
                synchronized (this) {
                    if (socket != s || forgotten) {
                        return;
                    }
                    if (length.isPresent()) {
                        client.onDatagram(buffer, 0, length.getAsInt());
                        afterEvent();
                    }
                }
            }
        }

        private void closeArpSocket() {
            if (arpSocket != null) {
                PodArpSocket s = arpSocket;
                arpSocket = null;
                s.close();
            }
        }

        private void closeSocket() {
            listenGeneration++;
            if (listenTimer != null) {
                listenTimer.cancel();
                listenTimer = null;
            }
            if (socket != null) {
                PodSocket s = socket;
                socket = null;
                s.close();
            }
        }

        /** Keeps the socket for {@link #LISTEN_WINDOW} after this transmission, then lets it go. */
        private void listenAfterSending() {
            if (listenTimer != null) {
                listenTimer.cancel();
            }
            long gen = ++listenGeneration;
            listenTimer = timer.at(clock.instant().plus(LISTEN_WINDOW), () -> stopListening(gen));
        }

        private void stopListening(long forGeneration) {
            synchronized (this) {
                if (forGeneration == listenGeneration && !forgotten) {
                    closeSocket();
                }
            }
        }

        // ---- DhcpTransport (called by the client, under this monitor) ----

        @Override
        public void broadcast(DhcpMessage message) throws IOException {
            send(message, BROADCAST);
        }

        @Override
        public void unicast(DhcpMessage message, Ipv4 server) throws IOException {
            send(message, server.toInetAddress());
        }

        private void send(DhcpMessage message, Inet4Address to) throws IOException {
            byte[] bytes = message.encode();
            boolean release = message.messageType().filter(MessageType.RELEASE::equals).isPresent();
            try {
                if (release && !releaseFromPod) {
                    nodeSender.send(bytes, to);
                    return;
                }
                openSocket().send(bytes, bytes.length, to, SERVER_PORT);
                listenAfterSending();
            } catch (IOException e) {
                if (!release || !releaseFromPod) {
                    throw e;
                }
                // The pod side is gone (interface deleted first by CNI DEL): the server takes the release
                // from any source, so send it from the node.
                nodeSender.send(bytes, to);
            }
        }

        // ---- AddressProbe (called by the client, under this monitor) ----

        @Override
        public void probe(Ipv4 address) throws IOException {
            if (arpSocket == null) {
                arpSocket = arpSockets.open(pod.netns(), pod.ifname());
            }
            arpSocket.broadcast(ArpPacket.probe(HardwareAddress.parse(mac), address));
            arpProbesSent.incrementAndGet();
        }

        // ---- LeaseListener (called by the client, under this monitor) ----

        @Override
        public void bound(Lease lease) {
            HeldLease now = held(pod, mac, clientId, hostname, lease);
            boolean firstByCaller = firstBindIsTheCallers;
            boolean restoring = !firstByCaller && !lostSinceBound && held != null;
            boolean reacquired = lostSinceBound;
            if (reacquired && now.address().equals(lostAddress)) {
                addressesRegained.incrementAndGet();
            }
            lostAddress = null;
            held = now;
            firstBindIsTheCallers = false;
            lostSinceBound = false;
            lastFailure = Optional.empty();
            if (!persist(now) && firstByCaller) {
                // The request's record is still there and would make the next start release a lease that a
                // running pod holds.
                deleteStored(key);
            }
            String event = reacquired ? "acquired again" : restoring ? "restored" : "acquired";
            log.info(event + " " + describe(now));
            if (!firstByCaller) {
                LeaseEvents.Bound bound = new LeaseEvents.Bound(reacquired ? LeaseEvents.Kind.REACQUIRED
                        : restoring ? LeaseEvents.Kind.RESTORED : LeaseEvents.Kind.RENEWED, now, network);
                upkeep(() -> upkeep.bound(bound));
            }
            nextBound.complete(now);
        }

        /**
         * Before the first REQUEST of a pod's first acquisition: record the offered lease, marked, so that a
         * daemon killed before the ACK is stored releases it at its next start (a lease the server committed
         * but no one knows of stays taken until it expires). Re-acquisitions need no mark: the pod's lease is
         * on record and the restart takes it up. Not stored: reported, and the acquisition goes on.
         */
        @Override
        public void requesting(Lease offered) {
            if (!firstBindIsTheCallers) {
                return;
            }
            ObjectNode mark = document(held(pod, mac, clientId, hostname, offered));
            mark.put(Stored.FIRST_REQUEST, true);
            try {
                store.save(key, mark);
            } catch (IOException e) {
                log.warn("could not record the request of " + pod.describe() + " for " + offered.address()
                        + " (if the daemon stops before the answer, the server keeps it until it expires): "
                        + e.getMessage());
            }
        }

        @Override
        public void renewed(Lease lease) {
            HeldLease now = held(pod, mac, clientId, hostname, lease);
            held = now;
            persist(now);
            log.info("renewed " + describe(now));
            LeaseEvents.Bound bound = new LeaseEvents.Bound(LeaseEvents.Kind.RENEWED, now, network);
            upkeep(() -> upkeep.bound(bound));
        }

        /**
         * The address comes off the pod before this returns (at most {@link #REMOVAL_WAIT}), in the order of
         * the upkeep queue: the client's next DISCOVER asks for the same address again, and a server that
         * pings an address before it offers it (dnsmasq does) would hear the pod answer and offer another.
         */
        @Override
        public void lost(Lease lease, LeaseLoss loss) {
            HeldLease had = held != null ? held : held(pod, mac, clientId, hostname, lease);
            String event = loss.reason() == LeaseLoss.Reason.EXPIRED ? "expired" : "lost";
            log.info(event + " " + pod.describe() + " address " + had.cidr() + " server "
                    + had.server() + ": " + loss.describe() + "; asking for " + lease.address()
                    + " again");
            held = null;
            lostSinceBound = true;
            lostAddress = lease.address();
            if (nextBound.isDone()) {
                nextBound = new CompletableFuture<>();
            }
            String cidr = lease.cidr();
            upkeepAndWait(() -> upkeep.lost(pod, cidr, loss.describe()));
        }

        /**
         * The server granted another address than the lost one. Logged as a warning that names the pod, the
         * container and both addresses, and reported for the attachment record; under remove the pod's lease
         * is forgotten (the client has released the new one and stopped).
         */
        @Override
        public void addressChanged(AddressChange change) {
            String previous = change.previous() + "/" + change.current().prefixLength();
            String granted = change.current().cidr();
            String what = "address of " + pod.describe() + " (container " + pod.containerId() + ", netns "
                    + pod.netns() + ") changed from " + previous + " to " + granted + ": " + change.cause().describe()
                    + ", and the server did not give " + change.previous() + " back when asked; onAddressChange "
                    + change.policy().configName() + ": ";
            (change.policy() == AddressChangePolicy.FOLLOW ? addressChangesFollowed : addressChangesRemoved)
                    .incrementAndGet();
            if (change.policy() == AddressChangePolicy.FOLLOW) {
                log.warn(what + "the pod has " + granted + " now, while Kubernetes still knows it as "
                        + change.previous() + " (pod status, endpoints) until the pod is re-created");
            } else {
                log.warn(what + granted + " was released and the pod is left without an address; re-create the"
                        + " pod to give it one");
                String report = "the lease of " + pod.interfaceDescription() + " was lost and the server granted "
                        + granted + " instead of " + previous + "; onAddressChange remove left the pod without an"
                        + " address";
                lastFailure = Optional.of(report);
                nextBound.completeExceptionally(new LeaseException(report));
                forget(true);
            }
            AddressChangeReport report = new AddressChangeReport(pod, previous, granted, change.policy(),
                    change.cause().describe(), clock.instant());
            Consumer<AddressChangeReport> sink = addressChanges;
            upkeep(() -> {
                try {
                    sink.accept(report);
                } catch (RuntimeException e) {
                    log.warn("could not note the address change of " + pod.describe() + ": " + e.getMessage());
                }
            });
        }

        @Override
        public void failed(AcquireFailure failure) {
            String report = failure.message();
            lastFailure = Optional.of(report);
            if (firstBindIsTheCallers) {
                // The caller of acquire() gets the report; nothing is held, and the request's record goes.
                nextBound.completeExceptionally(new LeaseException(report, failure.declinedDescriptions()));
                forget(true);
                return;
            }
            if (!Files.exists(pod.netns())) {
                netnsGone = true;
                return;
            }
            log.warn(pod.describe() + ": " + report + "; trying again in " + settings.reacquireRetry().toSeconds()
                    + " s");
            cancelTimer();
            schedule(clock.instant().plus(settings.reacquireRetry()), gen -> () -> retryAcquire(gen));
        }

        @Override
        public void declined(AddressConflict conflict) {
            long n = addressConflicts.incrementAndGet();
            log.warn("address conflict: " + pod.describe() + " was offered " + conflict.address() + " by server "
                    + conflict.server() + ", but " + conflict.claimant() + " " + conflict.claim().text()
                    + "; declined it (DHCPDECLINE) and discovering again in "
                    + AcquireFailure.seconds(settings.declineWait()) + " (" + n + " address conflict"
                    + (n == 1 ? "" : "s") + " since the daemon started)");
        }

        @Override
        public void unprobed(Lease lease, String why) {
            unprobedBinds.incrementAndGet();
            log.warn(pod.describe() + ": " + why + "; binding " + lease.address()
                    + " without checking that it is free");
        }

        @Override
        public void stateChanged(ClientState from, ClientState to) {
            if (from == ClientState.BOUND && to == ClientState.RENEWING && held != null) {
                LeaseEvents.Bound due = new LeaseEvents.Bound(LeaseEvents.Kind.RENEWAL_DUE, held, network);
                upkeep(() -> upkeep.bound(due));
            }
            if (to == ClientState.REBINDING && held != null) {
                log.info("rebinding " + describe(held) + ": no answer from the server while renewing");
            }
        }

        @Override
        public void warning(String message) {
            log.warn(pod.describe() + ": " + message);
        }

        /** The stored form of a lease of this pod: the lease and the pod's policy. */
        private ObjectNode document(HeldLease lease) {
            ObjectNode document = LeaseJson.toJson(lease);
            document.put(Stored.ON_ADDRESS_CHANGE, onAddressChange.configName());
            network.ifPresent(n -> document.set(Stored.POD_NETWORK, LeaseJson.networkToJson(n)));
            return document;
        }

        /** Stores the lease; false (reported) when it could not. */
        private boolean persist(HeldLease lease) {
            try {
                store.save(key, document(lease));
                return true;
            } catch (IOException e) {
                log.warn("could not save the lease of " + pod.describe() + " (it is held, but a restart would"
                        + " not know it): " + e.getMessage());
                return false;
            }
        }

        private String describe(HeldLease lease) {
            return pod.describe() + " address " + lease.cidr() + " server " + lease.server()
                    + lease.gateway().map(g -> " gateway " + g).orElse("")
                    + " expires " + lease.expires();
        }
    }
}

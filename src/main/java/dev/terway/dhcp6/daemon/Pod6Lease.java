package dev.terway.dhcp6.daemon;

import dev.terway.dhcp.daemon.LeaseDeadline;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp6.client.Dhcp6Client;
import dev.terway.dhcp6.client.Dhcp6ClientConfig;
import dev.terway.dhcp6.client.Dhcp6ClientState;
import dev.terway.dhcp6.client.Dhcp6ExchangeOutcome;
import dev.terway.dhcp6.client.Dhcp6LossReason;
import dev.terway.dhcp6.client.Dhcp6Listener;
import dev.terway.dhcp6.client.Dhcp6Transport;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.dhcp6.codec.Dhcp6MessageType;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.jni.NetnsUdp6Socket;
import dev.terway.net.Ipv6;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The DHCPv6 lease of one pod interface: its {@link Dhcp6Client}, driven by its timer and by the datagrams of
 * its socket; the lease held; the events handed to the pod's upkeep. Every event runs under this object's
 * monitor, which the non-thread-safe client needs; lease changes are stored before they are reported.
 *
 * <p>The socket (port 546 on the pod's link-local address) is open for an exchange and kept
 * {@link #LISTEN_WINDOW} after the last transmission, with a receive loop while it is open.
 */
final class Pod6Lease implements Dhcp6Listener, Dhcp6Transport {

    static final int SERVER_PORT = 547;
    static final Duration LISTEN_WINDOW = Duration.ofSeconds(5);
    private static final Duration RECEIVE_SLICE = Duration.ofSeconds(2);

    private final Dhcp6LeaseService service;
    private final PodIdentity pod;
    private final LeaseKey key;
    private final Duid duid;
    /** Obtained through acquire(): the ADD puts the first address on the pod, so the first bind tells nobody. */
    private boolean firstBindIsTheCallers;

    private Dhcp6Client client;
    private Pod6Socket socket;
    private final LeaseDeadline deadline;
    private final LeaseDeadline listenWindow;
    private HeldLease6 held;
    private CompletableFuture<HeldLease6> nextBound = new CompletableFuture<>();
    private boolean lostSinceBound;
    /** The address of the lease lost last, until one is bound again. */
    private Ipv6 lostAddress;
    private boolean restoring;
    private boolean forgotten;
    private Optional<String> lastFailure = Optional.empty();
    /** Addresses this pod declined before, which its client must not take again. */
    private Set<Ipv6> avoided = Set.of();
    /** When the ADD's acquire began (its time to lease is measured from there, the link-local wait included). */
    private Instant acquireBegan;
    /** The client's state while a lease is held, else null: for {@link Dhcp6LeaseService#clientsByState}. */
    private volatile Dhcp6ClientState heldState;

    Pod6Lease(Dhcp6LeaseService service, PodIdentity pod, boolean firstBindIsTheCallers) {
        this.service = service;
        this.deadline = new LeaseDeadline(service.timer);
        this.listenWindow = new LeaseDeadline(service.timer);
        this.pod = pod;
        this.key = new LeaseKey(pod.containerId(), pod.ifname());
        this.duid = Duid.forAttachment(pod.containerId(), pod.ifname());
        this.firstBindIsTheCallers = firstBindIsTheCallers;
    }

    /** Opens the socket (waiting for the link-local address) and sends the first SOLICIT. */
    synchronized void begin(Duration timeout) throws Dhcp6LeaseException {
        if (forgotten) {
            throw new Dhcp6LeaseException("the DHCPv6 lease of " + pod.interfaceDescription()
                    + " was released while it was being acquired");
        }
        if (!Files.exists(pod.netns())) {
            throw new Dhcp6LeaseException("cannot acquire a DHCPv6 lease for " + pod.interfaceDescription()
                    + ": the netns " + pod.netns() + " does not exist");
        }
        Instant started = service.clock.instant();
        acquireBegan = started;
        try {
            openSocket(min(timeout, service.settings.linkLocalWait()));
        } catch (IOException | RuntimeException e) {
            throw new Dhcp6LeaseException("cannot acquire a DHCPv6 lease for " + pod.interfaceDescription() + ": "
                    + e.getMessage(), e);
        }
        // The wait for the link-local address counts against the caller's timeout: the exchange gets the rest.
        Duration left = timeout.minus(Duration.between(started, service.clock.instant()));
        if (left.isNegative() || left.isZero()) {
            throw new Dhcp6LeaseException("cannot acquire a DHCPv6 lease for " + pod.interfaceDescription()
                    + ": its link-local address became usable only as the timeout of " + timeout.toMillis()
                    + " ms ran out");
        }
        client = newClient(left);
        client.start();
        afterEvent();
    }

    /** Takes up a stored lease (CONFIRM or REBIND). */
    synchronized void restore(HeldLease6 stored) {
        held = stored;
        restoring = true;
        client = newClient(service.settings.defaultTimeout());
        client.restore(stored.lease());
        afterEvent();
    }

    private Dhcp6Client newClient(Duration acquireTimeout) {
        Dhcp6ClientConfig config = Dhcp6ClientConfig.of(pod.interfaceDescription(), duid, Dhcp6LeaseService.IAID,
                acquireTimeout).withTimings(service.settings.solicit(), service.settings.request());
        Dhcp6Client fresh = new Dhcp6Client(config, this, this, service.clock,
                new SplittableRandom(service.seeds.nextLong()));
        avoided.forEach(fresh::avoid);
        return fresh;
    }

    /** Before {@link #begin}: addresses the pod declined earlier, which this lease must not take. */
    synchronized void avoid(Set<Ipv6> addresses) {
        avoided = Set.copyOf(addresses);
    }

    /**
     * The pod's duplicate address detection failed for the held address: one DECLINE from the pod (RFC 8415
     * §18.2.8), then forgotten like a released lease. Empty when no lease was held.
     */
    synchronized Optional<HeldLease6> decline() {
        if (forgotten || client == null) {
            return Optional.empty();
        }
        HeldLease6 had = held;
        if (client.lease().isPresent() && Files.exists(pod.netns())) {
            try {
                client.decline();
            } catch (IOException e) {
                service.log.warn("lease6.decline_unsent", pod.logPod(), "DHCPv6 DECLINE for " + pod.describe()
                        + " could not be sent: " + e.getMessage());
            }
        } else {
            client.stop();
        }
        nextBound.completeExceptionally(new Dhcp6LeaseException("the DHCPv6 lease of " + pod.interfaceDescription()
                + " was declined while it was being acquired"));
        forget(true);
        return Optional.ofNullable(had);
    }

    /** The held lease at once, else the next bind, waiting at most {@code timeout}. */
    HeldLease6 await(Duration timeout) throws Dhcp6LeaseException {
        CompletableFuture<HeldLease6> bound;
        synchronized (this) {
            if (held != null && !forgotten) {
                return held;
            }
            bound = nextBound;
        }
        try {
            return bound.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new Dhcp6LeaseException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            synchronized (this) {
                throw new Dhcp6LeaseException("no DHCPv6 lease for " + pod.interfaceDescription() + " within "
                        + timeout.toMillis() + " ms" + lastFailure.map(f -> "; last failure: " + f).orElse(""));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Dhcp6LeaseException("interrupted while acquiring a DHCPv6 lease for "
                    + pod.interfaceDescription());
        }
    }

    synchronized Optional<Lease6Status> status() {
        if (forgotten) {
            return Optional.empty();
        }
        String state = client == null ? "starting" : client.state().name().toLowerCase(Locale.ROOT);
        return Optional.of(new Lease6Status(pod, state, Optional.ofNullable(held), lostSinceBound,
                Optional.ofNullable(lostAddress), lastFailure));
    }

    /** The client's state while a lease is held, null while none is; read without the lock. */
    Dhcp6ClientState heldState() {
        return heldState;
    }

    synchronized Optional<HeldLease6> snapshot() {
        return forgotten ? Optional.empty() : Optional.ofNullable(held);
    }

    /** RELEASE from the pod (when its netns is still there) and forget. */
    synchronized Optional<HeldLease6> release() {
        if (forgotten) {
            return Optional.empty();
        }
        HeldLease6 had = held;
        boolean fromNode = false;
        if (client != null) {
            if (client.lease().isPresent() && Files.exists(pod.netns())) {
                try {
                    client.release();
                } catch (IOException e) {
                    // The pod's interface is gone (a DEL that cni-terway ran while the daemon was down deleted it).
                    service.log.warn("lease6.release_unsent", pod.logPod(), "DHCPv6 RELEASE for " + pod.describe()
                            + " could not be sent from the pod: " + e.getMessage());
                    fromNode = true;
                }
            } else {
                fromNode = client.lease().isPresent();
                client.stop();
            }
        }
        nextBound.completeExceptionally(new Dhcp6LeaseException("the DHCPv6 lease of " + pod.interfaceDescription()
                + " was released while it was being acquired"));
        forget(true);
        if (fromNode && had != null) {
            service.releaseFromNode(had, "DHCPv6 lease of " + had.describe() + " (its pod interface is gone)");
        } else if (had != null) {
            service.log.info("lease6.released", pod.logPod(), "released DHCPv6 lease of " + had.describe(), "address",
                    had.lease().address().toString(), "server", had.lease().server().toString());
        }
        return Optional.ofNullable(had);
    }

    /** Daemon shutdown: no release, the stored lease stays. */
    synchronized void stop() {
        if (client != null && !forgotten) {
            client.stop();
        }
        forgotten = true;
        heldState = null;
        deadline.cancel();
        closeSocket();
    }

    synchronized void forget(boolean deleteStored) {
        forgotten = true;
        heldState = null;
        deadline.cancel();
        closeSocket();
        service.pods.remove(key, this);
        if (deleteStored) {
            service.delete(key);
        }
    }

    // ---- events ----

    private void onTimer(long forGeneration) {
        synchronized (this) {
            if (forgotten || !deadline.fired(forGeneration)) {
                return;
            }
            client.onTimer();
            afterEvent();
        }
    }

    private void retryAcquire(long forGeneration) {
        synchronized (this) {
            if (forgotten || !deadline.fired(forGeneration)) {
                return;
            }
            if (!Files.exists(pod.netns())) {
                service.log.info("lease6.forgotten", pod.logPod(), "forgot DHCPv6 lease of " + pod.describe()
                        + ": its netns " + pod.netns()
                        + " is gone");
                forget(true);
                return;
            }
            client.start();
            afterEvent();
        }
    }

    /** After every client event: socket closed once BOUND or STOPPED, timer at the next deadline. */
    private void afterEvent() {
        if (forgotten) {
            return;
        }
        Dhcp6ClientState state = client.state();
        heldState = held != null ? state : null;
        if (state == Dhcp6ClientState.BOUND || state == Dhcp6ClientState.STOPPED) {
            closeSocket();
        }
        if (state == Dhcp6ClientState.STOPPED) {
            return;
        }
        deadline.follow(client.nextDeadline(), gen -> () -> onTimer(gen));
    }

    // ---- socket ----

    private Pod6Socket openSocket(Duration linkLocalWait) throws IOException {
        if (socket == null) {
            socket = service.sockets.open(pod.netns(), pod.ifname(), linkLocalWait);
            Pod6Socket s = socket;
            try {
                service.receivers.execute(() -> receiveLoop(s));
            } catch (RejectedExecutionException e) {
                service.log.warn("lease6.no_receiver", pod.logPod(), "no DHCPv6 receive thread for "
                        + pod.describe() + ": " + e.getMessage());
            }
        }
        return socket;
    }

    private void receiveLoop(Pod6Socket s) {
        byte[] buffer = new byte[4096];
        while (true) {
            OptionalInt length;
            try {
                length = s.receive(buffer, RECEIVE_SLICE);
            } catch (IOException e) {
                synchronized (this) {
                    if (socket == s && !forgotten) {
                        service.log.warn("lease6.receive_failed", pod.logPod(), "receiving DHCPv6 on "
                                + pod.interfaceDescription() + " failed: "
                                + e.getMessage());
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
                    int n = length.getAsInt();
                    if (n > 0) {
                        Dhcp6MessageType.of(buffer[0] & 0xff).ifPresent(t -> service.counters.count(counterName(t,
                                "Received")));
                    }
                    client.onDatagram(buffer, 0, n);
                    afterEvent();
                }
            }
        }
    }

    private void closeSocket() {
        listenWindow.cancel();
        if (socket != null) {
            Pod6Socket s = socket;
            socket = null;
            s.close();
        }
    }

    // ---- Dhcp6Transport (called by the client, under this monitor) ----

    @Override
    public void multicast(Dhcp6Message message) throws IOException {
        send(message, NetnsUdp6Socket.ALL_DHCP_RELAY_AGENTS_AND_SERVERS);
    }

    @Override
    public void unicast(Dhcp6Message message, Ipv6 server) throws IOException {
        send(message, server);
    }

    private void send(Dhcp6Message message, Ipv6 to) throws IOException {
        byte[] bytes = message.encode();
        openSocket(service.settings.linkLocalWait()).send(bytes, bytes.length, to, SERVER_PORT);
        service.counters.count(counterName(message.type(), "Sent"));
        listenWindow.schedule(service.clock.instant().plus(LISTEN_WINDOW), gen -> () -> {
            synchronized (this) {
                if (listenWindow.fired(gen) && !forgotten) {
                    closeSocket();
                }
            }
        });
    }

    private static String counterName(Dhcp6MessageType type, String way) {
        String name = type.name().charAt(0) + type.name().substring(1).toLowerCase().replace("_", "");
        return "dhcp6" + name + way;
    }

    // ---- Dhcp6Listener (called by the client, under this monitor) ----

    @Override
    public void bound(IaNaLease lease) {
        HeldLease6 now = new HeldLease6(pod, duid, lease);
        boolean firstByCaller = firstBindIsTheCallers;
        boolean reacquired = lostSinceBound;
        boolean restored = restoring && !reacquired;
        held = now;
        firstBindIsTheCallers = false;
        lostSinceBound = false;
        lostAddress = null;
        restoring = false;
        lastFailure = Optional.empty();
        // before the caller of acquire() is woken below: a scrape after the ADD sees the lease held
        heldState = client.state();
        service.save(key, now);
        service.log.info(reacquired ? "lease6.reacquired" : restored ? "lease6.restored" : "lease6.acquired",
                pod.logPod(), (reacquired ? "acquired again" : restored ? "restored" : "acquired") + " DHCPv6 lease of "
                + now.describe(), fields(now));
        if (firstByCaller && acquireBegan != null) {
            service.timings.leaseAcquired(Duration.between(acquireBegan, service.clock.instant()));
        }
        if (!firstByCaller) {
            Dhcp6LeaseEvents.Kind kind = reacquired ? Dhcp6LeaseEvents.Kind.REACQUIRED
                    : restored ? Dhcp6LeaseEvents.Kind.RESTORED : Dhcp6LeaseEvents.Kind.RENEWED;
            service.emit(pod.logPod(), () -> service.events.bound(kind, now));
        }
        nextBound.complete(now);
    }

    /**
     * Before the first REQUEST of an ADD's acquisition: the request on record, marked, so that a daemon killed
     * before the REPLY is stored releases the binding at its next start (the ADD that asked got no lease, and a
     * binding nobody knows of would hold the address until its valid lifetime ends).
     */
    @Override
    public void requesting(Duid server, Ipv6 address) {
        if (firstBindIsTheCallers) {
            service.saveFirstRequest(key, new HeldLease6(pod, duid, IaNaLease.of(address, Dhcp6LeaseService.IAID,
                    server, Optional.empty(), 0, 0, 0, 0, List.of(), List.of(),
                    service.clock.instant())));
        }
    }

    @Override
    public void renewed(IaNaLease lease) {
        HeldLease6 now = new HeldLease6(pod, duid, lease);
        held = now;
        service.save(key, now);
        service.log.info("lease6.renewed", pod.logPod(), "renewed DHCPv6 lease of " + now.describe() + " (preferred "
                + lease.preferred().getSeconds() + " s, valid " + lease.valid().getSeconds() + " s)", fields(now));
        service.emit(pod.logPod(), () -> service.events.bound(Dhcp6LeaseEvents.Kind.RENEWED, now));
    }

    @Override
    public void lost(IaNaLease lease, Dhcp6LossReason reason, String why) {
        service.counters.lost(reason);
        HeldLease6 had = held != null ? held : new HeldLease6(pod, duid, lease);
        // reason: the fixed set the metrics count by (expired, not_on_link, withdrawn, address_changed); msg says why
        service.log.warn("lease6.lost", pod.logPod(), "lost DHCPv6 lease of " + had.describe() + ": " + why
                + "; asking for " + lease.address() + " again", "address", lease.address().toString(), "server",
                lease.server().toString(), "reason", reason.label());
        held = null;
        heldState = null;
        lostSinceBound = true;
        lostAddress = lease.address();
        if (nextBound.isDone()) {
            nextBound = new CompletableFuture<>();
        }
        service.emit(pod.logPod(), () -> service.events.lost(had, why));
    }

    @Override
    public void failed(String report) {
        lastFailure = Optional.of(report);
        if (firstBindIsTheCallers) {
            nextBound.completeExceptionally(new Dhcp6LeaseException(report));
            return; // acquire() forgets the pod
        }
        service.log.warn("lease6.acquire_failed", pod.logPod(), pod.describe() + ": " + report + "; trying again in "
                + service.settings.reacquireRetry().toSeconds() + " s");
        deadline.schedule(service.clock.instant().plus(service.settings.reacquireRetry()),
                gen -> () -> retryAcquire(gen));
    }

    @Override
    public void stateChanged(Dhcp6ClientState from, Dhcp6ClientState to) {
        if (held != null) {
            heldState = to;
        }
        // A renewal's first message: RENEW at T1, or REBIND at once when the timer (or the restart) came after T2.
        boolean renewalBegins = (from == Dhcp6ClientState.BOUND && to == Dhcp6ClientState.RENEWING)
                || (to == Dhcp6ClientState.REBINDING
                && (from == Dhcp6ClientState.BOUND || from == Dhcp6ClientState.STOPPED));
        if (renewalBegins && client != null && client.lease().isPresent()) {
            service.counters.renewalBegan(client.lease().get().renewAt(), service.clock.instant());
        }
        if (to == Dhcp6ClientState.REBINDING && from == Dhcp6ClientState.RENEWING && held != null) {
            service.log.info("lease6.rebinding", pod.logPod(), "rebinding DHCPv6 lease of " + held.describe()
                    + ": no answer from its server", "address", held.lease().address().toString(), "server",
                    held.lease().server().toString());
        }
    }

    @Override
    public void exchanged(Dhcp6ExchangeOutcome outcome) {
        service.counters.exchanged(outcome);
    }

    @Override
    public void warning(String message) {
        service.log.warn("lease6.warning", pod.logPod(), pod.describe() + ": " + message);
    }

    /** The facts of a bound lease as log fields. */
    private static String[] fields(HeldLease6 held) {
        IaNaLease lease = held.lease();
        return new String[] {"address", lease.address().toString(), "server", lease.server().toString(),
                "preferredLifetime", Long.toString(lease.preferred().getSeconds()),
                "validLifetime", Long.toString(lease.valid().getSeconds()), "expires", lease.expiresAt().toString()};
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}

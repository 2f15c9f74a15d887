package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.AcquireFailure;
import dev.terway.dhcp.client.AddressChange;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.AddressConflict;
import dev.terway.dhcp.client.ClientState;
import dev.terway.dhcp.client.DhcpClient;
import dev.terway.dhcp.client.DhcpClientConfig;
import dev.terway.dhcp.client.ExchangeOutcome;
import dev.terway.dhcp.client.Lease;
import dev.terway.dhcp.client.LeaseListener;
import dev.terway.dhcp.client.LeaseLoss;
import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.log.EventLog;
import dev.terway.net.Ipv4;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The lease of one pod interface and the events it emits: its {@link DhcpClient}, driven by its timer (T1,
 * T2, expiry, retransmissions) and by the datagrams of its {@link PodExchange}; the lease it holds; and the
 * {@link LeaseEvents} (bound, renewed, lost, re-acquired, restored) handed to the address upkeep off its lock.
 * Every event runs under this object's monitor, which is what the non-thread-safe client needs. Lease
 * changes are saved in the {@link LeaseRecords} before they are reported.
 */
final class PodLease implements LeaseListener {

    private final PodLeaseContext context;
    private final DhcpLeaseService.Settings settings;
    private final LeaseCounters counters;
    private final EventLog log;
    private final PodIdentity pod;
    private final LeaseKey key;
    private final String clientId;
    private final Optional<String> hostname;
    private final AddressChangePolicy onAddressChange;
    private final Optional<PodNetworkConfig> network;
    private final PodExchange exchange;
    /** Obtained through acquire(): CNI ADD configures the first address, so the first bind changes nothing. */
    private boolean firstBindIsTheCallers;

    private DhcpClient client;
    private final LeaseDeadline deadline;
    /** The lease the pod holds now; null while it has none. */
    private HeldLease held;
    /** Completed by the next bind; replaced when a lease is lost. */
    private CompletableFuture<HeldLease> nextBound = new CompletableFuture<>();
    /** The lease was lost (expiry, NAK) and the next bind must put the address back. */
    private boolean lostSinceBound;
    /** The address of the lease lost last, until a lease is bound again. */
    private Ipv4 lostAddress;
    /** Released, failed or stopped: events that still arrive are ignored. */
    private boolean forgotten;
    private Optional<String> lastFailure = Optional.empty();
    /** The client's state, for {@link DhcpLeaseService#clientsByState} to read without the lock. */
    private volatile ClientState clientState = ClientState.STOPPED;
    /** When acquire() began this pod's first acquisition: its time to lease counts from here. */
    private Instant acquireBegan;

    PodLease(PodLeaseContext context, PodIdentity pod, String clientId, Optional<String> hostname,
             boolean firstBindIsTheCallers, AddressChangePolicy onAddressChange, Optional<PodNetworkConfig> network) {
        this.context = context;
        this.deadline = new LeaseDeadline(context.timer());
        this.settings = context.settings();
        this.counters = context.counters();
        this.log = context.log();
        this.pod = pod;
        this.network = network;
        this.key = new LeaseKey(pod.containerId(), pod.ifname());
        this.clientId = clientId;
        this.hostname = hostname;
        this.firstBindIsTheCallers = firstBindIsTheCallers;
        this.onAddressChange = onAddressChange;
        this.exchange = new PodExchange(context, pod, this, new PodExchange.Receiver() {
            @Override
            public boolean active() {
                return !forgotten;
            }

            @Override
            public void onDatagram(byte[] buffer, int length) {
                client.onDatagram(buffer, 0, length);
                afterEvent();
            }
        });
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
            exchange.open();
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
        exchange.startReceiving();
        acquireBegan = context.clock().instant();
        client.start();
        afterEvent();
    }

    /** Takes up a stored lease: INIT-REBOOT. */
    synchronized void reboot(HeldLease stored) {
        exchange.useMac(stored.hardwareAddress());
        held = stored;
        try {
            client = newClient(settings.defaultTimeout(), Optional.empty());
            client.reboot(stored.lease());
        } catch (IllegalArgumentException e) {
            log.error("lease.restore_failed", pod.logPod(), "cannot take up the stored lease of " + pod.describe() + ": "
                    + e.getMessage());
            forget(false);
            return;
        }
        afterEvent();
    }

    private DhcpClient newClient(Duration acquireTimeout, Optional<Ipv4> requested) {
        DhcpClientConfig.Builder config = DhcpClientConfig.builder(pod.interfaceDescription(),
                        HardwareAddress.parse(exchange.mac()))
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
        return new DhcpClient(config.build(), exchange, exchange, this, context.clock(),
                new SplittableRandom(context.seeds().nextLong()));
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

    ClientState clientState() {
        return clientState;
    }

    synchronized Optional<HeldLease> snapshot() {
        return forgotten ? Optional.empty() : Optional.ofNullable(held);
    }

    /**
     * What the pod's lease is doing now, for the daemon's {@code status}: empty once it was released or
     * forgotten.
     */
    synchronized Optional<LeaseStatus> status() {
        if (forgotten) {
            return Optional.empty();
        }
        String state = client == null ? "starting" : client.state().name().toLowerCase(Locale.ROOT);
        return Optional.of(new LeaseStatus(pod, state, Optional.ofNullable(held), lostSinceBound,
                Optional.ofNullable(lostAddress), lastFailure));
    }

    /**
     * DHCPRELEASE and forget. From the pod when it holds the address (from the node if that fails); from the
     * node at once when {@code unplugged}: the caller deleted the pod's interface first.
     */
    synchronized Optional<HeldLease> release(boolean unplugged) {
        HeldLease had = held;
        if (forgotten) {
            return Optional.empty();
        }
        if (client != null) {
            if (client.lease().isPresent() || client.state() == ClientState.PROBING) {
                // PROBING: acknowledged, so committed by the server, but not on the pod yet
                exchange.releaseFromPod(!unplugged && client.lease().isPresent()
                        && context.events().holds(pod, client.lease().get().cidr()));
                try {
                    client.release();
                } catch (IOException e) {
                    log.warn("lease.release_unsent", pod.logPod(), "DHCPRELEASE for " + pod.describe()
                            + " could not be sent: " + e.getMessage());
                }
            } else {
                client.stop();
            }
        }
        nextBound.completeExceptionally(new LeaseException("the lease of " + pod.interfaceDescription()
                + " was released while it was being acquired"));
        forget(true);
        if (had != null) {
            log.info("lease.released", pod.logPod(), "released " + pod.describe() + " address " + had.cidr()
                    + " server " + had.server(), "address", had.cidr(), "server", had.server().toString());
        }
        return Optional.ofNullable(had);
    }

    /** Daemon shutdown: no release, the file stays. */
    synchronized void stop() {
        if (client != null && !forgotten) {
            client.stop();
        }
        forgotten = true;
        deadline.cancel();
        exchange.close();
    }

    /** Drops the pod: timer, socket, map entry, and (if asked) its stored lease. */
    synchronized void forget(boolean deleteStored) {
        forgotten = true;
        deadline.cancel();
        exchange.close();
        context.pods().remove(key, this);
        if (deleteStored) {
            context.records().delete(key);
        }
    }

    // ---- events ----

    private void onTimer(long forGeneration) {
        synchronized (this) {
            if (forgotten || !deadline.fired(forGeneration)) {
                return;
            }
            exchange.readArp(client);
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
                log.info("lease.forgotten", pod.logPod(), "forgot " + pod.describe() + ": its netns " + pod.netns()
                        + " is gone");
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
        if (exchange.netnsGone() && !Files.exists(pod.netns())) {
            podGone();
            return;
        }
        ClientState state = client.state();
        // PROBING listens for ARP only (the ACK is in): the DHCP socket would hold one of the daemon's few
        // receive threads through the whole probe, and in a boot storm the pods past the pool's size waited
        // a probe's length for a thread before they could see their OFFER.
        if (state == ClientState.BOUND || state == ClientState.STOPPED || state == ClientState.PROBING) {
            exchange.closeSocket();
        }
        if (state != ClientState.PROBING) {
            exchange.closeArpSocket();
        }
        if (state == ClientState.STOPPED) {
            return; // failed(): a retry, if any, has been scheduled there
        }
        deadline.follow(client.nextDeadline(), gen -> () -> onTimer(gen));
    }

    /** The netns went away without a CNI DEL: nobody will use the lease again. */
    private void podGone() {
        HeldLease had = held;
        if (client.lease().isPresent() || client.state() == ClientState.PROBING) {
            exchange.releaseFromPod(false);
            try {
                client.release(); // the transport falls back to the node
            } catch (IOException e) {
                log.warn("lease.release_unsent", pod.logPod(), "DHCPRELEASE for " + pod.describe()
                        + " could not be sent: " + e.getMessage());
            }
        } else {
            client.stop();
        }
        nextBound.completeExceptionally(new LeaseException("cannot acquire a lease for "
                + pod.interfaceDescription() + ": its netns " + pod.netns() + " disappeared"));
        forget(true);
        String message = "released " + pod.describe() + (had == null ? "" : " address " + had.cidr() + " server "
                + had.server()) + " (its netns " + pod.netns() + " is gone)";
        if (had == null) {
            log.info("lease.released", pod.logPod(), message);
        } else {
            log.info("lease.released", pod.logPod(), message, "address", had.cidr(), "server", had.server().toString());
        }
    }

    private HeldLease held(Lease lease) {
        return new HeldLease(pod, exchange.mac(), clientId, hostname, onAddressChange, network, lease);
    }

    private void emit(LeaseEvents.Kind kind, HeldLease lease) {
        LeaseEvents.Bound bound = new LeaseEvents.Bound(kind, lease, network);
        context.queue().submit(() -> context.events().bound(bound));
    }

    // ---- LeaseListener (called by the client, under this monitor) ----

    @Override
    public void bound(Lease lease) {
        HeldLease now = held(lease);
        boolean firstByCaller = firstBindIsTheCallers;
        boolean restoring = !firstByCaller && !lostSinceBound && held != null;
        boolean reacquired = lostSinceBound;
        // A restored lease kept after INIT-REBOOT went unanswered is the stored one: no server replied.
        boolean answered = !(restoring && held.lease().equals(lease));
        if (reacquired && now.address().equals(lostAddress)) {
            counters.addressesRegained.incrementAndGet();
        }
        lostAddress = null;
        held = now;
        firstBindIsTheCallers = false;
        lostSinceBound = false;
        lastFailure = Optional.empty();
        if (!context.records().save(key, now) && firstByCaller) {
            // The request's record is still there and would make the next start release a lease that a
            // running pod holds.
            context.records().delete(key);
        }
        if (firstByCaller && acquireBegan != null) {
            context.timings().get().leaseAcquired(Duration.between(acquireBegan, context.clock().instant()));
        }
        if (answered) {
            context.servers().replied(now.server(), context.clock().instant());
        }
        String event = reacquired ? "acquired again" : restoring ? "restored" : "acquired";
        logLease(reacquired ? "lease.reacquired" : restoring ? "lease.restored" : "lease.acquired", event, now);
        if (!firstByCaller) {
            emit(reacquired ? LeaseEvents.Kind.REACQUIRED
                    : restoring ? LeaseEvents.Kind.RESTORED : LeaseEvents.Kind.RENEWED, now);
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
        context.records().saveFirstRequest(key, held(offered));
    }

    @Override
    public void renewed(Lease lease) {
        HeldLease now = held(lease);
        held = now;
        context.records().save(key, now);
        context.servers().replied(now.server(), context.clock().instant());
        logLease("lease.renewed", "renewed", now);
        emit(LeaseEvents.Kind.RENEWED, now);
    }

    /**
     * The address comes off the pod before this returns (at most {@link LeaseEventQueue#REMOVAL_WAIT}), in the
     * order of the upkeep queue: the client's next DISCOVER asks for the same address again, and a server that
     * pings an address before it offers it (dnsmasq does) would hear the pod answer and offer another.
     */
    @Override
    public void lost(Lease lease, LeaseLoss loss) {
        HeldLease had = held != null ? held : held(lease);
        counters.lost(loss.reason());
        boolean expired = loss.reason() == LeaseLoss.Reason.EXPIRED;
        loss.server().ifPresent(s -> context.servers().replied(s, context.clock().instant()));
        log.warn(expired ? "lease.expired" : "lease.lost", pod.logPod(), (expired ? "expired" : "lost") + " "
                + pod.describe() + " address " + had.cidr() + " server " + had.server() + ": " + loss.describe()
                + "; asking for " + lease.address() + " again", "address", had.cidr(), "server",
                had.server().toString(), "reason", loss.reason().name().toLowerCase(Locale.ROOT));
        held = null;
        lostSinceBound = true;
        lostAddress = lease.address();
        if (nextBound.isDone()) {
            nextBound = new CompletableFuture<>();
        }
        String cidr = lease.cidr();
        context.queue().submitAndWait(() -> context.events().lost(pod, cidr, loss.describe()));
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
        (change.policy() == AddressChangePolicy.FOLLOW ? counters.addressChangesFollowed
                : counters.addressChangesRemoved).incrementAndGet();
        if (change.policy() == AddressChangePolicy.FOLLOW) {
            log.warn("lease.address_changed", pod.logPod(), what + "the pod has " + granted + " now, while Kubernetes"
                    + " still knows it as " + change.previous() + " (pod status, endpoints) until the pod is re-created",
                    "previous", previous, "address", granted, "policy", change.policy().configName());
        } else {
            log.warn("lease.address_changed", pod.logPod(), what + granted + " was released and the pod is left"
                    + " without an address; re-create the pod to give it one", "previous", previous, "address",
                    granted, "policy", change.policy().configName());
            String report = "the lease of " + pod.interfaceDescription() + " was lost and the server granted "
                    + granted + " instead of " + previous + "; onAddressChange remove left the pod without an"
                    + " address";
            lastFailure = Optional.of(report);
            nextBound.completeExceptionally(new LeaseException(report));
            forget(true);
        }
        AddressChangeReport report = new AddressChangeReport(pod, previous, granted, change.policy(),
                change.cause().describe(), context.clock().instant());
        Consumer<AddressChangeReport> sink = context.addressChanges().get();
        context.queue().submit(() -> {
            try {
                sink.accept(report);
            } catch (RuntimeException e) {
                log.warn("attachment.note_failed", pod.logPod(), "could not note the address change of "
                        + pod.describe() + ": " + e.getMessage());
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
            exchange.markNetnsGone();
            return;
        }
        log.warn("lease.reacquire_failed", pod.logPod(), pod.describe() + ": " + report + "; trying again in "
                + settings.reacquireRetry().toSeconds() + " s");
        deadline.schedule(context.clock().instant().plus(settings.reacquireRetry()), gen -> () -> retryAcquire(gen));
    }

    @Override
    public void declined(AddressConflict conflict) {
        long n = counters.addressConflicts.incrementAndGet();
        log.warn("lease.conflict", pod.logPod(), "address conflict: " + pod.describe() + " was offered " + conflict.address() + " by server "
                + conflict.server() + ", but " + conflict.claimant() + " " + conflict.claim().text()
                + "; declined it (DHCPDECLINE) and discovering again in "
                + AcquireFailure.seconds(settings.declineWait()) + " (" + n + " address conflict"
                + (n == 1 ? "" : "s") + " since the daemon started)", "address", conflict.address().toString(),
                "server", conflict.server().toString());
    }

    @Override
    public void unprobed(Lease lease, String why) {
        counters.unprobedBinds.incrementAndGet();
        log.warn("lease.unprobed", pod.logPod(), pod.describe() + ": " + why + "; binding " + lease.address()
                + " without checking that it is free", "address", lease.address().toString());
    }

    @Override
    public void stateChanged(ClientState from, ClientState to) {
        clientState = to;
        if (from == ClientState.BOUND && to == ClientState.RENEWING && client.lease().isPresent()) {
            counters.renewalBegan(client.lease().get().renewAt(), context.clock().instant());
        }
        if (from == ClientState.BOUND && to == ClientState.RENEWING && held != null) {
            emit(LeaseEvents.Kind.RENEWAL_DUE, held);
        }
        if (to == ClientState.REBINDING && held != null) {
            log.info("lease.rebinding", pod.logPod(), "rebinding " + describe(held) + ": no answer from the server"
                    + " while renewing", "address", held.cidr(), "server", held.server().toString());
        }
    }

    @Override
    public void exchanged(ExchangeOutcome outcome) {
        counters.exchanged(outcome);
    }

    @Override
    public void warning(String message) {
        log.warn("dhcp.warning", pod.logPod(), pod.describe() + ": " + message);
    }

    /** One line per lease event: the human words and the lease's facts as keys. */
    private void logLease(String event, String words, HeldLease lease) {
        log.info(event, pod.logPod(), words + " " + describe(lease), "address", lease.cidr(), "server",
                lease.server().toString(), "gateway", lease.gateway().map(Ipv4::toString).orElse(""), "expires",
                lease.expires().toString());
    }

    private String describe(HeldLease lease) {
        return pod.describe() + " address " + lease.cidr() + " server " + lease.server()
                + lease.gateway().map(g -> " gateway " + g).orElse("")
                + " expires " + lease.expires();
    }
}

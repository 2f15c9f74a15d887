package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DhcpOption;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The RFC 2131 client state machine for one interface, without threads, sockets or timers of its own.
 * The owner feeds it events — {@link #start()}, {@link #reboot(Lease)}, {@link #onPacket} /
 * {@link #onDatagram}, {@link #onArp}, {@link #onTimer()}, {@link #release()}, {@link #stop()} — and calls
 * {@link #onTimer()} again at {@link #nextDeadline()}. Messages go out through the {@link DhcpTransport},
 * ARP probes through the {@link AddressProbe}, results come back through the {@link LeaseListener}, time
 * comes from the injected clock and randomness (xids, jitter) from the injected generator, so a test
 * replays it exactly.
 *
 * <p>With {@link DhcpClientConfig#arpProbe()} set, an ACK in REQUESTING does not bind at once: the client
 * probes the address (PROBING, RFC 2131 section 4.4.1 and RFC 5227 section 2.1.1), binds it when nothing
 * claimed it within the probe time, and otherwise sends DHCPDECLINE, waits
 * {@link DhcpClientConfig#declineWait()} in INIT and discovers again (RFC 2131 section 3.1 step 5), within
 * the acquisition's timeout (only a probe under way may finish past it). A declined address is not asked for again (option 50), but an OFFER of
 * it is taken and probed again like any other: servers answer a DECLINE differently (ISC dhcpd and Kea take
 * the address out of service, dnsmasq moves the client's next pick, which may land on it again in a small
 * pool), and the squatter may have gone. A failure report names the declined addresses.
 *
 * <p>Not thread-safe: one owner thread (or lock) per client.
 */
public final class DhcpClient {

    private static final int MAX_NOTES = 8;

    private final DhcpClientConfig config;
    private final DhcpTransport transport;
    private final AddressProbe probe;
    private final LeaseListener listener;
    private final InstantSource clock;
    private final RandomGenerator random;

    private ClientState state = ClientState.STOPPED;
    /** The lease the pod holds: BOUND, RENEWING, REBINDING, REBOOTING (and after stop()). */
    private Lease lease;
    private int xid;
    /** Start of the current exchange, for the secs field. */
    private Instant transactionStart;
    /** Transmissions in the current exchange. */
    private int attempts;
    private Instant nextSend;
    /** When the first REQUEST of the current exchange went out: leases count from there. */
    private Instant firstRequestAt;
    /** The OFFER being requested in REQUESTING. */
    private DhcpMessage offer;
    /** Counters for the failure report; present while acquiring from INIT. */
    private Acquisition acquisition;
    /** PROBING: the acknowledged lease under test, the probes sent, the next one due, and when it binds. */
    private Lease probing;
    private int probesSent;
    private Instant nextProbe;
    private Instant probeEnds;
    /** INIT after a DHCPDECLINE: when to discover again. */
    private Instant restartAt;
    /**
     * The address of the last lease lost without a release (NAK, expiry), and how: asked for again (option
     * 50 in DISCOVER) until a lease is bound, so that a server that lost its database gives the pod the
     * address Kubernetes knows; a lease for another address is then an {@link AddressChange}.
     */
    private Ipv4 lostAddress;
    private LeaseLoss lostHow;
    private final ClientEvents events = new ClientEvents("DhcpClient");

    /** A client that never probes: {@code config} must have no {@link DhcpClientConfig#arpProbe()}. */
    public DhcpClient(DhcpClientConfig config, DhcpTransport transport, LeaseListener listener, InstantSource clock,
                      RandomGenerator random) {
        this(config, transport, AddressProbe.NONE, listener, clock, random);
    }

    public DhcpClient(DhcpClientConfig config, DhcpTransport transport, AddressProbe probe, LeaseListener listener,
                      InstantSource clock, RandomGenerator random) {
        this.config = Objects.requireNonNull(config);
        this.transport = Objects.requireNonNull(transport);
        this.probe = Objects.requireNonNull(probe);
        if (config.probes() && probe == AddressProbe.NONE) {
            throw new IllegalArgumentException("the configuration asks for an ARP probe of " + config.arpProbe()
                    + " but the client has no AddressProbe to send it");
        }
        this.listener = Objects.requireNonNull(listener);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
    }

    public ClientState state() {
        return state;
    }

    public Optional<Lease> lease() {
        return Optional.ofNullable(lease);
    }

    public DhcpClientConfig config() {
        return config;
    }

    /** When {@link #onTimer()} has work to do; empty while STOPPED (or BOUND to nothing). */
    public Optional<Instant> nextDeadline() {
        return switch (state) {
            case SELECTING, REQUESTING -> Optional.of(earlier(nextSend, acquisition.deadline));
            case PROBING -> Optional.of(nextProbe == null ? probeEnds : earlier(nextProbe, probeEnds));
            case INIT -> Optional.ofNullable(restartAt);
            case BOUND -> Optional.of(lease.renewAt());
            case RENEWING -> Optional.of(earlier(nextSend, lease.rebindAt()));
            case REBINDING, REBOOTING -> Optional.of(earlier(nextSend, lease.expiresAt()));
            case STOPPED, INIT_REBOOT -> Optional.empty();
        };
    }

    /** Acquires a new lease: INIT, then DISCOVER. */
    public void start() {
        events.run("start", () -> {
            requireStopped("start");
            lease = null;
            beginAcquisition(clock.instant());
        });
    }

    /**
     * Restores a lease persisted before a restart (INIT-REBOOT): broadcasts a REQUEST for its address.
     * An ACK rebinds it, a NAK loses it and acquires anew; with no answer after {@code maxRequests}
     * tries the client keeps it until it expires (RFC 2131 section 3.2), renewing as usual. A lease
     * already expired is reported lost at once.
     */
    public void reboot(Lease held) {
        events.run("reboot", () -> {
            requireStopped("reboot");
            Instant now = clock.instant();
            lease = null;
            transition(ClientState.INIT_REBOOT);
            if (!now.isBefore(held.expiresAt())) {
                LeaseLoss loss = new LeaseLoss(LeaseLoss.Reason.EXPIRED, ClientState.INIT_REBOOT, Optional.empty(),
                        Optional.empty());
                remember(held, loss);
                listener.lost(held, loss);
                beginAcquisition(now);
                return;
            }
            lease = held;
            beginExchange(now);
            transition(ClientState.REBOOTING);
            sendRebootRequest(now);
        });
    }

    /** Decodes a received datagram and handles it; malformed ones are noted and dropped. */
    public void onDatagram(byte[] data, int offset, int length) {
        events.runDecoded("onDatagram", data, offset, length, DhcpMessage::decode,
                why -> ignore("malformed reply: " + why), message -> handle(message, clock.instant()));
    }

    /** Handles a received message; replies for other transactions or clients are dropped silently. */
    public void onPacket(DhcpMessage message) {
        events.run("onPacket", () -> {
            handle(message, clock.instant());
        });
    }

    /**
     * An ARP packet received on the interface. While PROBING, one that shows the address in use by another
     * host (RFC 5227 section 2.1.1: {@link ArpPacket#claims}) makes the client decline it; in any other
     * state, or when it claims nothing, it is dropped.
     */
    public void onArp(ArpPacket packet) {
        events.run("onArp", () -> {
            if (state != ClientState.PROBING) {
                return;
            }
            Optional<ArpPacket.Claim> claim = packet.claims(probing.address(), config.hardwareAddress());
            if (claim.isPresent()) {
                decline(clock.instant(), packet.senderMac(), claim.get());
            }
        });
    }

    /** Does whatever is due by now: retransmissions, probes, T1, T2, expiry, acquire deadline. */
    public void onTimer() {
        events.run("onTimer", () -> {
            Instant now = clock.instant();
            Optional<Instant> due = nextDeadline();
            while (due.isPresent() && !due.get().isAfter(now)) {
                handleDue(now);
                due = nextDeadline();
            }
        });
    }

    /**
     * Gives the lease back with a DHCPRELEASE to its server and stops. Returns the released lease, empty
     * when none was held (a no-op). A lease acknowledged but still being probed counts as held: the server
     * has committed it. The client is STOPPED even when sending fails.
     */
    public Optional<Lease> release() throws IOException {
        return events.call("release", () -> {
            Lease held = lease != null ? lease : probing;
            Instant now = clock.instant();
            halt();
            lostAddress = null;
            lostHow = null;
            if (held == null) {
                return Optional.empty();
            }
            xid = random.nextInt();
            transactionStart = now;
            DhcpMessage message = releaseMessage(config.hardwareAddress(), config.clientId(), held.address(),
                    held.serverId(), xid);
            transport.unicast(message, held.serverId());
            return Optional.of(held);
        });
    }

    /** Stops without a word to the server (daemon shutdown): the lease stays valid and readable. */
    public void stop() {
        events.run("stop", () -> {
            Lease held = lease;
            halt();
            lease = held;
        });
    }

    // ---- events ----

    private void handle(DhcpMessage m, Instant now) {
        boolean expecting = state == ClientState.SELECTING || state == ClientState.REQUESTING
                || state == ClientState.RENEWING || state == ClientState.REBINDING || state == ClientState.REBOOTING;
        if (!expecting || m.op() != DhcpMessage.BOOTREPLY || m.xid() != xid || m.htype() != DhcpMessage.HTYPE_ETHERNET
                || !m.chaddr().equals(config.hardwareAddress())) {
            return;
        }
        Optional<MessageType> type = m.messageType();
        if (type.isEmpty()) {
            ignore("reply without a DHCP message type from " + m.siaddr());
            return;
        }
        Optional<Ipv4> server = m.serverId();
        server.ifPresent(s -> record(s, type.get(), m));
        switch (state) {
            case SELECTING -> onSelecting(m, type.get(), server, now);
            case REQUESTING -> onRequesting(m, type.get(), server, now);
            default -> onLeaseReply(m, type.get(), server, now);
        }
    }

    private void onSelecting(DhcpMessage m, MessageType type, Optional<Ipv4> server, Instant now) {
        if (type != MessageType.OFFER) {
            return;
        }
        if (server.isEmpty()) {
            ignore("OFFER of " + m.yiaddr() + " without a server identifier");
            return;
        }
        if (m.yiaddr().isAny()) {
            ignore("OFFER from " + server.get() + " without an address");
            return;
        }
        offer = m;
        attempts = 0;
        firstRequestAt = null;
        report(ExchangeOutcome.Exchange.DISCOVER, ExchangeOutcome.Result.OFFER);
        transition(ClientState.REQUESTING);
        try {
            listener.requesting(LeaseReader.read(m, now, server).lease());
        } catch (LeaseReader.UnusableAck e) {
            // An OFFER without what a lease needs (no lease time, a bad mask) leaves no record; the ACK is
            // judged on its own.
        }
        sendSelectingRequest(now);
    }

    private void onRequesting(DhcpMessage m, MessageType type, Optional<Ipv4> server, Instant now) {
        Ipv4 selected = offer.serverId().orElseThrow();
        if (type != MessageType.ACK && type != MessageType.NAK) {
            return;
        }
        if (server.isEmpty()) {
            ignore(type + " without a server identifier while requesting from " + selected);
            return;
        }
        if (!server.get().equals(selected)) {
            return;
        }
        if (type == MessageType.NAK) {
            report(ExchangeOutcome.Exchange.REQUEST, ExchangeOutcome.Result.NAK);
            listener.warning("DHCPNAK from " + selected + " for " + offer.yiaddr() + " on " + config.interfaceName()
                    + m.message().map(text -> ": \"" + text + "\"").orElse("") + "; discovering again");
            rediscover(now);
            return;
        }
        Lease acquired;
        try {
            acquired = accept(LeaseReader.read(m, firstRequestAt, server));
        } catch (LeaseReader.UnusableAck e) {
            ignore("ACK from " + selected + " unusable: " + e.getMessage());
            return;
        }
        if (config.probes()) {
            beginProbe(acquired, now);
        } else {
            bind(acquired);
        }
    }

    /**
     * The end of an acquisition: the lease is the pod's, unless it replaces a lost lease with another address
     * ({@link #settle}).
     */
    private void bind(Lease acquired) {
        report(ExchangeOutcome.Exchange.REQUEST, ExchangeOutcome.Result.ACK);
        acquisition = null;
        offer = null;
        nextSend = null;
        clearProbe();
        Ipv4 previous = lostAddress;
        LeaseLoss how = lostHow;
        lostAddress = null;
        lostHow = null;
        if (previous != null && !previous.equals(acquired.address())) {
            settle(new AddressChange(previous, acquired, how, config.onAddressChange()), clock.instant());
            return;
        }
        lease = acquired;
        transition(ClientState.BOUND);
        listener.bound(acquired);
    }

    /**
     * A lost lease came back as another address: bind it and tell (follow), or give it back and stop
     * (remove). The server has committed the new lease either way, so under remove it gets a DHCPRELEASE.
     */
    private void settle(AddressChange change, Instant now) {
        if (change.policy() == AddressChangePolicy.FOLLOW) {
            lease = change.current();
            transition(ClientState.BOUND);
            listener.addressChanged(change);
            listener.bound(change.current());
            return;
        }
        halt();
        xid = random.nextInt();
        transactionStart = now;
        send(message(MessageType.RELEASE, now, false, change.current().address())
                .put(DhcpOptions.SERVER_ID, change.current().serverId()).build(),
                Optional.of(change.current().serverId()));
        listener.addressChanged(change);
    }

    // ---- the ARP probe (RFC 2131 section 4.4.1, RFC 5227 section 2.1.1) ----

    /**
     * PROBING: {@code arpProbes} probes at equal intervals, the first at once, then a wait of two intervals
     * after the last: the proportions of RFC 5227 (PROBE_MIN 1 s between probes, ANNOUNCE_WAIT 2 s after
     * the last) scaled to {@code arpProbe}. Without RFC 5227's initial random delay (PROBE_WAIT), which
     * spreads hosts that power on together: the DHCP exchange before it already does, and a host probing
     * for the same address at the same time is itself a conflict. The probe always runs its full time, even
     * past the acquisition's deadline: a probe cut short would bind an address it had no time to check.
     */
    private void beginProbe(Lease acquired, Instant now) {
        probing = acquired;
        probesSent = 0;
        nextSend = null;
        probeEnds = now.plus(config.arpProbe());
        transition(ClientState.PROBING);
        sendProbe(now);
    }

    private Duration probeInterval() {
        return config.arpProbe().dividedBy(config.arpProbes() + 1L);
    }

    private void sendProbe(Instant now) {
        try {
            probe.probe(probing.address());
        } catch (IOException | RuntimeException e) {
            // The probe is a SHOULD (RFC 2131 section 4.4.1); a failure to send it must not cost the pod its
            // lease. The owner reports it.
            Lease unchecked = probing;
            listener.unprobed(unchecked, "sending an ARP probe for " + unchecked.address() + " on "
                    + config.interfaceName() + " failed: " + e.getMessage());
            bind(unchecked);
            return;
        }
        probesSent++;
        nextProbe = probesSent < config.arpProbes() ? now.plus(probeInterval()) : null;
    }

    /**
     * The address is in use: DHCPDECLINE to the server that offered it (RFC 2131 section 4.4.1, table 5:
     * ciaddr 0, option 50 the address, option 54 the server, a message; no parameters), then INIT, and
     * DISCOVER again after {@code declineWait} unless that would pass the acquisition's deadline.
     */
    private void decline(Instant now, HardwareAddress claimant, ArpPacket.Claim claim) {
        Lease declined = probing;
        AddressConflict conflict = new AddressConflict(declined.address(), claimant, claim, declined.serverId(), now);
        clearProbe();
        acquisition.declined.add(conflict);
        report(ExchangeOutcome.Exchange.REQUEST, ExchangeOutcome.Result.DECLINED);
        DhcpMessage message = message(MessageType.DECLINE, now, false, Ipv4.ANY)
                .put(DhcpOptions.REQUESTED_ADDRESS, declined.address())
                .put(DhcpOptions.SERVER_ID, declined.serverId())
                .put(DhcpOptions.MESSAGE, "address in use: " + claimant + " " + claim.text())
                .build();
        offer = null;
        nextSend = null;
        transition(ClientState.INIT);
        broadcast(message);
        listener.declined(conflict);
        Instant restart = now.plus(config.declineWait());
        if (!restart.isBefore(acquisition.deadline)) {
            fail(now, "acquire timeout of " + AcquireFailure.seconds(config.acquireTimeout()) + " would pass in the "
                    + AcquireFailure.seconds(config.declineWait()) + " wait before discovering again");
            return;
        }
        restartAt = restart;
    }

    private void clearProbe() {
        probing = null;
        probesSent = 0;
        nextProbe = null;
        probeEnds = null;
    }

    /** RENEWING, REBINDING, REBOOTING: a held lease is being extended or confirmed. */
    private void onLeaseReply(DhcpMessage m, MessageType type, Optional<Ipv4> server, Instant now) {
        Lease held = lease;
        ClientState from = state;
        if (from == ClientState.RENEWING && server.isPresent() && !server.get().equals(held.serverId())) {
            // RENEWING is a unicast conversation with the server that granted the lease (RFC 2131 4.4.5);
            // another server answering it, with this xid, is a rogue or a misconfigured relay. Letting its
            // NAK or ACK count would let it take the pod's address away or hand it another one.
            ignore(type + " from " + server.get() + " while renewing with " + held.serverId()
                    + ": only the server that granted the lease answers a renewal");
            return;
        }
        if (type == MessageType.NAK) {
            report(leaseExchange(from), ExchangeOutcome.Result.NAK);
            lease = null;
            nextSend = null;
            transition(ClientState.INIT);
            LeaseLoss loss = new LeaseLoss(LeaseLoss.Reason.NAK, from, server, m.message());
            remember(held, loss);
            listener.lost(held, loss);
            beginAcquisition(now);
            return;
        }
        if (type != MessageType.ACK) {
            return;
        }
        Lease renewed;
        try {
            renewed = accept(LeaseReader.read(m, firstRequestAt, Optional.of(held.serverId())));
        } catch (LeaseReader.UnusableAck e) {
            ignore("ACK from " + server.map(Ipv4::toString).orElse(held.serverId().toString()) + " unusable in " + from
                    + ": " + e.getMessage());
            return;
        }
        nextSend = null;
        report(leaseExchange(from), ExchangeOutcome.Result.ACK);
        if (!renewed.address().equals(held.address())) {
            LeaseLoss loss = new LeaseLoss(LeaseLoss.Reason.ADDRESS_CHANGED, from, server, Optional.empty());
            lease = null;
            listener.lost(held, loss);
            settle(new AddressChange(held.address(), renewed, loss, config.onAddressChange()), now);
            return;
        }
        lease = renewed;
        transition(ClientState.BOUND);
        if (from == ClientState.REBOOTING) {
            listener.bound(renewed);
        } else {
            listener.renewed(renewed);
        }
    }

    private Lease accept(LeaseReader.Reading reading) {
        reading.warnings().forEach(w -> listener.warning(w + " (on " + config.interfaceName() + ")"));
        return reading.lease();
    }

    private void handleDue(Instant now) {
        switch (state) {
            case INIT -> {
                // only after a DHCPDECLINE: the wait is over
                restartAt = null;
                if (discoversExhausted()) {
                    fail(now, "no usable answer to " + config.maxDiscovers() + " DISCOVERs");
                } else {
                    discover(now);
                }
            }
            case PROBING -> {
                if (!now.isBefore(probeEnds)) {
                    bind(probing);
                } else {
                    sendProbe(now);
                }
            }
            case SELECTING -> {
                if (!now.isBefore(acquisition.deadline)) {
                    report(ExchangeOutcome.Exchange.DISCOVER, ExchangeOutcome.Result.TIMEOUT);
                    fail(now, "acquire timeout of " + AcquireFailure.seconds(config.acquireTimeout()) + " passed");
                } else if (discoversExhausted()) {
                    report(ExchangeOutcome.Exchange.DISCOVER, ExchangeOutcome.Result.TIMEOUT);
                    fail(now, "no usable answer to " + config.maxDiscovers() + " DISCOVERs");
                } else {
                    sendDiscover(now);
                }
            }
            case REQUESTING -> {
                if (!now.isBefore(acquisition.deadline)) {
                    report(ExchangeOutcome.Exchange.REQUEST, ExchangeOutcome.Result.TIMEOUT);
                    fail(now, "acquire timeout of " + AcquireFailure.seconds(config.acquireTimeout()) + " passed");
                } else if (attempts >= config.maxRequests()) {
                    report(ExchangeOutcome.Exchange.REQUEST, ExchangeOutcome.Result.TIMEOUT);
                    listener.warning("no ACK from " + offer.serverId().orElseThrow() + " for " + offer.yiaddr()
                            + " after " + attempts + " REQUESTs on " + config.interfaceName() + "; discovering again");
                    rediscover(now);
                } else {
                    sendSelectingRequest(now);
                }
            }
            case BOUND, RENEWING -> {
                if (!now.isBefore(lease.expiresAt())) {
                    if (state == ClientState.RENEWING) {
                        report(ExchangeOutcome.Exchange.RENEW, ExchangeOutcome.Result.TIMEOUT);
                    }
                    expire(now);
                } else if (!now.isBefore(lease.rebindAt())) {
                    if (state == ClientState.RENEWING) {
                        // T2 with no answer from the leasing server: a missed renewal
                        report(ExchangeOutcome.Exchange.RENEW, ExchangeOutcome.Result.TIMEOUT);
                    }
                    beginExchange(now);
                    transition(ClientState.REBINDING);
                    sendRebindRequest(now);
                } else if (state == ClientState.BOUND) {
                    beginExchange(now);
                    transition(ClientState.RENEWING);
                    sendRenewRequest(now);
                } else {
                    sendRenewRequest(now);
                }
            }
            case REBINDING -> {
                if (!now.isBefore(lease.expiresAt())) {
                    report(ExchangeOutcome.Exchange.REBIND, ExchangeOutcome.Result.TIMEOUT);
                    expire(now);
                } else {
                    sendRebindRequest(now);
                }
            }
            case REBOOTING -> {
                if (!now.isBefore(lease.expiresAt())) {
                    report(ExchangeOutcome.Exchange.REBOOT, ExchangeOutcome.Result.TIMEOUT);
                    expire(now);
                } else if (attempts >= config.maxRequests()) {
                    report(ExchangeOutcome.Exchange.REBOOT, ExchangeOutcome.Result.TIMEOUT);
                    listener.warning("no answer to INIT-REBOOT REQUEST for " + lease.address() + " on "
                            + config.interfaceName() + " after " + attempts + " tries; keeping the restored lease"
                            + " until it expires at " + lease.expiresAt());
                    nextSend = null;
                    transition(ClientState.BOUND);
                    listener.bound(lease);
                } else {
                    sendRebootRequest(now);
                }
            }
            default -> throw new IllegalStateException("no deadline in state " + state);
        }
    }

    // ---- transitions ----

    private void beginAcquisition(Instant now) {
        acquisition = new Acquisition(now, now.plus(config.acquireTimeout()));
        transition(ClientState.INIT);
        discover(now);
    }

    private void discover(Instant now) {
        offer = null;
        restartAt = null;
        beginExchange(now);
        transition(ClientState.SELECTING);
        sendDiscover(now);
    }

    /** After a NAK or unanswered REQUESTs: back to INIT within the same acquisition and its limits. */
    private void rediscover(Instant now) {
        offer = null;
        nextSend = null;
        transition(ClientState.INIT);
        if (discoversExhausted()) {
            fail(now, "no usable answer to " + config.maxDiscovers() + " DISCOVERs");
        } else {
            discover(now);
        }
    }

    private void expire(Instant now) {
        Lease held = lease;
        ClientState from = state;
        lease = null;
        nextSend = null;
        transition(ClientState.INIT);
        LeaseLoss loss = new LeaseLoss(LeaseLoss.Reason.EXPIRED, from, Optional.empty(), Optional.empty());
        remember(held, loss);
        listener.lost(held, loss);
        beginAcquisition(now);
    }

    private void remember(Lease lost, LeaseLoss how) {
        lostAddress = lost.address();
        lostHow = how;
    }

    private void fail(Instant now, String reason) {
        Acquisition a = acquisition;
        List<ServerReply> replies = new ArrayList<>();
        a.replies.forEach((key, count) -> replies.add(new ServerReply(key.server, key.type, key.address,
                key.message, count)));
        AcquireFailure failure = new AcquireFailure(config.interfaceName(), reason, Duration.between(a.start, now),
                a.discovers, a.requests, replies, a.ignored, a.sendErrors, a.declined);
        halt();
        listener.failed(failure);
    }

    private void halt() {
        acquisition = null;
        offer = null;
        nextSend = null;
        clearProbe();
        restartAt = null;
        lease = null;
        transition(ClientState.STOPPED);
    }

    private void beginExchange(Instant now) {
        xid = random.nextInt();
        transactionStart = now;
        attempts = 0;
        firstRequestAt = null;
    }

    private void transition(ClientState to) {
        ClientState from = state;
        if (from != to) {
            state = to;
            listener.stateChanged(from, to);
        }
    }

    private boolean discoversExhausted() {
        return config.maxDiscovers() > 0 && acquisition.discovers >= config.maxDiscovers();
    }

    // ---- messages ----

    /**
     * Option 50 asks for the address of a lost lease, else the configured one (RFC 2131 allows it in
     * DISCOVER), unless this acquisition declined it.
     */
    private void sendDiscover(Instant now) {
        DhcpMessage.Builder b = message(MessageType.DISCOVER, now, true, Ipv4.ANY);
        Optional.ofNullable(lostAddress).or(config::requestedAddress).filter(a -> acquisition.declined(a).isEmpty())
                .ifPresent(a -> b.put(DhcpOptions.REQUESTED_ADDRESS, a));
        acquisition.discovers++;
        broadcast(withParameters(b));
        retransmitLater(now);
    }

    private void sendSelectingRequest(Instant now) {
        DhcpMessage.Builder b = message(MessageType.REQUEST, now, true, Ipv4.ANY)
                .put(DhcpOptions.REQUESTED_ADDRESS, offer.yiaddr())
                .put(DhcpOptions.SERVER_ID, offer.serverId().orElseThrow());
        acquisition.requests++;
        markRequest(now);
        broadcast(withParameters(b));
        retransmitLater(now);
    }

    /** INIT-REBOOT: no server identifier, the held address in option 50, ciaddr zero (RFC 2131 4.3.2). */
    private void sendRebootRequest(Instant now) {
        DhcpMessage.Builder b = message(MessageType.REQUEST, now, true, Ipv4.ANY)
                .put(DhcpOptions.REQUESTED_ADDRESS, lease.address());
        markRequest(now);
        broadcast(withParameters(b));
        retransmitLater(now);
    }

    /** RENEWING: unicast to the leasing server with ciaddr set; retry at half the time left to T2. */
    private void sendRenewRequest(Instant now) {
        markRequest(now);
        send(withParameters(message(MessageType.REQUEST, now, false, lease.address())), Optional.of(lease.serverId()));
        attempts++;
        nextSend = renewalRetry(now, lease.rebindAt());
    }

    /** REBINDING: broadcast to any server with ciaddr set; retry at half the time left to expiry. */
    private void sendRebindRequest(Instant now) {
        markRequest(now);
        broadcast(withParameters(message(MessageType.REQUEST, now, false, lease.address())));
        attempts++;
        nextSend = renewalRetry(now, lease.expiresAt());
    }

    /** RFC 2131 section 4.4.5: half the remaining time, at least the minimum, never past the boundary. */
    private Instant renewalRetry(Instant now, Instant boundary) {
        Duration half = Duration.between(now, boundary).dividedBy(2);
        Duration wait = half.compareTo(config.minRenewRetransmit()) < 0 ? config.minRenewRetransmit() : half;
        return earlier(now.plus(wait), boundary);
    }

    private void markRequest(Instant now) {
        if (firstRequestAt == null) {
            firstRequestAt = now;
        }
    }

    private void retransmitLater(Instant now) {
        nextSend = now.plus(config.retransmit().delay(attempts, random));
        attempts++;
    }

    /** Header and identity options common to every message: 53, then 61. */
    /**
     * The DHCPRELEASE of the lease of {@code address} from {@code server} (RFC 2131 section 4.4.6: ciaddr, server
     * identifier, the client identifier the lease is keyed on). Also for a lease whose client no longer runs
     * (its pod is gone, the daemon restarted), which the daemon then sends from the node.
     */
    public static DhcpMessage releaseMessage(HardwareAddress chaddr, Optional<ClientIdentifier> clientId,
                                             Ipv4 address, Ipv4 server, int xid) {
        DhcpMessage.Builder b = DhcpMessage.builder()
                .op(DhcpMessage.BOOTREQUEST)
                .htype(DhcpMessage.HTYPE_ETHERNET)
                .chaddr(chaddr)
                .xid(xid)
                .ciaddr(address)
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.RELEASE);
        clientId.ifPresent(id -> b.put(DhcpOptions.CLIENT_ID, id));
        return b.put(DhcpOptions.SERVER_ID, server).build();
    }

    private DhcpMessage.Builder message(MessageType type, Instant now, boolean broadcastFlag, Ipv4 ciaddr) {
        long elapsed = Math.max(0, Duration.between(transactionStart, now).getSeconds());
        DhcpMessage.Builder b = DhcpMessage.builder()
                .op(DhcpMessage.BOOTREQUEST)
                .htype(DhcpMessage.HTYPE_ETHERNET)
                .chaddr(config.hardwareAddress())
                .xid(xid)
                .secs((int) Math.min(0xffff, elapsed))
                .broadcast(broadcastFlag)
                .ciaddr(ciaddr)
                .put(DhcpOptions.MESSAGE_TYPE, type);
        config.clientId().ifPresent(id -> b.put(DhcpOptions.CLIENT_ID, id));
        return b;
    }

    /** Host name, parameter request list and the caller's extra options, after the request's own. */
    private DhcpMessage withParameters(DhcpMessage.Builder b) {
        config.hostName().ifPresent(name -> b.put(DhcpOptions.HOST_NAME, name));
        if (!config.parameterRequestList().isEmpty()) {
            b.put(DhcpOptions.PARAMETER_REQUEST_LIST, config.parameterRequestList());
        }
        for (DhcpOption option : config.extraOptions()) {
            b.put(option);
        }
        return b.build();
    }

    private void broadcast(DhcpMessage message) {
        send(message, Optional.empty());
    }

    private void send(DhcpMessage message, Optional<Ipv4> unicastTo) {
        try {
            if (unicastTo.isPresent()) {
                transport.unicast(message, unicastTo.get());
            } else {
                transport.broadcast(message);
            }
        } catch (IOException e) {
            String text = "sending " + message.messageType().orElseThrow() + " on " + config.interfaceName()
                    + " failed: " + e.getMessage();
            if (acquisition != null) {
                note(acquisition.sendErrors, text);
            }
            listener.warning(text);
        }
    }

    // ---- bookkeeping ----

    private void report(ExchangeOutcome.Exchange exchange, ExchangeOutcome.Result result) {
        listener.exchanged(new ExchangeOutcome(exchange, result));
    }

    /** The exchange of a held lease's REQUEST in {@code state}: RENEWING, REBINDING or REBOOTING. */
    private static ExchangeOutcome.Exchange leaseExchange(ClientState state) {
        return switch (state) {
            case RENEWING -> ExchangeOutcome.Exchange.RENEW;
            case REBINDING -> ExchangeOutcome.Exchange.REBIND;
            case REBOOTING -> ExchangeOutcome.Exchange.REBOOT;
            default -> throw new IllegalStateException("no lease exchange in state " + state);
        };
    }

    private void ignore(String why) {
        if (acquisition != null) {
            note(acquisition.ignored, why);
        }
        listener.warning(why + " (on " + config.interfaceName() + ")");
    }

    private void record(Ipv4 server, MessageType type, DhcpMessage m) {
        if (acquisition == null) {
            return;
        }
        Optional<Ipv4> address = m.yiaddr().isAny() ? Optional.empty() : Optional.of(m.yiaddr());
        ReplyKey key = new ReplyKey(server, type, address, m.message());
        if (acquisition.replies.containsKey(key) || acquisition.replies.size() < MAX_NOTES * 4) {
            acquisition.replies.merge(key, 1, Integer::sum);
        }
    }

    private static void note(List<String> notes, String text) {
        if (notes.size() < MAX_NOTES && !notes.contains(text)) {
            notes.add(text);
        }
    }

    private void requireStopped(String event) {
        if (state != ClientState.STOPPED) {
            throw new IllegalStateException("cannot " + event + " the DHCP client of " + config.interfaceName()
                    + " in state " + state + "; stop or release it first");
        }
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private record ReplyKey(Ipv4 server, MessageType type, Optional<Ipv4> address, Optional<String> message) {
    }

    private static final class Acquisition {
        final Instant start;
        final Instant deadline;
        int discovers;
        int requests;
        final Map<ReplyKey, Integer> replies = new LinkedHashMap<>();
        final List<String> ignored = new ArrayList<>();
        final List<String> sendErrors = new ArrayList<>();
        final List<AddressConflict> declined = new ArrayList<>();

        Acquisition(Instant start, Instant deadline) {
            this.start = start;
            this.deadline = deadline;
        }

        Optional<AddressConflict> declined(Ipv4 address) {
            return declined.stream().filter(c -> c.address().equals(address)).findFirst();
        }
    }
}

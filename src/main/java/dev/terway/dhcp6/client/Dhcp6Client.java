package dev.terway.dhcp6.client;

import dev.terway.dhcp.client.ClientEvents;
import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.dhcp6.codec.Dhcp6MessageType;
import dev.terway.dhcp6.codec.Dhcp6Option;
import dev.terway.dhcp6.codec.Dhcp6Option.IaAddress;
import dev.terway.dhcp6.codec.Dhcp6Option.IaNa;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.dhcp6.codec.StatusCode;
import dev.terway.net.Ipv6;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The RFC 8415 client of one IA_NA, without threads, sockets or timers of its own (the shape of the DHCPv4
 * {@link dev.terway.dhcp.client.DhcpClient}): the owner feeds it events and calls {@link #onTimer()} at
 * {@link #nextDeadline()}; not thread-safe.
 *
 * <ul>
 *   <li>{@link #start()}: SOLICIT (§18.2.1) retransmitted per §15; ADVERTISEs are collected for the first
 *   retransmission time, the best (highest preference, the first on a tie) is requested, one with preference
 *   255 at once, and after the first wait the first usable one is acted on; an ADVERTISE without a usable
 *   address (NoAddrsAvail) is ignored (§18.2.9). REQUEST goes to the chosen server (multicast with its
 *   SERVERID); NoAddrsAvail in its REPLY moves to the next ADVERTISE, NotOnLink solicits again without a hint,
 *   ten unanswered REQUESTs (REQ_MAX_RC) too.</li>
 *   <li>BOUND until T1, then RENEW to the granting server (unicast only when it sent the Server Unicast
 *   option; UseMulticast turns that off), REBIND to all servers from T2, the lease lost when its valid
 *   lifetime ends. NoBinding in a RENEW/REBIND reply makes the client REQUEST the binding again from that
 *   server (§18.2.10.1) while the lease stays valid; NotOnLink, or the address returned with valid lifetime 0,
 *   loses the lease. A lost lease is solicited again, asking for the same address.</li>
 *   <li>{@link #restore}: after a daemon restart. A lease still before T1 is CONFIRMed (§18.2.3: the pod may
 *   sit on another link now if the node was re-plugged, and Confirm is the question "is this address still
 *   on-link", answered by any server, without touching the binding); past T1 the renewal may have been
 *   missed while the daemon was down, so it is REBOUND (§18.2.5), which both checks the link (NotOnLink)
 *   and extends the binding with whichever server holds it. Confirm unanswered for CNF_MAX_RD keeps the
 *   lease (§18.2.3); an expired one is lost at once.</li>
 *   <li>{@link #decline()}: the pod's duplicate address detection found the bound address in use: one DECLINE
 *   (§18.2.8) and STOPPED; the address is never taken again from an ADVERTISE or REPLY to this client
 *   ({@link #avoid}), so the owner can {@link #start()} again for another.</li>
 *   <li>{@link #release()}: one RELEASE and STOPPED: the pod is being deleted and its socket goes with it, so
 *   the RFC's REL_MAX_RC retransmissions have nowhere to wait for their REPLY; the server frees the address
 *   at the valid lifetime's end if the RELEASE is lost.</li>
 * </ul>
 */
public final class Dhcp6Client {

    private static final int MAX_NOTES = 8;

    private final Dhcp6ClientConfig config;
    private final Dhcp6Transport transport;
    private final Dhcp6Listener listener;
    private final InstantSource clock;
    private final RandomGenerator random;

    private Dhcp6ClientState state = Dhcp6ClientState.STOPPED;
    /** The lease the pod holds (BOUND, RENEWING, REBINDING, CONFIRMING, REQUESTING after NoBinding). */
    private IaNaLease lease;
    private int xid;
    private Instant exchangeStart;
    private Retransmission times;
    private Duration lastWait;
    private Instant nextSend;
    private int sends;
    /** CONFIRMING: when CNF_MAX_RD runs out. */
    private Instant confirmEnds;
    /** SOLICITING: ADVERTISEs usable, and until when they are collected (null once acted on at once). */
    private final List<Advertised> advertised = new ArrayList<>();
    private Instant collectUntil;
    /** SOLICITING: an ADVERTISE said NoAddrsAvail (a SOLICIT that times out then ends in no_addrs_avail). */
    private boolean noAddrsAdvertised;
    /** REQUESTING: the server asked and the addresses asked for. */
    private Advertised chosen;
    /** The address asked for in SOLICIT: the one of a lease lost last. */
    private Ipv6 hint;
    /** Whether RENEW and RELEASE may go to the server's unicast address (cleared by UseMulticast). */
    private boolean unicastAllowed = true;
    /** The next successful reply binds a restored lease (reported as bound, not renewed). */
    private boolean restoring;
    private Acquisition acquisition;
    private final ClientEvents events = new ClientEvents("Dhcp6Client");
    /** Addresses declined (by this client or an earlier one of the same pod): never taken again. */
    private final Set<Ipv6> avoided = new HashSet<>();

    public Dhcp6Client(Dhcp6ClientConfig config, Dhcp6Transport transport, Dhcp6Listener listener,
                       InstantSource clock, RandomGenerator random) {
        this.config = Objects.requireNonNull(config);
        this.transport = Objects.requireNonNull(transport);
        this.listener = Objects.requireNonNull(listener);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
    }

    public Dhcp6ClientState state() {
        return state;
    }

    public Optional<IaNaLease> lease() {
        return Optional.ofNullable(lease);
    }

    public Dhcp6ClientConfig config() {
        return config;
    }

    /** When {@link #onTimer()} has work to do; empty while STOPPED. */
    public Optional<Instant> nextDeadline() {
        return switch (state) {
            case STOPPED -> Optional.empty();
            case SOLICITING -> Optional.of(earliest(nextSend, acquisition.deadline,
                    advertised.isEmpty() ? null : collectUntil));
            case REQUESTING -> Optional.of(earliest(nextSend, lease != null ? lease.expiresAt() : acquisition.deadline,
                    null));
            case BOUND -> Optional.of(earliest(lease.renewAt(), lease.expiresAt(), null));
            case RENEWING -> Optional.of(earliest(nextSend, lease.rebindAt(), lease.expiresAt()));
            case REBINDING -> Optional.of(earliest(nextSend, lease.expiresAt(), null));
            case CONFIRMING -> Optional.of(earliest(nextSend, confirmEnds, lease.expiresAt()));
        };
    }

    /** Acquires a lease: SOLICIT. */
    public void start() {
        events.run("start", () -> {
            requireStopped("start");
            lease = null;
            beginAcquisition(clock.instant());
        });
    }

    /** Takes up a lease stored before a daemon restart: CONFIRM before T1, REBIND after, lost if expired. */
    public void restore(IaNaLease stored) {
        events.run("restore", () -> {
            requireStopped("restore");
            Instant now = clock.instant();
            if (!now.isBefore(stored.expiresAt())) {
                hint = stored.address();
                listener.lost(stored, Dhcp6LossReason.EXPIRED, "its valid lifetime ended at " + stored.expiresAt()
                        + " while the daemon was down");
                beginAcquisition(now);
                return;
            }
            lease = stored;
            restoring = true;
            if (now.isBefore(stored.renewAt())) {
                beginExchange(now, Retransmission.CONFIRM);
                confirmEnds = now.plus(Retransmission.CONFIRM.maxDuration());
                transition(Dhcp6ClientState.CONFIRMING);
                sendConfirm(now);
            } else {
                beginRebind(now);
            }
        });
    }

    /** Decodes a received datagram and handles it; malformed ones are noted and dropped. */
    public void onDatagram(byte[] data, int offset, int length) {
        events.runDecoded("onDatagram", data, offset, length, Dhcp6Message::decode,
                why -> ignore("malformed DHCPv6 message: " + why), message -> handle(message, clock.instant()));
    }

    /** Handles a received message; those for other transactions or clients are dropped silently. */
    public void onMessage(Dhcp6Message message) {
        events.run("onMessage", () -> {
            handle(message, clock.instant());
        });
    }

    /** Does whatever is due by now. */
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

    /** Sends one RELEASE for the held lease and stops; empty (a no-op) when none was held. */
    public Optional<IaNaLease> release() throws IOException {
        return events.call("release", () -> {
            IaNaLease held = lease;
            Instant now = clock.instant();
            halt();
            if (held == null) {
                return Optional.empty();
            }
            xid = random.nextInt(0x1000000);
            exchangeStart = now;
            Dhcp6Message release = releaseMessage(config.duid(), config.iaid(), held.address(), held.server(), xid);
            if (held.serverUnicast().isPresent() && unicastAllowed) {
                transport.unicast(release, held.serverUnicast().get());
            } else {
                transport.multicast(release);
            }
            listener.exchanged(new Dhcp6ExchangeOutcome(Dhcp6ExchangeOutcome.Exchange.RELEASE,
                    Dhcp6ExchangeOutcome.Result.SENT));
            return Optional.of(held);
        });
    }

    /**
     * Sends one DECLINE for the held lease (RFC 8415 §18.2.8: another node on the link has its address, found by
     * the pod's duplicate address detection) and stops; empty (a no-op) when none was held. One, not the RFC's
     * DEC_MAX_RC retransmissions, for the reason {@link #release()} sends one RELEASE: the caller solicits again
     * at once, and a server that missed the DECLINE offering the same address again is refused by
     * {@link #avoid}. The address is avoided from now on.
     */
    public Optional<IaNaLease> decline() throws IOException {
        return events.call("decline", () -> {
            IaNaLease held = lease;
            Instant now = clock.instant();
            halt();
            if (held == null) {
                return Optional.empty();
            }
            avoided.add(held.address());
            xid = random.nextInt(0x1000000);
            exchangeStart = now;
            transport.multicast(declineMessage(config.duid(), config.iaid(), held.address(), held.server(), xid));
            return Optional.of(held);
        });
    }

    /** Never takes {@code address} from an ADVERTISE or REPLY: one declined before, by this client or another. */
    public void avoid(Ipv6 address) {
        avoided.add(Objects.requireNonNull(address));
    }

    /**
     * The DECLINE of {@code address} of IA_NA {@code iaid} from {@code server} (RFC 8415 §18.2.8: the client's and
     * the server's DUID, the IA with the address, Elapsed Time 0).
     */
    public static Dhcp6Message declineMessage(Duid client, long iaid, Ipv6 address, Duid server, int xid) {
        return new Dhcp6Message(Dhcp6MessageType.DECLINE, xid & 0xffffff, List.of(new Dhcp6Option.ClientId(client),
                new Dhcp6Option.ServerId(server), new Dhcp6Option.ElapsedTime(0),
                IaNa.asking(iaid, List.of(IaAddress.of(address, 0, 0)))));
    }

    /** Stops without a word to the server (daemon shutdown): the lease stays readable. */
    public void stop() {
        events.run("stop", () -> {
            IaNaLease held = lease;
            halt();
            lease = held;
        });
    }

    /**
     * The RELEASE of {@code address} of IA_NA {@code iaid} from {@code server} (RFC 8415 §18.2.7: the client's
     * and the server's DUID, the IA with the address, Elapsed Time 0). Also for a binding whose client no
     * longer runs (a REQUEST on record whose REPLY never got stored), which the daemon sends at its start.
     */
    public static Dhcp6Message releaseMessage(Duid client, long iaid, Ipv6 address, Duid server, int xid) {
        return new Dhcp6Message(Dhcp6MessageType.RELEASE, xid & 0xffffff, List.of(new Dhcp6Option.ClientId(client),
                new Dhcp6Option.ServerId(server), new Dhcp6Option.ElapsedTime(0),
                IaNa.asking(iaid, List.of(IaAddress.of(address, 0, 0)))));
    }

    // ---- received messages ----

    private void handle(Dhcp6Message m, Instant now) {
        if (state == Dhcp6ClientState.STOPPED || state == Dhcp6ClientState.BOUND || m.transactionId() != xid) {
            return;
        }
        if (m.type() != Dhcp6MessageType.ADVERTISE && m.type() != Dhcp6MessageType.REPLY) {
            return;
        }
        // §16.3, §16.10: discard one without our Client Identifier or without a Server Identifier.
        if (!m.clientId().map(config.duid()::equals).orElse(false)) {
            return;
        }
        Optional<Duid> server = m.serverId();
        if (server.isEmpty()) {
            ignore(m.type() + " without a server identifier");
            return;
        }
        record(server.get(), m);
        switch (state) {
            case SOLICITING -> onSoliciting(m, server.get(), now);
            case REQUESTING -> onRequesting(m, server.get(), now);
            case RENEWING, REBINDING -> onRenewal(m, server.get(), now);
            case CONFIRMING -> onConfirming(m, server.get(), now);
            default -> {
            }
        }
    }

    private void onSoliciting(Dhcp6Message m, Duid server, Instant now) {
        if (m.type() == Dhcp6MessageType.REPLY) {
            if (!config.rapidCommit() || !m.rapidCommit()) {
                return; // §18.2.1: a Reply to a Solicit counts only with Rapid Commit asked for and given
            }
            Reading reading = read(m, server, Optional.ofNullable(hint), exchangeStart);
            if (reading.lease != null) {
                ended(Dhcp6ExchangeOutcome.Result.REPLY);
                bind(reading.lease);
            } else {
                ignore("rapid-commit REPLY from " + server + " without a usable address: " + reading.problem);
            }
            return;
        }
        Reading reading = read(m, server, Optional.ofNullable(hint), exchangeStart);
        if (reading.lease == null) {
            noAddrsAdvertised |= refusedWith(m, StatusCode.NO_ADDRS_AVAIL);
            ignore("ADVERTISE from " + server + " without a usable address: " + reading.problem);
            return;
        }
        advertised.add(new Advertised(server, m.preference(), reading.lease.address()));
        if (m.preference() == 255 || !now.isBefore(collectUntil)) {
            requestBest(now);
        }
    }

    private void onRequesting(Dhcp6Message m, Duid server, Instant now) {
        if (m.type() != Dhcp6MessageType.REPLY || !server.equals(chosen.server())) {
            return;
        }
        StatusCode status = m.status();
        if (status.code() == StatusCode.NOT_ON_LINK) {
            listener.warning("REPLY from " + server + " to REQUEST on " + config.interfaceName() + ": "
                    + status.describe() + "; soliciting again without asking for " + chosen.address());
            ended(Dhcp6ExchangeOutcome.Result.NOT_ON_LINK);
            if (lease != null) {
                lose(now, Dhcp6LossReason.NOT_ON_LINK,
                        "the server answered NotOnLink to the REQUEST after NoBinding");
                return;
            }
            hint = null;
            resolicit(now);
            return;
        }
        Reading reading = read(m, server, Optional.of(chosen.address()), exchangeStart);
        if (reading.lease == null) {
            if (status.code() == StatusCode.UNSPEC_FAIL || status.code() == StatusCode.USE_MULTICAST) {
                ignore("REPLY from " + server + ": " + status.describe() + "; retrying");
                return;
            }
            listener.warning("REPLY from " + server + " to REQUEST on " + config.interfaceName() + ": "
                    + reading.problem);
            ended(refusedWith(m, StatusCode.NO_ADDRS_AVAIL) ? Dhcp6ExchangeOutcome.Result.NO_ADDRS_AVAIL
                    : refusedWith(m, StatusCode.NO_BINDING) ? Dhcp6ExchangeOutcome.Result.NO_BINDING
                    : Dhcp6ExchangeOutcome.Result.UNUSABLE);
            advertised.removeIf(a -> a.server().equals(server));
            if (lease != null) {
                beginRebind(now);
            } else if (!advertised.isEmpty()) {
                requestBest(now);
            } else {
                resolicit(now);
            }
            return;
        }
        ended(Dhcp6ExchangeOutcome.Result.REPLY);
        if (lease != null) {
            settleRenewal(reading.lease, now);
        } else {
            bind(reading.lease);
        }
    }

    private void onRenewal(Dhcp6Message m, Duid server, Instant now) {
        if (m.type() != Dhcp6MessageType.REPLY) {
            return;
        }
        if (state == Dhcp6ClientState.RENEWING && !server.equals(lease.server())) {
            ignore("REPLY from " + server + " to a RENEW addressed to " + lease.server());
            return;
        }
        StatusCode status = m.status();
        if (status.code() == StatusCode.USE_MULTICAST) {
            unicastAllowed = false;
            listener.warning(server + " answered UseMulticast on " + config.interfaceName()
                    + "; renewing by multicast");
            sendRenewal(now);
            return;
        }
        if (status.code() == StatusCode.NOT_ON_LINK) {
            ended(Dhcp6ExchangeOutcome.Result.NOT_ON_LINK);
            lose(now, Dhcp6LossReason.NOT_ON_LINK, "the server answered NotOnLink: " + status.describe());
            return;
        }
        Optional<IaNa> ia = m.iaNa(config.iaid());
        if (ia.isPresent() && ia.get().statusCode() == StatusCode.NO_BINDING) {
            listener.warning(server + " has no binding for " + lease.address() + " on " + config.interfaceName()
                    + "; requesting it again");
            ended(Dhcp6ExchangeOutcome.Result.NO_BINDING);
            chosen = new Advertised(server, 0, lease.address());
            beginExchange(now, config.request());
            transition(Dhcp6ClientState.REQUESTING);
            sendRequest(now);
            return;
        }
        if (ia.isPresent() && ia.get().addresses().stream()
                .anyMatch(a -> a.address().equals(lease.address()) && a.validLifetime() == 0)) {
            ended(Dhcp6ExchangeOutcome.Result.WITHDRAWN);
            lose(now, Dhcp6LossReason.WITHDRAWN, "the server withdrew it (valid lifetime 0)");
            return;
        }
        Reading reading = read(m, server, Optional.of(lease.address()), exchangeStart);
        if (reading.lease == null) {
            ignore("REPLY from " + server + " in " + state + " unusable: " + reading.problem + "; keeping "
                    + lease.address() + " until it expires at " + lease.expiresAt());
            return;
        }
        ended(Dhcp6ExchangeOutcome.Result.REPLY);
        settleRenewal(reading.lease, now);
    }

    private void onConfirming(Dhcp6Message m, Duid server, Instant now) {
        if (m.type() != Dhcp6MessageType.REPLY) {
            return;
        }
        StatusCode status = m.status();
        if (status.code() == StatusCode.NOT_ON_LINK) {
            ended(Dhcp6ExchangeOutcome.Result.NOT_ON_LINK);
            lose(now, Dhcp6LossReason.NOT_ON_LINK, "CONFIRM answered NotOnLink by " + server
                    + ": the pod's link is not the lease's");
            return;
        }
        if (!status.success()) {
            ignore("REPLY to CONFIRM from " + server + ": " + status.describe());
            return;
        }
        ended(Dhcp6ExchangeOutcome.Result.REPLY);
        nextSend = null;
        confirmEnds = null;
        restoring = false;
        transition(Dhcp6ClientState.BOUND);
        listener.bound(lease);
    }

    /** A REPLY in RENEWING, REBINDING or REQUESTING after NoBinding granted {@code granted}. */
    private void settleRenewal(IaNaLease granted, Instant now) {
        nextSend = null;
        IaNaLease held = lease;
        if (!granted.address().equals(held.address())) {
            lease = null;
            listener.lost(held, Dhcp6LossReason.ADDRESS_CHANGED, "the server granted " + granted.address()
                    + " instead");
            restoring = false;
            bind(granted);
            return;
        }
        lease = granted;
        transition(Dhcp6ClientState.BOUND);
        if (restoring) {
            restoring = false;
            listener.bound(granted);
        } else {
            listener.renewed(granted);
        }
    }

    // ---- timers ----

    private void handleDue(Instant now) {
        switch (state) {
            case SOLICITING -> {
                if (!now.isBefore(acquisition.deadline)) {
                    ended(noAddrsAdvertised ? Dhcp6ExchangeOutcome.Result.NO_ADDRS_AVAIL
                            : Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    fail(now, "acquire timeout of " + seconds(config.acquireTimeout()) + " passed");
                } else if (!advertised.isEmpty() && collectUntil != null && !now.isBefore(collectUntil)) {
                    requestBest(now);
                } else {
                    sendSolicit(now);
                }
            }
            case REQUESTING -> {
                if (lease != null && !now.isBefore(lease.expiresAt())) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    expire(now);
                } else if (lease == null && !now.isBefore(acquisition.deadline)) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    fail(now, "acquire timeout of " + seconds(config.acquireTimeout()) + " passed");
                } else if (times.maxCount() > 0 && sends >= times.maxCount()) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    listener.warning("no REPLY from " + chosen.server() + " to " + sends + " REQUESTs on "
                            + config.interfaceName());
                    advertised.removeIf(a -> a.server().equals(chosen.server()));
                    if (lease != null) {
                        beginRebind(now);
                    } else if (!advertised.isEmpty()) {
                        requestBest(now);
                    } else {
                        resolicit(now);
                    }
                } else {
                    sendRequest(now);
                }
            }
            case BOUND -> {
                if (!now.isBefore(lease.expiresAt())) {
                    expire(now);
                } else if (!now.isBefore(lease.rebindAt())) {
                    beginRebind(now);
                } else {
                    beginExchange(now, Retransmission.RENEW);
                    transition(Dhcp6ClientState.RENEWING);
                    sendRenewal(now);
                }
            }
            case RENEWING -> {
                if (!now.isBefore(lease.expiresAt())) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    expire(now);
                } else if (!now.isBefore(lease.rebindAt())) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    beginRebind(now);
                } else {
                    sendRenewal(now);
                }
            }
            case REBINDING -> {
                if (!now.isBefore(lease.expiresAt())) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    expire(now);
                } else {
                    sendRenewal(now);
                }
            }
            case CONFIRMING -> {
                if (!now.isBefore(lease.expiresAt())) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    expire(now);
                } else if (!now.isBefore(confirmEnds)) {
                    ended(Dhcp6ExchangeOutcome.Result.TIMEOUT);
                    listener.warning("no REPLY to CONFIRM of " + lease.address() + " on " + config.interfaceName()
                            + " within " + seconds(Retransmission.CONFIRM.maxDuration()) + "; keeping the restored"
                            + " lease (RFC 8415 §18.2.3)");
                    nextSend = null;
                    confirmEnds = null;
                    restoring = false;
                    transition(Dhcp6ClientState.BOUND);
                    listener.bound(lease);
                } else {
                    sendConfirm(now);
                }
            }
            case STOPPED -> throw new IllegalStateException("no deadline while STOPPED");
        }
    }

    // ---- transitions ----

    private void beginAcquisition(Instant now) {
        acquisition = new Acquisition(now, now.plus(config.acquireTimeout()));
        solicit(now);
    }

    private void solicit(Instant now) {
        advertised.clear();
        noAddrsAdvertised = false;
        chosen = null;
        beginExchange(now, config.solicit());
        transition(Dhcp6ClientState.SOLICITING);
        sendSolicit(now);
        collectUntil = nextSend;
    }

    private void resolicit(Instant now) {
        nextSend = null;
        solicit(now);
    }

    /** The best ADVERTISE: highest preference, the first received on a tie (§18.2.9). */
    private void requestBest(Instant now) {
        if (state == Dhcp6ClientState.SOLICITING) {
            ended(Dhcp6ExchangeOutcome.Result.ADVERTISE);
        }
        Advertised best = advertised.get(0);
        for (Advertised a : advertised) {
            if (a.preference() > best.preference()) {
                best = a;
            }
        }
        chosen = best;
        collectUntil = null;
        beginExchange(now, config.request());
        transition(Dhcp6ClientState.REQUESTING);
        if (lease == null) {
            listener.requesting(best.server(), best.address());
        }
        sendRequest(now);
    }

    private void beginRebind(Instant now) {
        beginExchange(now, Retransmission.REBIND);
        transition(Dhcp6ClientState.REBINDING);
        sendRenewal(now);
    }

    private void bind(IaNaLease acquired) {
        acquisition = null;
        advertised.clear();
        chosen = null;
        collectUntil = null;
        nextSend = null;
        hint = null;
        unicastAllowed = true;
        lease = acquired;
        transition(Dhcp6ClientState.BOUND);
        listener.bound(acquired);
    }

    private void expire(Instant now) {
        lose(now, Dhcp6LossReason.EXPIRED, "its valid lifetime ended at " + lease.expiresAt());
    }

    /** The lease ends without a release: tell, then solicit again asking for the same address. */
    private void lose(Instant now, Dhcp6LossReason reason, String why) {
        IaNaLease held = lease;
        lease = null;
        nextSend = null;
        restoring = false;
        hint = held.address();
        listener.lost(held, reason, why);
        beginAcquisition(now);
    }

    private void fail(Instant now, String reason) {
        Acquisition a = acquisition;
        StringBuilder report = new StringBuilder("no DHCPv6 lease for ").append(config.interfaceName())
                .append(": ").append(reason).append(" after ").append(seconds(Duration.between(a.start, now)))
                .append("; sent ").append(a.solicits).append(" SOLICIT").append(a.solicits == 1 ? "" : "s")
                .append(" and ").append(a.requests).append(" REQUEST").append(a.requests == 1 ? "" : "s");
        if (a.answers.isEmpty()) {
            report.append("; no server answered");
        } else {
            report.append("; answers: ");
            List<String> parts = new ArrayList<>();
            a.answers.forEach((what, count) -> parts.add(what + (count > 1 ? " (x" + count + ")" : "")));
            report.append(String.join(", ", parts));
        }
        if (!a.notes.isEmpty()) {
            report.append("; ").append(String.join("; ", a.notes));
        }
        halt();
        listener.failed(report.toString());
    }

    private void halt() {
        acquisition = null;
        advertised.clear();
        chosen = null;
        collectUntil = null;
        nextSend = null;
        confirmEnds = null;
        restoring = false;
        lease = null;
        transition(Dhcp6ClientState.STOPPED);
    }

    private void beginExchange(Instant now, Retransmission retransmission) {
        xid = random.nextInt(0x1000000);
        exchangeStart = now;
        times = retransmission;
        lastWait = null;
        sends = 0;
    }

    private void transition(Dhcp6ClientState to) {
        Dhcp6ClientState from = state;
        if (from != to) {
            state = to;
            listener.stateChanged(from, to);
        }
    }

    // ---- sending ----

    private void sendSolicit(Instant now) {
        List<IaAddress> hints = hint == null ? List.of() : List.of(IaAddress.of(hint, 0, 0));
        acquisition.solicits++;
        multicast(message(Dhcp6MessageType.SOLICIT, now, Optional.empty(), IaNa.asking(config.iaid(), hints), true));
        scheduleRetransmission(now, true);
    }

    private void sendRequest(Instant now) {
        if (acquisition != null) {
            acquisition.requests++;
        }
        multicast(message(Dhcp6MessageType.REQUEST, now, Optional.of(chosen.server()),
                IaNa.asking(config.iaid(), List.of(IaAddress.of(chosen.address(), 0, 0))), true));
        scheduleRetransmission(now, false);
    }

    /** RENEW (to the granting server) in RENEWING, REBIND (to all) in REBINDING. */
    private void sendRenewal(Instant now) {
        boolean renew = state == Dhcp6ClientState.RENEWING;
        Dhcp6Message message = message(renew ? Dhcp6MessageType.RENEW : Dhcp6MessageType.REBIND, now,
                renew ? Optional.of(lease.server()) : Optional.empty(),
                IaNa.asking(config.iaid(), List.of(IaAddress.of(lease.address(), 0, 0))), true);
        if (renew && unicastAllowed && lease.serverUnicast().isPresent()) {
            send(message, lease.serverUnicast());
        } else {
            multicast(message);
        }
        scheduleRetransmission(now, false);
    }

    private void sendConfirm(Instant now) {
        multicast(message(Dhcp6MessageType.CONFIRM, now, Optional.empty(),
                IaNa.asking(config.iaid(), List.of(IaAddress.of(lease.address(), 0, 0))), false));
        scheduleRetransmission(now, false);
    }

    private void scheduleRetransmission(Instant now, boolean solicit) {
        lastWait = lastWait == null ? times.first(random, solicit) : times.next(lastWait, random);
        sends++;
        nextSend = now.plus(lastWait);
        if (!times.maxDuration().isZero()) {
            Instant end = exchangeStart.plus(times.maxDuration());
            nextSend = nextSend.isAfter(end) ? end : nextSend;
        }
    }

    private Dhcp6Message message(Dhcp6MessageType type, Instant now, Optional<Duid> server, IaNa ia,
                                 boolean withOptionRequest) {
        long hundredths = Math.max(0, Duration.between(exchangeStart, now).toMillis() / 10);
        List<Dhcp6Option> options = new ArrayList<>();
        options.add(new Dhcp6Option.ClientId(config.duid()));
        server.ifPresent(s -> options.add(new Dhcp6Option.ServerId(s)));
        options.add(new Dhcp6Option.ElapsedTime((int) Math.min(0xffff, hundredths)));
        if (withOptionRequest && !config.requestedOptions().isEmpty()) {
            options.add(new Dhcp6Option.OptionRequest(config.requestedOptions()));
        }
        if (type == Dhcp6MessageType.SOLICIT && config.rapidCommit()) {
            options.add(new Dhcp6Option.RapidCommit());
        }
        options.add(ia);
        return new Dhcp6Message(type, xid, options);
    }

    private void multicast(Dhcp6Message message) {
        send(message, Optional.empty());
    }

    private void send(Dhcp6Message message, Optional<Ipv6> unicastTo) {
        try {
            if (unicastTo.isPresent()) {
                transport.unicast(message, unicastTo.get());
            } else {
                transport.multicast(message);
            }
        } catch (IOException e) {
            String text = "sending " + message.type() + " on " + config.interfaceName() + " failed: " + e.getMessage();
            if (acquisition != null) {
                note(acquisition.notes, text);
            }
            listener.warning(text);
        }
    }

    // ---- reading replies ----

    /** A usable lease out of an ADVERTISE or REPLY, or why there is none. */
    private record Reading(IaNaLease lease, String problem) {
    }

    /**
     * The lease {@code m} grants for our IA_NA: the {@code wanted} address if it is among the usable ones, else
     * the first usable one. Usable (§21.6, §18.2.10.1): valid lifetime above zero, preferred not above valid, no
     * failure status on the address; the IA is discarded when its T1 exceeds a non-zero T2 (§21.4).
     */
    private Reading read(Dhcp6Message m, Duid server, Optional<Ipv6> wanted, Instant from) {
        StatusCode status = m.status();
        if (!status.success()) {
            return new Reading(null, status.describe());
        }
        Optional<IaNa> found = m.iaNa(config.iaid());
        if (found.isEmpty()) {
            return new Reading(null, "no IA_NA with IAID " + config.iaid());
        }
        IaNa ia = found.get();
        if (ia.statusCode() != StatusCode.SUCCESS) {
            return new Reading(null, ia.status().orElseThrow().describe());
        }
        if (ia.t2() > 0 && ia.t1() > ia.t2()) {
            return new Reading(null, "IA_NA with T1 " + ia.t1() + " above T2 " + ia.t2());
        }
        List<IaAddress> usable = ia.addresses().stream()
                .filter(a -> a.validLifetime() > 0 && a.preferredLifetime() <= a.validLifetime()
                        && a.status().map(StatusCode::success).orElse(true))
                .toList();
        if (usable.isEmpty()) {
            return new Reading(null, ia.addresses().isEmpty() ? "IA_NA without an address"
                    : "no usable address in the IA_NA");
        }
        List<IaAddress> notDeclined = usable.stream().filter(a -> !avoided.contains(a.address())).toList();
        if (notDeclined.isEmpty()) {
            return new Reading(null, "only " + usable.get(0).address() + ", which this pod declined (another node"
                    + " on the link has it)");
        }
        usable = notDeclined;
        IaAddress pick = usable.stream().filter(a -> wanted.map(a.address()::equals).orElse(false)).findFirst()
                .orElse(usable.get(0));
        List<Ipv6> dns = m.find(Dhcp6Option.DnsServers.class).map(Dhcp6Option.DnsServers::servers).orElse(List.of());
        List<String> search = m.find(Dhcp6Option.DomainList.class).map(Dhcp6Option.DomainList::names)
                .orElse(List.of());
        Optional<Ipv6> unicast = m.find(Dhcp6Option.ServerUnicast.class).map(Dhcp6Option.ServerUnicast::address);
        return new Reading(IaNaLease.of(pick.address(), config.iaid(), server, unicast, ia.t1(), ia.t2(),
                pick.preferredLifetime(), pick.validLifetime(), dns, search, from), null);
    }

    // ---- bookkeeping ----

    /** The exchange of the current state ended in {@code result}; called before the state changes. */
    private void ended(Dhcp6ExchangeOutcome.Result result) {
        Dhcp6ExchangeOutcome.Exchange exchange = switch (state) {
            case SOLICITING -> Dhcp6ExchangeOutcome.Exchange.SOLICIT;
            case REQUESTING -> Dhcp6ExchangeOutcome.Exchange.REQUEST;
            case RENEWING -> Dhcp6ExchangeOutcome.Exchange.RENEW;
            case REBINDING -> Dhcp6ExchangeOutcome.Exchange.REBIND;
            case CONFIRMING -> Dhcp6ExchangeOutcome.Exchange.CONFIRM;
            case BOUND, STOPPED -> throw new IllegalStateException("no exchange under way in " + state);
        };
        listener.exchanged(new Dhcp6ExchangeOutcome(exchange, result));
    }

    /** Whether {@code m} refuses with {@code code}, in the message or in our IA_NA. */
    private boolean refusedWith(Dhcp6Message m, int code) {
        return m.status().code() == code
                || m.iaNa(config.iaid()).map(ia -> ia.statusCode() == code).orElse(false);
    }

    private void ignore(String why) {
        if (acquisition != null) {
            note(acquisition.notes, why);
        }
        listener.warning(why + " (on " + config.interfaceName() + ")");
    }

    private void record(Duid server, Dhcp6Message m) {
        if (acquisition == null) {
            return;
        }
        StatusCode status = m.status();
        if (status.success()) {
            status = m.iaNa(config.iaid()).flatMap(IaNa::status).orElse(status);
        }
        String what = m.type() + (status.success() ? "" : " " + status.describe()) + " from " + server;
        if (acquisition.answers.containsKey(what) || acquisition.answers.size() < MAX_NOTES) {
            acquisition.answers.merge(what, 1, Integer::sum);
        }
    }

    private static void note(List<String> notes, String text) {
        if (notes.size() < MAX_NOTES && !notes.contains(text)) {
            notes.add(text);
        }
    }

    private void requireStopped(String event) {
        if (state != Dhcp6ClientState.STOPPED) {
            throw new IllegalStateException("cannot " + event + " the DHCPv6 client of " + config.interfaceName()
                    + " in state " + state + "; stop or release it first");
        }
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static Instant earliest(Instant a, Instant b, Instant c) {
        Instant best = a;
        for (Instant x : new Instant[] {b, c}) {
            if (x != null && (best == null || x.isBefore(best))) {
                best = x;
            }
        }
        return best;
    }

    /** A usable ADVERTISE: its server, preference and the address it offered. */
    private record Advertised(Duid server, int preference, Ipv6 address) {
    }

    private static final class Acquisition {
        final Instant start;
        final Instant deadline;
        int solicits;
        int requests;
        final Map<String, Integer> answers = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();

        Acquisition(Instant start, Instant deadline) {
            this.start = start;
            this.deadline = deadline;
        }
    }
}

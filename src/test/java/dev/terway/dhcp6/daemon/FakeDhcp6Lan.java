package dev.terway.dhcp6.daemon;

import dev.terway.dhcp.daemon.FakeInbox;
import dev.terway.dhcp.codec.DhcpParseException;
import dev.terway.dhcp.daemon.FakeLan.FakeTimer;
import dev.terway.dhcp.daemon.FakeLan.MutableClock;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory link for the DHCPv6 lease service: a server that answers like dnsmasq's managed range (one
 * address per DUID, T1 60 s, T2 105 s, preferred and valid 120 s, preference 255 so a test needs no timer for
 * the ADVERTISE collection), pod sockets that deliver its answers, and the fake clock and timer of the IPv4 tests.
 */
final class FakeDhcp6Lan {

    static final Duid SERVER = Duid.fromHex("000100012c4f5a100242ac110002");
    static final Ipv6 DNS = Ipv6.parse("fd00:db8::1");

    record Received(Dhcp6Message message, Ipv6 destination) {
        Dhcp6MessageType type() {
            return message.type();
        }
    }

    final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    final FakeTimer timer = new FakeTimer(clock);
    final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<Duid, Ipv6> assigned = new HashMap<>();
    private int next = 0x100;
    volatile boolean answering = true;
    volatile long validLifetime = 120;
    volatile String failOpen;
    /** Binds on REQUEST but the REPLY never arrives (as if the daemon died before reading it). */
    volatile boolean silentOnRequest;
    /** Answers DECLINE but keeps giving the client the declined address (a server with a range of one). */
    volatile boolean keepsDeclined;
    /** How long opening a socket takes on the fake clock (the wait for the link-local address to pass DAD). */
    volatile Duration openTakes = Duration.ZERO;

    synchronized List<Dhcp6Message> answer(Dhcp6Message request) {
        if (!answering) {
            return List.of();
        }
        Duid client = request.clientId().orElseThrow();
        long iaid = request.all(IaNa.class).get(0).iaid();
        switch (request.type()) {
            case SOLICIT, REQUEST, RENEW, REBIND -> {
                if (silentOnRequest && request.type() == Dhcp6MessageType.REQUEST) {
                    assigned.computeIfAbsent(client, c -> Ipv6.parse("fd00:db8::" + Integer.toHexString(next++)));
                    return List.of();
                }
                Ipv6 address = assigned.computeIfAbsent(client, c -> Ipv6.parse("fd00:db8::"
                        + Integer.toHexString(next++)));
                List<Dhcp6Option> options = new ArrayList<>(List.of(new Dhcp6Option.ClientId(client),
                        new Dhcp6Option.ServerId(SERVER),
                        new IaNa(iaid, 60, 105, List.of(IaAddress.of(address, Math.min(120, validLifetime),
                                validLifetime)),
                                Optional.empty(), List.of()),
                        new Dhcp6Option.DnsServers(List.of(DNS)), new Dhcp6Option.DomainList(List.of("lan.test"))));
                if (request.type() == Dhcp6MessageType.SOLICIT) {
                    options.add(new Dhcp6Option.Preference(255));
                }
                Dhcp6MessageType type = request.type() == Dhcp6MessageType.SOLICIT ? Dhcp6MessageType.ADVERTISE
                        : Dhcp6MessageType.REPLY;
                return List.of(new Dhcp6Message(type, request.transactionId(), options));
            }
            case CONFIRM, RELEASE, DECLINE -> {
                if (request.type() == Dhcp6MessageType.RELEASE
                        || (request.type() == Dhcp6MessageType.DECLINE && !keepsDeclined)) {
                    assigned.remove(client);
                }
                return List.of(new Dhcp6Message(Dhcp6MessageType.REPLY, request.transactionId(), List.of(
                        new Dhcp6Option.ClientId(client), new Dhcp6Option.ServerId(SERVER),
                        StatusCode.of(StatusCode.SUCCESS))));
            }
            default -> {
                return List.of();
            }
        }
    }

    List<Dhcp6MessageType> types() {
        return received.stream().map(Received::type).toList();
    }

    /** A netns whose pod interface is gone: opening a socket there fails. */
    volatile java.nio.file.Path podGone;
    /** Every socket opened, as "NETNS IFNAME". */
    final List<String> opened = new CopyOnWriteArrayList<>();

    Pod6Socket.Factory sockets() {
        return (netns, ifname, wait) -> {
            if (failOpen != null) {
                throw new IOException(failOpen);
            }
            if (netns.equals(podGone)) {
                throw new IOException("set SO_BINDTODEVICE on UDP/IPv6 port 546 on " + ifname + ": No such device");
            }
            opened.add(netns + " " + ifname);
            clock.set(clock.instant().plus(openTakes));
            return new FakeSocket();
        };
    }

    final class FakeSocket implements Pod6Socket {
        private final FakeInbox inbox = new FakeInbox();

        @Override
        public void send(byte[] data, int length, Ipv6 destination, int port) throws IOException {
            inbox.requireOpen("send");
            Dhcp6Message m;
            try {
                m = Dhcp6Message.decode(data, 0, length);
            } catch (DhcpParseException e) {
                throw new IOException("the client sent an undecodable message: " + e.getMessage());
            }
            received.add(new Received(m, destination));
            for (Dhcp6Message reply : answer(m)) {
                inbox.add(reply.encode());
            }
        }

        @Override
        public OptionalInt receive(byte[] buffer, Duration timeout) throws IOException {
            return inbox.receive(buffer, timeout);
        }

        @Override
        public void close() {
            inbox.close();
        }
    }
}

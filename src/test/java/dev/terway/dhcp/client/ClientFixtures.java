package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** Hand fakes for the client's collaborators and a scripted DHCP server; the clock is the DHCPv6 tests' too. */
public final class ClientFixtures {

    public static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");
    static final Ipv4 SERVER = Ipv4.parse("192.168.50.1");
    static final Ipv4 OTHER_SERVER = Ipv4.parse("192.168.50.2");
    static final Ipv4 ADDRESS = Ipv4.parse("192.168.50.23");

    private ClientFixtures() {
    }

    /** A clock the test moves by hand. */
    public static final class FakeClock implements InstantSource {
        private Instant now = T0;

        @Override
        public Instant instant() {
            return now;
        }

        public void set(Instant instant) {
            now = instant;
        }

        public void advance(Duration duration) {
            now = now.plus(duration);
        }

        /**
         * What the daemon's scheduler does with a client: fire every deadline up to {@code until}, moving the clock
         * to each, then let time reach {@code until}.
         */
        public void runUntil(Instant until, Supplier<Optional<Instant>> nextDeadline, Runnable onTimer) {
            Optional<Instant> due = nextDeadline.get();
            while (due.isPresent() && !due.get().isAfter(until)) {
                now = due.get();
                onTimer.run();
                due = nextDeadline.get();
            }
            now = until;
        }
    }

    /** {@code seconds} after {@link #T0}. */
    public static Instant at(double seconds) {
        return T0.plusNanos(Math.round(seconds * 1e9));
    }

    record Sent(Instant at, DhcpMessage message, Optional<Ipv4> unicastTo) {
        boolean broadcast() {
            return unicastTo.isEmpty();
        }

        MessageType type() {
            return message.messageType().orElseThrow();
        }
    }

    /** Records every message; can be told to fail sends. */
    static final class FakeTransport extends RecordingTransport<DhcpMessage, Ipv4, Sent> implements DhcpTransport {

        FakeTransport(FakeClock clock) {
            super(clock);
        }

        @Override
        protected Sent recordOf(Instant at, DhcpMessage message, Optional<Ipv4> unicastTo) {
            return new Sent(at, message, unicastTo);
        }

        @Override
        public void broadcast(DhcpMessage message) throws IOException {
            record(message, Optional.empty());
        }

        @Override
        public void unicast(DhcpMessage message, Ipv4 server) throws IOException {
            record(message, Optional.of(server));
        }

        List<Instant> times(MessageType type) {
            return sent.stream().filter(s -> s.type() == type).map(Sent::at).toList();
        }
    }

    /** Records the ARP probes the client asks for; can be told to fail them. */
    static final class FakeProbe implements AddressProbe {
        record Probe(Instant at, Ipv4 address) {
        }

        final List<Probe> probes = new ArrayList<>();
        private final FakeClock clock;
        String failWith;

        FakeProbe(FakeClock clock) {
            this.clock = clock;
        }

        @Override
        public void probe(Ipv4 address) throws IOException {
            if (failWith != null) {
                throw new IOException(failWith);
            }
            probes.add(new Probe(clock.instant(), address));
        }

        List<Instant> times() {
            return probes.stream().map(Probe::at).toList();
        }
    }

    /** Seeded randomness with chosen xids first. */
    static final class ScriptedRandom implements RandomGenerator {
        private final Deque<Integer> xids = new ArrayDeque<>();
        private final Random fallback = new Random(1);

        ScriptedRandom(Integer... xids) {
            this.xids.addAll(List.of(xids));
        }

        @Override
        public int nextInt() {
            return xids.isEmpty() ? fallback.nextInt() : xids.poll();
        }

        @Override
        public long nextLong() {
            return fallback.nextLong();
        }
    }

    /** Options a dnsmasq-like server attaches to OFFER and ACK: lease 120 s, T1 10 s, T2 20 s. */
    static Consumer<DhcpMessage.Builder> leaseOptions(long lease, Long t1, Long t2) {
        return b -> {
            b.put(DhcpOptions.LEASE_TIME, lease);
            if (t1 != null) {
                b.put(DhcpOptions.RENEWAL_TIME, t1);
            }
            if (t2 != null) {
                b.put(DhcpOptions.REBINDING_TIME, t2);
            }
            b.put(DhcpOptions.SUBNET_MASK, Ipv4.parse("255.255.255.0"))
                    .put(DhcpOptions.ROUTERS, List.of(SERVER))
                    .put(DhcpOptions.DNS_SERVERS, List.of(SERVER, Ipv4.parse("8.8.8.8")))
                    .put(DhcpOptions.DOMAIN_NAME, "lan.local")
                    .put(DhcpOptions.DOMAIN_SEARCH, List.of("lan.local", "corp.example"))
                    .put(DhcpOptions.CLASSLESS_ROUTES, List.of(ClasslessRoute.of("10.0.0.0/8", "192.168.50.254"),
                            ClasslessRoute.of("0.0.0.0/0", "192.168.50.1")))
                    .put(DhcpOptions.INTERFACE_MTU, 1450)
                    .put(DhcpOptions.BROADCAST_ADDRESS, Ipv4.parse("192.168.50.255"));
        };
    }

    static final Consumer<DhcpMessage.Builder> STANDARD = leaseOptions(120, 10L, 20L);

    static DhcpMessage reply(DhcpMessage request, MessageType type, Ipv4 yiaddr, Ipv4 server,
                             Consumer<DhcpMessage.Builder> options) {
        DhcpMessage.Builder b = DhcpMessage.builder().op(DhcpMessage.BOOTREPLY).xid(request.xid())
                .chaddr(request.chaddr()).flags(request.flags()).yiaddr(yiaddr).siaddr(server)
                .put(DhcpOptions.MESSAGE_TYPE, type)
                .put(DhcpOptions.SERVER_ID, server);
        options.accept(b);
        return b.build();
    }

    static DhcpMessage offer(DhcpMessage discover, Ipv4 address, Ipv4 server) {
        return reply(discover, MessageType.OFFER, address, server, STANDARD);
    }

    static DhcpMessage ack(DhcpMessage request, Ipv4 address, Ipv4 server) {
        return reply(request, MessageType.ACK, address, server, STANDARD);
    }

    static DhcpMessage nak(DhcpMessage request, Ipv4 server, String text) {
        return reply(request, MessageType.NAK, Ipv4.ANY, server, b -> b.put(DhcpOptions.MESSAGE, text));
    }
}

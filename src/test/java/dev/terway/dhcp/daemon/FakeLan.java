package dev.terway.dhcp.daemon;

import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.dhcp.codec.DhcpParseException;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * An in-memory LAN for the lease service: a DHCP server that answers like dnsmasq, pod sockets that
 * deliver its replies, a node sender, a fake clock and a timer that runs tasks when the test moves the
 * clock; and ARP: pod ARP sockets whose probes are answered by the hosts that squat on addresses.
 */
public final class FakeLan {

    static final Ipv4 SERVER = Ipv4.parse("192.0.2.254");
    static final Ipv4 ROUTER = Ipv4.parse("192.0.2.1");
    static final long LEASE_SECONDS = 120;
    static final long T1 = 10;
    static final long T2 = 20;

    /** What reached the server, and from where. */
    record Received(DhcpMessage message, Inet4Address destination, boolean fromNode) {
        MessageType type() {
            return message.messageType().orElseThrow();
        }
    }

    final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    final FakeTimer timer = new FakeTimer(clock);
    final List<Received> received = new CopyOnWriteArrayList<>();
    final List<FakeSocket> sockets = new CopyOnWriteArrayList<>();
    private final Map<String, Ipv4> assigned = new HashMap<>();
    /** Hosts on the LAN that hold an address the server does not know about, by address. */
    final Map<Ipv4, HardwareAddress> squatters = new ConcurrentHashMap<>();
    final List<ArpPacket> arpSent = new CopyOnWriteArrayList<>();
    final List<FakeArpSocket> arpSockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextHost = new AtomicInteger(100);
    volatile boolean answering = true;
    volatile boolean nakRequests;
    /** Commits the lease on REQUEST but the ACK never arrives (as if the client died before reading it). */
    volatile boolean silentOnRequest;
    volatile String failOpen;

    // ---- the server ----

    private synchronized List<DhcpMessage> answer(DhcpMessage request) {
        if (!answering) {
            return List.of();
        }
        MessageType type = request.messageType().orElseThrow();
        String client = request.clientId().map(ClientIdentifier::toString).orElse(request.chaddr().toString());
        if (type == MessageType.DISCOVER && !assigned.containsKey(client)) {
            // like dnsmasq: the requested address (option 50) when it is free
            request.requestedAddress().filter(wanted -> !assigned.containsValue(wanted))
                    .ifPresent(wanted -> assigned.put(client, wanted));
        }
        if (type == MessageType.REQUEST && !assigned.containsKey(client)) {
            // a renewal or INIT-REBOOT of a lease the server does not know (it lost its database): refused
            return List.of(reply(request, MessageType.NAK, Ipv4.ANY));
        }
        Ipv4 address = assigned.computeIfAbsent(client, c -> Ipv4.parse("192.0.2." + nextHost.getAndIncrement()));
        return switch (type) {
            case DISCOVER -> List.of(reply(request, MessageType.OFFER, address));
            case REQUEST -> {
                if (nakRequests) {
                    yield List.of(reply(request, MessageType.NAK, Ipv4.ANY));
                }
                if (silentOnRequest) {
                    yield List.of();
                }
                Ipv4 wanted = request.ciaddr().isAny() ? request.requestedAddress().orElse(address) : request.ciaddr();
                yield List.of(wanted.equals(address) ? reply(request, MessageType.ACK, address)
                        : reply(request, MessageType.NAK, Ipv4.ANY));
            }
            case RELEASE -> {
                assigned.remove(client);
                yield List.of();
            }
            case DECLINE -> {
                // like dnsmasq: the address is taken out of service, the client gets another one next time
                assigned.remove(client);
                yield List.of();
            }
            default -> List.of();
        };
    }

    /** As a server restarted without its lease file: every lease forgotten, new ones from {@code .nextHost}. */
    synchronized void loseDatabase(int nextHost) {
        assigned.clear();
        this.nextHost.set(nextHost);
    }

    /** Another client holds {@code address}: it is not free to offer. */
    synchronized void occupy(Ipv4 address) {
        assigned.put("squatter-" + address, address);
    }

    synchronized Ipv4 addressOf(String clientIdText) {
        return assigned.get(ClientIdentifier.ofText(clientIdText).toString());
    }

    synchronized boolean holdsLease(String clientIdText) {
        return assigned.containsKey(ClientIdentifier.ofText(clientIdText).toString());
    }

    private static DhcpMessage reply(DhcpMessage request, MessageType type, Ipv4 address) {
        DhcpMessage.Builder b = DhcpMessage.builder().op(DhcpMessage.BOOTREPLY).htype(DhcpMessage.HTYPE_ETHERNET)
                .xid(request.xid()).chaddr(request.chaddr()).yiaddr(address).broadcast(request.broadcast())
                .put(DhcpOptions.MESSAGE_TYPE, type).put(DhcpOptions.SERVER_ID, SERVER);
        if (type != MessageType.NAK) {
            b.put(DhcpOptions.SUBNET_MASK, Ipv4.netmask(24))
                    .put(DhcpOptions.ROUTERS, List.of(ROUTER))
                    .put(DhcpOptions.LEASE_TIME, LEASE_SECONDS)
                    .put(DhcpOptions.RENEWAL_TIME, T1)
                    .put(DhcpOptions.REBINDING_TIME, T2);
        }
        return b.build();
    }

    List<MessageType> types() {
        return received.stream().map(Received::type).toList();
    }

    // ---- pod sockets ----

    final class FakeSocket implements PodSocket {
        final Path netns;
        final String ifname;
        final byte[] mac;
        private final FakeInbox inbox = new FakeInbox();

        FakeSocket(Path netns, String ifname, byte[] mac) {
            this.netns = netns;
            this.ifname = ifname;
            this.mac = mac;
        }

        @Override
        public byte[] hardwareAddress() {
            return mac.clone();
        }

        @Override
        public void send(byte[] data, int length, Inet4Address destination, int port) throws IOException {
            inbox.requireOpen("send");
            if (port != 67) {
                throw new IOException("the client must send to port 67, not " + port);
            }
            DhcpMessage message = decode(data, length);
            received.add(new Received(message, destination, false));
            for (DhcpMessage reply : answer(message)) {
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

    PodSocket.Factory sockets() {
        return (netns, ifname) -> {
            if (failOpen != null) {
                throw new IOException(failOpen);
            }
            byte[] mac = {0x02, 0, 0, 0, 0, (byte) (netns.hashCode() & 0x7f)};
            FakeSocket socket = new FakeSocket(netns, ifname, mac);
            sockets.add(socket);
            return socket;
        };
    }

    long openSockets() {
        return sockets.stream().filter(s -> !s.inbox.closed()).count();
    }

    // ---- pod ARP sockets ----

    final class FakeArpSocket implements PodArpSocket {
        final Path netns;
        private final BlockingQueue<ArpPacket> inbox = new LinkedBlockingQueue<>();
        volatile boolean closed;

        FakeArpSocket(Path netns) {
            this.netns = netns;
        }

        @Override
        public void broadcast(ArpPacket packet) throws IOException {
            if (closed) {
                throw new IOException("send on a closed ARP socket");
            }
            arpSent.add(packet);
            HardwareAddress squatter = squatters.get(packet.targetIp());
            if (packet.isProbe() && squatter != null) {
                inbox.add(new ArpPacket(ArpPacket.REPLY, squatter, packet.targetIp(), packet.senderMac(), Ipv4.ANY));
            }
        }

        @Override
        public Optional<ArpPacket> poll() throws IOException {
            if (closed) {
                throw new IOException("receive on a closed ARP socket");
            }
            return Optional.ofNullable(inbox.poll());
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    PodArpSocket.Factory arpSocketFactory() {
        return (netns, ifname) -> {
            FakeArpSocket socket = new FakeArpSocket(netns);
            arpSockets.add(socket);
            return socket;
        };
    }

    long openArpSockets() {
        return arpSockets.stream().filter(s -> !s.closed).count();
    }

    NodeSender nodeSender() {
        return (message, server) -> {
            DhcpMessage decoded = decode(message, message.length);
            received.add(new Received(decoded, server, true));
            answer(decoded);
        };
    }

    private static DhcpMessage decode(byte[] data, int length) throws IOException {
        try {
            return DhcpMessage.decode(data, 0, length);
        } catch (DhcpParseException e) {
            throw new IOException("the client sent an undecodable message: " + e.getMessage());
        }
    }

    // ---- time ----

    /** Public for the DHCPv6 lease service's tests, which share the fake time. */
    public static final class MutableClock extends Clock {
        private volatile Instant now;

        public MutableClock(Instant start) {
            this.now = start;
        }

        public void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    /** Runs scheduled tasks only when the test moves time forward, each at its own instant. */
    public static final class FakeTimer implements LeaseTimer {
        private record Task(Instant at, long seq, Runnable run, boolean[] cancelled) {
        }

        private final MutableClock clock;
        private final PriorityQueue<Task> tasks = new PriorityQueue<>(
                (a, b) -> a.at.equals(b.at) ? Long.compare(a.seq, b.seq) : a.at.compareTo(b.at));
        private long seq;

        public FakeTimer(MutableClock clock) {
            this.clock = clock;
        }

        @Override
        public synchronized Scheduled at(Instant when, Runnable task) {
            boolean[] cancelled = {false};
            tasks.add(new Task(when, seq++, task, cancelled));
            return () -> {
                synchronized (FakeTimer.this) {
                    cancelled[0] = true;
                }
            };
        }

        /** Moves the clock to {@code target}, running every task due on the way at its instant. */
        public void advanceTo(Instant target) {
            while (true) {
                Task next;
                synchronized (this) {
                    next = tasks.peek();
                    if (next == null || next.at.isAfter(target)) {
                        break;
                    }
                    tasks.poll();
                    if (next.cancelled[0]) {
                        continue;
                    }
                    if (next.at.isAfter(clock.instant())) {
                        clock.set(next.at);
                    }
                }
                next.run.run();
            }
            if (target.isAfter(clock.instant())) {
                clock.set(target);
            }
        }

        public void advance(Duration by) {
            advanceTo(clock.instant().plus(by));
        }

        synchronized List<Instant> pending() {
            List<Instant> due = new ArrayList<>();
            tasks.stream().filter(t -> !t.cancelled[0]).forEach(t -> due.add(t.at));
            due.sort(null);
            return due;
        }
    }

    /**
     * Waits (real time) for something the receive threads do. 15 s: the fake LAN answers at once, so a healthy
     * run waits milliseconds; 5 s was now and then too short for a whole re-acquisition in a full unit run while
     * other builds held both cores (LostLeaseTest, seen several times under load, never alone).
     */
    public static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }
}

package dev.terway.jni;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.netstate.Link;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real sockets in real namespaces (root only). Every test makes its own namespaces joined by veth
 * pairs with private addresses, sends only between them, and deletes them in finally; afterwards
 * the root namespace's links and namespace list must be as they were.
 */
class NetnsUdpSocketIT {

    private static final int ENODEV = 19;
    private static final int EINVAL = 22;
    private static final Duration WAIT = Duration.ofSeconds(3);

    /** "tw" + 6 hex digits: unique per run, short enough for prefix + 3 more characters as an ifname. */
    private static final String PREFIX = "tw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())
            .substring(0, 6);

    private static List<Link> rootLinksBefore;

    private Path rootNetns;

    @BeforeAll
    static void requireRootAndRecordTheRootNamespace() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")) && (int) Files.getAttribute(Path.of("/proc/self"),
                "unix:uid") == 0, "needs root to create network namespaces");
        rootLinksBefore = TestNamespaces.rootLinks();
    }

    @AfterAll
    static void rootNamespaceIsUntouched() {
        if (rootLinksBefore == null) {
            return; // skipped
        }
        List<Link> after = TestNamespaces.rootLinks();
        assertEquals(identities(rootLinksBefore), identities(after), "links of the root namespace changed");
        assertTrue(after.stream().noneMatch(l -> l.name().startsWith(PREFIX)), "a test link leaked into root");
        assertTrue(TestNamespaces.netnsNames().stream().noneMatch(n -> n.startsWith(PREFIX)),
                "test namespaces left behind: " + TestNamespaces.netnsNames());
    }

    private static Set<String> identities(List<Link> links) {
        Set<String> out = new HashSet<>();
        links.forEach(l -> out.add(l.index() + " " + l.name() + " " + l.mac() + " " + l.mtu() + " " + new java.util.TreeSet<>(l.flags())
                + " " + l.master()));
        return out;
    }

    @BeforeEach
    void recordThisThreadsNamespace() throws IOException {
        rootNetns = threadNetns();
    }

    private static Path threadNetns() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
    }

    private void assertBackInRootNamespace() throws IOException {
        assertEquals(rootNetns, threadNetns(), "the calling thread was left in another network namespace");
    }

    /** Two namespaces a and b joined by a veth pair; the addresses are optional (null = none). */
    private record Pair(TestNamespaces ns, String a, String ifA, String b, String ifB) {
        Path pathA() {
            return TestNamespaces.path(a);
        }

        Path pathB() {
            return TestNamespaces.path(b);
        }
    }

    private static Pair pair(TestNamespaces ns, String addrA, String addrB) {
        String a = ns.add("a");
        String b = ns.add("b");
        ns.ip(a, "link", "set", "lo", "up");
        ns.veth(a, ns.name("va"), addrA, b, ns.name("vb"), addrB);
        return new Pair(ns, a, ns.name("va"), b, ns.name("vb"));
    }

    private static void send(NetnsUdpSocket s, String text, String destination, int port) throws IOException {
        byte[] data = text.getBytes(US_ASCII);
        s.send(data, data.length, InetAddress.getByName(destination), port);
    }

    private static Received receive(NetnsUdpSocket s) throws IOException {
        byte[] buf = new byte[1500];
        ReceivedDatagram d = s.receive(buf, WAIT).orElseThrow(() -> new AssertionError(s + " received nothing"));
        return new Received(new String(buf, 0, d.length(), US_ASCII), d.source().getHostAddress(), d.sourcePort());
    }

    private record Received(String text, String source, int port) {
    }

    @Test
    void broadcastAndUnicastTravelBothWaysBetweenNamespaces() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, "10.231.7.1/24", "10.231.7.2/24");
            try (NetnsUdpSocket client = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68);
                 NetnsUdpSocket server = NetnsUdpSocket.open(p.pathB(), p.ifB(), 67)) {
                assertBackInRootNamespace();

                send(client, "broadcast from a", "255.255.255.255", 67);
                assertEquals(new Received("broadcast from a", "10.231.7.1", 68), receive(server));
                send(server, "broadcast from b", "255.255.255.255", 68);
                assertEquals(new Received("broadcast from b", "10.231.7.2", 67), receive(client));

                send(client, "unicast from a", "10.231.7.2", 67);
                assertEquals(new Received("unicast from a", "10.231.7.1", 68), receive(server));
                send(server, "unicast from b", "10.231.7.1", 68);
                assertEquals(new Received("unicast from b", "10.231.7.2", 67), receive(client));

                // the byte[] form of the destination, and an empty datagram
                client.send(new byte[0], 0, new byte[] {10, (byte) 231, 7, 2}, 67);
                assertEquals(new Received("", "10.231.7.1", 68), receive(server));
            }
        }
    }

    @Test
    void aClientWithoutAnAddressOrRouteCanBroadcastAndHearBroadcasts() throws Exception {
        // the DHCP situation: the pod's interface has no address yet and the namespace has no route
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, null, "10.231.8.1/24");
            try (NetnsUdpSocket client = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68);
                 NetnsUdpSocket server = NetnsUdpSocket.open(p.pathB(), p.ifB(), 67)) {
                send(client, "DISCOVER", "255.255.255.255", 67);
                assertEquals(new Received("DISCOVER", "0.0.0.0", 68), receive(server));
                send(server, "OFFER", "255.255.255.255", 68);
                assertEquals(new Received("OFFER", "10.231.8.1", 67), receive(client));
            }
        }
    }

    @Test
    void hardwareAddressIsTheInterfacesMacInsideTheNamespace() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, null, null);
            ns.ip(p.a(), "link", "set", "dev", p.ifA(), "address", "02:42:ac:11:00:07");
            try (NetnsUdpSocket s = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68);
                 NetnsUdpSocket other = NetnsUdpSocket.open(p.pathB(), p.ifB(), 68)) {
                assertArrayEquals(new byte[] {2, 0x42, (byte) 0xac, 0x11, 0, 7}, s.hardwareAddress());
                assertEquals(ns.link(p.b(), p.ifB()).mac(), HexFormat.ofDelimiter(":").formatHex(other.hardwareAddress()));
            }
            try (NetnsUdpSocket loopback = NetnsUdpSocket.open(p.pathA(), "lo", 68)) {
                IOException e = assertThrows(IOException.class, loopback::hardwareAddress);
                assertEquals("read hardware address of lo in " + p.pathA()
                        + " failed: it is not an Ethernet interface (ARPHRD type 772)", e.getMessage());
            }
            try (NetnsUdpSocket s = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68)) {
                ns.ip(p.a(), "link", "del", p.ifA());
                NativeSocketException e = assertThrows(NativeSocketException.class, s::hardwareAddress);
                assertEquals("read hardware address of " + p.ifA() + " in " + p.pathA()
                        + " failed: No such device", e.getMessage());
            }
        }
    }

    @Test
    void aPathThatIsNotANetworkNamespaceIsRefusedClearly(@TempDir Path dir) throws Exception {
        Path plain = Files.writeString(dir.resolve("plain-file"), "");
        NativeSocketException e = assertThrows(NativeSocketException.class, () -> NetnsUdpSocket.open(plain, "lo", 68));
        assertEquals("setns into " + plain + " failed: Invalid argument (not a network namespace)", e.getMessage());
        assertBackInRootNamespace();

        Path uts = Path.of("/proc/self/ns/uts"); // a namespace, but not a network one
        e = assertThrows(NativeSocketException.class, () -> NetnsUdpSocket.open(uts, "lo", 68));
        assertEquals(EINVAL, e.errno());
        assertEquals("setns into /proc/self/ns/uts failed: Invalid argument (not a network namespace)",
                e.getMessage());
        assertBackInRootNamespace();

        Path fifo = dir.resolve("fifo"); // opening a FIFO for reading would block without O_NONBLOCK
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(NativeSocketException.class, () -> NetnsUdpSocket.open(fifo, "lo", 68)));
        assertEquals("setns into " + fifo + " failed: Invalid argument (not a network namespace)", e.getMessage());
        assertBackInRootNamespace();

        Path gone = TestNamespaces.path(PREFIX + "gone");
        e = assertThrows(NativeSocketException.class, () -> NetnsUdpSocket.open(gone, "lo", 68));
        assertEquals("open network namespace " + gone + " failed: No such file or directory", e.getMessage());
        assertBackInRootNamespace();
    }

    @Test
    void anUnknownInterfaceIsENODEVAndTheThreadComesBack() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            String a = ns.add("a");
            NativeSocketException e = assertThrows(NativeSocketException.class,
                    () -> NetnsUdpSocket.open(TestNamespaces.path(a), "nosuchif0", 68));
            assertEquals("bind to device nosuchif0 in " + TestNamespaces.path(a) + " failed: No such device",
                    e.getMessage());
            assertEquals(ENODEV, e.errno());
            assertEquals("bind to device", e.operation());
            assertBackInRootNamespace();
        }
    }

    @Test
    void receiveReportsTimedOutWithinItsBound() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, "10.231.9.1/24", "10.231.9.2/24");
            try (NetnsUdpSocket s = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68);
                 NetnsUdpSocket peer = NetnsUdpSocket.open(p.pathB(), p.ifB(), 67)) {
                byte[] buf = new byte[64];
                long start = System.nanoTime();
                assertEquals(Optional.empty(), s.receive(buf, Duration.ofMillis(1300))); // spans two wait slices
                long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(elapsedMs >= 1290 && elapsedMs < 4000, "timed out after " + elapsedMs + " ms");

                assertEquals(Optional.empty(), s.receive(buf, Duration.ZERO));
                send(peer, "queued", "10.231.9.1", 68);
                assertEquals(new Received("queued", "10.231.9.2", 67), receive(s));

                // a datagram larger than the buffer is cut, and says so
                send(peer, "0123456789abcdef", "10.231.9.1", 68);
                ReceivedDatagram d = s.receive(new byte[10], WAIT).orElseThrow();
                assertEquals(10, d.length());
                assertEquals(16, d.fullLength());
                assertTrue(d.truncated());
            }
        }
    }

    @Test
    void closeWakesABlockedReceiverAndIsIdempotent() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, null, null);
            NetnsUdpSocket s = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                CountDownLatch receiving = new CountDownLatch(3);
                List<Future<Throwable>> readers = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    readers.add(pool.submit(() -> {
                        receiving.countDown();
                        try {
                            s.receive(new byte[100], Duration.ofMinutes(5));
                            return null;
                        } catch (Throwable t) {
                            return t;
                        }
                    }));
                }
                assertTrue(receiving.await(5, TimeUnit.SECONDS));
                Thread.sleep(300); // let the readers reach poll()
                long start = System.nanoTime();
                Future<?> concurrentClose = pool.submit(s::close);
                s.close();
                concurrentClose.get(5, TimeUnit.SECONDS);
                for (Future<Throwable> r : readers) {
                    Throwable t = r.get(5, TimeUnit.SECONDS);
                    assertTrue(t instanceof SocketClosedException, "reader ended with " + t);
                    assertEquals("receive on UDP port 68 on " + p.ifA() + " in " + p.pathA()
                            + " failed: socket closed", t.getMessage());
                }
                System.out.printf("close woke 3 blocked readers in %d ms%n", (System.nanoTime() - start) / 1_000_000);
                assertTrue(s.isClosed());
                s.close();
                IOException e = assertThrows(SocketClosedException.class,
                        () -> s.send(new byte[1], 1, NetnsUdpSocket.BROADCAST, 67));
                assertTrue(e.getMessage().startsWith("send to UDP port 68 on "), e.getMessage());
                assertThrows(SocketClosedException.class, s::hardwareAddress);
            } finally {
                pool.shutdownNow();
                s.close();
            }
        }
    }

    @Test
    void closingWhileOthersSendAndReceiveOnlyEverYieldsSocketClosed() throws Exception {
        // if the descriptor were closed under a running call, that call would fail with EBADF (or
        // worse, use a reused descriptor); the reference count must make every racer see "closed"
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, "10.231.11.1/24", "10.231.11.2/24");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try (NetnsUdpSocket peer = NetnsUdpSocket.open(p.pathB(), p.ifB(), 67)) {
                Map<String, String> before = null;
                for (int round = -1; round < 200; round++) { // round -1 warms up the JVM's own lazy set-up
                    if (round == 0) {
                        before = openDescriptors();
                    }
                    NetnsUdpSocket s = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68);
                    CountDownLatch started = new CountDownLatch(3);
                    List<Future<Throwable>> racers = new ArrayList<>();
                    racers.add(pool.submit(() -> untilClosed(started, () -> s.receive(new byte[64], Duration.ofSeconds(30)))));
                    racers.add(pool.submit(() -> untilClosed(started,
                            () -> s.send(new byte[8], 8, InetAddress.getByName("10.231.11.2"), 67))));
                    racers.add(pool.submit(() -> untilClosed(started, s::hardwareAddress)));
                    started.await();
                    if (round % 2 == 0) {
                        Thread.sleep(1);
                    }
                    s.close();
                    for (Future<Throwable> r : racers) {
                        Throwable t = r.get(10, TimeUnit.SECONDS);
                        assertTrue(t instanceof SocketClosedException, "round " + round + ": racer ended with " + t);
                    }
                    while (peer.receive(new byte[64], Duration.ZERO).isPresent()) {
                        // drain what the sender got out before the close
                    }
                }
                assertSameDescriptors(before, openDescriptors(), "200 racing closes");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private interface SocketCall {
        void call() throws IOException;
    }

    /** Repeats {@code call} until it throws, and returns what it threw. */
    private static Throwable untilClosed(CountDownLatch started, SocketCall call) {
        started.countDown();
        try {
            while (true) {
                call.call();
            }
        } catch (Throwable t) {
            return t;
        }
    }

    @Test
    void anInterruptedReceiverStopsWaiting() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, null, null);
            try (NetnsUdpSocket s = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68)) {
                Thread.currentThread().interrupt();
                try {
                    assertThrows(InterruptedIOException.class, () -> s.receive(new byte[10], Duration.ofMinutes(5)));
                    assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
                } finally {
                    Thread.interrupted();
                }
            }
        }
    }

    @Test
    void socketsOpenedInParallelLandInTheirOwnNamespaces() throws Exception {
        int pods = 4;
        int sockets = 32;
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            // a hub namespace with a bridge, and pod namespaces each with a veth onto it. Every pod
            // names its interface the same, so SO_BINDTODEVICE alone cannot tell the pods apart:
            // only the namespace a socket really landed in decides which traffic reaches it.
            String hub = ns.add("h");
            String bridge = ns.name("br");
            ns.ip(hub, "link", "add", bridge, "type", "bridge");
            ns.up(hub, bridge, "10.231.10.254/24");
            String podIf = ns.name("p");
            List<String> podNs = new ArrayList<>();
            for (int i = 0; i < pods; i++) {
                String pod = ns.add("p" + i);
                podNs.add(pod);
                String hubSide = ns.name("h" + i);
                ns.ip(pod, "link", "add", podIf, "type", "veth", "peer", "name", hubSide, "netns", hub);
                ns.ip(hub, "link", "set", hubSide, "master", bridge);
                ns.up(hub, hubSide, null);
                ns.up(pod, podIf, "10.231.10." + (i + 1) + "/24");
            }
            for (int i = 0; i < pods; i++) {
                ns.awaitOperUp(podNs.get(i), podIf);
                ns.awaitOperUp(hub, ns.name("h" + i));
            }
            ns.awaitOperUp(hub, bridge);

            List<NetnsUdpSocket> opened = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(sockets);
            try (NetnsUdpSocket hubSocket = NetnsUdpSocket.open(TestNamespaces.path(hub), bridge, 9000)) {
                CyclicBarrier start = new CyclicBarrier(sockets);
                List<Future<NetnsUdpSocket>> futures = new ArrayList<>();
                for (int k = 0; k < sockets; k++) {
                    Path target = TestNamespaces.path(podNs.get(k % pods));
                    int port = 10_000 + k;
                    futures.add(pool.submit(() -> {
                        Path before = threadNetns();
                        start.await(10, TimeUnit.SECONDS);
                        NetnsUdpSocket s = NetnsUdpSocket.open(target, podIf, port);
                        Path after = threadNetns();
                        if (!before.equals(after) || !after.equals(rootNetns)) {
                            s.close();
                            throw new AssertionError("thread " + Thread.currentThread().getName()
                                    + " was in " + before + ", is now in " + after + ", root is " + rootNetns);
                        }
                        return s;
                    }));
                }
                for (Future<NetnsUdpSocket> f : futures) {
                    opened.add(f.get(30, TimeUnit.SECONDS));
                }

                // pods -> hub: the source address tells which namespace each socket sends from
                for (int k = 0; k < sockets; k++) {
                    send(opened.get(k), "from " + k, "10.231.10.254", 9000);
                }
                Map<String, Received> byText = new HashMap<>();
                for (int k = 0; k < sockets; k++) {
                    Received r = receive(hubSocket);
                    byText.put(r.text(), r);
                }
                for (int k = 0; k < sockets; k++) {
                    assertEquals(new Received("from " + k, "10.231.10." + (k % pods + 1), 10_000 + k),
                            byText.get("from " + k), "socket " + k);
                }
                // hub -> pods: a datagram to pod i's address reaches socket k only if it lives in pod i
                for (int k = 0; k < sockets; k++) {
                    send(hubSocket, "to " + k, "10.231.10." + (k % pods + 1), 10_000 + k);
                }
                for (int k = 0; k < sockets; k++) {
                    assertEquals(new Received("to " + k, "10.231.10.254", 9000), receive(opened.get(k)),
                            "socket " + k);
                }
            } finally {
                opened.forEach(NetnsUdpSocket::close);
                pool.shutdownNow();
            }
            assertBackInRootNamespace();
        }
    }

    @Test
    void openAndCloseLeakNoDescriptors(@TempDir Path dir) throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            Pair p = pair(ns, null, null);
            Path plain = Files.writeString(dir.resolve("plain-file"), "");
            cycle(p, plain); // warm up: classes loaded, library mapped
            Map<String, String> before = openDescriptors();
            long start = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                NetnsUdpSocket.open(p.pathA(), p.ifA(), 68).close();
            }
            System.out.printf("open+close of a socket in another namespace: %.1f us each (200 runs)%n",
                    (System.nanoTime() - start) / 200 / 1000.0);
            for (int i = 0; i < 200; i++) {
                cycle(p, plain);
            }
            assertSameDescriptors(before, openDescriptors(), "200 open/close cycles");
            assertBackInRootNamespace();
        }
    }

    /** One successful open/use/close and one failure on each error path inside open(). */
    private static void cycle(Pair p, Path plain) throws IOException {
        try (NetnsUdpSocket s = NetnsUdpSocket.open(p.pathA(), p.ifA(), 68)) {
            s.hardwareAddress();
        }
        expectFailure(() -> NetnsUdpSocket.open(p.pathA(), "nosuchif0", 68)); // fails inside the namespace
        expectFailure(() -> NetnsUdpSocket.open(plain, "lo", 68)); // setns fails
        expectFailure(() -> NetnsUdpSocket.open(plain.resolveSibling("missing"), "lo", 68)); // open fails
    }

    private interface Open {
        NetnsUdpSocket open() throws IOException;
    }

    private static void expectFailure(Open open) {
        try (NetnsUdpSocket s = open.open()) {
            fail("expected open to fail, got " + s);
        } catch (NativeSocketException expected) {
            // the point is what it leaves open
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** This JVM's open descriptors and what each refers to (socket:[inode], a file, ...). */
    private static Map<String, String> openDescriptors() throws IOException {
        Map<String, String> fds = new java.util.TreeMap<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) list::iterator) {
                try {
                    fds.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
                } catch (IOException gone) {
                    // the descriptor Files.list itself used, closed by now
                }
            }
        }
        return fds;
    }

    private static void assertSameDescriptors(Map<String, String> before, Map<String, String> after, String what) {
        Map<String, String> added = new java.util.TreeMap<>(after);
        added.keySet().removeAll(before.keySet());
        Map<String, String> removed = new java.util.TreeMap<>(before);
        removed.keySet().removeAll(after.keySet());
        assertEquals(before.size(), after.size(), "descriptors open before and after " + what
                + "; new: " + added + ", gone: " + removed);
    }
}

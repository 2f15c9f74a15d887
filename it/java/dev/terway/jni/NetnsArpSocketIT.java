package dev.terway.jni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.netstate.Link;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ARP socket in real namespaces (root only): namespaces joined by veth pairs with private addresses,
 * ARP only between them, all deleted in finally; the root namespace's links must be as they were, and the
 * calling thread back in its own namespace after every open.
 */
class NetnsArpSocketIT {

    private static final int ENODEV = 19;
    private static final int EINVAL = 22;
    private static final String PREFIX = "tw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())
            .substring(0, 6);

    private static List<Link> rootLinksBefore;

    @BeforeAll
    static void requireRoot() throws IOException {
        assumeTrue((int) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
                "needs root to create network namespaces");
        rootLinksBefore = TestNamespaces.rootLinks();
    }

    @AfterAll
    static void rootNamespaceIsUntouched() {
        if (rootLinksBefore == null) {
            return;
        }
        assertEquals(rootLinksBefore.stream().map(l -> l.index() + " " + l.name() + " " + l.mac()).toList(),
                TestNamespaces.rootLinks().stream().map(l -> l.index() + " " + l.name() + " " + l.mac()).toList());
        assertTrue(TestNamespaces.netnsNames().stream().noneMatch(n -> n.startsWith(PREFIX)));
    }

    private static Path threadNetns() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
    }

    private static HardwareAddress mac(TestNamespaces ns, String netns, String ifname) {
        return HardwareAddress.parse(ns.link(netns, ifname).mac());
    }

    /** Every ARP packet from another host that arrives within {@code window}. */
    private static List<ArpPacket> collect(NetnsArpSocket s, Duration window) throws IOException {
        List<ArpPacket> packets = new ArrayList<>();
        byte[] buffer = new byte[256];
        long end = System.nanoTime() + window.toNanos();
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            Optional<NetnsArpSocket.ReceivedFrame> frame = s.receive(buffer, Duration.ofNanos(left));
            if (frame.isPresent() && !frame.get().outgoing()) {
                ArpPacket.decode(buffer, 0, frame.get().length()).ifPresent(packets::add);
            }
        }
        return packets;
    }

    @Test
    void aProbeFromAnAddresslessNamespaceIsAnsweredByTheHostThatHasTheAddress() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            String pod = ns.add("p");
            String host = ns.add("h");
            ns.veth(pod, ns.name("vp"), null, host, ns.name("vh"), "10.231.9.7/24");
            Path before = threadNetns();
            try (NetnsArpSocket arp = NetnsArpSocket.open(TestNamespaces.path(pod), ns.name("vp"))) {
                assertEquals(before, threadNetns(), "the calling thread is back in its own namespace");
                HardwareAddress own = mac(ns, pod, ns.name("vp"));
                assertArrayEquals(own.toBytes(), arp.hardwareAddress());
                assertTrue(arp.toString().startsWith("ARP socket on " + ns.name("vp") + " in /var/run/netns/" + pod),
                        arp.toString());

                ArpPacket probe = ArpPacket.probe(own, Ipv4.parse("10.231.9.7"));
                arp.broadcast(probe.encode(), ArpPacket.LENGTH);
                List<ArpPacket> answers = collect(arp, Duration.ofMillis(300));
                HardwareAddress hostMac = mac(ns, host, ns.name("vh"));
                assertEquals(List.of(new ArpPacket(ArpPacket.REPLY, hostMac, Ipv4.parse("10.231.9.7"), own, Ipv4.ANY)),
                        answers, "one reply, from the host, to our MAC, for the probed address");
                assertEquals(Optional.of(ArpPacket.Claim.REPLY),
                        answers.get(0).claims(Ipv4.parse("10.231.9.7"), own));

                // a free address: nobody answers
                arp.broadcast(ArpPacket.probe(own, Ipv4.parse("10.231.9.8")).encode(), ArpPacket.LENGTH);
                assertEquals(List.of(), collect(arp, Duration.ofMillis(300)));
                // and the pod namespace got no address or route from any of this
                assertEquals("", ns.ip(pod, "-4", "addr", "show", "dev", ns.name("vp")).strip());
            }
        }
    }

    @Test
    void theHostSeesTheProbeWithSenderIpZero() throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            String pod = ns.add("p");
            String host = ns.add("h");
            ns.veth(pod, ns.name("vp"), null, host, ns.name("vh"), "10.231.10.7/24");
            try (NetnsArpSocket sender = NetnsArpSocket.open(TestNamespaces.path(pod), ns.name("vp"));
                 NetnsArpSocket listener = NetnsArpSocket.open(TestNamespaces.path(host), ns.name("vh"))) {
                HardwareAddress own = mac(ns, pod, ns.name("vp"));
                sender.broadcast(ArpPacket.probe(own, Ipv4.parse("10.231.10.50")).encode(), ArpPacket.LENGTH);
                byte[] buffer = new byte[256];
                NetnsArpSocket.ReceivedFrame frame = listener.receive(buffer, Duration.ofSeconds(3)).orElseThrow();
                assertFalse(frame.outgoing());
                assertArrayEquals(own.toBytes(), frame.sourceMac(), "the Ethernet source is the pod's MAC");
                assertEquals(ArpPacket.LENGTH, frame.length());
                ArpPacket seen = ArpPacket.decode(buffer, 0, frame.length()).orElseThrow();
                assertTrue(seen.isProbe());
                assertEquals(Ipv4.parse("10.231.10.50"), seen.targetIp());
            }
        }
    }

    @Test
    void failuresNameTheStepAndTheThreadComesBack(@TempDir Path dir) throws Exception {
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            String pod = ns.add("p");
            Path before = threadNetns();
            NativeSocketException noSuch = assertThrows(NativeSocketException.class,
                    () -> NetnsArpSocket.open(TestNamespaces.path(pod), "nosuch0"));
            assertEquals(ENODEV, noSuch.errno());
            assertEquals("look up interface nosuch0 in /var/run/netns/" + pod + " failed: No such device (no such"
                    + " interface in that namespace)", noSuch.getMessage());
            assertEquals(before, threadNetns());

            Path notNetns = Files.createFile(dir.resolve("plain-file"));
            NativeSocketException notANamespace = assertThrows(NativeSocketException.class,
                    () -> NetnsArpSocket.open(notNetns, "eth0"));
            assertEquals(EINVAL, notANamespace.errno());
            assertTrue(notANamespace.getMessage().startsWith("setns into " + notNetns + " failed"),
                    notANamespace.getMessage());
            assertEquals(before, threadNetns());

            IOException loopback = assertThrows(IOException.class,
                    () -> NetnsArpSocket.open(TestNamespaces.path(pod), "lo"));
            assertTrue(loopback.getMessage().endsWith("it is not an Ethernet interface (ARPHRD type 772)"),
                    loopback.getMessage());
            assertThrows(IllegalArgumentException.class, () -> NetnsArpSocket.open(TestNamespaces.path(pod), "a/b"));
        }
    }

    @Test
    void closeEndsAReceiveWithinASliceAndLaterCallsFail() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (TestNamespaces ns = new TestNamespaces(PREFIX)) {
            String pod = ns.add("p");
            String host = ns.add("h");
            ns.veth(pod, ns.name("vp"), null, host, ns.name("vh"), null);
            NetnsArpSocket arp = NetnsArpSocket.open(TestNamespaces.path(pod), ns.name("vp"));
            Future<Optional<NetnsArpSocket.ReceivedFrame>> receiving =
                    pool.submit(() -> arp.receive(new byte[64], Duration.ofSeconds(30)));
            Thread.sleep(150);
            long start = System.nanoTime();
            arp.close();
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> receiving.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof SocketClosedException, e.getCause().toString());
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 1000, "within a wait slice or so");
            assertTrue(arp.isClosed());
            arp.close(); // idempotent
            assertThrows(SocketClosedException.class, () -> arp.broadcast(new byte[28], 28));
            assertThrows(SocketClosedException.class, () -> arp.receive(new byte[64], Duration.ZERO));
        } finally {
            pool.shutdownNow();
        }
    }
}

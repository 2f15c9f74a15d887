package dev.terway.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.dhcp6.codec.Dhcp6MessageType;
import dev.terway.dhcp6.codec.Dhcp6Option;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.it.NetnsLab;
import dev.terway.net.Ipv6;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The DHCPv6 socket against dnsmasq in a lab LAN (root only): opened inside a pod namespace on the LAN
 * right after its veth came up (its link-local address still tentative), a SOLICIT multicast to ff02::1:2
 * gets dnsmasq's ADVERTISE back on the link-local address. Everything is in the lab's namespaces, removed
 * with it.
 */
class NetnsUdp6SocketIT {

    private static final Duration LINK_LOCAL_WAIT = Duration.ofSeconds(5);

    private static Path netns(String ns) {
        return Path.of("/run/netns", ns);
    }

    private static Path threadNetns() throws Exception {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
    }

    @Test
    void aSolicitFromTheLinkLocalAddressGetsDnsmasqsAdvertise() throws Exception {
        try (NetnsLab lab = NetnsLab.create()) {
            lab.startDhcp6Server(lab.net().lanV6(0x100), lab.net().lanV6(0x1ff));
            String pod = lab.addLanNamespace("pod");
            Path before = threadNetns();
            long start = System.nanoTime();
            try (NetnsUdp6Socket socket = NetnsUdp6Socket.open(netns(pod), "eth0", 546, LINK_LOCAL_WAIT)) {
                long waitedMs = (System.nanoTime() - start) / 1_000_000;
                assertEquals(before, threadNetns(), "the calling thread was left in the pod's namespace");
                assertTrue(socket.localAddress().isLinkLocal(), socket.toString());
                String shown = NetnsLab.ip(pod, "-6", "addr", "show", "dev", "eth0", "scope", "link");
                assertTrue(shown.contains(socket.localAddress() + "/64"), shown);
                assertTrue(!shown.contains("tentative"), "bound only once DAD was over: " + shown);
                System.out.println("link-local " + socket.localAddress() + " usable " + waitedMs
                        + " ms after the veth came up");

                Duid duid = Duid.forAttachment("jni-it", "eth0");
                Dhcp6Message solicit = new Dhcp6Message(Dhcp6MessageType.SOLICIT, 0x5a5a5a, List.of(
                        new Dhcp6Option.ClientId(duid), new Dhcp6Option.ElapsedTime(0),
                        new Dhcp6Option.OptionRequest(List.of(23, 24)), Dhcp6Option.IaNa.asking(1, List.of())));
                byte[] wire = solicit.encode();
                socket.send(wire, wire.length, NetnsUdp6Socket.ALL_DHCP_RELAY_AGENTS_AND_SERVERS, 547);

                byte[] buffer = new byte[1500];
                Optional<NetnsUdp6Socket.Datagram> got = socket.receive(buffer, Duration.ofSeconds(5));
                assertTrue(got.isPresent(), "no answer from dnsmasq:\n" + Files.readString(lab.dir()
                        .resolve("dnsmasq6.log")));
                NetnsUdp6Socket.Datagram d = got.get();
                assertEquals(547, d.sourcePort());
                // dnsmasq answers from its link-local address, or from its global one while the just-made
                // switch's link-local is still tentative (seen under load): which is the server's choice, not ours.
                assertTrue(!d.source().isMulticast() && !d.source().equals(Ipv6.ANY), "answered from " + d.source());
                Dhcp6Message advertise = Dhcp6Message.decode(buffer, 0, d.length());
                System.out.println("dnsmasq ADVERTISE: " + HexFormat.of().formatHex(buffer, 0, d.length()));
                assertEquals(Dhcp6MessageType.ADVERTISE, advertise.type());
                assertEquals(0x5a5a5a, advertise.transactionId());
                assertEquals(Optional.of(duid), advertise.clientId());
                Ipv6 offered = advertise.iaNa(1).orElseThrow().addresses().get(0).address();
                Ipv6 first = Ipv6.parse(lab.net().lanV6(0x100));
                Ipv6 last = Ipv6.parse(lab.net().lanV6(0x1ff));
                assertTrue(offered.compareTo(first) >= 0 && offered.compareTo(last) <= 0, "offered " + offered);
                String log = Files.readString(lab.dir().resolve("dnsmasq6.log"));
                assertTrue(log.contains("DHCPSOLICIT(sw0)") && log.contains("DHCPADVERTISE(sw0) " + offered), log);
            }
        }
    }

    @Test
    void noUsableLinkLocalAddressIsAPreciseErrorAfterTheWait() throws Exception {
        try (NetnsLab lab = NetnsLab.create()) {
            String pod = lab.addLanNamespace("nov6");
            assertTrue(NetnsLab.exec(pod, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1").succeeded());
            long start = System.nanoTime();
            NativeSocketException e = assertThrows(NativeSocketException.class,
                    () -> NetnsUdp6Socket.open(netns(pod), "eth0", 546, Duration.ofMillis(300)));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("bind to the link-local address of eth0 in " + netns(pod))
                    && e.getMessage().contains("the interface has no link-local address"), e.getMessage());
            assertTrue(waitedMs >= 300 && waitedMs < 3000, "waited " + waitedMs + " ms");
        }
    }

    @Test
    void closeWakesABlockedReader() throws Exception {
        try (NetnsLab lab = NetnsLab.create()) {
            String pod = lab.addLanNamespace("close");
            NetnsUdp6Socket socket = NetnsUdp6Socket.open(netns(pod), "eth0", 546, LINK_LOCAL_WAIT);
            CompletableFuture<Throwable> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    socket.receive(new byte[100], Duration.ofSeconds(30));
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            Thread.sleep(200);
            long start = System.nanoTime();
            socket.close();
            Throwable t = reader.get(5, TimeUnit.SECONDS);
            assertTrue(t instanceof SocketClosedException, String.valueOf(t));
            assertTrue((System.nanoTime() - start) / 1_000_000 < 2000);
            assertThrows(SocketClosedException.class, () -> socket.send(new byte[1], 1,
                    NetnsUdp6Socket.ALL_DHCP_RELAY_AGENTS_AND_SERVERS, 547));
        }
    }
}

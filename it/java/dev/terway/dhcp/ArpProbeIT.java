package dev.terway.dhcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.daemon.DaemonClient;
import dev.terway.daemon.Response;
import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.it.NetnsLab;
import dev.terway.jni.NetnsArpSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, item 2: a host squats on an address of the pool and dnsmasq (--no-ping) offers it anyway. The
 * daemon must find it with its ARP probe from the pod, decline it (dnsmasq logs the DHCPDECLINE) and give
 * the pod another address, or fail naming the declined one; afterwards an ARP who-has from the LAN gets one
 * answer per address. The squatter is a host on the LAN switch, outside the node. Needs root; every test
 * builds and removes its own lab.
 */
class ArpProbeIT {

    private static String address(JsonNode lease) {
        return lease.get("address").asText().split("/")[0];
    }

    /** A LAN host {@code <lab>-sq} on the switch holding {@code address}, unknown to the DHCP server. */
    private static String squat(DhcpLab lab, String address) {
        String ns = lab.lab.addNamespace("sq");
        NetnsLab.ip(lab.lab.lanNs(), "link", "add", "p-sq", "type", "veth", "peer", "name", "eth0", "netns", ns);
        NetnsLab.ip(lab.lab.lanNs(), "link", "set", "p-sq", "master", NetnsLab.SWITCH, "up");
        NetnsLab.ip(ns, "link", "set", "eth0", "up");
        NetnsLab.ip(ns, "addr", "add", address + "/24", "dev", "eth0");
        return ns;
    }

    private static String mac(String ns) {
        try {
            return DhcpLab.JSON.readTree(NetnsLab.ip(ns, "-j", "link", "show", "dev", "eth0")).get(0).get("address")
                    .asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Who has {@code address}? Asked from the gateway, a host of the LAN, with an ordinary ARP request; the
     * MACs that answered within half a second.
     */
    private static Set<String> whoHas(DhcpLab lab, String address) throws IOException {
        String gw = lab.lab.gateway().ns();
        Set<String> answered = new TreeSet<>();
        try (NetnsArpSocket arp = NetnsArpSocket.open(Path.of("/run/netns", gw), "eth0")) {
            HardwareAddress own = HardwareAddress.of(arp.hardwareAddress());
            ArpPacket request = new ArpPacket(ArpPacket.REQUEST, own, Ipv4.parse(lab.lab.gateway().ipv4()),
                    HardwareAddress.parse("00:00:00:00:00:00"), Ipv4.parse(address));
            arp.broadcast(request.encode(), ArpPacket.LENGTH);
            byte[] buffer = new byte[256];
            long end = System.nanoTime() + Duration.ofMillis(500).toNanos();
            long left;
            while ((left = end - System.nanoTime()) > 0) {
                Optional<NetnsArpSocket.ReceivedFrame> frame = arp.receive(buffer, Duration.ofNanos(left));
                if (frame.isEmpty() || frame.get().outgoing()) {
                    continue;
                }
                ArpPacket.decode(buffer, 0, frame.get().length())
                        .filter(p -> p.operation() == ArpPacket.REPLY && p.senderIp().equals(Ipv4.parse(address)))
                        .ifPresent(p -> answered.add(p.senderMac().toString()));
            }
        }
        return answered;
    }

    private static JsonNode stats(DhcpLab lab) throws IOException {
        Response r = new DaemonClient(lab.socket).call("{\"op\":\"stats\"}");
        assertEquals(0, r.status(), r.toString());
        return DhcpLab.JSON.readTree(r.body()).get("counters");
    }

    @Test
    void aSquattedAddressIsDeclinedAndThePodGetsTheOtherOneWithoutADuplicate() throws Exception {
        try (DhcpLab lab = new DhcpLab(100, 101)) {
            String squatted = lab.lab.net().lanV4(100);
            String free = lab.lab.net().lanV4(101);
            String squatter = squat(lab, squatted);
            String pod = lab.addPod("p1");
            lab.startDaemon("--arp-probe", "200ms", "--decline-wait", "2s");

            // option 50 makes dnsmasq offer the squatted address first: the collision is certain
            DhcpLab.Run acquire = lab.cli("acquire", "--netns", DhcpLab.netnsPath(pod).toString(), "--ifname", "eth0",
                    "--container-id", "c-dup", "--pod", "default/dup-0", "--requested-address", squatted,
                    "--timeout", "30s");

            assertEquals(0, acquire.exit(), acquire.describe() + "\n" + lab.log() + "\n" + lab.dnsmasqLog());
            assertEquals(free, address(acquire.json()), "the other address of the pool");
            String podMac = mac(pod);
            assertTrue(lab.dnsmasqLog().contains("DHCPDECLINE(sw0) " + squatted + " " + podMac), lab.dnsmasqLog());
            assertTrue(lab.dnsmasqLog().contains("DHCPACK(sw0) " + free + " " + podMac), lab.dnsmasqLog());
            String squatterMac = mac(squatter);
            assertEquals(1, lab.logLines(" level=warn event=lease.conflict containerId=c-dup podNamespace=default"
                    + " podName=dup-0 ifname=eth0 ")
                    .stream().filter(l -> l.contains("msg=\"address conflict: default/dup-0 eth0 was offered "
                    + squatted + " by server " + lab.lab.net().lanV4(254) + ", but " + squatterMac + " answered for it with an ARP"
                    + " reply; declined it (DHCPDECLINE) and discovering again in 2s (1 address conflict since the"
                    + " daemon started)")).count(), lab.log());
            // dnsmasq answers a DECLINE by moving the client's next pick, which in a pool of two lands on the squatted
            // address again about every other time: each such offer is probed and declined again
            JsonNode counters = stats(lab);
            long conflicts = counters.get("addressConflicts").asLong();
            assertTrue(conflicts >= 1, counters.toString());
            assertEquals(conflicts, lab.logLines(" event=lease.conflict ").size(), lab.log());
            assertTrue(counters.get("arpProbesSent").asLong() >= conflicts + 3, "one per squatted offer (answered at"
                    + " once), three for the free one: " + counters);
            assertEquals(0, counters.get("unprobedBinds").asLong());

            // CNI ADD puts the address on the pod; then the LAN sees exactly one owner per address
            DhcpLab.configure(pod, acquire.json(), 120);
            assertEquals(Set.of(podMac), whoHas(lab, free));
            assertEquals(Set.of(squatterMac), whoHas(lab, squatted));

            DhcpLab.Run release = lab.cli("release", "--container-id", "c-dup", "--ifname", "eth0");
            assertEquals(0, release.exit(), release.describe());
        }
    }

    @Test
    void withTheOnlyAddressOfThePoolSquattedTheAcquireFailsNamingTheDeclinedAddress() throws Exception {
        try (DhcpLab lab = new DhcpLab(100, 100)) {
            String squatted = lab.lab.net().lanV4(100);
            String squatter = squat(lab, squatted);
            String pod = lab.addPod("p1");
            lab.startDaemon("--arp-probe", "200ms", "--decline-wait", "2s");

            DhcpLab.Run acquire = lab.cli("acquire", "--netns", DhcpLab.netnsPath(pod).toString(), "--ifname", "eth0",
                    "--container-id", "c-none", "--pod", "default/none-0", "--timeout", "6s");

            assertEquals(1, acquire.exit(), acquire.describe());
            // dnsmasq offers its only address again after each DECLINE: probed and declined again, until the time
            // left is shorter than the wait before discovering again
            assertTrue(acquire.err().contains(": declined " + squatted + " (in use: " + mac(squatter)
                    + " answered for it with an ARP reply) "), acquire.describe());
            assertTrue(acquire.err().contains(" with DHCPDECLINE; sent "), acquire.describe());
            assertTrue(lab.dnsmasqLog().contains("DHCPDECLINE(sw0) " + squatted + " " + mac(pod)), lab.dnsmasqLog());
            assertEquals("[ ]", lab.cli("list").out().strip());
            assertTrue(!NetnsLab.ip(pod, "-4", "addr", "show", "dev", "eth0").contains("inet "), "the pod got no address");
            assertEquals(Set.of(mac(squatter)), whoHas(lab, squatted));
        }
    }

    /**
     * How long a host on the LAN takes to answer an ARP probe from a pod: the figure the probe time must
     * cover. The pod sends from its own namespace through the node's bridge and NIC to a squatter on the LAN
     * switch; {@code rounds} probes, one at a time, each timed to its reply.
     */
    @Test
    void howFastTheSquatterAnswersAProbe() throws Exception {
        int rounds = 200;
        try (DhcpLab lab = new DhcpLab()) {
            String squatted = lab.lab.net().lanV4(150);
            String squatter = squat(lab, squatted);
            String pod = lab.addPod("p1");
            List<Long> micros = new ArrayList<>();
            try (NetnsArpSocket arp = NetnsArpSocket.open(DhcpLab.netnsPath(pod), "eth0")) {
                HardwareAddress own = HardwareAddress.of(arp.hardwareAddress());
                byte[] probe = ArpPacket.probe(own, Ipv4.parse(squatted)).encode();
                byte[] buffer = new byte[256];
                for (int i = 0; i < rounds; i++) {
                    long start = System.nanoTime();
                    arp.broadcast(probe, probe.length);
                    while (true) {
                        long left = Duration.ofSeconds(1).toNanos() - (System.nanoTime() - start);
                        assertTrue(left > 0, "probe " + i + " unanswered within 1 s");
                        Optional<NetnsArpSocket.ReceivedFrame> frame = arp.receive(buffer, Duration.ofNanos(left));
                        if (frame.isPresent() && !frame.get().outgoing() && ArpPacket.decode(buffer, 0,
                                frame.get().length()).flatMap(p -> p.claims(Ipv4.parse(squatted), own)).isPresent()) {
                            micros.add((System.nanoTime() - start) / 1000);
                            break;
                        }
                    }
                }
            }
            List<Long> sorted = new ArrayList<>(micros);
            Collections.sort(sorted);
            System.out.println("ArpProbeIT: probe to reply from " + mac(squatter) + ", " + rounds + " probes, µs: p50 "
                    + sorted.get(rounds / 2) + " / p99 " + sorted.get(rounds * 99 / 100 - 1) + " / max "
                    + sorted.get(rounds - 1));
            assertEquals(rounds, micros.size());
        }
    }

    /**
     * What the probe costs an ADD: acquire and release {@code rounds} leases through the daemon's socket (no
     * JVM start in the figure) without and with the default probe, and print the percentiles. The probe
     * waits its whole time when nothing answers, so with it an acquire cannot take less than that.
     */
    @Test
    void addLatencyWithAndWithoutTheProbe() throws Exception {
        int rounds = 10;
        try (DhcpLab lab = new DhcpLab()) {
            String pod = lab.addPod("p1");
            List<Long> without = new ArrayList<>();
            List<Long> with = new ArrayList<>();
            lab.startDaemon("--arp-probe", "0");
            time(lab, pod, rounds, without);
            lab.terminateDaemon();
            lab.startDaemon(); // the default
            time(lab, pod, rounds, with);
            assertTrue(lab.log().contains("ARP probe 200 ms, 10000 ms wait after a decline"), lab.log());
            System.out.println("ArpProbeIT: acquire+bind through the daemon socket, " + rounds + " rounds, ms:"
                    + " without probe " + describe(without) + "; with the default probe (200 ms) " + describe(with));
            Collections.sort(with);
            assertTrue(with.get(0) >= 200, "the probe is waited out: " + with);
            assertEquals(0, stats(lab).get("addressConflicts").asLong());
        }
    }

    private static void time(DhcpLab lab, String pod, int rounds, List<Long> millis) throws IOException {
        DaemonClient client = new DaemonClient(lab.socket);
        for (int i = 0; i < rounds; i++) {
            ObjectNode acquire = DhcpLab.JSON.createObjectNode().put("op", "acquire").put("containerId", "c-t" + i)
                    .put("netns", DhcpLab.netnsPath(pod).toString()).put("ifname", "eth0").put("timeoutMs", 10_000);
            long start = System.nanoTime();
            Response r = client.call(acquire.toString());
            millis.add((System.nanoTime() - start) / 1_000_000);
            assertEquals(0, r.status(), r.toString());
            ObjectNode release = DhcpLab.JSON.createObjectNode().put("op", "release").put("containerId", "c-t" + i)
                    .put("ifname", "eth0");
            assertEquals(0, client.call(release.toString()).status());
        }
    }

    private static String describe(List<Long> millis) {
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return "p50 " + sorted.get(sorted.size() / 2) + " / p90 " + sorted.get((int) Math.ceil(sorted.size() * 0.9) - 1)
                + " / max " + sorted.get(sorted.size() - 1) + " " + millis;
    }
}

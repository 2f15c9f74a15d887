package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.it.NetnsLab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pod's network after ADD (address, default route, service route, MTU) is what the daemon keeps, whatever
 * happened to it: the cases observed in the lab (issue 12), each ending with the pod as ADD left it (or, after
 * a NAK with another address, the same routes with the new address). Net conf with serviceCIDR 10.96.0.0/12,
 * dnsmasq with 2 minute leases, T1 10 s. Root only; every namespace is the lab's.
 */
class PodNetworkIT {

    private static final String SERVICE_CIDR = "10.96.0.0/12";

    @BeforeEach
    void rootOnly() {
        assumeTrue(NetnsLab.isRoot(), "the pod network tests need root (network namespaces)");
    }

    /** What the pod has: its IPv4 address, its default route's gateway, its service route's gateway, its MTU. */
    record PodNet(String address, String defaultVia, String serviceVia, int mtu) {
    }

    static PodNet observe(String pod) {
        try {
            JsonNode link = FaultNode.JSON.readTree(FaultNode.check("ip", "-n", pod, "-j", "-4", "addr", "show",
                    "dev", "eth0")).path(0);
            String address = "";
            for (JsonNode a : link.path("addr_info")) {
                address = a.path("local").asText() + "/" + a.path("prefixlen").asInt();
            }
            String defaultVia = "";
            String serviceVia = "";
            for (JsonNode r : FaultNode.JSON.readTree(FaultNode.check("ip", "-n", pod, "-j", "-4", "route", "show"))) {
                if (r.path("dst").asText().equals("default")) {
                    defaultVia = r.path("gateway").asText();
                } else if (r.path("dst").asText().equals(SERVICE_CIDR)) {
                    serviceVia = r.path("gateway").asText();
                }
            }
            int mtu = FaultNode.JSON.readTree(FaultNode.check("ip", "-n", pod, "-j", "link", "show", "dev", "eth0"))
                    .path(0).path("mtu").asInt();
            return new PodNet(address, defaultVia, serviceVia, mtu);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FaultNode node(NetnsLab lab) {
        FaultNode node = new FaultNode(lab, "n1");
        node.extraConf = ",\"serviceCIDR\":\"" + SERVICE_CIDR + "\"";
        return node;
    }

    /** ADD of pod {@code id}; returns what the pod has after it, checked to be complete. */
    private static PodNet add(FaultNode node, String id, String pod) {
        FaultNode.Result add = node.cni("ADD", id, pod);
        assertEquals(0, add.exit(), add::describe);
        PodNet after = observe(pod);
        assertTrue(!after.address().isEmpty() && !after.defaultVia().isEmpty() && !after.serviceVia().isEmpty(),
                "ADD configured address, default and service route: " + after);
        return after;
    }

    private static void assertRestored(FaultNode node, String pod, PodNet expected, int seconds, String what) {
        assertTrue(FaultNode.eventually(seconds, () -> observe(pod).equals(expected)), what + ": the pod has "
                + observe(pod) + ", after ADD it had " + expected + "\n" + node.log());
    }

    @Test
    void aFlushedAddressComesBackWithItsRoutesWhileTheDaemonRuns() {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = node(lab)) {
            lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("flush");
            PodNet afterAdd = add(node, "flush", pod);

            FaultNode.check("ip", "-n", pod, "addr", "flush", "dev", "eth0");
            assertEquals("", observe(pod).serviceVia(), "the kernel took the routes with the address");
            // T1 is 10 s after the ADD: the renewal that comes due puts everything back
            assertRestored(node, pod, afterAdd, 40, "after the flush");
            assertTrue(FaultNode.eventually(5, () -> node.log().contains("repaired pod default/flush eth0")
                    && node.log().contains("service route " + SERVICE_CIDR + " was missing")), node.log());
            assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "the pod reaches the gateway");
            assertEquals(0, node.cni("DEL", "flush", pod).exit());
        }
    }

    @Test
    void aFlushedAddressComesBackWhenTheDaemonRestarts() {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = node(lab)) {
            lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("restart");
            PodNet afterAdd = add(node, "restart", pod);

            node.killDaemon();
            FaultNode.check("ip", "-n", pod, "addr", "flush", "dev", "eth0");
            node.startDaemon();
            assertTrue(FaultNode.eventually(10, () -> node.log().contains("restored default/restart eth0")),
                    node.log());
            // at once, not when the lease expires (the restore used to be a refresh of a missing address)
            assertRestored(node, pod, afterAdd, 5, "after the restart");
            assertTrue(node.log().contains("repaired pod default/restart eth0 (lease restored): address "
                    + afterAdd.address() + " was missing"), node.log());
            assertEquals(0, node.cni("DEL", "restart", pod).exit());
        }
    }

    /**
     * The daemon down past the lease: the kernel dropped the address (the lease's lifetime) and the stored lease
     * has expired. Waiting two minutes is replaced by what they leave behind: the address flushed and the stored
     * lease's times moved into the past.
     */
    @Test
    void afterADowntimePastTheLeaseTheReacquiredLeaseBringsTheRoutesBack() throws IOException {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = node(lab)) {
            lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("down");
            PodNet afterAdd = add(node, "down", pod);

            node.killDaemon();
            FaultNode.check("ip", "-n", pod, "addr", "flush", "dev", "eth0");
            expireStoredLeases(node, Instant.now().minusSeconds(180));
            node.startDaemon();
            assertTrue(FaultNode.eventually(20, () -> node.log().contains("acquired again default/down eth0")),
                    node.log());
            assertRestored(node, pod, afterAdd, 5, "after the lease was acquired again");
            assertTrue(node.log().contains("service route " + SERVICE_CIDR + " was missing"), node.log());
            assertEquals(0, node.cni("DEL", "down", pod).exit());
        }
    }

    /** Rewrites the stored leases as if they had expired at {@code expired}, bound 2 minutes before. */
    private static void expireStoredLeases(FaultNode node, Instant expired) throws IOException {
        try (Stream<Path> files = Files.list(node.leaseDir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                ObjectNode lease = (ObjectNode) FaultNode.JSON.readTree(f.toFile());
                lease.put("boundAt", expired.minusSeconds(120).toString());
                lease.put("renewAt", expired.minusSeconds(110).toString());
                lease.put("rebindAt", expired.minusSeconds(100).toString());
                lease.put("expires", expired.toString());
                Files.writeString(f, lease.toString());
            }
        }
    }

    @Test
    void aNakAndAnotherAddressGiveThePodTheNewAddressWithAllItsRoutes() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = node(lab)) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("nak");
            PodNet afterAdd = add(node, "nak", pod);

            dhcp.process().destroy();
            dhcp.process().waitFor();
            Path log = lab.dir().resolve("dnsmasq-nak.log");
            Process nakServer = FaultsIT.startOtherRangeServer(lab, log);
            try {
                assertTrue(FaultNode.eventually(60, () -> node.log().contains("acquired again")),
                        "no fresh lease after the NAK:\n" + node.log() + "\n" + Files.readString(log));
                String fresh = node.leases().get("nak/eth0");
                assertNotEquals(afterAdd.address(), fresh);
                assertRestored(node, pod, new PodNet(fresh, afterAdd.defaultVia(), afterAdd.serviceVia(),
                        afterAdd.mtu()), 10, "after the NAK");
                assertEquals(0, node.cni("DEL", "nak", pod).exit());
            } finally {
                nakServer.destroyForcibly();
                nakServer.waitFor();
            }
        }
    }

    @Test
    void aServiceRouteDeletedByHandIsPutBackAtTheNextRenewal() {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = node(lab)) {
            lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("byhand");
            PodNet afterAdd = add(node, "byhand", pod);

            FaultNode.check("ip", "-n", pod, "route", "del", SERVICE_CIDR);
            assertRestored(node, pod, afterAdd, 40, "after the service route was deleted");
            assertTrue(FaultNode.eventually(5, () -> node.log().contains("repaired pod default/byhand eth0")
                    && node.log().contains("service route " + SERVICE_CIDR + " was missing")), node.log());
            assertEquals(0, node.cni("DEL", "byhand", pod).exit());
        }
    }

    /** DHCP option 26: the pod's eth0 gets the server's MTU (below the bridge's), at ADD and after a flush. */
    @Test
    void theInterfaceMtuTheServerSendsIsThePods() {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = node(lab)) {
            lab.startDhcpServer(lab.net().dhcpRangeStart(), lab.net().dhcpRangeEnd(), "--dhcp-option=option:mtu,1400");
            node.setup();
            node.startDaemon();
            String pod = node.newPod("mtu");
            FaultNode.Result result = node.cni("ADD", "mtu", pod);
            assertEquals(0, result.exit(), result::describe);
            assertEquals(1400, observe(pod).mtu(), "option 26 applied: " + observe(pod));

            FaultNode.check("ip", "-n", pod, "link", "set", "dev", "eth0", "mtu", "1500");
            assertTrue(FaultNode.eventually(40, () -> observe(pod).mtu() == 1400), "put back: " + observe(pod)
                    + "\n" + node.log());
            assertEquals(0, node.cni("DEL", "mtu", pod).exit());
        }
    }
}

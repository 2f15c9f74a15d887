package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.cni.pod.VethNames;
import dev.terway.it.NetnsLab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A node reboot as terway sees it: the daemon dies without warning, the bridge is gone (the node's NIC
 * comes back with its boot-time configuration), the state directory survives, and of two pods only one
 * network namespace is still there. `terway setup` and a daemon start bring the bridge back, put the
 * surviving pod's veth back on it, resume its lease and release the other one. Root only.
 */
class RebootIT {

    @Test
    void setupAndDaemonStartRestoreTheBridgeResumeLiveLeasesAndReleaseTheRest() {
        assumeTrue(NetnsLab.isRoot(), "needs root (namespaces)");
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String kept = node.newPod("kept");
            String gone = node.newPod("gone");
            FaultNode.Result a = node.cni("ADD", "kept", kept);
            FaultNode.Result b = node.cni("ADD", "gone", gone);
            assertEquals(0, a.exit(), a::describe);
            assertEquals(0, b.exit(), b::describe);

            // the "reboot"
            node.killDaemon();
            FaultNode.check("ip", "-n", node.ns(), "link", "del", "mybr0");
            node.deletePod(gone);
            // a reboot resets the sysctls setup set on the bridge port, and the NIC gets its boot-time configuration
            FaultNode.check("ip", "netns", "exec", node.ns(), "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=0");
            node.node.configureStatic();
            assertFalse(FaultNode.run("ip", "-n", node.ns(), "link", "show", "dev", "mybr0").succeeded());

            node.setup();
            assertTrue(FaultNode.run("ip", "-n", node.ns(), "link", "show", "dev", "mybr0").succeeded(), "bridge back");
            assertTrue(node.node.ping(lab.gateway().ipv4()), "the node reaches its gateway through the bridge again");
            node.startDaemon();

            // The new bridge has no ports but the NIC; the daemon put the surviving pod's veth back before it
            // took up the lease (and before it answered the ping startDaemon waits for).
            String keptVeth = VethNames.hostVeth("kept", "eth0");
            assertTrue(node.onBridgeWithHairpin(keptVeth), "the surviving pod's veth is on mybr0 again, hairpin on: "
                    + node.bridgePort(keptVeth) + "\n" + node.log());
            assertTrue(node.log().contains("re-attached host veth " + keptVeth), node.log());
            assertTrue(NetnsLab.ping(kept, lab.gateway().ipv4()), "the surviving pod reaches the LAN gateway");
            assertEquals(Set.of(keptVeth + ".json"), node.attachmentRecords(),
                    "the vanished pod's attachment record is forgotten:\n" + node.log());

            assertTrue(FaultNode.eventually(30, () -> !node.leases().containsKey("gone/eth0")
                    && !dnsmasqHolds(dhcp, b.address())), "the lease of the vanished pod is released:\n" + node.log());
            assertEquals(Set.of(leaseFileOf("kept")), node.leaseFiles(), "only the surviving pod's lease is stored");
            Map<String, String> held = node.leases();
            assertEquals(a.address(), held.get("kept/eth0").split("/")[0], "the surviving pod keeps its address");
            assertTrue(node.log().contains("gone"), node.log());

            FaultNode.Result del = node.cni("DEL", "kept", kept);
            assertEquals(0, del.exit(), del::describe);
            assertTrue(FaultNode.eventually(5, () -> node.leaseFiles().isEmpty()), "lease file left");
            assertTrue(FaultNode.eventually(5, () -> !node.terwayVeths().contains(VethNames.hostVeth("kept", "eth0"))),
                    "host veth left");
            assertTrue(FaultNode.eventually(5, () -> node.attachmentRecords().isEmpty()),
                    "DEL removes the attachment record");
        }
    }

    /**
     * `terway teardown` + `terway setup` on a live node: the bridge is deleted (its ports released) and made
     * again while the daemon runs. The daemon's periodic repair puts the pod's veth back.
     */
    @Test
    void aBridgeRecreatedUnderARunningDaemonGetsThePodsVethBack() {
        assumeTrue(NetnsLab.isRoot(), "needs root (namespaces)");
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("live");
            FaultNode.Result add = node.cni("ADD", "live", pod);
            assertEquals(0, add.exit(), add::describe);
            String veth = VethNames.hostVeth("live", "eth0");
            assertEquals(Set.of(veth + ".json"), node.attachmentRecords(), "ADD records the attachment");
            assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "the pod reaches the gateway before");

            node.teardown();
            assertFalse(node.bridgeExists(), "teardown deleted the bridge");
            assertTrue(node.bridgePort(veth).isMissingNode(), "and with it the veth's place on it");
            node.setup();

            assertTrue(FaultNode.eventually(20, () -> node.onBridgeWithHairpin(veth)),
                    "the veth is back on mybr0 with hairpin within 20 s: " + node.bridgePort(veth) + "\n" + node.log());
            assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "the pod reaches the gateway again");
            assertTrue(node.log().contains("re-attached host veth " + veth + " of live/eth0 to bridge mybr0"),
                    node.log());

            FaultNode.Result del = node.cni("DEL", "live", pod);
            assertEquals(0, del.exit(), del::describe);
            assertTrue(FaultNode.eventually(5, () -> node.attachmentRecords().isEmpty()),
                    "DEL removes the attachment record");
        }
    }

    private static String leaseFileOf(String containerId) {
        return containerId + "@eth0.json";
    }

    private static boolean dnsmasqHolds(NetnsLab.DhcpServer dhcp, String address) {
        try {
            return Files.exists(dhcp.leaseFile()) && Files.readAllLines(dhcp.leaseFile()).stream()
                    .anyMatch(l -> java.util.List.of(l.split(" ")).contains(address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

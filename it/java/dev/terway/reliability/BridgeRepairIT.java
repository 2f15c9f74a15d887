package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.cni.pod.VethNames;
import dev.terway.it.NetnsLab;
import dev.terway.plan.CommandResult;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, item 4, with the DaemonSet's command: under `terway run`, a bridge deleted while the daemon runs
 * is re-created from the setup record (the node's addresses and routes as before) and the pods are put back
 * on it within a bound; one deleted while it was down is repaired by its setup at the start; a bridge
 * removed by `terway teardown` is not re-created. Root only.
 */
class BridgeRepairIT {

    /** The daemon looks every 5 s; the repair and the re-attachment take a second or two on this machine. */
    private static final Duration BOUND = Duration.ofSeconds(20);

    @BeforeEach
    void rootOnly() {
        assumeTrue(NetnsLab.isRoot(), "needs root (network namespaces)");
    }

    /** What the bridge carries for the node: MAC, MTU, addresses, and the main-table routes through it. */
    private static String nodeNetwork(FaultNode node) {
        StringBuilder out = new StringBuilder();
        try {
            com.fasterxml.jackson.databind.JsonNode bridge = FaultNode.JSON.readTree(FaultNode.check("ip", "-n",
                    node.ns(), "-j", "addr", "show", "dev", "mybr0")).path(0);
            out.append("mac ").append(bridge.path("address").asText()).append(" mtu ").append(bridge.path("mtu"))
                    .append('\n');
            for (com.fasterxml.jackson.databind.JsonNode a : bridge.path("addr_info")) {
                out.append(a.path("local").asText()).append('/').append(a.path("prefixlen")).append('\n');
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        out.append(FaultNode.check("ip", "-n", node.ns(), "-4", "route", "show", "table", "main"));
        FaultNode.check("ip", "-n", node.ns(), "-6", "route", "show", "table", "main").lines()
                .filter(l -> l.contains("mybr0")).forEach(l -> out.append(l).append('\n'));
        return out.toString();
    }

    @Test
    void underTerwayRunADeletedBridgeIsRecreatedAndThePodsPutBackButATeardownIsRespected() {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            lab.startDhcpServer();
            node.startRun();
            Map<String, String> pods = new LinkedHashMap<>();
            for (String id : List.of("r1", "r2")) {
                String pod = node.newPod(id);
                FaultNode.Result add = node.cni("ADD", id, pod);
                assertEquals(0, add.exit(), add::describe);
                pods.put(id, pod);
            }
            pods.values().forEach(pod -> assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), pod));
            String before = nodeNetwork(node);

            NetnsLab.ip(node.ns(), "link", "del", "mybr0");
            Instant deleted = Instant.now();
            assertFalse(NetnsLab.ping(node.ns(), lab.gateway().ipv4()), "the node is cut off");

            assertTrue(FaultNode.eventually((int) BOUND.toSeconds(), () -> node.bridgeExists()
                    && pods.keySet().stream().allMatch(id -> node.onBridgeWithHairpin(VethNames.hostVeth(id, "eth0")))),
                    "bridge and pods back within " + BOUND.toSeconds() + " s:\n" + node.log());
            Duration took = Duration.between(deleted, Instant.now());
            System.out.println("bridge deleted under terway run: bridge re-created and 2 pods re-attached after "
                    + took.toMillis() + " ms");
            assertTrue(NetnsLab.ping(node.ns(), lab.gateway().ipv4()), "the node reaches the gateway again");
            pods.values().forEach(pod -> assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), pod + " too"));
            assertTrue(NetnsLab.ping(lab.gateway().ns(), node.node.ipv4()), "the node is reachable again");
            assertEquals(before, nodeNetwork(node), "the node's addresses and routes are those of the first setup");
            String log = node.log();
            assertTrue(log.contains("re-created bridge mybr0 on eth0 from the setup record"), log);
            assertTrue(log.contains("re-attached host veth " + VethNames.hostVeth("r1", "eth0")), log);

            // Deleted while terway run was down (a crash, an upgrade): its setup repairs the bridge at the start,
            // and the daemon puts the pods back before it answers.
            node.killDaemon();
            NetnsLab.ip(node.ns(), "link", "del", "mybr0");
            node.startRun();
            assertTrue(node.log().contains("repaired bridge mybr0 on eth0 from the record"), node.log());
            pods.keySet().forEach(id -> assertTrue(node.onBridgeWithHairpin(VethNames.hostVeth(id, "eth0")), id));
            assertEquals(before, nodeNetwork(node), "the same node again after the start");
            pods.values().forEach(pod -> assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), pod + " after the start"));

            // A deliberate teardown (pods gone first) is not undone by the watch.
            for (Map.Entry<String, String> pod : pods.entrySet()) {
                assertEquals(0, node.cni("DEL", pod.getKey(), pod.getValue()).exit());
            }
            CommandResult teardown = NetnsLab.exec(node.ns(), FaultNode.home().resolve("bin/terway").toString(),
                    "teardown", "--state-dir", node.stateDir().toString());
            assertEquals(0, teardown.exitCode(), teardown.stderr());
            assertTrue(FaultNode.eventually(15, () -> node.log().contains("bridge mybr0 is missing, but not as a"
                    + " deleted bridge leaves the node")), "the watch saw it:\n" + node.log());
            assertFalse(node.bridgeExists(), "and left it deleted");
            assertTrue(NetnsLab.ping(node.ns(), lab.gateway().ipv4()), "the node works on its NIC");
        }
    }
}

package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.it.NetnsLab;
import dev.terway.plan.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * `terway status` on a lab node (setup and a daemon logging JSON, in the node's namespace): healthy with two
 * pods, then broken three ways, each named and exiting non-zero: the bridge removed, the daemon down, a lease
 * lost. And the daemon's `--log-format json` lines of a real ADD and DEL. Root only; every namespace is the lab's.
 */
class StatusIT {

    @BeforeEach
    void rootOnly() {
        assumeTrue(NetnsLab.isRoot(), "the status tests need root (network namespaces)");
    }

    private static CommandResult status(FaultNode node, String... extra) {
        List<String> argv = new ArrayList<>(List.of(FaultNode.home().resolve("bin/terway").toString(), "status",
                "--state-dir", node.dir.resolve("setup").toString(), "--socket", node.socket().toString()));
        argv.addAll(List.of(extra));
        return NetnsLab.exec(node.ns(), argv.toArray(String[]::new));
    }

    private static String describe(CommandResult r) {
        return "exit " + r.exitCode() + "\n" + r.stdout() + r.stderr();
    }

    private static FaultNode.Result add(FaultNode node, String id) {
        FaultNode.Result add = node.cni("ADD", id, node.newPod(id));
        assertEquals(0, add.exit(), add::describe);
        return add;
    }

    @Test
    void aHealthyNodeThenTheBridgeRemovedThenTheDaemonDown() throws IOException {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            lab.startDhcpServer();
            node.setup();
            node.startDaemon(Map.of(), List.of(), List.of("--log-format", "json"));
            FaultNode.Result one = add(node, "s1");
            FaultNode.Result two = add(node, "s2");
            FaultNode.Result three = add(node, "s3");
            assertEquals(0, node.cni("DEL", "s3", lab.id() + "-s3").exit());

            CommandResult healthy = status(node);
            // a figure for probe budgets, not a bound: one JVM start, two `ip`/`bridge` queries, one request
            System.out.printf("terway status (text) on a healthy lab node: %d ms wall, as a probe would run it%n",
                    healthy.duration().toMillis());
            assertEquals(0, healthy.exitCode(), describe(healthy));
            assertTrue(healthy.stdout().startsWith("terway status: healthy\n"), describe(healthy));
            assertTrue(healthy.stdout().contains("default/s1 eth0  ipv4  " + one.address() + "/24  bound  renew in "),
                    describe(healthy));
            assertTrue(healthy.stdout().contains("default/s2 eth0  ipv4  " + two.address() + "/24  bound  renew in "),
                    describe(healthy));
            assertTrue(healthy.stdout().contains("setup:   " + NetnsLab.NIC + " bridged into mybr0 since "),
                    describe(healthy));
            CommandResult json = status(node, "--json");
            assertEquals(0, json.exitCode(), describe(json));
            JsonNode report = FaultNode.JSON.readTree(json.stdout());
            assertTrue(report.get("healthy").asBoolean(), json.stdout());
            assertEquals(2, report.path("daemon").path("leases").size(), json.stdout());
            for (JsonNode lease : report.path("daemon").path("leases")) {
                assertEquals("bound", lease.path("state").asText(), lease.toString());
                assertEquals("ipv4", lease.path("family").asText(), lease.toString());
                assertTrue(lease.path("expiresInSeconds").asLong() > 0, lease.toString());
            }
            assertEquals(lab.net().lanV4(254), report.path("daemon").path("servers").path(0).path("address").asText(),
                    json.stdout());
            assertEquals(3, report.path("bridge").path("ports").size(), "the NIC and two veths: " + json.stdout());
            System.out.println("terway status of a healthy lab node with two pods:\n" + healthy.stdout());

            assertJsonLogOfAddAndDel(node, lab, three.address());

            // the bridge deleted under the daemon (which, unlike `terway run`, does not re-create it)
            NetnsLab.ip(node.ns(), "link", "del", "mybr0");
            CommandResult noBridge = status(node);
            assertEquals(1, noBridge.exitCode(), describe(noBridge));
            assertTrue(noBridge.stdout().contains("! bridge-missing: bridge mybr0 does not exist"), describe(noBridge));
            assertTrue(noBridge.stdout().contains("! nic-not-enslaved: interface " + NetnsLab.NIC + " is not a port"),
                    describe(noBridge));
            assertTrue(noBridge.stdout().contains("! veth-off-bridge: host veth "), describe(noBridge));

            node.killDaemon();
            CommandResult down = status(node);
            assertEquals(3, down.exitCode(), describe(down));
            assertTrue(down.stdout().contains("! daemon-down: the terway daemon did not answer: "), describe(down));
            assertTrue(down.stdout().contains("! bridge-missing"), "the node is judged without the daemon too: "
                    + describe(down));
        }
    }

    /** Every line the daemon wrote is one JSON object; the ADD and DEL left their events with the pod's keys. */
    private static void assertJsonLogOfAddAndDel(FaultNode node, NetnsLab lab, String address) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (String line : node.log().lines().toList()) {
            if (line.startsWith("OpenJDK 64-Bit Server VM warning:")) {
                continue; // the JVM's own, before the daemon starts
            }
            events.add(FaultNode.JSON.readTree(line));
        }
        JsonNode add = find(events, "cni.add", "s3");
        assertEquals("default", add.path("podNamespace").asText(), add.toString());
        assertEquals("s3", add.path("podName").asText(), add.toString());
        assertEquals("eth0", add.path("ifname").asText(), add.toString());
        assertEquals("0", add.path("exit").asText(), add.toString());
        assertEquals("info", add.path("level").asText(), add.toString());
        Instant.parse(add.path("time").asText());
        JsonNode acquired = find(events, "lease.acquired", "s3");
        assertEquals(address + "/24", acquired.path("address").asText(), acquired.toString());
        assertEquals(lab.net().lanV4(254), acquired.path("server").asText(), acquired.toString());
        assertTrue(acquired.path("msg").asText().startsWith("acquired default/s3 eth0 address "), acquired.toString());
        find(events, "cni.del", "s3");
        JsonNode released = find(events, "lease.released", "s3");
        assertEquals(acquired.path("address").asText(), released.path("address").asText(), released.toString());
        find(events, "daemon.started", null);
    }

    private static JsonNode find(List<JsonNode> events, String event, String containerId) {
        return events.stream().filter(e -> e.path("event").asText().equals(event)
                        && (containerId == null || e.path("containerId").asText().equals(containerId)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + event + " of " + containerId + " in "
                        + events));
    }

    /**
     * A lease lost: the daemon down past the lease while the DHCP server is gone too. Waiting out the two-minute
     * lease is replaced by what it leaves behind, the stored lease's times moved into the past (as PodNetworkIT
     * does); the restarted daemon finds it expired and no server to ask.
     */
    @Test
    void aLostLeaseIsNamed() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            FaultNode.Result kept = add(node, "k1");
            add(node, "l1");
            assertEquals(0, status(node).exitCode(), describe(status(node)));

            node.killDaemon();
            dhcp.process().destroy();
            dhcp.process().waitFor();
            expireStoredLease(node, "l1", Instant.now().minusSeconds(180));
            node.startDaemon();
            assertTrue(FaultNode.eventually(20, () -> status(node).stdout().contains("! lease-lost: lease of default/l1"
                    + " eth0 was lost")), describe(status(node)) + "\n" + node.log());
            CommandResult lost = status(node);
            assertEquals(1, lost.exitCode(), describe(lost));
            assertTrue(lost.stdout().contains("default/k1 eth0  ipv4  " + kept.address() + "/24"), describe(lost));
            System.out.println("terway status with a lost lease:\n" + lost.stdout());
        }
    }

    private static void expireStoredLease(FaultNode node, String id, Instant expired) throws IOException {
        try (Stream<Path> files = Files.list(node.leaseDir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                ObjectNode lease = (ObjectNode) FaultNode.JSON.readTree(f.toFile());
                if (!lease.path("containerId").asText().equals(id)) {
                    continue;
                }
                lease.put("boundAt", expired.minusSeconds(120).toString());
                lease.put("renewAt", expired.minusSeconds(110).toString());
                lease.put("rebindAt", expired.minusSeconds(100).toString());
                lease.put("expires", expired.toString());
                Files.writeString(f, lease.toString());
            }
        }
    }
}

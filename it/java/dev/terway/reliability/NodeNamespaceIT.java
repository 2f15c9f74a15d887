package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.cni.entry.CniEntry;
import dev.terway.cni.entry.UnixSocketTransport;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.it.FedCommand;
import dev.terway.it.NetnsLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A CNI_NETNS that names the node's own network namespace — the lab node's, where terway was set up and
 * the daemon runs — is refused by every name it goes by, for every verb, and the node's links, addresses
 * and routes stay exactly as they were. Without the check, ADD made the "pod" interface in the node and
 * replaced the node's default route by one through it, and DEL then left the node without a default route.
 *
 * <p>Everything happens in the lab's namespaces: the node is a namespace of the lab, never the machine's
 * own. Root only.
 */
class NodeNamespaceIT {

    /** Not eth0: the node has one already, and the veth's pod end would then fail to be created. */
    static final String IFNAME = "px0";

    @BeforeEach
    void rootOnly() {
        assumeTrue(NetnsLab.isRoot(), "the node-namespace test needs root (network namespaces)");
    }

    /** The names of the lab node's namespace a runtime (or an attacker with its rights) could pass. */
    static List<String> namesOfTheNode(FaultNode node) throws IOException {
        String daemonNs = "/proc/" + node.daemonPid() + "/ns/net";
        Path link = Files.createSymbolicLink(node.dir.resolve("link-to-daemon-netns"), Path.of(daemonNs));
        Path linkToBind = Files.createSymbolicLink(node.dir.resolve("link-to-node-bind-mount"),
                Path.of(FaultNode.netnsPath(node.ns())));
        return List.of(
                FaultNode.netnsPath(node.ns()), // the bind mount `ip netns add` made of the node's namespace
                daemonNs,                       // the daemon's own
                link.toString(),                // symbolic links to either
                linkToBind.toString(),
                "/proc/self/ns/net");           // whoever resolves it: cni-terway and the daemon run in the node
    }

    static Map<String, String> env(String command, String id, String netns) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", id);
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", IFNAME);
        env.put("CNI_ARGS", FaultNode.ARGS + id);
        env.put("CNI_PATH", "/usr/lib/cni");
        return env;
    }

    /** `cni-terway` as a runtime runs it: in the node's namespace, clean environment, config on stdin. */
    static FaultNode.Result cniTerway(FaultNode node, Map<String, String> cniEnv) {
        Map<String, String> env = new HashMap<>(cniEnv);
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        FedCommand.Outcome o = FedCommand.run(List.of("ip", "netns", "exec", node.ns(),
                FaultNode.home().resolve("bin/cni-terway").toString()), Optional.of(env), node.conf(),
                Duration.ofSeconds(120));
        return new FaultNode.Result(cniEnv.get("CNI_COMMAND") + " " + cniEnv.get("CNI_NETNS"), o.exit(), o.stdout(),
                o.stderr());
    }

    /** Straight to the daemon's socket, as a client that skips cni-terway's own check would. */
    static FaultNode.Result daemon(Path socket, Map<String, String> cniEnv, String conf) throws IOException {
        CniReply r = new UnixSocketTransport(60_000).exchange(socket,
                CniEntry.requestJson(new CniInvocation(cniEnv, conf)));
        return new FaultNode.Result("daemon " + cniEnv.get("CNI_COMMAND") + " " + cniEnv.get("CNI_NETNS"),
                r.exitCode(), r.stdout(), "");
    }

    static void assertRefused(FaultNode.Result r) {
        assertEquals(1, r.exit(), r::describe);
        assertEquals(4, r.code(), r::describe); // invalid environment: CNI_NETNS
        assertTrue(r.stdout().contains("it is the node's own network namespace"), r::describe);
    }

    @Test
    void theNodesOwnNamespaceByAnyNameIsRefusedForEveryVerbAndTheNodeIsUntouched() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            Object before = node.node.state();
            String routesBefore = NetnsLab.ip(node.ns(), "-4", "route", "show", "default");
            List<String> names = namesOfTheNode(node);

            int i = 0;
            for (String netns : names) {
                String id = "node" + i++;
                for (String verb : List.of("ADD", "CHECK")) {
                    assertRefused(cniTerway(node, env(verb, id, netns)));
                    assertRefused(daemon(node.socket(), env(verb, id, netns), node.conf()));
                    Map<String, String> dry = new HashMap<>(env(verb, id, netns));
                    dry.put("TERWAY_DRY_RUN", "1");
                    assertRefused(cniTerway(node, dry));
                }
                // DEL: nothing of a pod is there to clean up; it succeeds and does nothing
                FaultNode.Result del = cniTerway(node, env("DEL", id, netns));
                assertEquals(0, del.exit(), del::describe);
                FaultNode.Result daemonDel = daemon(node.socket(), env("DEL", id, netns), node.conf());
                assertEquals(0, daemonDel.exit(), daemonDel::describe);

                // the lease API too: a lease "for" the node's bridge would put its address on mybr0
                CniReply acquire = node.call("{\"op\":\"acquire\",\"containerId\":\"" + id + "\",\"netns\":\""
                        + netns + "\",\"ifname\":\"mybr0\",\"timeoutMs\":5000}");
                assertEquals(1, acquire.exitCode(), acquire.stdout());
                assertTrue(acquire.stdout().contains("it is the node's own network namespace"), acquire.stdout());
            }

            assertEquals(before, node.node.state(), "the node's links, addresses and routes changed");
            assertEquals(routesBefore, NetnsLab.ip(node.ns(), "-4", "route", "show", "default"));
            assertEquals(Set.of(), node.terwayVeths(), "no host veth was made");
            assertEquals(Map.of(), node.leases(), "the daemon holds no lease");
            assertEquals(Set.of(), node.leaseFiles());
            assertTrue(!Files.exists(dhcp.leaseFile()) || Files.readString(dhcp.leaseFile()).isBlank(),
                    "dnsmasq leased nothing: " + (Files.exists(dhcp.leaseFile()) ? Files.readString(dhcp.leaseFile())
                    : ""));
            assertTrue(node.node.ping(lab.gateway().ipv4()), "the node still reaches its gateway");

            // and a real pod still works beside all this
            String pod = node.newPod("p1");
            FaultNode.Result add = cniTerway(node, env("ADD", "p1", FaultNode.netnsPath(pod)));
            assertEquals(0, add.exit(), add::describe);
            FaultNode.Result del = cniTerway(node, env("DEL", "p1", FaultNode.netnsPath(pod)));
            assertEquals(0, del.exit(), del::describe);
        }
    }

    /**
     * The daemon also knows the namespace `terway setup` bridged, from the setup record, also when it runs
     * somewhere else itself.
     */
    @Test
    void aDaemonElsewhereRefusesTheNamespaceSetupBridged() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            node.setup();
            String elsewhere = lab.addNamespace("elsewhere");
            Path socket = node.dir.resolve("run-elsewhere/dhcp.sock");
            Files.createDirectories(socket.getParent());
            Path log = node.dir.resolve("daemon-elsewhere.log");
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", elsewhere,
                    FaultNode.home().resolve("bin/terway").toString(), "dhcp", "daemon", "--socket", socket.toString(),
                    "--state-dir", node.dir.resolve("setup").toString()));
            Process daemon = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            try {
                assertTrue(FaultNode.eventually(60, () -> ping(socket)), "the daemon did not start");
                Object before = node.node.state();
                FaultNode.Result add = daemon(socket, env("ADD", "b1", FaultNode.netnsPath(node.ns())), node.conf());
                assertRefused(add);
                assertTrue(add.stdout().contains("the namespace `terway setup` bridged"), add::describe);
                assertEquals(before, node.node.state());
            } finally {
                daemon.descendants().forEach(ProcessHandle::destroyForcibly);
                daemon.destroyForcibly();
                daemon.waitFor();
            }
        }
    }

    private static boolean ping(Path socket) {
        try {
            return new UnixSocketTransport(5_000).exchange(socket, "{\"op\":\"ping\"}").exitCode() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}

package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.pod.NetnsIdentity;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CNI_NETNS that is one of the node's own namespaces is refused before anything runs, whatever name it
 * goes by. On the fake node a plain file stands in for the node's namespace (the probe takes it for a
 * network namespace, as it would the real one); hard links stand in for bind mounts, which are other names of
 * the same inode just the same.
 */
class NodeNamespaceRefusalTest {

    static final String CHECK_CONF = CniServiceTest.CONF.replace("}}",
            "},\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[]}}");

    @TempDir
    Path dir;
    Path podNetns;
    Path nodeNetns;
    final FakeNode node = new FakeNode();
    final CniServiceTest.FakeLeases leases = new CniServiceTest.FakeLeases();
    final List<String> log = new ArrayList<>();
    CniService service;

    @BeforeEach
    void setUp() throws Exception {
        podNetns = Files.createFile(dir.resolve("pod-netns"));
        nodeNetns = Files.createFile(dir.resolve("node-netns"));
        NodeNamespaces nodeNamespaces = NodeNamespaces.fixed(List.of(new NodeNamespaces.Known(
                NetnsIdentity.of(nodeNetns).orElseThrow(), "the namespace of the test daemon")));
        service = new CniService(node, leases, new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin expected");
        }), Clock.systemUTC(), e -> log.add(e.message()), () -> { }, new AttachmentRecords(dir.resolve("run/attachments")),
                // every test file is a "network namespace", so only the node check can refuse one
                path -> Files.isRegularFile(path) ? Optional.empty() : NetnsProbe.SYSTEM.problem(path),
                nodeNamespaces, Optional.empty());
    }

    CniReply run(String command, String netns, String conf, boolean dryRun) {
        Map<String, String> env = new HashMap<>(FakeNode.env(command, netns));
        if (dryRun) {
            env.put("TERWAY_DRY_RUN", "1");
        }
        return service.execute(new CniInvocation(env, conf));
    }

    /** The node's namespace under several names: itself, "bind mounts", symbolic links, a chain of them. */
    List<Path> namesOfTheNode() throws Exception {
        Path bind = Files.createLink(dir.resolve("bind-mount"), nodeNetns);
        Path link = Files.createSymbolicLink(dir.resolve("link"), nodeNetns);
        Path chain = Files.createSymbolicLink(dir.resolve("link-to-link"), Files.createSymbolicLink(
                dir.resolve("link-to-bind"), bind));
        return List.of(nodeNetns, bind, link, chain);
    }

    @Test
    void addAndCheckOfTheNodesNamespaceAreInvalidEnvironmentAndNothingRuns() throws Exception {
        for (Path netns : namesOfTheNode()) {
            for (String verb : List.of("ADD", "CHECK")) {
                for (boolean dryRun : List.of(false, true)) {
                    CniReply reply = run(verb, netns.toString(), verb.equals("CHECK") ? CHECK_CONF : CniServiceTest.CONF,
                            dryRun);
                    String what = verb + (dryRun ? " (dry run)" : "") + " with " + netns;
                    assertEquals(1, reply.exitCode(), what + ": " + reply.stdout());
                    assertEquals(CniErrorCode.INVALID_ENVIRONMENT, CniServiceTest.code(reply), what);
                    assertTrue(reply.stdout().contains("invalid CNI_NETNS " + netns + ": it is the node's own network"
                            + " namespace (the namespace of the test daemon, net:["), reply.stdout());
                    assertEquals(List.of(), node.commands, what + ": commands ran on the node");
                    assertEquals(List.of(), leases.acquired, what + ": a lease was acquired");
                }
            }
        }
    }

    @Test
    void delOfTheNodesNamespaceSucceedsAndTouchesNothingNotEvenAnAttachmentOfThatId() throws Exception {
        // A real attachment of the same container id: DEL on the word of a request that names the node as the
        // pod leaves it alone (GC removes it once the runtime stops listing it).
        assertEquals(0, run("ADD", podNetns.toString(), CniServiceTest.CONF, false).exitCode());
        node.commands.clear();
        for (Path netns : namesOfTheNode()) {
            CniReply reply = run("DEL", netns.toString(), CniServiceTest.CONF, false);
            assertEquals(0, reply.exitCode(), reply.stdout());
            assertEquals("", reply.stdout());
            assertEquals(List.of(), node.commands, "DEL with " + netns + " ran commands on the node");
            assertEquals(List.of(), leases.released, "DEL with " + netns + " released a lease");
            CniReply dry = run("DEL", netns.toString(), CniServiceTest.CONF, true);
            assertEquals(0, dry.exitCode());
            assertTrue(dry.stdout().startsWith("# nothing to do: CNI_NETNS " + netns), dry.stdout());
        }
        assertTrue(log.stream().anyMatch(l -> l.startsWith("DEL c0ffee/eth0 does nothing: CNI_NETNS ")), log.toString());
        // The pod's own DEL still works.
        assertEquals(0, run("DEL", podNetns.toString(), CniServiceTest.CONF, false).exitCode());
        assertEquals(List.of("c0ffee/eth0"), leases.released);
    }

    @Test
    void podNamespacesStillWork() throws Exception {
        namesOfTheNode();
        CniReply add = run("ADD", podNetns.toString(), CniServiceTest.CONF, false);
        assertEquals(0, add.exitCode(), add.stdout());
        assertEquals(0, run("DEL", podNetns.toString(), CniServiceTest.CONF, false).exitCode());
    }

    @Test
    void gcAndStatusTakeNoNetnsAndAreNotAffected() {
        String v11 = CniServiceTest.CONF.replace("1.0.0", "1.1.0");
        Map<String, String> env = new HashMap<>(FakeNode.env("STATUS", nodeNetns.toString()));
        assertEquals(0, service.execute(new CniInvocation(env, v11)).exitCode());
    }
}

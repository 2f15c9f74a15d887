package dev.terway.cni.entry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.json.MiniJson;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.daemon.DaemonUnreachableException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniEntryTest {

    static final String CONF = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\","
            + "\"dhcpSocket\":\"/run/test/d.sock\"}";

    final List<String> sent = new ArrayList<>();
    final List<Path> sockets = new ArrayList<>();
    final List<CniInvocation> ranLocally = new ArrayList<>();
    final ByteArrayOutputStream log = new ByteArrayOutputStream();

    CniEntry entry(DaemonTransport transport) {
        return new CniEntry(transport, () -> inv -> {
            ranLocally.add(inv);
            return CniReply.empty();
        }, new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    DaemonTransport answering(CniReply reply) {
        return (socket, json) -> {
            sockets.add(socket);
            sent.add(json);
            return reply;
        };
    }

    static DaemonTransport unreachable() {
        return (socket, json) -> {
            throw new DaemonUnreachableException("cannot connect to the terway daemon at " + socket
                    + ": No such file or directory", null);
        };
    }

    static CniInvocation inv(String command, String stdin) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c1");
        env.put("CNI_NETNS", "/var/run/netns/p1");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=a");
        env.put("CNI_PATH", "/opt/cni/bin");
        env.put("HOME", "/root");
        return new CniInvocation(env, stdin);
    }

    @Test
    void forwardsTheInvocationAndRelaysTheAnswerVerbatim() throws Exception {
        CniReply answer = new CniReply(0, "{\"cniVersion\":\"1.0.0\",\"ips\":[]}\n");
        CniReply reply = entry(answering(answer)).run(inv("ADD", CONF));
        assertEquals(0, reply.exitCode());
        assertEquals(answer.stdout(), reply.stdout());
        assertEquals(Path.of("/run/test/d.sock"), sockets.get(0));
        Map<String, Object> request = MiniJson.parseObject(sent.get(0));
        assertEquals("cni", request.get("op"));
        assertEquals(CONF, request.get("stdin"), "stdin travels exactly as received");
        @SuppressWarnings("unchecked")
        Map<String, Object> env = (Map<String, Object>) request.get("env");
        assertEquals("ADD", env.get("CNI_COMMAND"));
        assertEquals("IgnoreUnknown=1;K8S_POD_NAME=a", env.get("CNI_ARGS"));
        assertFalse(env.containsKey("HOME"), "only CNI variables are forwarded");
    }

    @Test
    void defaultSocketWhenTheConfigNamesNone() {
        entry(answering(CniReply.empty())).run(inv("DEL", "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\"}"));
        assertEquals(Path.of("/run/terway/dhcp.sock"), sockets.get(0));
    }

    @Test
    void daemonErrorStatusIsRelayed() {
        CniReply answer = CniReply.error("1.0.0", 100, "boom", "");
        assertEquals(answer.stdout(), entry(answering(answer)).run(inv("ADD", CONF)).stdout());
    }

    @Test
    void versionIsAnsweredWithoutTheDaemon() {
        CniReply reply = entry(unreachable()).run(inv("VERSION", ""));
        assertEquals(0, reply.exitCode());
        assertTrue(reply.stdout().contains("\"supportedVersions\""));
    }

    @Test
    void invalidInputNeverReachesTheDaemon() {
        CniEntry e = entry(answering(CniReply.empty()));
        assertTrue(e.run(inv("ADD", "not json")).stdout().contains("\"code\":6"));
        assertTrue(e.run(inv("ADD", "{\"cniVersion\":\"0.1.0\",\"name\":\"x\"}")).stdout().contains("\"code\":1"));
        assertTrue(e.run(inv("FROB", CONF)).stdout().contains("\"code\":4"));
        assertTrue(e.run(inv("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"dhcpSocket\":5}"))
                .stdout().contains("\"code\":7,\"msg\":\"invalid network config: field \\\"dhcpSocket\\\" must be a string"));
        assertTrue(e.run(inv("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"dhcpSocket\":\"rel.sock\"}"))
                .stdout().contains("\"code\":7"));
        assertTrue(sent.isEmpty());
    }

    @Test
    void addWithTheDaemonDownAsksToTryAgainNamingTheSocket() {
        CniReply reply = entry(unreachable()).run(inv("ADD", CONF));
        assertEquals(1, reply.exitCode());
        assertTrue(reply.stdout().startsWith("{\"cniVersion\":\"1.0.0\",\"code\":11,"), reply.stdout());
        assertTrue(reply.stdout().contains("/run/test/d.sock"));
        assertTrue(ranLocally.isEmpty());
    }

    @Test
    void statusWithTheDaemonDownIsPluginNotAvailable() {
        String v11 = CONF.replace("1.0.0", "1.1.0");
        CniReply reply = entry(unreachable()).run(inv("STATUS", v11));
        assertTrue(reply.stdout().contains("\"code\":50"), reply.stdout());
        assertTrue(ranLocally.isEmpty());
    }

    @Test
    void delWithTheDaemonDownRunsInProcess() {
        CniReply reply = entry(unreachable()).run(inv("DEL", CONF));
        assertEquals(0, reply.exitCode());
        assertEquals(1, ranLocally.size());
        assertEquals(CONF, ranLocally.get(0).stdin());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("running DEL in-process"));
    }

    @Test
    void delFinishesInProcessWhenTheDaemonBreaksMidway() {
        CniReply reply = entry((s, j) -> {
            throw new IOException("connection reset");
        }).run(inv("DEL", CONF));
        assertEquals(0, reply.exitCode());
        assertEquals(1, ranLocally.size());
    }

    @Test
    void addFailingMidwayIsAnIoFailure() {
        CniReply reply = entry((s, j) -> {
            throw new IOException("connection reset");
        }).run(inv("ADD", CONF));
        assertTrue(reply.stdout().contains("\"code\":5"), reply.stdout());
        assertTrue(ranLocally.isEmpty());
    }

    static CniInvocation inNetns(String command, String netns, boolean dryRun) {
        Map<String, String> env = new HashMap<>(inv(command, CONF).env());
        env.put("CNI_NETNS", netns);
        if (dryRun) {
            env.put("TERWAY_DRY_RUN", "1");
        }
        return new CniInvocation(env, CONF);
    }

    /** The runtime starts cni-terway in the node's namespace: that one, by any name, is never a pod's. */
    @Test
    void theNamespaceTheRuntimeRunsUsInIsRefusedWithoutAskingTheDaemon(@TempDir Path dir) throws Exception {
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("node"), Path.of("/proc/self/ns/net"));
        List<String> names = List.of("/proc/self/ns/net", "/proc/" + ProcessHandle.current().pid() + "/ns/net",
                "/proc/thread-self/ns/net", link.toString());
        CniEntry e = entry(answering(CniReply.empty()));
        for (String netns : names) {
            for (String verb : List.of("ADD", "CHECK")) {
                for (boolean dryRun : List.of(false, true)) {
                    CniReply reply = e.run(inNetns(verb, netns, dryRun));
                    assertEquals(1, reply.exitCode(), verb + " " + netns);
                    assertTrue(reply.stdout().startsWith("{\"cniVersion\":\"1.0.0\",\"code\":4,\"msg\":\"invalid"
                            + " CNI_NETNS " + netns + ": it is the node's own network namespace (the namespace the"
                            + " container runtime runs cni-terway in, net:["), reply.stdout());
                }
            }
            CniReply del = e.run(inNetns("DEL", netns, false));
            assertEquals(0, del.exitCode(), del.stdout());
            assertEquals("", del.stdout());
        }
        assertEquals(List.of(), sent, "nothing went to the daemon");
        assertEquals(List.of(), ranLocally, "nothing ran in-process");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("cni-terway: DEL of c1/eth0 does nothing: CNI_NETNS"),
                log.toString(StandardCharsets.UTF_8));
        // with the daemon down DEL does not run in-process either
        assertEquals(0, entry(unreachable()).run(inNetns("DEL", "/proc/self/ns/net", false)).exitCode());
        assertEquals(List.of(), ranLocally);
    }

    @Test
    void otherNamespacesGoToTheDaemon(@TempDir Path dir) throws Exception {
        Path file = java.nio.file.Files.createFile(dir.resolve("pod"));
        CniEntry e = new CniEntry(answering(CniReply.empty()), () -> inv -> CniReply.empty(),
                new PrintStream(log, true, StandardCharsets.UTF_8), dev.terway.cni.pod.NodeNamespaces.NONE);
        assertEquals(0, e.run(inNetns("ADD", "/proc/self/ns/net", false)).exitCode(), "a fixed set is used as given");
        assertEquals(0, entry(answering(CniReply.empty())).run(inNetns("ADD", file.toString(), false)).exitCode());
        assertEquals(0, entry(answering(CniReply.empty())).run(inNetns("ADD", "/var/run/netns/missing", false))
                .exitCode(), "a path that cannot be inspected is the daemon's to judge");
        assertEquals(3, sent.size());
    }

    @Test
    void dryRunRunsLocally() {
        CniInvocation dry = inv("ADD", CONF);
        Map<String, String> env = new HashMap<>(dry.env());
        env.put("TERWAY_DRY_RUN", "1");
        entry(answering(CniReply.empty())).run(new CniInvocation(env, CONF));
        assertEquals(1, ranLocally.size());
        assertTrue(sent.isEmpty());
    }

    @Test
    void unixSocketExchangeFollowsTheDaemonProtocol(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            Thread t = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocate(4096);
                    while (c.read(buf) >= 0) {
                        received.write(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                    c.write(ByteBuffer.wrap("7\n{\"code\":7}\n".getBytes(StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            t.start();
            CniReply reply = new UnixSocketTransport(5000).exchange(socket, "{\"op\":\"cni\"}");
            t.join();
            assertEquals("{\"op\":\"cni\"}", received.toString(StandardCharsets.UTF_8));
            assertEquals(7, reply.exitCode());
            assertEquals("{\"code\":7}\n", reply.stdout());
        }
    }

    @Test
    void unixSocketMissingIsUnreachable(@TempDir Path dir) {
        assertThrows(DaemonUnreachableException.class,
                () -> new UnixSocketTransport(1000).exchange(dir.resolve("none.sock"), "{}"));
    }

    @Test
    void malformedAnswersAreIoErrors() {
        Path s = Path.of("/x");
        assertThrows(IOException.class, () -> UnixSocketTransport.parse(s, new byte[0]));
        assertThrows(IOException.class, () -> UnixSocketTransport.parse(s, "ok\n{}".getBytes()));
        assertThrows(IOException.class, () -> UnixSocketTransport.parse(s, "\n{}".getBytes()));
        assertThrows(IOException.class, () -> UnixSocketTransport.parse(s, "{\"no\":\"status\"}".getBytes()));
    }

    @Test
    void aHungDaemonIsCutOffAtTheDeadline(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("hang.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            IOException e = assertThrows(IOException.class,
                    () -> new UnixSocketTransport(300).exchange(socket, "{}"));
            assertTrue(e.getMessage().contains("did not answer within 300 ms"), e.getMessage());
        }
    }
}

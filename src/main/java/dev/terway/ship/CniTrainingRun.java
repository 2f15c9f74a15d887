package dev.terway.ship;

import dev.terway.cni.entry.CniEntry;
import dev.terway.cni.entry.CniTerway;
import dev.terway.cni.entry.CniTerway;
import dev.terway.cni.entry.UnixSocketTransport;
import dev.terway.cni.spec.CniExecutor;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The training workload of the `cni-terway` class-data archive, run once by bin/build-runtime (with
 * {@code -XX:AOTCacheOutput} on JDK 25+, {@code -XX:DumpLoadedClassList} on 17). It walks the paths a real
 * invocation takes: forwarding ADD, CHECK, DEL and STATUS to a daemon socket (a stand-in server answers
 * like the daemon does), the probe's ping, and finally {@link CniTerway#main} itself for the VERSION verb
 * set in the environment, so the archive holds the classes of the whole thin-client path.
 *
 * <p>Not for operators: it changes nothing outside a temporary directory it removes.
 */
public final class CniTrainingRun {

    private static final String ADD_RESULT = "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"eth0\","
            + "\"mac\":\"0a:58:0a:00:00:07\",\"sandbox\":\"/var/run/netns/train\"}],\"ips\":[{\"address\":"
            + "\"10.0.0.7/24\",\"gateway\":\"10.0.0.1\",\"interface\":0}],\"dns\":{}}\n";

    private CniTrainingRun() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("terway-train");
        Path socket = dir.resolve("train.sock");
        // An existing file for CNI_NETNS, as a runtime's netns is: the client's node-namespace check stats it.
        Path netns = Files.write(dir.resolve("netns"), new byte[0]);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread daemon = new Thread(() -> serve(server), "train-daemon");
            daemon.setDaemon(true);
            daemon.start();
            exercise(socket, netns);
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(netns);
            Files.deleteIfExists(dir);
        }
        // Last: the real entry point, which answers the VERSION set in the environment and exits.
        CniTerway.main(new String[0]);
    }

    private static void exercise(Path socket, Path netns) {
        String config = "{\"cniVersion\":\"1.1.0\",\"name\":\"terway\",\"type\":\"cni-terway\",\"bridge\":\"mybr0\","
                + "\"serviceCIDR\":\"10.96.0.0/12\",\"dhcpSocket\":\"" + socket + "\"}";
        // CHECK and DEL carry the ADD's result, as real ones do: its numbers and nested arrays are on their path.
        String withPrevResult = config.substring(0, config.length() - 1) + ",\"prevResult\":" + ADD_RESULT.strip() + "}";
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        CniEntry entry = new CniEntry(new CniTerway.LazyTransport(), CniTrainingRun::noLocalExecutor, quiet);
        for (String verb : List.of("ADD", "CHECK", "DEL", "STATUS")) {
            Map<String, String> env = new HashMap<>();
            env.put(CniInvocation.CNI_COMMAND, verb);
            env.put(CniInvocation.CNI_CONTAINERID, "0123456789abcdef");
            env.put(CniInvocation.CNI_NETNS, netns.toString());
            env.put(CniInvocation.CNI_IFNAME, "eth0");
            env.put(CniInvocation.CNI_ARGS, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=train");
            env.put(CniInvocation.CNI_PATH, "/opt/cni/bin");
            boolean prev = verb.equals("CHECK") || verb.equals("DEL");
            CniReply reply = entry.run(new CniInvocation(env, prev ? withPrevResult : config));
            if (reply.exitCode() != 0) {
                throw new IllegalStateException("training " + verb + " failed: " + reply.stdout());
            }
        }
        if (DaemonProbe.check(new UnixSocketTransport(10_000), socket) != 0) {
            throw new IllegalStateException("training ping failed");
        }
    }

    private static CniExecutor noLocalExecutor() {
        throw new IllegalStateException("the training run must go through the socket, not run verbs in-process");
    }

    /** Answers like the daemon: ping, ADD with a result, everything else with an empty success. */
    private static void serve(ServerSocketChannel server) {
        while (server.isOpen()) {
            try (SocketChannel peer = server.accept()) {
                ByteArrayOutputStream request = new ByteArrayOutputStream();
                ByteBuffer buffer = ByteBuffer.allocate(8192);
                while (peer.read(buffer.clear()) >= 0) {
                    request.write(buffer.array(), 0, buffer.position());
                }
                String text = request.toString(StandardCharsets.UTF_8);
                String answer;
                if (text.contains("\"op\":\"ping\"")) {
                    answer = "0\n{\"ok\":true}";
                } else if (text.contains("\"CNI_COMMAND\":\"ADD\"")) {
                    answer = "0\n" + ADD_RESULT;
                } else {
                    answer = "0\n";
                }
                ByteBuffer out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
                while (out.hasRemaining()) {
                    peer.write(out);
                }
            } catch (IOException e) {
                return; // the server was closed at the end of the run
            }
        }
    }
}

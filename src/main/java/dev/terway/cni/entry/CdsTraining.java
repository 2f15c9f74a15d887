package dev.terway.cni.entry;

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
import java.util.Map;

/**
 * The training run behind `target/cni-terway.jsa`, the class-data archive `bin/cni-terway` starts with:
 * the build runs this once with -XX:ArchiveClassesAtExit, so the archive holds exactly the classes of the
 * forwarding path (measured: it cuts the client's start-up CPU time by about a third). It goes through
 * ADD, DEL, CHECK, VERSION and a decoding error against a stand-in daemon socket, as runtimes do.
 */
public final class CdsTraining {

    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        // Not Files.createTempDirectory: its SecureRandom would drag the security providers into the archive.
        Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"),
                "cni-terway-cds-" + ProcessHandle.current().pid()));
        Path socket = dir.resolve("d.sock");
        // An existing file for CNI_NETNS, as a runtime's netns is: the node-namespace check stats it, and the
        // classes of that path belong in the archive (a missing one would train the exception path instead).
        Path netns = Files.write(dir.resolve("netns"), new byte[0]);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread daemon = new Thread(() -> serve(server), "cds-training-daemon");
            daemon.setDaemon(true);
            daemon.start();
            String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"training\",\"type\":\"cni-terway\",\"dhcpSocket\":\""
                    + socket + "\",\"mtu\":1500,\"hairpinMode\":true,\"ipam\":{},\"dns\":{\"nameservers\":[]}}";
            CniEntry entry = new CniEntry(new CniTerway.LazyTransport(), CniEntry.reflectiveLoader(),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            for (String verb : new String[] {"ADD", "CHECK", "DEL", "VERSION"}) {
                Map<String, String> env = new HashMap<>(System.getenv());
                env.put(CniInvocation.CNI_COMMAND, verb);
                env.put(CniInvocation.CNI_CONTAINERID, "training");
                env.put(CniInvocation.CNI_NETNS, netns.toString());
                env.put(CniInvocation.CNI_IFNAME, "eth0");
                env.put(CniInvocation.CNI_ARGS, "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod");
                CniReply reply = entry.run(new CniInvocation(env, conf));
                if (reply.exitCode() != 0) {
                    throw new IllegalStateException("training " + verb + " failed: " + reply.stdout());
                }
            }
            entry.run(new CniInvocation(Map.of(CniInvocation.CNI_COMMAND, "ADD"), "{\"cniVersion\":"));
            CniTerway.readStdin(new java.io.ByteArrayInputStream(conf.getBytes(StandardCharsets.UTF_8)));
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(netns);
            Files.deleteIfExists(dir);
        }
    }

    private static void serve(ServerSocketChannel server) {
        while (true) {
            try (SocketChannel c = server.accept()) {
                ByteBuffer buf = ByteBuffer.allocate(65536);
                while (c.read(buf) >= 0) {
                    buf.clear();
                }
                c.write(ByteBuffer.wrap("0\n{\"cniVersion\":\"1.0.0\"}\n".getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                return;
            }
        }
    }
}

package dev.terway.cni.entry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up speed of `cni-terway` rests on its forwarding path loading nothing but java.base and terway's
 * own thin classes. Runs the real main in a child JVM, with the full runtime classpath available as in
 * production, against a socket that answers like the daemon, and reads the JVM's class-load log. Jackson
 * included: even jackson-core's streaming API alone, archived, costs ~5 ms per call (see MiniJson).
 */
class ThinClientClassLoadTest {

    @Test
    void forwardingPathLoadsNoLibraryClasses(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        Path classLog = dir.resolve("classes.log");
        String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"dhcpSocket\":\""
                + socket + "\"}";
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread daemon = new Thread(() -> answerOnce(server));
            daemon.start();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xshare:auto",
                    "-Xlog:class+load=info:file=" + classLog, "-cp", System.getProperty("java.class.path"),
                    CniTerway.class.getName()));
            pb.environment().put("CNI_COMMAND", "ADD");
            pb.environment().put("CNI_CONTAINERID", "c1");
            pb.environment().put("CNI_NETNS", "/var/run/netns/p1");
            pb.environment().put("CNI_IFNAME", "eth0");
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process p = pb.start();
            p.getOutputStream().write(conf.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            daemon.join(10_000);
            assertEquals(0, p.exitValue(), out);
            assertEquals("{\"cniVersion\":\"1.0.0\"}\n", out);
        }
        List<String> loaded = Files.readAllLines(classLog);
        assertTrue(loaded.stream().anyMatch(l -> l.contains(CniEntry.class.getName())), "log covers our classes");
        List<String> foreign = loaded.stream()
                .filter(l -> l.contains("picocli") || l.contains("com.fasterxml") || l.contains("com.google")
                        || l.contains("org.zeroturnaround") || l.contains("dev.terway.cni.handler")
                        || l.contains("dev.terway.dhcp")
                        || l.contains("dev.terway.plan") || l.contains("dev.terway.netstate")
                        || l.contains("io.prometheus") || l.contains("dev.terway.metrics"))
                .toList();
        assertEquals(List.of(), foreign);
    }

    private static void answerOnce(ServerSocketChannel server) {
        try (SocketChannel c = server.accept()) {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            while (c.read(buf) >= 0) {
                in.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            c.write(ByteBuffer.wrap("0\n{\"cniVersion\":\"1.0.0\"}\n".getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}

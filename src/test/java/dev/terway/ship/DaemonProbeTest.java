package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonProbeTest {

    @TempDir
    Path tmp;

    /** Serves one connection with {@code answer}; returns what the client sent. */
    private AtomicReference<String> serveOnce(Path socket, String answer) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        AtomicReference<String> request = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try (server; SocketChannel peer = server.accept()) {
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                ByteBuffer b = ByteBuffer.allocate(1024);
                while (peer.read(b.clear()) >= 0) {
                    in.write(b.array(), 0, b.position());
                }
                request.set(in.toString(StandardCharsets.UTF_8));
                peer.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                request.set("server failed: " + e);
            }
        });
        t.setDaemon(true);
        t.start();
        return request;
    }

    @Test
    void healthyWhenTheDaemonAnswersThePing() throws Exception {
        Path socket = tmp.resolve("d.sock");
        AtomicReference<String> request = serveOnce(socket, "0\n{\"ok\":true}");
        assertEquals(0, DaemonProbe.probe(new String[] {"--socket", socket.toString()}));
        assertEquals("{\"op\":\"ping\"}", request.get());
    }

    @Test
    void unhealthyWhenTheDaemonRefusesOrIsAbsent() throws Exception {
        Path socket = tmp.resolve("d.sock");
        serveOnce(socket, "1\n{\"error\":\"unknown op 'ping'\"}");
        assertEquals(1, DaemonProbe.probe(new String[] {"--socket", socket.toString(), "--timeout-ms", "2000"}));
        assertEquals(1, DaemonProbe.probe(new String[] {"--socket", tmp.resolve("absent.sock").toString()}));
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DaemonProbe.probe(new String[] {"--socket"}));
        assertTrue(missing.getMessage().contains("--socket needs a value"), missing.getMessage());
        IllegalArgumentException timeout = assertThrows(IllegalArgumentException.class,
                () -> DaemonProbe.probe(new String[] {"--timeout-ms", "-5"}));
        assertTrue(timeout.getMessage().contains("--timeout-ms must be a positive number"), timeout.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> DaemonProbe.probe(new String[] {"--verbose"}));
        assertTrue(unknown.getMessage().contains("unknown argument --verbose"), unknown.getMessage());
    }
}

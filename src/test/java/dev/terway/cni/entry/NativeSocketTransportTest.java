package dev.terway.cni.entry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.spec.CniReply;
import dev.terway.daemon.DaemonProtocol;
import dev.terway.daemon.DaemonUnreachableException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The C transport (libterwaycni.so, built at process-classes) against a stand-in daemon socket. */
class NativeSocketTransportTest {

    @Test
    void sendsTheWholeRequestAndReadsTheAnswerToItsEnd(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        String request = "{\"op\":\"cni\",\"pad\":\"" + "x".repeat(200_000) + "\"}";
        String body = "{\"cniVersion\":\"1.0.0\",\"big\":\"" + "y".repeat(100_000) + "\"}\n";
        try (ServerSocketChannel server = listen(socket)) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> serve(server, "-7\n" + body));
            CniReply reply = transport(10_000).exchange(socket, request);
            assertEquals(request, received.get(10, TimeUnit.SECONDS));
            assertEquals(-7, reply.exitCode());
            assertEquals(body, reply.stdout());
        }
    }

    @Test
    void aMissingSocketIsUnreachable(@TempDir Path dir) {
        Path socket = dir.resolve("none.sock");
        DaemonUnreachableException e = assertThrows(DaemonUnreachableException.class,
                () -> transport(10_000).exchange(socket, "{}"));
        assertEquals("cannot connect to the terway daemon at " + socket + ": No such file or directory",
                e.getMessage());
    }

    @Test
    void aDaemonThatDoesNotAnswerTimesOut(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        try (ServerSocketChannel server = listen(socket)) {
            IOException e = assertThrows(IOException.class, () -> transport(300).exchange(socket, "{}"));
            assertEquals("the terway daemon at " + socket + " did not answer within 300 ms", e.getMessage());
        }
    }

    @Test
    void aDaemonWhoseBacklogIsFullIsUnreachableAtTheDeadline(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        List<SocketChannel> waiting = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket), 1);
            for (int i = 0; i < 64; i++) {
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                try {
                    c.connect(UnixDomainSocketAddress.of(socket));
                    waiting.add(c);
                } catch (IOException full) {
                    c.close();
                    break;
                }
            }
            DaemonUnreachableException e = assertThrows(DaemonUnreachableException.class,
                    () -> transport(300).exchange(socket, "{}"));
            assertEquals("the terway daemon at " + socket + " did not accept the connection within 300 ms",
                    e.getMessage());
        } finally {
            for (SocketChannel c : waiting) {
                c.close();
            }
        }
    }

    @Test
    void aRequestOverTheLimitIsNotSent(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        try (ServerSocketChannel server = listen(socket)) {
            String over = "{\"pad\":\"" + "p".repeat(DaemonProtocol.MAX_REQUEST_BYTES) + "\"}";
            IOException e = assertThrows(IOException.class, () -> transport(10_000).exchange(socket, over));
            assertTrue(e.getMessage().contains("more than the limit of " + DaemonProtocol.MAX_REQUEST_BYTES),
                    e.getMessage());
        }
    }

    @Test
    void anOversizedAnswerIsRefused(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        try (ServerSocketChannel server = listen(socket)) {
            CompletableFuture.supplyAsync(() -> serve(server,
                    "0\n" + "z".repeat(DaemonProtocol.MAX_RESPONSE_BYTES + 10)));
            IOException e = assertThrows(IOException.class, () -> transport(10_000).exchange(socket, "{}"));
            assertTrue(e.getMessage().contains("sent more than " + DaemonProtocol.MAX_RESPONSE_BYTES),
                    e.getMessage());
        }
    }

    @Test
    void aClosedConnectionWithoutAnswerIsMalformed(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("d.sock");
        try (ServerSocketChannel server = listen(socket)) {
            CompletableFuture.supplyAsync(() -> serve(server, ""));
            IOException e = assertThrows(IOException.class, () -> transport(10_000).exchange(socket, "{}"));
            assertTrue(e.getMessage().contains("closed the connection without answering"), e.getMessage());
        }
    }

    private static NativeSocketTransport transport(int timeoutMillis) {
        NativeSocketTransport t = NativeSocketTransport.loadOrNull(timeoutMillis);
        assertNotNull(t, "libterwaycni.so not on java.library.path=" + System.getProperty("java.library.path"));
        return t;
    }

    private static ServerSocketChannel listen(Path socket) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return server;
    }

    /** Reads the request to its end, answers, closes; returns the request. */
    private static String serve(ServerSocketChannel server, String answer) {
        try (SocketChannel c = server.accept()) {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            while (c.read(buf) >= 0) {
                in.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            ByteBuffer out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                c.write(out);
            }
            return in.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "server failed: " + e;
        }
    }
}

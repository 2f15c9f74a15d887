package dev.terway.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The framing and limits of docs/protocol.md, as {@link DaemonProtocol} holds both sides to them. */
class DaemonProtocolTest {

    @TempDir
    Path tmp;

    private static Response parse(String answer) throws IOException {
        return DaemonProtocol.parse(Path.of("/d.sock"), answer.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theStatusLineIsAnOptionalMinusAndOneToNineDigits() throws IOException {
        assertEquals(new Response(0, ""), parse("0\n"));
        assertEquals(new Response(-7, "{\"code\":7}\n"), parse("-7\n{\"code\":7}\n"));
        assertEquals(new Response(DaemonProtocol.MAX_STATUS, "x\ny"), parse("999999999\nx\ny"));
        for (String bad : List.of("", "\n{}", "-\n", "+1\n", " 1\n", "1 \n", "1000000000\n", "0x1\n", "ok\n{}",
                "{\"no\":\"status\"}")) {
            assertThrows(IOException.class, () -> parse(bad), bad);
        }
    }

    @Test
    void whatTheServerEncodesTheClientParses() throws IOException {
        for (Response r : List.of(new Response(0, "{\"ok\":true}"), new Response(-3, "héllo\nworld"),
                Response.error("quote \" backslash \\ newline \n tab \t nul \u0000 é"))) {
            assertEquals(r, DaemonProtocol.parse(tmp, DaemonProtocol.encode(r)));
        }
    }

    @Test
    void anErrorBodyIsOneJsonObjectWithTheMessage() throws IOException {
        String message = "quote \" backslash \\ newline \n nul \u0000 \u2028 é";
        Response error = Response.error(message);
        assertEquals(1, error.status());
        assertEquals(message, new ObjectMapper().readTree(error.body()).get("error").asText());
    }

    @Test
    void aStatusThatDoesNotFitTheStatusLineIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Response(1_000_000_000, ""));
        assertThrows(IllegalArgumentException.class, () -> new Response(Integer.MIN_VALUE, ""));
    }

    @Test
    void aRequestOverTheLimitIsNotSent() throws IOException {
        Path socket = tmp.resolve("d.sock");
        try (ServerSocketChannel server = listen(socket, 8)) {
            String over = "{\"pad\":\"" + "p".repeat(DaemonProtocol.MAX_REQUEST_BYTES) + "\"}";
            IOException e = assertThrows(IOException.class, () -> new DaemonClient(socket).call(over));
            assertFalse(e instanceof DaemonUnreachableException, e.toString());
            assertTrue(e.getMessage().contains("more than the limit of " + DaemonProtocol.MAX_REQUEST_BYTES),
                    e.getMessage());
            server.configureBlocking(false);
            assertEquals(null, server.accept(), "the client did not even connect");
        }
    }

    @Test
    void anAnswerOverTheLimitIsRefusedByTheClient() throws Exception {
        Path socket = tmp.resolve("d.sock");
        try (ServerSocketChannel server = listen(socket, 8)) {
            CompletableFuture.runAsync(() -> answer(server, "0\n" + "z".repeat(DaemonProtocol.MAX_RESPONSE_BYTES)));
            IOException e = assertThrows(IOException.class, () -> new DaemonClient(socket).call("{}"));
            assertTrue(e.getMessage().contains("sent more than " + DaemonProtocol.MAX_RESPONSE_BYTES), e.getMessage());
        }
    }

    @Test
    void theServerAnswersAnErrorInsteadOfAnAnswerOverTheLimit() throws IOException {
        List<String> log = new CopyOnWriteArrayList<>();
        String huge = "z".repeat(DaemonProtocol.MAX_RESPONSE_BYTES);
        try (DaemonServer server = DaemonServer.start(tmp.resolve("run/d.sock"), RequestHandlers.builder()
                .register("huge", r -> Response.ok(huge)).build(), 2, log::add)) {
            Response r = new DaemonClient(server.socket()).call("{\"op\":\"huge\"}");
            assertEquals(Response.error("response too large: more than " + DaemonProtocol.MAX_RESPONSE_BYTES
                    + " bytes"), r);
            assertTrue(log.stream().anyMatch(l -> l.contains("was not sent")), log.toString());
        }
    }

    @Test
    void aDaemonThatDoesNotAnswerIsCutOffAtTheDeadline() throws IOException {
        Path socket = tmp.resolve("d.sock");
        try (ServerSocketChannel server = listen(socket, 8)) {
            IOException e = assertThrows(IOException.class,
                    () -> new DaemonClient(socket, Duration.ofMillis(300)).call("{}"));
            assertFalse(e instanceof DaemonUnreachableException, e.toString());
            assertEquals("the terway daemon at " + socket + " did not answer within 300 ms", e.getMessage());
        }
    }

    @Test
    void aDaemonWhoseBacklogIsFullIsUnreachableAtTheDeadline() throws IOException {
        Path socket = tmp.resolve("d.sock");
        List<SocketChannel> waiting = new ArrayList<>();
        try (ServerSocketChannel server = listen(socket, 1)) {
            fillBacklog(socket, waiting);
            long start = System.nanoTime();
            DaemonUnreachableException e = assertThrows(DaemonUnreachableException.class,
                    () -> DaemonProtocol.exchange(socket, "{}", 300));
            assertEquals("the terway daemon at " + socket + " did not accept the connection within 300 ms",
                    e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        } finally {
            for (SocketChannel c : waiting) {
                c.close();
            }
        }
    }

    /** Connects without being accepted until the listener's backlog is full: the next connect blocks. */
    static void fillBacklog(Path socket, List<SocketChannel> waiting) throws IOException {
        for (int i = 0; i < 64; i++) {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            c.configureBlocking(false);
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
                waiting.add(c);
            } catch (IOException full) {
                c.close();
                return;
            }
        }
        throw new IllegalStateException("the backlog of " + socket + " never filled");
    }

    static ServerSocketChannel listen(Path socket, int backlog) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket), backlog);
        return server;
    }

    private static void answer(ServerSocketChannel server, String answer) {
        try (SocketChannel c = server.accept()) {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            while (c.read(buf.clear()) >= 0) {
                in.write(buf.array(), 0, buf.position());
            }
            ByteBuffer out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                c.write(out);
            }
        } catch (IOException e) {
            // the client hung up on an oversized answer: expected
        }
    }
}

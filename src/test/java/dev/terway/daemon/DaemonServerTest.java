package dev.terway.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<DaemonServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(DaemonServer::close);
    }

    private DaemonServer start(Path socket, RequestHandlers handlers) throws IOException {
        DaemonServer server = DaemonServer.start(socket, handlers, 8, log::add);
        servers.add(server);
        return server;
    }

    private DaemonServer startEcho() throws IOException {
        return start(tmp.resolve("run/dhcp.sock"), RequestHandlers.builder()
                .register("ping", r -> Response.ok("{\"ok\":true}"))
                .register("echo", r -> new Response(7, "you said " + r.get("text").asText()))
                .register("boom", r -> {
                    throw new IllegalStateException("the handler broke");
                })
                .build());
    }

    /** Sends raw bytes, half-closes, returns the raw reply. */
    private static String raw(Path socket, byte[] request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            while (channel.read(buffer.clear()) >= 0) {
                in.write(buffer.array(), 0, buffer.position());
            }
            return in.toString(StandardCharsets.UTF_8);
        }
    }

    private static String raw(Path socket, String request) throws IOException {
        return raw(socket, request.getBytes(StandardCharsets.UTF_8));
    }

    private static String error(String reply) throws IOException {
        assertTrue(reply.startsWith("1\n"), reply);
        JsonNode body = JSON.readTree(reply.substring(2));
        return body.get("error").asText();
    }

    @Test
    void pingIsAnsweredWithStatusLineThenBody() throws IOException {
        DaemonServer server = startEcho();
        assertEquals("0\n{\"ok\":true}", raw(server.socket(), "{\"op\":\"ping\"}"));
    }

    @Test
    void theHandlersStatusAndBodyGoOutVerbatim() throws IOException {
        DaemonServer server = startEcho();
        assertEquals("7\nyou said héllo\nsecond line",
                raw(server.socket(), "{\"op\":\"echo\",\"text\":\"héllo\\nsecond line\"}"));
    }

    @Test
    void theClientClassParsesTheResponse() throws IOException {
        DaemonServer server = startEcho();
        Response response = new DaemonClient(server.socket()).call("{\"op\":\"echo\",\"text\":\"x\"}");
        assertEquals(new Response(7, "you said x"), response);
    }

    @Test
    void unknownOpIsRefusedNamingTheKnownOps() throws IOException {
        DaemonServer server = startEcho();
        assertEquals("unknown op 'dance'; ops: boom, echo, ping", error(raw(server.socket(), "{\"op\":\"dance\"}")));
    }

    @Test
    void badJsonIsRefused() throws IOException {
        DaemonServer server = startEcho();
        assertTrue(error(raw(server.socket(), "{\"op\":")).startsWith("bad request: not valid JSON"));
        assertEquals("bad request: expected one JSON object", error(raw(server.socket(), "[\"ping\"]")));
        assertEquals("bad request: expected one JSON object", error(raw(server.socket(), "")));
        assertTrue(error(raw(server.socket(), "{\"op\":42}")).startsWith("bad request: field 'op' (a string) is missing"));
        assertTrue(error(raw(server.socket(), new byte[] {(byte) 0xff, (byte) 0xfe, 0}))
                .startsWith("bad request"));
    }

    @Test
    void aRequestOfExactlyTheLimitIsServedAndOneByteMoreIsRefused() throws IOException {
        DaemonServer server = startEcho();
        String head = "{\"op\":\"echo\",\"text\":\"ok\",\"pad\":\"";
        String tail = "\"}";
        String exact = head + "p".repeat(DaemonProtocol.MAX_REQUEST_BYTES - head.length() - tail.length()) + tail;
        assertEquals(DaemonProtocol.MAX_REQUEST_BYTES, exact.getBytes(StandardCharsets.UTF_8).length);

        assertEquals("7\nyou said ok", raw(server.socket(), exact));
        String over = head + "p".repeat(DaemonProtocol.MAX_REQUEST_BYTES - head.length() - tail.length() + 1) + tail;
        assertEquals("request too large: more than 1048576 bytes", error(raw(server.socket(), over)));
    }

    @Test
    void aFailingHandlerBecomesAnErrorResponseAndTheServerKeepsServing() throws IOException {
        DaemonServer server = startEcho();
        assertEquals("boom failed: the handler broke", error(raw(server.socket(), "{\"op\":\"boom\"}")));
        assertEquals("0\n{\"ok\":true}", raw(server.socket(), "{\"op\":\"ping\"}"));
    }

    @Test
    void requestsAreServedInParallel() throws Exception {
        int parallel = 6;
        CountDownLatch allInside = new CountDownLatch(parallel);
        DaemonServer server = start(tmp.resolve("p/dhcp.sock"), RequestHandlers.builder()
                .register("wait", r -> {
                    allInside.countDown();
                    try {
                        // Only returns if every request is inside a handler at the same time.
                        return allInside.await(10, TimeUnit.SECONDS) ? Response.ok("together")
                                : Response.error("served one by one");
                    } catch (InterruptedException e) {
                        return Response.error("interrupted");
                    }
                }).build());
        ExecutorService clients = Executors.newFixedThreadPool(parallel);
        List<Future<String>> replies = new ArrayList<>();
        for (int i = 0; i < parallel; i++) {
            replies.add(clients.submit(() -> raw(server.socket(), "{\"op\":\"wait\"}")));
        }
        for (Future<String> reply : replies) {
            assertEquals("0\ntogether", reply.get(20, TimeUnit.SECONDS));
        }
        clients.shutdown();
    }

    @Test
    void socketIsOwnerOnlyInAnOwnerOnlyDirectory() throws IOException {
        DaemonServer server = startEcho();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket())));
        assertEquals("rwx------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket().getParent())));
    }

    @Test
    void aStaleSocketIsReplacedButALiveDaemonIsNot() throws IOException {
        Path socket = tmp.resolve("s/dhcp.sock");
        DaemonServer first = start(socket, RequestHandlers.builder().register("ping", r -> Response.ok("first")).build());

        IOException refused = assertThrows(IOException.class, () -> start(socket, RequestHandlers.builder().build()));
        assertTrue(refused.getMessage().contains("another daemon is answering"), refused.getMessage());

        // A killed daemon leaves its socket file behind; simulate by closing the channel only.
        first.close();
        try (var leftover = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            leftover.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "a closed, unremoved socket file stays behind");
        DaemonServer second = start(socket, RequestHandlers.builder().register("ping", r -> Response.ok("second")).build());
        assertEquals("0\nsecond", raw(second.socket(), "{\"op\":\"ping\"}"));
    }

    @Test
    void aRegularFileInTheWayIsNotDeleted() throws IOException {
        Path socket = tmp.resolve("f/dhcp.sock");
        Files.createDirectories(socket.getParent());
        Files.writeString(socket, "precious");

        IOException e = assertThrows(IOException.class, () -> start(socket, RequestHandlers.builder().build()));
        assertTrue(e.getMessage().contains("a regular file is in the way"), e.getMessage());
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void closeRemovesTheSocketAndTheClientSaysTheDaemonIsNotRunning() throws IOException {
        DaemonServer server = startEcho();
        server.close();
        assertFalse(Files.exists(server.socket()));
        IOException e = assertThrows(IOException.class, () -> new DaemonClient(server.socket()).call("{\"op\":\"ping\"}"));
        assertTrue(e.getMessage().contains("is `terway dhcp daemon` running?"), e.getMessage());
    }

    @Test
    void malformedResponsesAreReportedByTheClient() {
        IOException none = assertThrows(IOException.class,
                () -> DaemonProtocol.parse(tmp, "no newline".getBytes(StandardCharsets.UTF_8)));
        assertTrue(none.getMessage().contains("no status line"));
        IOException notNumber = assertThrows(IOException.class,
                () -> DaemonProtocol.parse(tmp, "ok\n{}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(notNumber.getMessage().contains("malformed status line"));
    }
}

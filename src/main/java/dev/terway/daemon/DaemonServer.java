package dev.terway.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The daemon's unix socket: serves the ops of a {@link RequestHandlers} registry over the protocol of
 * docs/protocol.md (framing and limits in {@link DaemonProtocol}), to root and the daemon's own user only.
 * Requests are served in parallel by a bounded pool, because an acquire can block for its whole timeout
 * and must not hold up the others. Knows nothing of DHCP or CNI.
 */
public final class DaemonServer implements AutoCloseable {

    /** One JSON object per request: trailing content is an error, not silently ignored. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path socket;
    private final RequestHandlers handlers;
    private final Consumer<String> log;
    private final ServerSocketChannel server;
    private final UserPrincipal daemonUser;
    private final UserPrincipal root;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService deadlines;
    private final Thread acceptor;
    private volatile boolean closing;

    private DaemonServer(Path socket, RequestHandlers handlers, int maxParallel, Consumer<String> log,
                         ServerSocketChannel server, UserPrincipal daemonUser, UserPrincipal root) {
        this.socket = socket;
        this.handlers = handlers;
        this.log = log;
        this.server = server;
        this.daemonUser = daemonUser;
        this.root = root;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(maxParallel, maxParallel, 5, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(4 * maxParallel), r -> {
                    Thread t = new Thread(r, "terway-request-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        // Idle workers go away, so a quiet daemon holds no request threads.
        workers.allowCoreThreadTimeOut(true);
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "terway-request-deadline");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.deadlines = timer;
        this.acceptor = new Thread(this::acceptLoop, "terway-accept");
    }

    /**
     * Binds the socket and starts serving. The directory is created (or tightened) to 0700. A socket
     * file left by a daemon that died is replaced; one that a live daemon answers on is refused.
     */
    public static DaemonServer start(Path socket, RequestHandlers handlers, int maxParallel, Consumer<String> log)
            throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        removeStaleSocket(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket), 128);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            UserPrincipal daemonUser = Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS);
            UserPrincipal root = socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
            DaemonServer daemon = new DaemonServer(socket, handlers, maxParallel, log, server, daemonUser, root);
            daemon.acceptor.start();
            return daemon;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw new IOException("failed to listen on " + socket + ": " + e.getMessage(), e);
        }
    }

    private static void removeStaleSocket(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!"socket".equals(fileType(socket))) {
            throw new IOException("refusing to listen on " + socket + ": a " + fileType(socket)
                    + " is in the way (not a socket)");
        }
        boolean answered;
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            answered = true;
        } catch (IOException refused) {
            answered = false;
        }
        if (answered) {
            throw new IOException("refusing to listen on " + socket + ": another daemon is answering on it");
        }
        // Nobody listens: the file is what a killed daemon left behind.
        Files.deleteIfExists(socket);
    }

    private static String fileType(Path path) throws IOException {
        var attributes = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            return "symbolic link";
        }
        if (attributes.isDirectory()) {
            return "directory";
        }
        if (attributes.isRegularFile()) {
            return "regular file";
        }
        return "socket"; // other: unix sockets are the only kind a daemon leaves there
    }

    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (!closing) {
            SocketChannel connection;
            try {
                connection = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closing) {
                    return;
                }
                log.accept("daemon socket: accept failed: " + e.getMessage());
                continue;
            }
            try {
                workers.execute(() -> serve(connection));
            } catch (RejectedExecutionException e) {
                // Every worker is busy and the queue is full: answer at once instead of letting the
                // client hang, and keep accepting.
                reply(connection, Response.error("the terway daemon is overloaded ("
                        + workers.getMaximumPoolSize() + " requests in progress); retry"));
            }
        }
    }

    private void serve(SocketChannel connection) {
        try (connection) {
            byte[] answer = DaemonProtocol.encode(answer(connection));
            if (answer.length > DaemonProtocol.MAX_RESPONSE_BYTES) {
                // No client would read it: say so instead of cutting it off mid-body.
                log.accept("daemon socket: an answer of " + answer.length + " bytes was not sent, the limit is "
                        + DaemonProtocol.MAX_RESPONSE_BYTES);
                answer = DaemonProtocol.encode(Response.error("response too large: more than "
                        + DaemonProtocol.MAX_RESPONSE_BYTES + " bytes"));
            }
            write(connection, answer);
            drain(connection);
        } catch (IOException e) {
            // The client went away or was cut off; nobody is left to tell.
            if (!closing) {
                log.accept("daemon socket: dropped a connection: " + e.getMessage());
            }
        }
    }

    private Response answer(SocketChannel connection) throws IOException {
        UnixDomainPrincipal peer = connection.getOption(ExtendedSocketOptions.SO_PEERCRED);
        if (!peer.user().equals(root) && !peer.user().equals(daemonUser)) {
            // Logged: someone other than root reached a socket kept 0600 in a 0700 directory, which means
            // the permissions were loosened or a descriptor leaked; either is worth an operator's look.
            log.accept("daemon socket: refused a connection from user " + peer.user().getName() + " (group "
                    + peer.group().getName() + "): only root and " + daemonUser.getName() + " may use it");
            return Response.error("permission denied: user " + peer.user().getName()
                    + " may not use the terway daemon (only root and " + daemonUser.getName() + ")");
        }
        byte[] request = readRequest(connection);
        if (request == null) {
            return Response.error("request too large: more than " + DaemonProtocol.MAX_REQUEST_BYTES + " bytes");
        }
        return dispatch(request);
    }

    /** Parses and routes one request; public for the in-process tests of the ops. */
    public Response dispatch(byte[] request) {
        JsonNode json;
        try {
            json = JSON.readTree(request);
        } catch (JsonProcessingException e) {
            return Response.error("bad request: not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            return Response.error("bad request: " + e.getMessage());
        }
        if (json == null || !json.isObject()) {
            return Response.error("bad request: expected one JSON object");
        }
        JsonNode op = json.get("op");
        if (op == null || !op.isTextual()) {
            return Response.error("bad request: field 'op' (a string) is missing; ops: " + handlers.ops());
        }
        RequestHandler handler = handlers.handler(op.asText()).orElse(null);
        if (handler == null) {
            return Response.error("unknown op '" + op.asText() + "'; ops: " + handlers.ops());
        }
        try {
            Response response = handler.handle(json);
            return response == null ? Response.error("op '" + op.asText() + "' gave no response") : response;
        } catch (RuntimeException e) {
            log.accept("daemon socket: op '" + op.asText() + "' failed: " + e);
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return Response.error(op.asText() + " failed: " + message);
        }
    }

    /** Closes the connection when the read deadline passes, which wakes a read blocked on a slow client. */
    private ScheduledFuture<?> closeAtReadDeadline(SocketChannel connection) {
        return deadlines.schedule(() -> {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing is the point; a failure to close leaves nothing to do
            }
        }, DaemonProtocol.REQUEST_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The request bytes up to EOF, or null when they exceed the limit. */
    private byte[] readRequest(SocketChannel connection) throws IOException {
        ScheduledFuture<?> cutOff = closeAtReadDeadline(connection);
        try {
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            while (true) {
                buffer.clear();
                int n = connection.read(buffer);
                if (n < 0) {
                    return bytes.toByteArray();
                }
                if (bytes.size() + n > DaemonProtocol.MAX_REQUEST_BYTES) {
                    return null;
                }
                bytes.write(buffer.array(), 0, n);
            }
        } catch (AsynchronousCloseException e) {
            throw new IOException("the client sent no complete request within " + DaemonProtocol.REQUEST_DEADLINE_MILLIS / 1000 + " s", e);
        } finally {
            cutOff.cancel(false);
        }
    }

    /**
     * Reads and drops what the client still sends (a refused or oversized request) after the response
     * went out. Closing a unix socket with unread data resets the connection, and the client would see
     * ECONNRESET instead of the response. Bounded by the read deadline.
     */
    private void drain(SocketChannel connection) throws IOException {
        ScheduledFuture<?> cutOff = closeAtReadDeadline(connection);
        try {
            ByteBuffer sink = ByteBuffer.allocate(8192);
            while (connection.read(sink.clear()) >= 0) {
                // discard
            }
        } catch (ClosedChannelException e) {
            // cut off by the deadline
        } finally {
            cutOff.cancel(false);
        }
    }

    private void reply(SocketChannel connection, Response response) {
        try (connection) {
            write(connection, DaemonProtocol.encode(response));
        } catch (IOException e) {
            log.accept("daemon socket: could not answer a connection: " + e.getMessage());
        }
    }

    private static void write(SocketChannel connection, byte[] answer) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(answer);
        while (out.hasRemaining()) {
            connection.write(out);
        }
        connection.shutdownOutput();
    }

    /**
     * Stops accepting, removes the socket file and lets requests in progress finish (up to
     * {@code grace}); connections still open after that are abandoned to the process exit.
     */
    public void close(Duration grace) {
        closing = true;
        try {
            server.close();
        } catch (IOException e) {
            log.accept("daemon socket: closing " + socket + " failed: " + e.getMessage());
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.accept("daemon socket: removing " + socket + " failed: " + e.getMessage());
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
            }
            acceptor.join(grace.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deadlines.shutdownNow();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}

package dev.terway.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The framing of the daemon's socket and its limits, written once: the server ({@link DaemonServer}) and
 * both Java clients (the plugin's thin client, cni/entry, and the CLI's {@link DaemonClient})
 * use this class; the C client (src/main/c/terway_cni_exchange.c) is handed these limits by its Java half.
 * What the protocol is, and why the numbers are what they are: docs/protocol.md.
 *
 * <p>java.base only, as is everything a client reaches through it ({@link Response#error}, which reaches
 * Jackson, is the server's): `cni-terway` loads it once per pod event.
 */
public final class DaemonProtocol {

    /** The socket the daemon listens on unless told otherwise. */
    public static final String DEFAULT_SOCKET = "/run/terway/dhcp.sock";
    /** The largest request, in bytes. */
    public static final int MAX_REQUEST_BYTES = 1 << 20;
    /** The largest answer (status line and body), in bytes. */
    public static final int MAX_RESPONSE_BYTES = 4 << 20;
    /** The status line's digits at most (after an optional '-'): any such number fits an int. */
    public static final int MAX_STATUS_DIGITS = 9;
    /** The largest status, in magnitude, that a status line of {@link #MAX_STATUS_DIGITS} digits carries. */
    public static final int MAX_STATUS = 999_999_999;
    /** How long the server waits for a whole request after accepting the connection. */
    public static final long REQUEST_DEADLINE_MILLIS = 10_000;
    /** How long a client waits for a whole exchange (connect, send, answer) unless a caller says otherwise. */
    public static final long EXCHANGE_TIMEOUT_MILLIS = 120_000;

    private DaemonProtocol() {
    }

    /**
     * One exchange over {@code socket}: connect, send {@code request}, half-close, read the answer to its end
     * and parse it, all within {@code timeoutMillis}.
     *
     * @throws DaemonUnreachableException when no connection was made in time (nothing was sent)
     * @throws IOException                when the request is too large, or the exchange broke, timed out or
     *                                    brought a malformed or oversized answer
     */
    public static Response exchange(Path socket, String request, long timeoutMillis) throws IOException {
        return parse(socket, exchangeBytes(socket, requestBytes(socket, request), timeoutMillis));
    }

    /** The request's bytes on the wire; an {@link IOException} (nothing sent) when it is over the limit. */
    public static byte[] requestBytes(Path socket, String request) throws IOException {
        byte[] bytes = request.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_REQUEST_BYTES) {
            throw new IOException("the request to the terway daemon at " + socket + " is " + bytes.length
                    + " bytes, more than the limit of " + MAX_REQUEST_BYTES);
        }
        return bytes;
    }

    private static byte[] exchangeBytes(Path socket, byte[] request, long timeoutMillis) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        // Started before connecting: a daemon whose backlog is full makes connect block too.
        Watchdog watchdog = new Watchdog(channel, timeoutMillis);
        watchdog.start();
        try {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new DaemonUnreachableException(watchdog.fired()
                        ? "the terway daemon at " + socket + " did not accept the connection within "
                                + timeoutMillis + " ms"
                        : "cannot connect to the terway daemon at " + socket + ": " + describe(e), e);
            }
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            ByteArrayOutputStream answer = new ByteArrayOutputStream(4096);
            ByteBuffer in = ByteBuffer.allocate(16384);
            while (true) {
                in.clear();
                int n = channel.read(in);
                if (n < 0) {
                    return answer.toByteArray();
                }
                if (answer.size() + n > MAX_RESPONSE_BYTES) {
                    throw new IOException("the terway daemon at " + socket + " sent more than "
                            + MAX_RESPONSE_BYTES + " bytes");
                }
                answer.write(in.array(), 0, n);
            }
        } catch (IOException e) {
            if (watchdog.fired() && !(e instanceof DaemonUnreachableException)) {
                throw new IOException("the terway daemon at " + socket + " did not answer within "
                        + timeoutMillis + " ms", e);
            }
            throw e;
        } finally {
            watchdog.cancel();
            channel.close();
        }
    }

    /** The answer as it goes on the wire: {@code <status>\n<body>}, then the server closes. */
    public static byte[] encode(Response response) {
        return (response.status() + "\n" + response.body()).getBytes(StandardCharsets.UTF_8);
    }

    /** Reads {@code <status>\n<body>}; anything else means the peer does not speak the daemon protocol. */
    public static Response parse(Path socket, byte[] answer) throws IOException {
        int newline = -1;
        for (int i = 0; i < answer.length && i <= MAX_STATUS_DIGITS + 1; i++) {
            if (answer[i] == '\n') {
                newline = i;
                break;
            }
        }
        if (newline <= 0) {
            throw new IOException("malformed answer from the terway daemon at " + socket
                    + (answer.length == 0 ? ": it closed the connection without answering" : ": no status line"));
        }
        boolean negative = answer[0] == '-';
        int start = negative ? 1 : 0;
        if (start == newline || newline - start > MAX_STATUS_DIGITS) {
            throw new IOException("malformed status line from the terway daemon at " + socket);
        }
        int status = 0;
        for (int i = start; i < newline; i++) {
            byte b = answer[i];
            if (b < '0' || b > '9') {
                throw new IOException("malformed status line from the terway daemon at " + socket);
            }
            status = status * 10 + (b - '0');
        }
        String body = new String(answer, newline + 1, answer.length - newline - 1, StandardCharsets.UTF_8);
        return new Response(negative ? -status : status, body);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null || m.isEmpty() ? e.getClass().getSimpleName() : m;
    }

    /**
     * Closes the channel when the deadline passes: a blocking channel has no timeout of its own, and closing
     * it wakes a blocked connect, write or read with an exception.
     */
    private static final class Watchdog extends Thread {
        private final SocketChannel channel;
        private final long millis;
        private volatile boolean fired;
        private volatile boolean cancelled;

        Watchdog(SocketChannel channel, long millis) {
            super("terway-daemon-deadline");
            this.channel = channel;
            this.millis = millis;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                return;
            }
            if (!cancelled) {
                fired = true;
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // the exchange reports the failure
                }
            }
        }

        boolean fired() {
            return fired;
        }

        void cancel() {
            cancelled = true;
            if (isAlive()) {
                interrupt();
            }
        }
    }
}

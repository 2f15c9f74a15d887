package dev.terway.cni.entry;

import dev.terway.cni.spec.CniReply;
import dev.terway.daemon.DaemonUnreachableException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The daemon protocol over a unix stream socket: one request per connection, the request ended by
 * half-closing, the answer read to the end. A watchdog closes the channel at the deadline, because a
 * blocking channel read has no timeout of its own and a hung daemon must not hang the runtime.
 */
public final class UnixSocketTransport implements DaemonTransport {

    /** Bigger answers are refused: a CNI result is a few KiB. */
    public static final int MAX_RESPONSE_BYTES = 4 << 20;

    private final long timeoutMillis;

    public UnixSocketTransport(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public CniReply exchange(Path socket, String requestJson) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        Watchdog watchdog = new Watchdog(channel, timeoutMillis);
        try {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new DaemonUnreachableException("cannot connect to the terway daemon at " + socket + ": "
                        + describe(e), e);
            }
            watchdog.start();
            ByteBuffer out = ByteBuffer.wrap(requestJson.getBytes(StandardCharsets.UTF_8));
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
                    break;
                }
                if (answer.size() + n > MAX_RESPONSE_BYTES) {
                    throw new IOException("the terway daemon at " + socket + " sent more than "
                            + MAX_RESPONSE_BYTES + " bytes");
                }
                answer.write(in.array(), 0, n);
            }
            return parse(socket, answer.toByteArray());
        } catch (IOException e) {
            if (watchdog.fired()) {
                throw new IOException("the terway daemon at " + socket + " did not answer within "
                        + timeoutMillis + " ms", e);
            }
            throw e;
        } finally {
            watchdog.cancel();
            channel.close();
        }
    }

    /** Splits `<status>\n<body>`; anything else means the peer is not speaking the daemon protocol. */
    static CniReply parse(Path socket, byte[] answer) throws IOException {
        int newline = -1;
        for (int i = 0; i < answer.length && i < 12; i++) {
            if (answer[i] == '\n') {
                newline = i;
                break;
            }
        }
        if (newline <= 0) {
            throw new IOException("malformed answer from the terway daemon at " + socket
                    + (answer.length == 0 ? ": it closed the connection without answering" : ": no status line"));
        }
        int status = 0;
        int start = 0;
        boolean negative = answer[0] == '-';
        if (negative) {
            start = 1;
        }
        if (start == newline || newline - start > 9) { // more digits could overflow an int
            throw new IOException("malformed status line from the terway daemon at " + socket);
        }
        for (int i = start; i < newline; i++) {
            byte b = answer[i];
            if (b < '0' || b > '9') {
                throw new IOException("malformed status line from the terway daemon at " + socket);
            }
            status = status * 10 + (b - '0');
        }
        String body = new String(answer, newline + 1, answer.length - newline - 1, StandardCharsets.UTF_8);
        return new CniReply(negative ? -status : status, body);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null || m.isEmpty() ? e.getClass().getSimpleName() : m;
    }

    /** Closes the channel when the deadline passes; closing wakes a blocked read with an exception. */
    private static final class Watchdog extends Thread {
        private final SocketChannel channel;
        private final long millis;
        private volatile boolean fired;
        private volatile boolean cancelled;

        Watchdog(SocketChannel channel, long millis) {
            super("cni-terway-deadline");
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

package dev.terway.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Sends one request to the daemon socket and reads the response, as the CLI clients do: the exchange of
 * {@link DaemonProtocol}, with the CLI's hint when no daemon answers.
 */
public final class DaemonClient {

    private static final String HINT = " (is `terway dhcp daemon` running?)";

    private final Path socket;
    private final long timeoutMillis;

    /** A client that waits {@link DaemonProtocol#EXCHANGE_TIMEOUT_MILLIS} for each answer. */
    public DaemonClient(Path socket) {
        this(socket, Duration.ofMillis(DaemonProtocol.EXCHANGE_TIMEOUT_MILLIS));
    }

    public DaemonClient(Path socket, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a daemon client needs a positive timeout, got " + timeout);
        }
        this.socket = socket;
        this.timeoutMillis = timeout.toMillis();
    }

    public Path socket() {
        return socket;
    }

    /** Sends {@code request} (one JSON object) and returns the daemon's status and body. */
    public Response call(String request) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw new DaemonUnreachableException("cannot reach the terway daemon: " + socket + " does not exist"
                    + HINT, null);
        }
        try {
            return DaemonProtocol.exchange(socket, request, timeoutMillis);
        } catch (DaemonUnreachableException e) {
            throw new DaemonUnreachableException(e.getMessage() + HINT, e);
        }
    }
}

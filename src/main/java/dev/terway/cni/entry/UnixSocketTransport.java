package dev.terway.cni.entry;

import dev.terway.cni.spec.CniReply;
import dev.terway.daemon.DaemonProtocol;
import dev.terway.daemon.Response;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The daemon exchange through java.nio: {@link DaemonProtocol}'s framing and limits (docs/protocol.md), the
 * answer turned into what `cni-terway` exits with and prints.
 */
public final class UnixSocketTransport implements DaemonTransport {

    private final long timeoutMillis;

    public UnixSocketTransport(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public CniReply exchange(Path socket, String requestJson) throws IOException {
        return reply(DaemonProtocol.exchange(socket, requestJson, timeoutMillis));
    }

    /** Parses an answer read by either transport ({@link DaemonProtocol#parse}). */
    static CniReply parse(Path socket, byte[] answer) throws IOException {
        return reply(DaemonProtocol.parse(socket, answer));
    }

    private static CniReply reply(Response response) {
        return new CniReply(response.status(), response.body());
    }
}

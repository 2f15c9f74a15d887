package dev.terway.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One answer of the daemon: a status and a body, framed by {@link DaemonProtocol} (docs/protocol.md says
 * what the status means for each op). The plugin's thin client reads its answers into it, so loading it
 * must load nothing but java.base: Jackson is reached only through {@link #error}, which the server calls.
 */
public record Response(int status, String body) {

    public Response {
        Objects.requireNonNull(body, "body");
        if (status < -DaemonProtocol.MAX_STATUS || status > DaemonProtocol.MAX_STATUS) {
            throw new IllegalArgumentException("status " + status + " does not fit the status line");
        }
    }

    public static Response ok(String body) {
        return new Response(0, body);
    }

    /** Status 1 with {@code {"error": message}}, JSON-escaped. */
    public static Response error(String message) {
        return new Response(1, ErrorBody.of(message));
    }

    /** The answer as it goes on the wire ({@link DaemonProtocol#encode}), as text. */
    public String encode() {
        return new String(DaemonProtocol.encode(this), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Holds the mapper, so that only {@link #error} loads Jackson. */
    private static final class ErrorBody {
        private static final ObjectMapper JSON = new ObjectMapper();

        static String of(String message) {
            ObjectNode node = JSON.createObjectNode();
            node.put("error", message);
            return node.toString();
        }
    }
}

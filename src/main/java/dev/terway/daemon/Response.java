package dev.terway.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * What the server writes back: {@code <status>\n<body>}. For the DHCP ops status 0 is success and 1 a
 * failure with body {@code {"error":"..."}}; for the cni op the status is cni-terway's exit code.
 */
public record Response(int status, String body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public Response {
        Objects.requireNonNull(body, "body");
    }

    public static Response ok(String body) {
        return new Response(0, body);
    }

    /** Status 1 with {@code {"error": message}}, JSON-escaped. */
    public static Response error(String message) {
        ObjectNode node = JSON.createObjectNode();
        node.put("error", message);
        return new Response(1, node.toString());
    }

    /** The bytes on the wire, without the trailing close. */
    public String encode() {
        return status + "\n" + body;
    }
}

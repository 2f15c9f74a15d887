package dev.terway.cli.dhcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.daemon.DaemonClient;
import dev.terway.daemon.DaemonProtocol;
import dev.terway.daemon.Response;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** One call of a CLI client: send, and turn a failure status into an exception carrying the daemon's error. */
final class DaemonCall {

    static final ObjectMapper JSON = new ObjectMapper();

    private DaemonCall() {
    }

    /** The response body as JSON, or an exception with the daemon's error text prefixed by {@code action}. */
    static JsonNode call(Path socket, JsonNode request, String action) throws IOException {
        return call(socket, request, action, Duration.ofMillis(DaemonProtocol.EXCHANGE_TIMEOUT_MILLIS));
    }

    /** {@link #call(Path, JsonNode, String)}, waiting {@code timeout} for the answer. */
    static JsonNode call(Path socket, JsonNode request, String action, Duration timeout) throws IOException {
        Response response = new DaemonClient(socket, timeout).call(request.toString());
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IOException(action + ": the daemon answered status " + response.status()
                    + " with a body that is not JSON: " + response.body());
        }
        if (response.status() != 0) {
            String error = body != null && body.hasNonNull("error") ? body.get("error").asText() : response.body();
            throw new IOException(action + " failed: " + error);
        }
        return body;
    }

    static String pretty(JsonNode node) throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    }
}

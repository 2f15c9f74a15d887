package dev.terway.daemon;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Serves one op of the daemon socket. The server has parsed the request into a JSON object and checked
 * the peer; the handler builds the whole response. Handlers run in parallel and must be thread-safe.
 * A handler should answer failures with a {@link Response}; an exception it throws becomes status 1
 * with the exception's message.
 */
@FunctionalInterface
public interface RequestHandler {

    Response handle(JsonNode request);
}

package dev.terway.daemon;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The ops the daemon serves, keyed by op name. Assembled by the command that starts the daemon, so the
 * server knows nothing about DHCP or CNI.
 */
public final class RequestHandlers {

    private final Map<String, RequestHandler> byOp;

    private RequestHandlers(Map<String, RequestHandler> byOp) {
        this.byOp = Map.copyOf(byOp);
    }

    public Optional<RequestHandler> handler(String op) {
        return Optional.ofNullable(byOp.get(op));
    }

    /** The op names, sorted, for error messages. */
    public String ops() {
        return String.join(", ", new TreeMap<>(byOp).keySet());
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final Map<String, RequestHandler> byOp = new TreeMap<>();

        public Builder register(String op, RequestHandler handler) {
            Objects.requireNonNull(handler, "handler");
            if (op == null || op.isBlank()) {
                throw new IllegalArgumentException("an op needs a name");
            }
            if (byOp.putIfAbsent(op, handler) != null) {
                throw new IllegalArgumentException("op '" + op + "' is registered twice");
            }
            return this;
        }

        public RequestHandlers build() {
            return new RequestHandlers(byOp);
        }
    }
}

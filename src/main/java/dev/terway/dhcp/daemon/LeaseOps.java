package dev.terway.dhcp.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The socket ops over a {@link LeaseService}: acquire, release, list, ping. */
public final class LeaseOps {

    /** The longest timeout a request may ask for; beyond it a client is better off retrying. */
    static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);

    private final LeaseService leases;
    private final Duration defaultTimeout;

    public LeaseOps(LeaseService leases, Duration defaultTimeout) {
        this.leases = leases;
        this.defaultTimeout = defaultTimeout;
    }

    /** Adds the four ops to a registry. */
    public RequestHandlers.Builder registerOn(RequestHandlers.Builder handlers) {
        return handlers.register("acquire", this::acquire)
                .register("release", this::release)
                .register("list", request -> Response.ok(LeaseJson.toJson(leases.list()).toString()))
                .register("ping", request -> Response.ok("{\"ok\":true}"));
    }

    Response acquire(JsonNode request) {
        AcquireRequest acquire;
        try {
            acquire = parseAcquire(request, defaultTimeout);
        } catch (IllegalArgumentException e) {
            return Response.error("bad acquire request: " + e.getMessage());
        }
        try {
            return Response.ok(LeaseJson.toJson(leases.acquire(acquire)).toString());
        } catch (LeaseException e) {
            return Response.error(e.getMessage());
        }
    }

    Response release(JsonNode request) {
        String containerId;
        String ifname;
        try {
            containerId = requiredText(request, "containerId");
            ifname = requiredText(request, "ifname");
        } catch (IllegalArgumentException e) {
            return Response.error("bad release request: " + e.getMessage());
        }
        ObjectNode body = LeaseJson.MAPPER.createObjectNode();
        Optional<HeldLease> released = leases.releaseLease(containerId, ifname);
        body.put("released", released.isPresent());
        // The contract's answer is {"released":…}; the lease that went is added for the CLI to show.
        released.ifPresent(lease -> body.set("lease", LeaseJson.toJson(lease)));
        return Response.ok(body.toString());
    }

    /** Reads an acquire request; {@link IllegalArgumentException} names the field that is wrong. */
    public static AcquireRequest parseAcquire(JsonNode request, Duration defaultTimeout) {
        String containerId = requiredText(request, "containerId");
        String netns = requiredText(request, "netns");
        if (!netns.startsWith("/")) {
            throw new IllegalArgumentException("field 'netns' must be an absolute path, got '" + netns + "'");
        }
        String ifname = requiredText(request, "ifname");
        Duration timeout = defaultTimeout;
        JsonNode timeoutMs = request.get("timeoutMs");
        if (timeoutMs != null && !timeoutMs.isNull()) {
            if (!timeoutMs.isIntegralNumber() || timeoutMs.asLong() <= 0) {
                throw new IllegalArgumentException("field 'timeoutMs' must be a positive integer");
            }
            timeout = Duration.ofMillis(timeoutMs.asLong());
            if (timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException("field 'timeoutMs' is above the limit of "
                        + MAX_TIMEOUT.toMillis() + " ms");
            }
        }
        return new AcquireRequest(containerId, Path.of(netns), ifname,
                optionalText(request, "podNamespace"), optionalText(request, "podName"),
                optionalText(request, "requestedAddress").map(a -> Ipv4Text.parse(a, "requestedAddress")),
                optionalText(request, "clientId"), optionalText(request, "hostname"), timeout);
    }

    private static String requiredText(JsonNode request, String field) {
        return optionalText(request, field)
                .filter(s -> !s.isEmpty())
                .orElseThrow(() -> new IllegalArgumentException("field '" + field + "' is missing"));
    }

    private static Optional<String> optionalText(JsonNode request, String field) {
        JsonNode value = request.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return value.asText().isEmpty() ? Optional.empty() : Optional.of(value.asText());
    }
}

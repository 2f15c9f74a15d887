package dev.terway.dhcp.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.InterfaceName;
import dev.terway.net.Ipv4;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/** The socket ops over a {@link LeaseService}: acquire, release, list, stats, ping (docs/protocol.md). */
public final class LeaseOps {

    /** The longest timeout a request may ask for; beyond it a client is better off retrying. */
    static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);
    /** Runtimes use 64 hex digits; the limit only keeps hostile ids out of file names and logs. */
    static final int MAX_CONTAINER_ID = 1024;

    private final LeaseService leases;
    private final Duration defaultTimeout;
    private final Function<String, Optional<String>> netnsGuard;
    /** The DHCPv6 leases (each a JSON object with "family":"ipv6") and counters, listed after the IPv4 ones. */
    private final Supplier<List<ObjectNode>> leases6;
    private final Supplier<Map<String, Long>> counters6;

    public LeaseOps(LeaseService leases, Duration defaultTimeout) {
        this(leases, defaultTimeout, netns -> Optional.empty());
    }

    /**
     * @param netnsGuard why an acquire's netns must not be used (it is the node's own: the lease's address
     *                   would go onto the node's interface, and be taken off it when the lease is lost), or
     *                   empty
     */
    public LeaseOps(LeaseService leases, Duration defaultTimeout, Function<String, Optional<String>> netnsGuard) {
        this(leases, defaultTimeout, netnsGuard, List::of, Map::of);
    }

    private LeaseOps(LeaseService leases, Duration defaultTimeout, Function<String, Optional<String>> netnsGuard,
                     Supplier<List<ObjectNode>> leases6, Supplier<Map<String, Long>> counters6) {
        this.leases = leases;
        this.defaultTimeout = defaultTimeout;
        this.netnsGuard = netnsGuard;
        this.leases6 = leases6;
        this.counters6 = counters6;
    }

    /**
     * These ops with the DHCPv6 leases in "list" (after the IPv4 ones; every lease says its {@code family}) and
     * the DHCPv6 counters in "stats".
     */
    public LeaseOps withDhcp6(Supplier<List<ObjectNode>> leases, Supplier<Map<String, Long>> counters) {
        return new LeaseOps(this.leases, defaultTimeout, netnsGuard, leases, counters);
    }

    /** Adds the five ops to a registry. */
    public RequestHandlers.Builder registerOn(RequestHandlers.Builder handlers) {
        return handlers.register("acquire", this::acquire)
                .register("release", this::release)
                .register("list", request -> Response.ok(list().toString()))
                .register("stats", request -> Response.ok(stats().toString()))
                .register("ping", request -> Response.ok("{\"ok\":true}"));
    }

    /** {"counters":{"arpProbesSent":…,"addressConflicts":…,…,"dhcp6SolicitSent":…,…}}. */
    ObjectNode stats() {
        ObjectNode body = LeaseJson.MAPPER.createObjectNode();
        ObjectNode counters = body.putObject("counters");
        leases.counters().forEach(counters::put);
        counters6.get().forEach(counters::put);
        return body;
    }

    /** Every lease: the IPv4 ones ("family":"ipv4"), then the DHCPv6 ones. */
    ArrayNode list() {
        ArrayNode all = LeaseJson.MAPPER.createArrayNode();
        for (HeldLease lease : leases.list()) {
            ObjectNode node = LeaseJson.MAPPER.createObjectNode();
            node.put("family", "ipv4");
            node.setAll(LeaseJson.toJson(lease));
            all.add(node);
        }
        leases6.get().forEach(all::add);
        return all;
    }

    Response acquire(JsonNode request) {
        AcquireRequest acquire;
        try {
            acquire = parseAcquire(request, defaultTimeout);
        } catch (IllegalArgumentException e) {
            return Response.error("bad acquire request: " + e.getMessage());
        }
        Optional<String> refused = netnsGuard.apply(acquire.netns().toString());
        if (refused.isPresent()) {
            return Response.error("bad acquire request: netns " + acquire.netns() + ": " + refused.get());
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
            containerId = containerId(request);
            ifname = ifname(request);
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
        String containerId = containerId(request);
        String netns = requiredText(request, "netns");
        if (hasControlCharacter(netns)) {
            throw new IllegalArgumentException("field 'netns' must not contain control characters");
        }
        if (!netns.startsWith("/")) {
            throw new IllegalArgumentException("field 'netns' must be an absolute path, got '" + netns + "'");
        }
        String ifname = ifname(request);
        Duration timeout = defaultTimeout;
        JsonNode timeoutMs = request.get("timeoutMs");
        if (timeoutMs != null && !timeoutMs.isNull()) {
            // canConvertToLong: asLong() would silently wrap a huge number into an accepted one
            if (!timeoutMs.isIntegralNumber() || !timeoutMs.canConvertToLong() || timeoutMs.asLong() <= 0) {
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
                optionalText(request, "requestedAddress").map(a -> Ipv4.parse(a, "requestedAddress")),
                optionalText(request, "clientId"), optionalText(request, "hostname"), timeout,
                optionalText(request, "onAddressChange").map(LeaseOps::policy).orElse(AddressChangePolicy.FOLLOW));
    }

    private static AddressChangePolicy policy(String text) {
        return AddressChangePolicy.parse(text).orElseThrow(() -> new IllegalArgumentException(
                "field 'onAddressChange' must be \"follow\" or \"remove\""));
    }

    /**
     * The container id names the lease file (encoded) and appears in every log line: control characters
     * would forge log lines, and no runtime makes ids of kilobytes.
     */
    private static String containerId(JsonNode request) {
        String id = requiredText(request, "containerId");
        if (id.length() > MAX_CONTAINER_ID || hasControlCharacter(id)) {
            throw new IllegalArgumentException("field 'containerId' must be at most " + MAX_CONTAINER_ID
                    + " characters without control characters");
        }
        return id;
    }

    /** The kernel's rules for interface names ({@link InterfaceName}): it goes to SO_BINDTODEVICE and to `ip`. */
    private static String ifname(JsonNode request) {
        String ifname = requiredText(request, "ifname");
        String problem = InterfaceName.problem(ifname);
        if (problem != null) {
            throw new IllegalArgumentException("field 'ifname' is not a valid Linux interface name: it " + problem);
        }
        return ifname;
    }

    private static boolean hasControlCharacter(String s) {
        return s.chars().anyMatch(Character::isISOControl);
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

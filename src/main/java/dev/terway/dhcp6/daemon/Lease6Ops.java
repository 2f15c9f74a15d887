package dev.terway.dhcp6.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.dhcp.daemon.AcquireRequest;
import dev.terway.dhcp.daemon.LeaseJson;
import dev.terway.dhcp.daemon.LeaseOps;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * The DHCPv6 socket ops (docs/protocol.md): "acquire6" and "release6", with the fields and checks of "acquire"
 * and "release" ({@link LeaseOps#parseAcquire}), for operators and the lab; the CNI verbs go through
 * {@code cni.ipam.DaemonDhcp6Gateway} in-process.
 */
public final class Lease6Ops {

    private final Dhcp6LeaseService leases;
    private final Duration defaultTimeout;
    private final Function<String, Optional<String>> netnsGuard;

    public Lease6Ops(Dhcp6LeaseService leases, Duration defaultTimeout,
                     Function<String, Optional<String>> netnsGuard) {
        this.leases = leases;
        this.defaultTimeout = defaultTimeout;
        this.netnsGuard = netnsGuard;
    }

    public RequestHandlers.Builder registerOn(RequestHandlers.Builder handlers) {
        return handlers.register("acquire6", this::acquire).register("release6", this::release);
    }

    Response acquire(JsonNode request) {
        AcquireRequest acquire;
        try {
            acquire = LeaseOps.parseAcquire(request, defaultTimeout);
        } catch (IllegalArgumentException e) {
            return Response.error("bad acquire6 request: " + e.getMessage());
        }
        Optional<String> refused = netnsGuard.apply(acquire.netns().toString());
        if (refused.isPresent()) {
            return Response.error("bad acquire6 request: netns " + acquire.netns() + ": " + refused.get());
        }
        try {
            return Response.ok(Lease6Json.toJson(leases.acquire(acquire.identity(), acquire.timeout())).toString());
        } catch (Dhcp6LeaseException e) {
            return Response.error(e.getMessage());
        }
    }

    Response release(JsonNode request) {
        JsonNode containerId = request.get("containerId");
        JsonNode ifname = request.get("ifname");
        if (containerId == null || !containerId.isTextual() || ifname == null || !ifname.isTextual()) {
            return Response.error("bad release6 request: it needs \"containerId\" and \"ifname\" strings");
        }
        ObjectNode body = LeaseJson.MAPPER.createObjectNode();
        Optional<HeldLease6> released = leases.releaseLease(containerId.asText(), ifname.asText());
        body.put("released", released.isPresent());
        released.ifPresent(lease -> body.set("lease", Lease6Json.toJson(lease)));
        return Response.ok(body.toString());
    }
}

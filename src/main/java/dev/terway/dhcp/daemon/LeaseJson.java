package dev.terway.dhcp.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The JSON form of a {@link HeldLease}: what the socket API answers, what the CLI prints and what the
 * lease store keeps. Absent optional facts are JSON null, so every document has the same fields.
 */
public final class LeaseJson {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private LeaseJson() {
    }

    public static ObjectNode toJson(HeldLease lease) {
        ObjectNode node = MAPPER.createObjectNode();
        PodIdentity id = lease.identity();
        node.put("containerId", id.containerId());
        node.put("ifname", id.ifname());
        node.put("netns", id.netns().toString());
        node.put("podNamespace", id.podNamespace().orElse(null));
        node.put("podName", id.podName().orElse(null));
        node.put("mac", lease.hardwareAddress());
        node.put("clientId", lease.clientId());
        node.put("hostname", lease.hostname().orElse(null));
        node.put("address", lease.cidr());
        node.put("gateway", lease.gateway().map(Ipv4::toString).orElse(null));
        node.put("server", lease.server().toString());
        ArrayNode dns = node.putArray("dns");
        lease.dns().forEach(a -> dns.add(a.toString()));
        node.put("domain", lease.domain().orElse(null));
        ArrayNode search = node.putArray("search");
        lease.search().forEach(search::add);
        ArrayNode routes = node.putArray("routes");
        for (ClasslessRoute route : lease.routes()) {
            ObjectNode r = routes.addObject();
            r.put("dst", route.destinationCidr());
            r.put("gw", route.router().toString());
        }
        if (lease.mtu().isPresent()) {
            node.put("mtu", lease.mtu().getAsInt());
        } else {
            node.putNull("mtu");
        }
        node.put("leaseSeconds", lease.leaseTime().toSeconds());
        node.put("boundAt", lease.boundAt().toString());
        node.put("renewAt", lease.renewAt().toString());
        node.put("rebindAt", lease.rebindAt().toString());
        node.put("expires", lease.expires().toString());
        return node;
    }

    /** Reads a lease document; {@link IllegalArgumentException} names the first field that is wrong. */
    public static HeldLease fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("a lease must be a JSON object");
        }
        PodIdentity identity = new PodIdentity(text(node, "containerId"), text(node, "ifname"),
                Path.of(text(node, "netns")), optionalText(node, "podNamespace"), optionalText(node, "podName"));
        Ipv4Cidr cidr = Ipv4Cidr.parse(text(node, "address"), "address");
        List<Ipv4> dns = new ArrayList<>();
        for (JsonNode a : array(node, "dns")) {
            dns.add(Ipv4.parse(textValue(a, "dns"), "dns server"));
        }
        List<String> search = new ArrayList<>();
        for (JsonNode s : array(node, "search")) {
            search.add(textValue(s, "search"));
        }
        List<ClasslessRoute> routes = new ArrayList<>();
        for (JsonNode r : array(node, "routes")) {
            Ipv4Cidr dst = Ipv4Cidr.parse(text(r, "dst"), "route destination");
            routes.add(new ClasslessRoute(dst.address(), dst.prefixLength(), Ipv4.parse(text(r, "gw"), "route gateway")));
        }
        JsonNode mtu = node.get("mtu");
        OptionalInt mtuValue;
        if (mtu == null || mtu.isNull()) {
            mtuValue = OptionalInt.empty();
        } else if (mtu.isInt()) {
            mtuValue = OptionalInt.of(mtu.asInt());
        } else {
            throw new IllegalArgumentException("field 'mtu' must be an integer or null");
        }
        return new HeldLease(identity, text(node, "mac"), text(node, "clientId"), optionalText(node, "hostname"),
                cidr.address(), cidr.prefixLength(),
                optionalText(node, "gateway").map(g -> Ipv4.parse(g, "gateway")),
                Ipv4.parse(text(node, "server"), "server"), dns, optionalText(node, "domain"), search, routes,
                mtuValue, instant(node, "boundAt"), Duration.ofSeconds(integer(node, "leaseSeconds")),
                instant(node, "renewAt"), instant(node, "rebindAt"), instant(node, "expires"));
    }

    /** The stored form of a pod's network configuration: {"bridge", "serviceCidrs": [...], "mtu"?}. */
    public static ObjectNode networkToJson(PodNetworkConfig network) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("bridge", network.bridge());
        ArrayNode cidrs = node.putArray("serviceCidrs");
        network.serviceCidrs().forEach(cidrs::add);
        network.mtu().ifPresent(m -> node.put("mtu", m));
        return node;
    }

    /** The pod's network configuration from its stored form; empty when absent or not readable. */
    public static Optional<PodNetworkConfig> networkFromJson(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("bridge").isTextual()) {
            return Optional.empty();
        }
        List<String> cidrs = new ArrayList<>();
        for (JsonNode c : node.path("serviceCidrs")) {
            if (c.isTextual()) {
                cidrs.add(c.asText());
            }
        }
        JsonNode mtu = node.get("mtu");
        return Optional.of(new PodNetworkConfig(node.path("bridge").asText(), cidrs,
                mtu != null && mtu.canConvertToInt() ? OptionalInt.of(mtu.asInt()) : OptionalInt.empty()));
    }

    public static ArrayNode toJson(List<HeldLease> leases) {
        ArrayNode array = MAPPER.createArrayNode();
        leases.forEach(l -> array.add(toJson(l)));
        return array;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        return textValue(value, field);
    }

    private static String textValue(JsonNode value, String field) {
        if (!value.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return value.asText();
    }

    private static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        return Optional.of(textValue(value, field));
    }

    private static Iterable<JsonNode> array(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException("field '" + field + "' must be an array");
        }
        return value;
    }

    private static long integer(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToLong() || !value.isIntegralNumber()) {
            throw new IllegalArgumentException("field '" + field + "' must be an integer");
        }
        return value.asLong();
    }

    private static Instant instant(JsonNode node, String field) {
        String value = text(node, field);
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("field '" + field + "' is not an ISO-8601 instant: '" + value + "'");
        }
    }
}

package dev.terway.dhcp.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.Lease;
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
 * The JSON form of a {@link HeldLease}: what the socket API answers and the CLI prints ({@link #toJson}), and
 * what the lease store keeps ({@link #toStoredJson}: the same with the pod's stored configuration). Absent
 * optional facts are JSON null, so every document has the same fields.
 */
public final class LeaseJson {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** Option 3 as the server sent it (absent from documents written before it was stored). */
    static final String ROUTERS = "routers";
    /** Option 28 (absent from documents written before it was stored). */
    static final String BROADCAST = "broadcast";
    /** The pod's {@link AddressChangePolicy}, in stored documents. */
    static final String ON_ADDRESS_CHANGE = "onAddressChange";
    /** The pod's {@link PodNetworkConfig}, in stored documents. */
    static final String POD_NETWORK = "podNetwork";

    private LeaseJson() {
    }

    public static ObjectNode toJson(HeldLease held) {
        ObjectNode node = MAPPER.createObjectNode();
        PodIdentity id = held.identity();
        Lease lease = held.lease();
        node.put("containerId", id.containerId());
        node.put("ifname", id.ifname());
        node.put("netns", id.netns().toString());
        node.put("podNamespace", id.podNamespace().orElse(null));
        node.put("podName", id.podName().orElse(null));
        node.put("mac", held.hardwareAddress());
        node.put("clientId", held.clientId());
        node.put("hostname", held.hostname().orElse(null));
        node.put("address", lease.cidr());
        node.put("gateway", lease.defaultGateway().map(Ipv4::toString).orElse(null));
        ArrayNode routers = node.putArray(ROUTERS);
        lease.routers().forEach(r -> routers.add(r.toString()));
        node.put("server", lease.serverId().toString());
        ArrayNode dns = node.putArray("dns");
        lease.dnsServers().forEach(a -> dns.add(a.toString()));
        node.put("domain", lease.domainName().orElse(null));
        ArrayNode search = node.putArray("search");
        lease.searchDomains().forEach(search::add);
        ArrayNode routes = node.putArray("routes");
        for (ClasslessRoute route : lease.classlessRoutes()) {
            ObjectNode r = routes.addObject();
            r.put("dst", route.destinationCidr());
            r.put("gw", route.router().toString());
        }
        if (lease.mtu().isPresent()) {
            node.put("mtu", lease.mtu().get().intValue());
        } else {
            node.putNull("mtu");
        }
        node.put(BROADCAST, lease.broadcastAddress().map(Ipv4::toString).orElse(null));
        node.put("leaseSeconds", lease.leaseTime().toSeconds());
        node.put("boundAt", lease.acquiredAt().toString());
        node.put("renewAt", lease.renewAt().toString());
        node.put("rebindAt", lease.rebindAt().toString());
        node.put("expires", lease.expiresAt().toString());
        return node;
    }

    /**
     * The stored form of a held lease: its {@link #toJson JSON form} and what the pod's network configuration
     * asked for ({@value #ON_ADDRESS_CHANGE}, {@value #POD_NETWORK} when there is one).
     */
    public static ObjectNode toStoredJson(HeldLease held) {
        ObjectNode document = toJson(held);
        document.put(ON_ADDRESS_CHANGE, held.onAddressChange().configName());
        held.network().ifPresent(n -> document.set(POD_NETWORK, networkToJson(n)));
        return document;
    }

    /**
     * Reads a lease document (stored or answered); {@link IllegalArgumentException} names the first field that
     * is wrong. Documents written before {@value #ROUTERS} was stored have option 3 as the gateway it implied;
     * before {@value #BROADCAST}, none; without {@value #ON_ADDRESS_CHANGE} (or with a value this version does
     * not know), {@code follow}; without {@value #POD_NETWORK}, no network configuration.
     */
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
        Optional<Ipv4> gateway = optionalText(node, "gateway").map(g -> Ipv4.parse(g, "gateway"));
        List<Ipv4> routers = new ArrayList<>();
        JsonNode routersNode = node.get(ROUTERS);
        if (routersNode == null || routersNode.isNull()) {
            // Written before option 3 was stored whole: the gateway it implied, unless option 121 overrode it.
            if (routes.isEmpty()) {
                gateway.ifPresent(routers::add);
            }
        } else {
            for (JsonNode r : array(node, ROUTERS)) {
                routers.add(Ipv4.parse(textValue(r, ROUTERS), "router"));
            }
        }
        JsonNode mtu = node.get("mtu");
        Optional<Integer> mtuValue;
        if (mtu == null || mtu.isNull()) {
            mtuValue = Optional.empty();
        } else if (mtu.isInt()) {
            mtuValue = Optional.of(mtu.asInt());
        } else {
            throw new IllegalArgumentException("field 'mtu' must be an integer or null");
        }
        Optional<Ipv4> broadcast = optionalText(node, BROADCAST).map(b -> Ipv4.parse(b, "broadcast address"));
        Instant boundAt = instant(node, "boundAt");
        Duration leaseTime = Duration.ofSeconds(integer(node, "leaseSeconds"));
        Duration renewal = Duration.between(boundAt, instant(node, "renewAt"));
        Duration rebinding = Duration.between(boundAt, instant(node, "rebindAt"));
        instant(node, "expires");
        Lease lease = new Lease(cidr.address(), cidr.prefixLength(), routers,
                Ipv4.parse(text(node, "server"), "server"), dns, optionalText(node, "domain"), search, routes,
                mtuValue, broadcast, leaseTime, renewal, rebinding, boundAt);
        AddressChangePolicy onAddressChange = AddressChangePolicy.parse(node.path(ON_ADDRESS_CHANGE).asText(""))
                .orElse(AddressChangePolicy.FOLLOW);
        return new HeldLease(identity, text(node, "mac"), text(node, "clientId"), optionalText(node, "hostname"),
                onAddressChange, networkFromJson(node.get(POD_NETWORK)), lease);
    }

    /** The stored form of a pod's network configuration: {"bridge", "serviceCidrs": [...], "mtu"?, "ipv6"?}. */
    public static ObjectNode networkToJson(PodNetworkConfig network) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("bridge", network.bridge());
        ArrayNode cidrs = node.putArray("serviceCidrs");
        network.serviceCidrs().forEach(cidrs::add);
        network.mtu().ifPresent(m -> node.put("mtu", m));
        network.ipv6().ifPresent(v6 -> node.put("ipv6", v6));
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
        JsonNode ipv6 = node.get("ipv6");
        return Optional.of(new PodNetworkConfig(node.path("bridge").asText(), cidrs,
                mtu != null && mtu.canConvertToInt() ? OptionalInt.of(mtu.asInt()) : OptionalInt.empty(),
                ipv6 != null && ipv6.isTextual() ? Optional.of(ipv6.asText()) : Optional.empty()));
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

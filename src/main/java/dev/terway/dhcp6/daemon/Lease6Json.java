package dev.terway.dhcp6.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.dhcp.daemon.LeaseJson;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.net.Ipv6;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The JSON form of a {@link HeldLease6}: what `terway dhcp list` shows (with {@code "family":"ipv6"}) and what
 * the lease store keeps. Lifetimes are seconds as granted; instants are ISO-8601.
 */
public final class Lease6Json {

    public static final String FAMILY = "ipv6";
    /** In a stored document: the REQUEST of an ADD's acquisition went out, its REPLY is not stored yet. */
    public static final String FIRST_REQUEST = "firstRequestPending";

    /** A stored document: the lease, and whether it is only the record of a first REQUEST. */
    public record Stored(HeldLease6 lease, boolean firstRequest) {
    }

    public static Stored fromStoredJson(JsonNode node) {
        return new Stored(fromJson(node), node.path(FIRST_REQUEST).asBoolean(false));
    }

    private Lease6Json() {
    }

    public static ObjectNode toJson(HeldLease6 held) {
        ObjectNode node = LeaseJson.MAPPER.createObjectNode();
        PodIdentity id = held.identity();
        IaNaLease lease = held.lease();
        node.put("family", FAMILY);
        node.put("containerId", id.containerId());
        node.put("ifname", id.ifname());
        node.put("netns", id.netns().toString());
        node.put("podNamespace", id.podNamespace().orElse(null));
        node.put("podName", id.podName().orElse(null));
        node.put("duid", held.duid().toString());
        node.put("iaid", lease.iaid());
        node.put("address", lease.address().toString());
        node.put("server", lease.server().toString());
        node.put("serverUnicast", lease.serverUnicast().map(Ipv6::toString).orElse(null));
        ArrayNode dns = node.putArray("dns");
        lease.dnsServers().forEach(a -> dns.add(a.toString()));
        ArrayNode search = node.putArray("search");
        lease.domainSearch().forEach(search::add);
        node.put("preferredLifetime", lease.preferred().getSeconds());
        node.put("validLifetime", lease.valid().getSeconds());
        node.put("t1", lease.renewal().getSeconds());
        node.put("t2", lease.rebinding().getSeconds());
        node.put("boundAt", lease.acquiredAt().toString());
        node.put("renewAt", lease.renewAt().toString());
        node.put("rebindAt", lease.rebindAt().toString());
        node.put("expires", lease.expiresAt().toString());
        return node;
    }

    public static ArrayNode toJson(List<HeldLease6> leases) {
        ArrayNode array = LeaseJson.MAPPER.createArrayNode();
        leases.forEach(l -> array.add(toJson(l)));
        return array;
    }

    /** Reads a stored document; {@link IllegalArgumentException} names the field that is wrong. */
    public static HeldLease6 fromJson(JsonNode node) {
        if (!FAMILY.equals(node.path("family").asText())) {
            throw new IllegalArgumentException("it is not a DHCPv6 lease (family '" + node.path("family").asText()
                    + "')");
        }
        PodIdentity identity = new PodIdentity(text(node, "containerId"), text(node, "ifname"),
                Path.of(text(node, "netns")), optional(node, "podNamespace"), optional(node, "podName"));
        List<Ipv6> dns = new ArrayList<>();
        for (JsonNode a : node.path("dns")) {
            dns.add(Ipv6.parse(a.asText(), "dns entry"));
        }
        List<String> search = new ArrayList<>();
        node.path("search").forEach(s -> search.add(s.asText()));
        IaNaLease lease = new IaNaLease(Ipv6.parse(text(node, "address"), "address"), integer(node, "iaid"),
                Duid.fromHex(text(node, "server")), optional(node, "serverUnicast").map(a -> Ipv6.parse(a,
                "serverUnicast")), Duration.ofSeconds(integer(node, "preferredLifetime")),
                Duration.ofSeconds(integer(node, "validLifetime")), Duration.ofSeconds(integer(node, "t1")),
                Duration.ofSeconds(integer(node, "t2")), dns, search, instant(node, "boundAt"));
        return new HeldLease6(identity, Duid.fromHex(text(node, "duid")), lease);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
        }
        return value.asText();
    }

    private static Optional<String> optional(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    private static long integer(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0) {
            throw new IllegalArgumentException("field '" + field + "' is missing or not a whole number >= 0");
        }
        return value.asLong();
    }

    private static Instant instant(JsonNode node, String field) {
        try {
            return Instant.parse(text(node, field));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("field '" + field + "' is not an ISO-8601 instant");
        }
    }
}

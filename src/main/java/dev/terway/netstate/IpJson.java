package dev.terway.netstate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Turns the JSON of `ip -j` into records. Fields `ip` leaves out mean the kernel default. */
public final class IpJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private IpJson() {
    }

    public static List<Link> links(String json) {
        List<Link> links = new ArrayList<>();
        for (JsonNode l : array(json, "ip link")) {
            JsonNode info = l.path("linkinfo");
            links.add(new Link(l.path("ifindex").asInt(), required(l, "ifname"), strings(l.path("flags")),
                    l.path("mtu").asInt(), l.path("address").asText(""), text(l, "master"),
                    text(info, "info_kind"), text(info, "info_slave_kind"), l.path("operstate").asText("")));
        }
        return links;
    }

    public static List<IpAddress> addresses(String json) {
        List<IpAddress> addresses = new ArrayList<>();
        for (JsonNode l : array(json, "ip addr")) {
            String dev = required(l, "ifname");
            for (JsonNode a : l.path("addr_info")) {
                if (!a.has("local")) {
                    continue; // `ip addr` reports an empty object for an address being deleted
                }
                Set<String> flags = new LinkedHashSet<>();
                IpAddress.CONFIGURATION_FLAGS.stream().filter(f -> a.path(f).asBoolean(false)).forEach(flags::add);
                addresses.add(new IpAddress(dev, Family.fromJson(required(a, "family")), required(a, "local"),
                        a.path("prefixlen").asInt(), a.path("scope").asText("global"),
                        a.path("secondary").asBoolean(false), text(a, "broadcast"), text(a, "label"),
                        a.path("valid_life_time").asLong(IpAddress.FOREVER),
                        a.path("preferred_life_time").asLong(IpAddress.FOREVER), flags, integer(a, "metric")));
            }
        }
        return addresses;
    }

    /**
     * The state flags the kernel reports on each address ({@code tentative} while duplicate detection runs,
     * {@code dadfailed}, {@code deprecated}, {@code optimistic}), by "dev address/prefix". Kept apart from
     * {@link IpAddress}, whose flags are what `ip addr add` can set: these only say where the address is in its
     * life.
     */
    public static Map<String, Set<String>> addressStates(String json) {
        Map<String, Set<String>> states = new LinkedHashMap<>();
        for (JsonNode l : array(json, "ip addr")) {
            String dev = required(l, "ifname");
            for (JsonNode a : l.path("addr_info")) {
                if (!a.has("local")) {
                    continue;
                }
                Set<String> flags = new LinkedHashSet<>();
                for (String f : ADDRESS_STATES) {
                    if (a.path(f).asBoolean(false)) {
                        flags.add(f);
                    }
                }
                states.put(dev + " " + required(a, "local") + "/" + a.path("prefixlen").asInt(), flags);
            }
        }
        return states;
    }

    private static final List<String> ADDRESS_STATES = List.of("tentative", "dadfailed", "deprecated", "optimistic");

    /**
     * The outputs of an `ip -j -batch -` run, one JSON array per batch line in order (`ip` prints each on its
     * own, without separator).
     */
    public static List<String> batchOutputs(String text) {
        List<String> out = new ArrayList<>();
        // One parser over the whole text: a MappingIterator would unwrap a top-level array into its elements.
        try (var parser = JSON.getFactory().createParser(text)) {
            for (JsonNode value = JSON.readTree(parser); value != null; value = JSON.readTree(parser)) {
                out.add(JSON.writeValueAsString(value));
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("unreadable JSON from ip -batch: " + e.getMessage(), e);
        }
        return out;
    }

    public static List<Route> routes(String json, Family family) {
        List<Route> routes = new ArrayList<>();
        for (JsonNode r : array(json, "ip route")) {
            routes.add(new Route(family, required(r, "dst"), text(r, "gateway"), text(r, "dev"),
                    text(r, "protocol"), text(r, "scope"), text(r, "prefsrc"), integer(r, "metric"),
                    strings(r.path("flags")), text(r, "type"), text(r, "pref"), integer(r, "expires"),
                    metrics(r.path("metrics"))));
        }
        return routes;
    }

    private static JsonNode array(String json, String what) {
        JsonNode root;
        try {
            root = JSON.readTree(json.isBlank() ? "[]" : json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable JSON from " + what + ": " + e.getOriginalMessage(), e);
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException("expected a JSON array from " + what);
        }
        return root;
    }

    private static String required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("`ip -j` output lacks \"" + field + "\": " + node);
        }
        return v.asText();
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
    }

    private static Optional<Integer> integer(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asInt());
    }

    /** `ip -j` prints route metrics as an array of one object: {@code "metrics":[{"hoplimit":64,"ecn":null}]}. */
    private static Map<String, String> metrics(JsonNode array) {
        Map<String, String> metrics = new LinkedHashMap<>();
        for (JsonNode object : array) {
            object.fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().isNull() ? ""
                    : e.getValue().asText()));
        }
        return metrics;
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> out = new LinkedHashSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

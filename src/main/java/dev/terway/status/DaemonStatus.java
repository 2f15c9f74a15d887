package dev.terway.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The daemon's answer to {@code status} (docs/protocol.md): what it is, since when, and what it knows now.
 * Times to renewal and expiry are computed by the daemon at {@code now}, on its clock.
 */
public record DaemonStatus(String version, Instant startedAt, Instant now, List<Attachment> attachments,
                           List<Lease> leases, List<Server> servers, List<Problem> problems) {

    static final ObjectMapper MAPPER = new ObjectMapper();

    public DaemonStatus {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(now, "now");
        attachments = List.copyOf(attachments);
        leases = List.copyOf(leases);
        servers = List.copyOf(servers);
        problems = List.copyOf(problems);
    }

    /** A pod attachment from the daemon's records: the host veth ADD put on {@code bridge}. */
    public record Attachment(String containerId, String ifname, String hostVeth, String bridge,
                             Optional<String> address) {
    }

    /**
     * A pod interface's lease.
     *
     * @param family           {@code ipv4} (a DHCPv4 lease) or {@code ipv6} (a DHCPv6 lease): a pod interface may
     *                         hold one of each, judged alike
     * @param state            the client's state ({@code bound}, {@code renewing}, {@code rebinding},
     *                         {@code selecting}, …)
     * @param address          the held address (CIDR); empty while the pod holds none
     * @param renewInSeconds   seconds to T1 (negative once past it); empty without a held lease
     * @param expiresInSeconds seconds to expiry (0 or less once expired); empty without a held lease
     * @param lost             the lease was lost (expiry, NAK) and none has been bound since
     */
    public record Lease(String containerId, String ifname, Optional<String> podNamespace, Optional<String> podName,
                        String family, String state, Optional<String> address, Optional<String> server,
                        Optional<Instant> renewAt,
                        Optional<Long> renewInSeconds, Optional<Instant> expires, Optional<Long> expiresInSeconds,
                        boolean lost, Optional<String> lostAddress, Optional<String> lastFailure) {

        public static final String IPV4 = "ipv4";
        public static final String IPV6 = "ipv6";

        public Lease {
            if (!IPV4.equals(family) && !IPV6.equals(family)) {
                throw new IllegalArgumentException("a lease's family is ipv4 or ipv6, not " + family);
            }
        }

        /** "lease of default/web-1 eth0", "DHCPv6 lease of default/web-1 eth0": the two of one interface apart. */
        public String describe() {
            return (IPV6.equals(family) ? "DHCPv6 lease of " : "lease of ") + who();
        }

        /** {@code namespace/name} when known, else the container id's first 12 characters; then the interface. */
        public String who() {
            String pod = podNamespace.isPresent() && podName.isPresent() ? podNamespace.get() + "/" + podName.get()
                    : "container " + (containerId.length() > 12 ? containerId.substring(0, 12) : containerId);
            return pod + " " + ifname;
        }
    }

    /** A DHCP server heard from: its last ACK or NAK, and how many it sent. */
    public record Server(String address, Instant lastReply, long replies) {
    }

    /** A warning or error the daemon logged lately. */
    public record Problem(Instant time, String level, String event, Optional<String> containerId, String message) {
    }

    public long uptimeSeconds() {
        return Math.max(0, now.getEpochSecond() - startedAt.getEpochSecond());
    }

    public ObjectNode toJson() {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("version", version);
        node.put("startedAt", startedAt.toString());
        node.put("now", now.toString());
        node.put("uptimeSeconds", uptimeSeconds());
        ArrayNode as = node.putArray("attachments");
        for (Attachment a : attachments) {
            ObjectNode o = as.addObject();
            o.put("containerId", a.containerId());
            o.put("ifname", a.ifname());
            o.put("hostVeth", a.hostVeth());
            o.put("bridge", a.bridge());
            o.put("address", a.address().orElse(null));
        }
        ArrayNode ls = node.putArray("leases");
        for (Lease l : leases) {
            ObjectNode o = ls.addObject();
            o.put("containerId", l.containerId());
            o.put("ifname", l.ifname());
            o.put("podNamespace", l.podNamespace().orElse(null));
            o.put("podName", l.podName().orElse(null));
            o.put("family", l.family());
            o.put("state", l.state());
            o.put("address", l.address().orElse(null));
            o.put("server", l.server().orElse(null));
            o.put("renewAt", l.renewAt().map(Instant::toString).orElse(null));
            o.put("renewInSeconds", l.renewInSeconds().orElse(null));
            o.put("expires", l.expires().map(Instant::toString).orElse(null));
            o.put("expiresInSeconds", l.expiresInSeconds().orElse(null));
            o.put("lost", l.lost());
            o.put("lostAddress", l.lostAddress().orElse(null));
            o.put("lastFailure", l.lastFailure().orElse(null));
        }
        ArrayNode ss = node.putArray("servers");
        for (Server s : servers) {
            ObjectNode o = ss.addObject();
            o.put("address", s.address());
            o.put("lastReply", s.lastReply().toString());
            o.put("replies", s.replies());
        }
        ArrayNode ps = node.putArray("problems");
        for (Problem p : problems) {
            ObjectNode o = ps.addObject();
            o.put("time", p.time().toString());
            o.put("level", p.level());
            o.put("event", p.event());
            o.put("containerId", p.containerId().orElse(null));
            o.put("msg", p.message());
        }
        return node;
    }

    /**
     * A lease's family; a daemon from before the field (the same release's status command talks to it only during
     * a rolling upgrade) is read by the address, an IPv6 one having colons.
     */
    private static String family(JsonNode lease) {
        Optional<String> family = optionalText(lease, "family");
        if (family.isPresent()) {
            return family.get();
        }
        boolean colons = optionalText(lease, "address").or(() -> optionalText(lease, "lostAddress"))
                .map(a -> a.contains(":")).orElse(false);
        return colons ? Lease.IPV6 : Lease.IPV4;
    }

    /** Reads an answer's body; {@link IllegalArgumentException} says what is wrong. */
    public static DaemonStatus parse(String body) {
        try {
            return fromJson(MAPPER.readTree(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
    }

    /** Reads an answer; {@link IllegalArgumentException} names the first field that is wrong. */
    public static DaemonStatus fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("the status answer must be a JSON object");
        }
        return new DaemonStatus(text(node, "version"), instant(node, "startedAt"), instant(node, "now"),
                list(node, "attachments", a -> new Attachment(text(a, "containerId"), text(a, "ifname"),
                        text(a, "hostVeth"), text(a, "bridge"), optionalText(a, "address"))),
                list(node, "leases", l -> new Lease(text(l, "containerId"), text(l, "ifname"),
                        optionalText(l, "podNamespace"), optionalText(l, "podName"), family(l), text(l, "state"),
                        optionalText(l, "address"), optionalText(l, "server"),
                        optionalText(l, "renewAt").map(t -> parseInstant(t, "renewAt")),
                        optionalLong(l, "renewInSeconds"),
                        optionalText(l, "expires").map(t -> parseInstant(t, "expires")),
                        optionalLong(l, "expiresInSeconds"), l.path("lost").asBoolean(false),
                        optionalText(l, "lostAddress"), optionalText(l, "lastFailure"))),
                list(node, "servers", s -> new Server(text(s, "address"), instant(s, "lastReply"),
                        optionalLong(s, "replies").orElse(0L))),
                list(node, "problems", p -> new Problem(instant(p, "time"), text(p, "level"), text(p, "event"),
                        optionalText(p, "containerId"), text(p, "msg"))));
    }

    private static <T> List<T> list(JsonNode node, String field, Function<JsonNode, T> read) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException("field '" + field + "' must be an array");
        }
        List<T> out = new ArrayList<>();
        for (JsonNode element : value) {
            if (!element.isObject()) {
                throw new IllegalArgumentException("field '" + field + "' must hold objects");
            }
            out.add(read.apply(element));
        }
        return out;
    }

    private static String text(JsonNode node, String field) {
        return optionalText(node, field).orElseThrow(() -> new IllegalArgumentException("field '" + field
                + "' is missing"));
    }

    private static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return Optional.of(value.asText());
    }

    private static Optional<Long> optionalLong(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException("field '" + field + "' must be an integer");
        }
        return Optional.of(value.asLong());
    }

    private static Instant instant(JsonNode node, String field) {
        return parseInstant(text(node, field), field);
    }

    private static Instant parseInstant(String text, String field) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("field '" + field + "' is not an ISO-8601 instant: '" + text + "'");
        }
    }
}

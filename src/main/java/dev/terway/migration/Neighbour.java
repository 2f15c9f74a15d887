package dev.terway.migration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.netstate.Family;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** An entry of the neighbour (ARP / NDP) cache, from {@code ip -j neigh show}. */
public record Neighbour(Family family, String address, String dev, String lladdr, Set<String> states) {

    /** States the network taught the kernel (as opposed to INCOMPLETE, FAILED or configured entries). */
    private static final Set<String> LEARNT = Set.of("REACHABLE", "STALE", "DELAY", "PROBE");

    private static final ObjectMapper JSON = new ObjectMapper();

    public Neighbour {
        states = Set.copyOf(states);
    }

    /** Whether the kernel learnt the link-layer address from the network. */
    public boolean isLearnt() {
        return !lladdr.isEmpty() && states.stream().anyMatch(LEARNT::contains);
    }

    /** Parses {@code ip -j neigh show} (all devices, so every entry names its device). */
    public static List<Neighbour> parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json.isBlank() ? "[]" : json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable JSON from ip neigh: " + e.getOriginalMessage(), e);
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException("expected a JSON array from ip neigh");
        }
        List<Neighbour> out = new ArrayList<>();
        for (JsonNode n : root) {
            String dst = n.path("dst").asText("");
            String dev = n.path("dev").asText("");
            if (dst.isEmpty() || dev.isEmpty()) {
                continue; // proxy or malformed entries are of no use for copying
            }
            List<String> states = new ArrayList<>();
            n.path("state").forEach(s -> states.add(s.asText()));
            out.add(new Neighbour(dst.contains(":") ? Family.INET6 : Family.INET, dst, dev,
                    n.path("lladdr").asText(""), Set.copyOf(states)));
        }
        return out;
    }
}

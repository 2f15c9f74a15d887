package dev.terway.migration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;

/**
 * The bridge settings setup cares about, from {@code ip -j -d link show}: with STP on, a new port spends
 * 2 x forward_delay listening and learning before it forwards, which would cut the node off the LAN.
 *
 * @param forwardDelay in centiseconds, as the kernel reports it
 */
public record BridgeOptions(int stpState, int forwardDelay) {

    /** What setup wants: STP off and no forwarding delay, so the NIC forwards the moment it is enslaved. */
    public static final BridgeOptions WANTED = new BridgeOptions(0, 0);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The options of bridge {@code name} in the output of {@code ip -j -d link show}; empty if not a bridge. */
    public static Optional<BridgeOptions> parse(String linkJson, String name) {
        JsonNode root;
        try {
            root = JSON.readTree(linkJson.isBlank() ? "[]" : linkJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable JSON from ip link: " + e.getOriginalMessage(), e);
        }
        for (JsonNode link : root) {
            JsonNode info = link.path("linkinfo");
            if (name.equals(link.path("ifname").asText()) && "bridge".equals(info.path("info_kind").asText())) {
                JsonNode data = info.path("info_data");
                return Optional.of(new BridgeOptions(data.path("stp_state").asInt(0),
                        data.path("forward_delay").asInt(0)));
            }
        }
        return Optional.empty();
    }
}

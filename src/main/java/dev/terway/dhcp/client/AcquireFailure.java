package dev.terway.dhcp.client;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Why an acquisition ended without a lease, with everything an operator needs to tell "no server on
 * this LAN" from "the server refuses this client".
 *
 * @param reason what made the client give up, e.g. "acquire timeout of 10s passed"
 * @param replies each distinct answer from a server, in the order first seen
 * @param ignored replies that matched this client but could not be used, and why
 * @param sendErrors transmissions the transport refused
 * @param declined acknowledged addresses the ARP probe found in use and the client declined, in order
 */
public record AcquireFailure(String interfaceName, String reason, Duration elapsed, int discoversSent,
                             int requestsSent, List<ServerReply> replies, List<String> ignored,
                             List<String> sendErrors, List<AddressConflict> declined) {

    public AcquireFailure {
        replies = List.copyOf(replies);
        ignored = List.copyOf(ignored);
        sendErrors = List.copyOf(sendErrors);
        declined = List.copyOf(declined);
    }

    public AcquireFailure(String interfaceName, String reason, Duration elapsed, int discoversSent,
                          int requestsSent, List<ServerReply> replies, List<String> ignored,
                          List<String> sendErrors) {
        this(interfaceName, reason, elapsed, discoversSent, requestsSent, replies, ignored, sendErrors, List.of());
    }

    /** One line for the CNI error and the log. */
    public String message() {
        StringBuilder text = new StringBuilder("no DHCP lease on ").append(interfaceName).append(" after ")
                .append(seconds(elapsed)).append(" (").append(reason).append(")");
        if (!declined.isEmpty()) {
            text.append(": declined ").append(String.join(", ", declinedDescriptions()))
                    .append(" with DHCPDECLINE;");
        } else {
            text.append(":");
        }
        text.append(" sent ")
                .append(plural(discoversSent, "DISCOVER")).append(" and ").append(plural(requestsSent, "REQUEST"));
        if (replies.isEmpty()) {
            text.append("; no server replied");
        } else {
            text.append("; replies: ")
                    .append(replies.stream().map(ServerReply::describe).collect(Collectors.joining(", ")));
        }
        if (!ignored.isEmpty()) {
            text.append("; ignored: ").append(String.join(", ", ignored));
        }
        if (!sendErrors.isEmpty()) {
            text.append("; send errors: ").append(String.join(", ", sendErrors));
        }
        return text.toString();
    }

    /**
     * Each declined address once, in the order first declined, with how many times when more than once
     * (a server may offer it again): "192.0.2.100 (in use: 02:…:99 answered for it with an ARP reply) (x2)".
     */
    public List<String> declinedDescriptions() {
        java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        declined.forEach(c -> counts.merge(c.describe(), 1, Integer::sum));
        return counts.entrySet().stream()
                .map(e -> e.getKey() + (e.getValue() > 1 ? " (x" + e.getValue() + ")" : ""))
                .toList();
    }

    private static String plural(int count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    /** "10s", or "0.450s" when not whole seconds. */
    public static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : String.format("%.3fs", millis / 1000.0);
    }
}

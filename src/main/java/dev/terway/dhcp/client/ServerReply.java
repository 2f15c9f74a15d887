package dev.terway.dhcp.client;

import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.util.Optional;

/**
 * What one server answered during an acquisition, counted.
 *
 * @param address the offered or acknowledged address (yiaddr), absent for NAKs
 * @param serverMessage option 56 text, usually explaining a NAK
 */
public record ServerReply(Ipv4 server, MessageType type, Optional<Ipv4> address, Optional<String> serverMessage,
                          int count) {

    public String describe() {
        StringBuilder text = new StringBuilder(type.name());
        address.ifPresent(a -> text.append(" of ").append(a));
        text.append(" from ").append(server);
        serverMessage.ifPresent(m -> text.append(" \"").append(m).append('"'));
        if (count > 1) {
            text.append(" (x").append(count).append(')');
        }
        return text.toString();
    }
}

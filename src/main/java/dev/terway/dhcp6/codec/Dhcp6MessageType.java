package dev.terway.dhcp6.codec;

import java.util.Optional;

/**
 * The msg-type field (RFC 8415 §7.3) of the messages a client sends or receives. The relay messages (12, 13)
 * have another layout and never reach a client on its link, so they are not here: a datagram carrying one is
 * refused like any unknown type.
 */
public enum Dhcp6MessageType {
    SOLICIT(1), ADVERTISE(2), REQUEST(3), CONFIRM(4), RENEW(5), REBIND(6), REPLY(7), RELEASE(8), DECLINE(9),
    RECONFIGURE(10), INFORMATION_REQUEST(11);

    private final int code;

    Dhcp6MessageType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<Dhcp6MessageType> of(int code) {
        for (Dhcp6MessageType type : values()) {
            if (type.code == code) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}

package dev.terway.dhcp.codec;

import java.util.Optional;

/** Option 53 values (RFC 2132 section 9.6, RFC 3203 FORCERENEW). */
public enum MessageType {
    DISCOVER(1), OFFER(2), REQUEST(3), DECLINE(4), ACK(5), NAK(6), RELEASE(7), INFORM(8), FORCERENEW(9);

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<MessageType> fromCode(int code) {
        for (MessageType type : values()) {
            if (type.code == code) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}

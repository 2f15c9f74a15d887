package dev.terway.dhcp.codec;

/**
 * A received packet is not a well-formed DHCP message. Checked on purpose: every packet comes from the
 * network, so every caller of the decoder has to decide what to do with garbage.
 */
public class DhcpParseException extends Exception {

    public DhcpParseException(String message) {
        super(message);
    }
}

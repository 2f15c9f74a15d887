package dev.terway.dhcp.codec;

/**
 * Converts the value of one option between bytes and a Java value. {@link #decode} gets a reader over
 * exactly the option's (concatenated) value and must reject anything malformed; {@link #encode} throws
 * {@link IllegalArgumentException} for values the option cannot carry.
 */
public interface OptionCodec<T> {

    T decode(WireReader value) throws DhcpParseException;

    void encode(T value, WireWriter out);
}

package dev.terway.dhcp6.codec;

import dev.terway.dhcp.codec.DhcpParseException;
import dev.terway.dhcp.codec.WireReader;
import dev.terway.dhcp.codec.WireWriter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A DHCPv6 client/server message (RFC 8415 §8): msg-type, a 24-bit transaction id and the options in order.
 *
 * @param transactionId 0..0xffffff
 */
public record Dhcp6Message(Dhcp6MessageType type, int transactionId, List<Dhcp6Option> options) {

    /** msg-type and transaction-id. */
    public static final int HEADER_LENGTH = 4;

    public Dhcp6Message {
        Objects.requireNonNull(type, "type");
        if (transactionId < 0 || transactionId > 0xffffff) {
            throw new IllegalArgumentException("transaction id out of range 0..0xffffff: " + transactionId);
        }
        options = List.copyOf(options);
    }

    public static Dhcp6Message decode(byte[] data) throws DhcpParseException {
        return decode(data, 0, data.length);
    }

    /** Decodes {@code length} bytes at {@code offset}; refuses relay and unknown message types. */
    public static Dhcp6Message decode(byte[] data, int offset, int length) throws DhcpParseException {
        WireReader in = new WireReader(data, offset, length);
        if (length < HEADER_LENGTH) {
            throw new DhcpParseException("DHCPv6 message of " + length + " bytes is shorter than its "
                    + HEADER_LENGTH + "-byte header");
        }
        int code = in.u8("msg-type");
        Dhcp6MessageType type = Dhcp6MessageType.of(code).orElseThrow(() -> new DhcpParseException(
                "msg-type " + code + " is not a client/server message (1..11)"));
        int transactionId = in.u8("transaction-id") << 16 | in.u16("transaction-id");
        List<Dhcp6Option> options = Dhcp6Options.decodeAll(new WireReader(data, offset + HEADER_LENGTH,
                length - HEADER_LENGTH), Dhcp6Options.Area.MESSAGE, HEADER_LENGTH);
        return new Dhcp6Message(type, transactionId, options);
    }

    public byte[] encode() {
        WireWriter out = new WireWriter();
        out.u8(type.code()).u8(transactionId >>> 16).u16(transactionId & 0xffff);
        Dhcp6Options.encodeAll(options, out);
        return out.toByteArray();
    }

    /** The first option of that type. */
    public <T extends Dhcp6Option> Optional<T> find(Class<T> kind) {
        return options.stream().filter(kind::isInstance).map(kind::cast).findFirst();
    }

    /** Every option of that type, in order. */
    public <T extends Dhcp6Option> List<T> all(Class<T> kind) {
        return options.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    public Optional<Duid> clientId() {
        return find(Dhcp6Option.ClientId.class).map(Dhcp6Option.ClientId::duid);
    }

    public Optional<Duid> serverId() {
        return find(Dhcp6Option.ServerId.class).map(Dhcp6Option.ServerId::duid);
    }

    /** The message's own status (not an IA's); Success when absent. */
    public StatusCode status() {
        return find(StatusCode.class).orElse(StatusCode.of(StatusCode.SUCCESS));
    }

    /** The IA_NA with this IAID. */
    public Optional<Dhcp6Option.IaNa> iaNa(long iaid) {
        return all(Dhcp6Option.IaNa.class).stream().filter(ia -> ia.iaid() == iaid).findFirst();
    }

    /** The server's preference, 0 when it sent none (§18.2.9). */
    public int preference() {
        return find(Dhcp6Option.Preference.class).map(Dhcp6Option.Preference::value).orElse(0);
    }

    public boolean rapidCommit() {
        return find(Dhcp6Option.RapidCommit.class).isPresent();
    }
}

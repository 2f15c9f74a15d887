package dev.terway.dhcp6.codec;

import dev.terway.dhcp.codec.DhcpParseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A DHCP Unique Identifier (RFC 8415 §11): a 2-byte type and up to 128 bytes of identifier. Clients and
 * servers compare DUIDs as opaque bytes; the known types are checked for their fixed parts only so that a
 * short or garbled one is refused with a reason rather than carried along.
 *
 * <p>A pod's own DUID is a DUID-UUID (RFC 6355) made from its container id and interface name
 * ({@link #forAttachment}): the same attachment keeps the same DUID across daemon restarts and a re-ADD,
 * while a DUID-LL of the pod's MAC would change with every new veth.
 */
public final class Duid {

    public static final int LLT = 1;
    public static final int EN = 2;
    public static final int LL = 3;
    public static final int UUID = 4;
    /** Type code plus the 128 octets RFC 8415 §11.1 allows. */
    public static final int MAX_LENGTH = 130;

    private final byte[] bytes;

    private Duid(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Checks the bytes of a CLIENTID or SERVERID option. */
    public static Duid parse(byte[] bytes) throws DhcpParseException {
        if (bytes.length < 3 || bytes.length > MAX_LENGTH) {
            throw new DhcpParseException("DUID of " + bytes.length + " bytes (a type and 1.." + (MAX_LENGTH - 2)
                    + " bytes of identifier)");
        }
        int type = (bytes[0] & 0xff) << 8 | bytes[1] & 0xff;
        int minimum = switch (type) {
            case LLT -> 2 + 2 + 4 + 1;
            case EN -> 2 + 4 + 1;
            case LL -> 2 + 2 + 1;
            case UUID -> 2 + 16;
            default -> 3;
        };
        if (bytes.length < minimum || type == UUID && bytes.length != minimum) {
            throw new DhcpParseException("DUID type " + type + " (" + typeName(type) + ") of " + bytes.length
                    + " bytes; it needs " + (type == UUID ? "exactly " : "at least ") + minimum);
        }
        return new Duid(bytes.clone());
    }

    /** A DUID-UUID (RFC 6355) whose UUID is name-based (RFC 4122 version 5, SHA-1) on the attachment. */
    public static Duid forAttachment(String containerId, String ifname) {
        byte[] uuid = Arrays.copyOf(sha1("terway dhcp6 duid\0" + containerId + "\0" + ifname), 16);
        uuid[6] = (byte) (uuid[6] & 0x0f | 0x50);
        uuid[8] = (byte) (uuid[8] & 0x3f | 0x80);
        byte[] bytes = new byte[18];
        bytes[1] = UUID;
        System.arraycopy(uuid, 0, bytes, 2, 16);
        return new Duid(bytes);
    }

    /** A DUID-LL of an Ethernet address. */
    public static Duid linkLayer(byte[] mac) {
        byte[] bytes = new byte[4 + mac.length];
        bytes[1] = LL;
        bytes[3] = 1; // hardware type 1, Ethernet
        System.arraycopy(mac, 0, bytes, 4, mac.length);
        return new Duid(bytes);
    }

    /** Reads the hex text of {@link #toString()}; {@link IllegalArgumentException} when it is not a DUID. */
    public static Duid fromHex(String hex) {
        try {
            return parse(HexFormat.of().parseHex(hex));
        } catch (DhcpParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + hex + "' is not a DUID in hex: " + e.getMessage());
        }
    }

    static byte[] sha1(String text) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every Java platform", e);
        }
    }

    public int type() {
        return (bytes[0] & 0xff) << 8 | bytes[1] & 0xff;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    static String typeName(int type) {
        return switch (type) {
            case LLT -> "DUID-LLT";
            case EN -> "DUID-EN";
            case LL -> "DUID-LL";
            case UUID -> "DUID-UUID";
            default -> "unknown";
        };
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Duid d && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The bytes in lower-case hex, type first: how logs, `terway dhcp list` and the lease store show it. */
    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}

package dev.terway.dhcp.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Option 61: a type octet and an identifier the server keys its lease on. Type 0 means "not a
 * hardware address" (free-form, here text), type 1 an Ethernet address (RFC 2132 section 9.14).
 */
public final class ClientIdentifier {

    private final int type;
    private final byte[] id;

    public ClientIdentifier(int type, byte[] id) {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("client identifier type out of range 0..255: " + type);
        }
        if (id.length == 0) {
            throw new IllegalArgumentException("client identifier must not be empty");
        }
        this.type = type;
        this.id = id.clone();
    }

    /** A free-form identifier (type 0) from text, e.g. "kube-system/coredns-1". */
    public static ClientIdentifier ofText(String text) {
        return new ClientIdentifier(0, text.getBytes(StandardCharsets.UTF_8));
    }

    /** An identifier made of a hardware type and address, as most clients send by default. */
    public static ClientIdentifier ofHardware(int htype, HardwareAddress address) {
        return new ClientIdentifier(htype, address.toBytes());
    }

    public int type() {
        return type;
    }

    public byte[] id() {
        return id.clone();
    }

    /** The option value: type octet then identifier. */
    public byte[] toBytes() {
        byte[] out = new byte[id.length + 1];
        out[0] = (byte) type;
        System.arraycopy(id, 0, out, 1, id.length);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientIdentifier other && type == other.type && Arrays.equals(id, other.id);
    }

    @Override
    public int hashCode() {
        return 31 * type + Arrays.hashCode(id);
    }

    @Override
    public String toString() {
        return type + ":" + HexFormat.of().formatHex(id);
    }
}

package dev.terway.dhcp.codec;

import java.util.Arrays;
import java.util.HexFormat;

/** The client hardware address of a BOOTP message (chaddr): 0 to 16 bytes, usually a 6-byte MAC. */
public final class HardwareAddress {

    public static final int MAX_LENGTH = 16;

    private final byte[] bytes;

    private HardwareAddress(byte[] bytes) {
        if (bytes.length > MAX_LENGTH) {
            throw new IllegalArgumentException("hardware address longer than " + MAX_LENGTH + " bytes: "
                    + bytes.length);
        }
        this.bytes = bytes;
    }

    public static HardwareAddress of(byte[] bytes) {
        return new HardwareAddress(bytes.clone());
    }

    /** Parses colon-separated hex ("02:42:ac:11:00:02"). */
    public static HardwareAddress parse(String text) {
        if (text.isEmpty()) {
            return new HardwareAddress(new byte[0]);
        }
        String[] parts = text.split(":", -1);
        byte[] out = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].length() != 2) {
                throw new IllegalArgumentException("not a hardware address (octets are two hex digits): \""
                        + text + "\"");
            }
            try {
                out[i] = (byte) HexFormat.fromHexDigits(parts[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a hardware address (bad hex \"" + parts[i] + "\"): \""
                        + text + "\"", e);
            }
        }
        return new HardwareAddress(out);
    }

    public int length() {
        return bytes.length;
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HardwareAddress other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }
}

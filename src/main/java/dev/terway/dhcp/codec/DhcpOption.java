package dev.terway.dhcp.codec;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One option of a message as its code and complete value bytes: after RFC 3396 concatenation on the
 * way in, before splitting into 255-byte instances on the way out. Options with a registered
 * {@link OptionKey} are read through {@link DhcpMessage#get(OptionKey)}; unknown ones stay raw.
 */
public final class DhcpOption {

    private final int code;
    private final byte[] value;

    public DhcpOption(int code, byte[] value) {
        if (code <= DhcpOptions.PAD || code >= DhcpOptions.END) {
            throw new IllegalArgumentException("option code must be 1..254 (0 and 255 are framing): " + code);
        }
        this.code = code;
        this.value = value.clone();
    }

    public int code() {
        return code;
    }

    public byte[] value() {
        return value.clone();
    }

    public int length() {
        return value.length;
    }

    byte[] valueNoCopy() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DhcpOption other && code == other.code && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return 31 * code + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return DhcpOptions.name(code) + "=" + HexFormat.of().formatHex(value);
    }
}

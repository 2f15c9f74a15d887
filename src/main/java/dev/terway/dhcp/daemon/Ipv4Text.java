package dev.terway.dhcp.daemon;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Dotted-quad IPv4 text, parsed strictly and without any name lookup. */
public final class Ipv4Text {

    private Ipv4Text() {
    }

    /** Parses {@code a.b.c.d}; throws {@link IllegalArgumentException} naming {@code what} otherwise. */
    public static Inet4Address parse(String text, String what) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException(what + " '" + text + "' is not an IPv4 address (a.b.c.d)");
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException(what + " '" + text + "' is not an IPv4 address (a.b.c.d)");
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                throw new IllegalArgumentException(what + " '" + text + "' has an octet above 255");
            }
            bytes[i] = (byte) value;
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }

    /** An address and prefix length from {@code a.b.c.d/n}. */
    public record Cidr(Inet4Address address, int prefixLength) {
        @Override
        public String toString() {
            return address.getHostAddress() + "/" + prefixLength;
        }
    }

    public static Cidr parseCidr(String text, String what) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(what + " '" + text + "' has no prefix length (a.b.c.d/n)");
        }
        Inet4Address address;
        try {
            address = parse(text.substring(0, slash), what);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("'" + text.substring(0, slash) + "'",
                    "'" + text + "'"), e);
        }
        String prefix = text.substring(slash + 1);
        if (prefix.isEmpty() || prefix.length() > 2 || !prefix.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(prefix) > 32) {
            throw new IllegalArgumentException(what + " '" + text + "' has a prefix length outside 0..32");
        }
        return new Cidr(address, Integer.parseInt(prefix));
    }
}

package dev.terway.net;

import java.util.Objects;

/** An IPv6 address with a prefix length 0..128, as `ip` and CNI results write it ("2001:db8::5/64"). */
public record Ipv6Cidr(Ipv6 address, int prefixLength) {

    public Ipv6Cidr {
        Objects.requireNonNull(address, "address");
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("IPv6 prefix length out of range 0..128: " + prefixLength);
        }
    }

    /** Parses "address/length"; throws "{what} '{text}' is not an IPv6 CIDR (address/0..128)". */
    public static Ipv6Cidr parse(String text, String what) {
        Ipv6Cidr cidr = parseOrNull(text);
        if (cidr == null) {
            throw new IllegalArgumentException(what + " '" + text + "' is not an IPv6 CIDR (address/0..128)");
        }
        return cidr;
    }

    public static Ipv6Cidr parse(String text) {
        return parse(text, "CIDR");
    }

    /** The CIDR, or null when {@code text} is not "address/0..128" (length in decimal, no leading zero). */
    public static Ipv6Cidr parseOrNull(String text) {
        if (text == null) {
            return null;
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 3 || (length.length() > 1 && length.charAt(0) == '0')) {
            return null;
        }
        int prefix = 0;
        for (int i = 0; i < length.length(); i++) {
            char c = length.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            prefix = prefix * 10 + (c - '0');
        }
        Ipv6 address = Ipv6.parseOrNull(text.substring(0, slash));
        return address == null || prefix > 128 ? null : new Ipv6Cidr(address, prefix);
    }

    /** The network address: the host bits cleared. */
    public Ipv6 network() {
        return new Ipv6(address.high() & mask(prefixLength), address.low() & mask(prefixLength - 64));
    }

    public Ipv6Cidr networkCidr() {
        return new Ipv6Cidr(network(), prefixLength);
    }

    public boolean contains(Ipv6 a) {
        return new Ipv6Cidr(a, prefixLength).network().equals(network());
    }

    public boolean isDefault() {
        return prefixLength == 0;
    }

    /** The top {@code bits} of a 64-bit half set (0 when bits <= 0, all when bits >= 64). */
    private static long mask(int bits) {
        return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }
}

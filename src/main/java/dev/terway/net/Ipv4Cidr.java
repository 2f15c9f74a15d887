package dev.terway.net;

import java.util.Objects;

/**
 * An IPv4 address with a prefix length, as `ip addr`, CNI results and stored leases write it: {@code
 * 10.1.2.3/24}. The address keeps its host bits; {@link #networkCidr()} clears them.
 */
public record Ipv4Cidr(Ipv4 address, int prefixLength) {

    public Ipv4Cidr {
        Objects.requireNonNull(address, "address");
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not in 0..32");
        }
    }

    /**
     * Parses {@code a.b.c.d/n} strictly (see {@link Ipv4}; the prefix length is decimal 0..32 without a
     * leading zero). Throws {@link IllegalArgumentException} "{what} '{text}' {why}".
     */
    public static Ipv4Cidr parse(String text, String what) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(what + " '" + text + "' has no prefix length (a.b.c.d/n)");
        }
        String addressText = text.substring(0, slash);
        Ipv4 address;
        try {
            address = Ipv4.parse(addressText, what);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    e.getMessage().replace("'" + addressText + "'", "'" + text + "'"), e);
        }
        String len = text.substring(slash + 1);
        if (len.isEmpty() || len.length() > 2 || !len.chars().allMatch(c -> c >= '0' && c <= '9')
                || (len.length() > 1 && len.charAt(0) == '0') || Integer.parseInt(len) > 32) {
            throw new IllegalArgumentException(what + " '" + text + "' has a prefix length outside 0..32");
        }
        return new Ipv4Cidr(address, Integer.parseInt(len));
    }

    /** Like {@link #parse(String, String)} with "address" as what. */
    public static Ipv4Cidr parse(String text) {
        return parse(text, "address");
    }

    /** Parses {@code a.b.c.d/n}; null when the text is not exactly that. */
    public static Ipv4Cidr parseOrNull(String text) {
        try {
            return parse(text, "address");
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The network address: {@code 10.1.2.0} for {@code 10.1.2.3/24}. */
    public Ipv4 network() {
        return address.network(prefixLength);
    }

    /** The network in CIDR form with host bits cleared, as routes name it. */
    public Ipv4Cidr networkCidr() {
        return new Ipv4Cidr(network(), prefixLength);
    }

    public boolean contains(Ipv4 a) {
        return a.network(prefixLength).equals(network());
    }

    public boolean isDefault() {
        return prefixLength == 0;
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }
}

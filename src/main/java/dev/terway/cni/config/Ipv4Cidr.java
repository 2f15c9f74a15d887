package dev.terway.cni.config;

import java.net.Inet4Address;
import java.util.Objects;

/** An IPv4 address with a prefix length, as `ip addr` and CNI results write it: {@code 10.1.2.3/24}. */
public record Ipv4Cidr(Inet4Address address, int prefixLength) {

    public Ipv4Cidr {
        Objects.requireNonNull(address, "address");
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not in 0..32");
        }
    }

    /** Parses {@code a.b.c.d/n}; null when the text is not exactly that. */
    public static Ipv4Cidr parseOrNull(String text) {
        int slash = text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/')) {
            return null;
        }
        Inet4Address address = Ipv4.parseOrNull(text.substring(0, slash));
        String len = text.substring(slash + 1);
        if (address == null || len.isEmpty() || len.length() > 2 || (len.length() > 1 && len.charAt(0) == '0')) {
            return null;
        }
        for (int i = 0; i < len.length(); i++) {
            if (len.charAt(i) < '0' || len.charAt(i) > '9') {
                return null;
            }
        }
        int prefix = Integer.parseInt(len);
        return prefix > 32 ? null : new Ipv4Cidr(address, prefix);
    }

    private int mask() {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** The network address: {@code 10.1.2.0} for {@code 10.1.2.3/24}. */
    public Inet4Address network() {
        return Ipv4.fromInt(Ipv4.toInt(address) & mask());
    }

    /** The network in CIDR form with host bits cleared, as routes name it. */
    public Ipv4Cidr networkCidr() {
        return new Ipv4Cidr(network(), prefixLength);
    }

    public boolean contains(Inet4Address a) {
        return (Ipv4.toInt(a) & mask()) == (Ipv4.toInt(address) & mask());
    }

    public boolean isDefault() {
        return prefixLength == 0;
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}

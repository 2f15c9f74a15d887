package dev.terway.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.OptionalInt;

/**
 * An IPv4 address as the 32 bits that travel on the wire. A value type of its own rather than
 * {@link Inet4Address} so that parsing never does a name lookup and equality is plain bit equality.
 */
public record Ipv4(int bits) implements Comparable<Ipv4> {

    public static final Ipv4 ANY = new Ipv4(0);
    public static final Ipv4 BROADCAST = new Ipv4(0xffffffff);

    public static Ipv4 of(int a, int b, int c, int d) {
        for (int octet : new int[] {a, b, c, d}) {
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("IPv4 octet out of range 0..255: " + octet);
            }
        }
        return new Ipv4(a << 24 | b << 16 | c << 8 | d);
    }

    /** Parses strict dotted-quad notation ("192.0.2.1"); never resolves names. */
    public static Ipv4 parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address (need four dotted octets): \"" + text + "\"");
        }
        int bits = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("not an IPv4 address (bad octet \"" + part + "\"): \"" + text + "\"");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address (octet " + octet + " > 255): \"" + text + "\"");
            }
            bits = bits << 8 | octet;
        }
        return new Ipv4(bits);
    }

    public static Ipv4 fromBytes(byte[] bytes, int offset) {
        return new Ipv4((bytes[offset] & 0xff) << 24 | (bytes[offset + 1] & 0xff) << 16
                | (bytes[offset + 2] & 0xff) << 8 | bytes[offset + 3] & 0xff);
    }

    public static Ipv4 fromInetAddress(Inet4Address address) {
        return fromBytes(address.getAddress(), 0);
    }

    /** The mask with {@code prefixLength} leading one bits (0..32). */
    public static Ipv4 netmask(int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("IPv4 prefix length out of range 0..32: " + prefixLength);
        }
        return new Ipv4(prefixLength == 0 ? 0 : -1 << (32 - prefixLength));
    }

    public byte[] toBytes() {
        return new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
    }

    public Inet4Address toInetAddress() {
        try {
            return (Inet4Address) InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always a valid IPv4 address", e);
        }
    }

    public int octet(int index) {
        return bits >>> (24 - 8 * index) & 0xff;
    }

    public boolean isAny() {
        return bits == 0;
    }

    /** This address read as a netmask: its prefix length, or empty when the one bits are not contiguous. */
    public OptionalInt maskPrefixLength() {
        int ones = Integer.bitCount(bits);
        return netmask(ones).bits == bits ? OptionalInt.of(ones) : OptionalInt.empty();
    }

    /** This address with every bit after the first {@code prefixLength} cleared. */
    public Ipv4 network(int prefixLength) {
        return new Ipv4(bits & netmask(prefixLength).bits);
    }

    @Override
    public int compareTo(Ipv4 other) {
        return Integer.compareUnsigned(bits, other.bits);
    }

    @Override
    public String toString() {
        return octet(0) + "." + octet(1) + "." + octet(2) + "." + octet(3);
    }
}

package dev.terway.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.OptionalInt;

/**
 * An IPv4 address as the 32 bits that travel on the wire: the one IPv4 type of the whole code (DHCP
 * codec, leases, network config, pod plans). A value type of its own rather than {@link Inet4Address}
 * so that parsing never does a name lookup and equality is plain bit equality.
 *
 * <p>Text is strict dotted-quad: exactly four decimal octets 0..255 without leading zeros. {@link
 * InetAddress#getByName} also accepts "10.1" or octal-looking "010.0.0.1", which would silently mean
 * another address in a network config.
 */
public record Ipv4(int bits) implements Comparable<Ipv4> {

    public static final Ipv4 ANY = new Ipv4(0);
    public static final Ipv4 BROADCAST = new Ipv4(0xffffffff);

    static final String NOT_DOTTED_QUAD = "is not an IPv4 address (a.b.c.d)";
    static final String OCTET_ABOVE_255 = "has an octet above 255";
    static final String LEADING_ZERO = "has an octet with a leading zero";

    public static Ipv4 of(int a, int b, int c, int d) {
        for (int octet : new int[] {a, b, c, d}) {
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("IPv4 octet out of range 0..255: " + octet);
            }
        }
        return new Ipv4(a << 24 | b << 16 | c << 8 | d);
    }

    /**
     * Parses strict dotted-quad notation ("192.0.2.1"); never resolves names. Throws {@link
     * IllegalArgumentException} "address '...' <why>".
     */
    public static Ipv4 parse(String text) {
        return parse(text, "address");
    }

    /** Like {@link #parse(String)}; the message names {@code what}: "{what} '{text}' {why}". */
    public static Ipv4 parse(String text, String what) {
        long bits = bitsOrProblem(text);
        if (bits < 0) {
            throw new IllegalArgumentException(what + " '" + text + "' " + PROBLEMS[(int) -bits - 1]);
        }
        return new Ipv4((int) bits);
    }

    /** The address, or null when {@code text} is not strict dotted-quad. */
    public static Ipv4 parseOrNull(String text) {
        long bits = bitsOrProblem(text);
        return bits < 0 ? null : new Ipv4((int) bits);
    }

    private static final String[] PROBLEMS = {NOT_DOTTED_QUAD, OCTET_ABOVE_255, LEADING_ZERO};

    /** The 32 bits (0..2^32-1), or -1 - index into {@link #PROBLEMS}. */
    private static long bitsOrProblem(String text) {
        long bits = 0;
        int octets = 0;
        int value = 0;
        int digits = 0;
        boolean leadingZero = false;
        boolean above255 = false;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : '.';
            if (c >= '0' && c <= '9') {
                if (digits == 1 && value == 0) {
                    leadingZero = true;
                }
                if (++digits > 3) {
                    return -1;
                }
                value = value * 10 + (c - '0');
            } else if (c == '.') {
                if (digits == 0 || octets == 4) {
                    return -1;
                }
                above255 |= value > 255;
                bits = bits << 8 | (value & 0xff);
                octets++;
                value = 0;
                digits = 0;
            } else {
                return -1;
            }
        }
        if (octets != 4) {
            return -1;
        }
        if (above255) {
            return -2;
        }
        return leadingZero ? -3 : bits;
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

    /** Dotted-quad text, the form {@link #parse} reads. */
    @Override
    public String toString() {
        return octet(0) + "." + octet(1) + "." + octet(2) + "." + octet(3);
    }
}

package dev.terway.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv6 address as the 128 bits on the wire (two longs, most significant first): the one IPv6 type of
 * the code, for the same reasons as {@link Ipv4} — parsing never resolves a name, equality is bit
 * equality, and text is always written in the canonical form of RFC 5952 (lower case, longest run of
 * two or more zero groups as "::", leftmost on a tie), which is what `ip -j` prints and what results carry.
 *
 * <p>Accepted text: RFC 4291 §2.2 forms, including an embedded dotted quad in the last 32 bits
 * ("::ffff:192.0.2.1"). Refused: zone ids ("fe80::1%eth0": a zone is an interface, kept apart), groups of
 * more than four hex digits, more than one "::", brackets.
 */
public record Ipv6(long high, long low) implements Comparable<Ipv6> {

    public static final Ipv6 ANY = new Ipv6(0, 0);

    /** Parses RFC 4291 text; throws {@link IllegalArgumentException} "address '...' is not an IPv6 address". */
    public static Ipv6 parse(String text) {
        return parse(text, "address");
    }

    /** Like {@link #parse(String)}; the message names {@code what}. */
    public static Ipv6 parse(String text, String what) {
        Ipv6 address = parseOrNull(text);
        if (address == null) {
            throw new IllegalArgumentException(what + " '" + text + "' is not an IPv6 address");
        }
        return address;
    }

    /** The address, or null when {@code text} is not RFC 4291 text. */
    public static Ipv6 parseOrNull(String text) {
        if (text == null || text.isEmpty() || text.length() > 45) {
            return null;
        }
        int[] groups = new int[8];
        int count = 0;
        int gap = -1;
        int i = 0;
        int n = text.length();
        if (text.startsWith("::")) {
            gap = 0;
            i = 2;
            if (i == n) {
                return ANY;
            }
        } else if (text.charAt(0) == ':') {
            return null;
        }
        while (i < n) {
            int start = i;
            int value = 0;
            while (i < n && Character.digit(text.charAt(i), 16) >= 0 && i - start < 5) {
                value = value * 16 + Character.digit(text.charAt(i), 16);
                i++;
            }
            int digits = i - start;
            if (i < n && text.charAt(i) == '.') {
                // An embedded IPv4 address: the last 32 bits, and the end of the text.
                Ipv4 v4 = Ipv4.parseOrNull(text.substring(start));
                if (v4 == null || count > 6) {
                    return null;
                }
                groups[count++] = v4.bits() >>> 16;
                groups[count++] = v4.bits() & 0xffff;
                i = n;
                break;
            }
            if (digits == 0 || digits > 4 || count == 8) {
                return null;
            }
            groups[count++] = value;
            if (i == n) {
                break;
            }
            if (text.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < n && text.charAt(i) == ':') {
                if (gap >= 0) {
                    return null;
                }
                gap = count;
                i++;
                if (i == n) {
                    break;
                }
            } else if (i == n) {
                return null;
            }
        }
        if (gap < 0 ? count != 8 : count > 7) {
            return null;
        }
        int[] full = new int[8];
        if (gap < 0) {
            full = groups;
        } else {
            int tail = count - gap;
            System.arraycopy(groups, 0, full, 0, gap);
            System.arraycopy(groups, gap, full, 8 - tail, tail);
        }
        long high = 0;
        long low = 0;
        for (int g = 0; g < 4; g++) {
            high = high << 16 | full[g];
            low = low << 16 | full[g + 4];
        }
        return new Ipv6(high, low);
    }

    /** The address of 16 network-order bytes (a DHCPv6 option, a socket address). */
    public static Ipv6 fromBytes(byte[] bytes) {
        if (bytes.length != 16) {
            throw new IllegalArgumentException("an IPv6 address has 16 bytes, not " + bytes.length);
        }
        long high = 0;
        long low = 0;
        for (int b = 0; b < 8; b++) {
            high = high << 8 | (bytes[b] & 0xff);
            low = low << 8 | (bytes[b + 8] & 0xff);
        }
        return new Ipv6(high, low);
    }

    /** The 16 network-order bytes. */
    public byte[] toBytes() {
        byte[] bytes = new byte[16];
        for (int b = 0; b < 8; b++) {
            bytes[b] = (byte) (high >>> (56 - 8 * b));
            bytes[b + 8] = (byte) (low >>> (56 - 8 * b));
        }
        return bytes;
    }

    public Inet6Address toInetAddress() {
        try {
            return (Inet6Address) InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are always an address", e);
        }
    }

    /** The 16-bit group {@code index} (0..7). */
    public int group(int index) {
        long half = index < 4 ? high : low;
        return (int) (half >>> (48 - 16 * (index % 4))) & 0xffff;
    }

    /** fe80::/10: a link-local address (a router's address as RAs announce it). */
    public boolean isLinkLocal() {
        return (high >>> 54) == (0xfe80L >>> 6);
    }

    /** ff00::/8. */
    public boolean isMulticast() {
        return (high >>> 56) == 0xff;
    }

    @Override
    public int compareTo(Ipv6 other) {
        int c = Long.compareUnsigned(high, other.high);
        return c != 0 ? c : Long.compareUnsigned(low, other.low);
    }

    /** RFC 5952 canonical text. */
    @Override
    public String toString() {
        int bestStart = -1;
        int bestLength = 1;
        for (int g = 0; g < 8; ) {
            if (group(g) != 0) {
                g++;
                continue;
            }
            int start = g;
            while (g < 8 && group(g) == 0) {
                g++;
            }
            if (g - start > bestLength) {
                bestStart = start;
                bestLength = g - start;
            }
        }
        StringBuilder text = new StringBuilder(39);
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                text.append("::");
                g += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(group(g)));
        }
        return text.toString();
    }
}

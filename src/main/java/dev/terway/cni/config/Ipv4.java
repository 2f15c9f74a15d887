package dev.terway.cni.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict dotted-quad IPv4 parsing. {@link InetAddress#getByName} also accepts forms such as "10.1" or
 * octal-looking "010.0.0.1", which would silently mean another address in a network config.
 */
public final class Ipv4 {

    private Ipv4() {
    }

    /** The address, or null when {@code text} is not four decimal octets. */
    public static Inet4Address parseOrNull(String text) {
        byte[] bytes = new byte[4];
        int octet = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : '.';
            if (c >= '0' && c <= '9') {
                if (digits > 0 && value == 0) {
                    return null; // leading zero
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                digits++;
                if (value > 255) {
                    return null;
                }
            } else if (c == '.') {
                if (digits == 0 || octet > 3) {
                    return null;
                }
                bytes[octet++] = (byte) value;
                value = -1;
                digits = 0;
            } else {
                return null;
            }
        }
        if (octet != 4) {
            return null;
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an address", e);
        }
    }

    public static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    public static Inet4Address fromInt(int v) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {
                (byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public static String text(Inet4Address a) {
        return a.getHostAddress();
    }
}

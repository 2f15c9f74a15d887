package dev.terway.jni;

import dev.terway.net.InterfaceName;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * Checks arguments before they cross into C, where a bad one would be an errno at best, and turns
 * them into the NUL-terminated bytes the C code expects. Every failure names the argument and why.
 */
final class SocketArguments {

    /** PATH_MAX (4096) less the terminating NUL. */
    static final int MAX_PATH_BYTES = 4095;
    /** The largest UDP payload IPv4 can carry: 65535 - 20 (IP header) - 8 (UDP header). */
    static final int MAX_DATAGRAM = 65_507;

    /** File names are converted with the JVM's own file-system encoding, as java.io does. */
    private static final Charset FILE_NAMES = fileNameCharset();

    private SocketArguments() {
    }

    static byte[] netnsPath(Path netns) {
        if (netns == null) {
            throw new IllegalArgumentException("network namespace path must not be null");
        }
        String text = netns.toString();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("network namespace path must not be empty");
        }
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("network namespace path " + printable(text) + " contains a NUL byte");
        }
        byte[] bytes = text.getBytes(FILE_NAMES);
        if (bytes.length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("network namespace path is " + bytes.length + " bytes long; at most "
                    + MAX_PATH_BYTES + " are allowed");
        }
        return nulTerminated(bytes);
    }

    /** The kernel's rules, as {@link InterfaceName} checks them everywhere. */
    static byte[] ifname(String ifname) {
        if (ifname == null) {
            throw new IllegalArgumentException("interface name must not be null");
        }
        return InterfaceName.of(ifname).nulTerminated();
    }

    /** A port to bind; 0 lets the kernel choose one. */
    static int bindPort(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port to bind must be 0..65535, got " + port);
        }
        return port;
    }

    static int destinationPort(int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("destination port must be 1..65535, got " + port);
        }
        return port;
    }

    static byte[] ipv4(InetAddress address) {
        if (address == null) {
            throw new IllegalArgumentException("destination address must not be null");
        }
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("destination " + address.getHostAddress()
                    + " is not an IPv4 address; this socket speaks IPv4 only");
        }
        return address.getAddress();
    }

    static byte[] ipv4(byte[] address) {
        if (address == null) {
            throw new IllegalArgumentException("destination address must not be null");
        }
        if (address.length != 4) {
            throw new IllegalArgumentException("destination address must be 4 bytes (IPv4), got " + address.length);
        }
        return address.clone();
    }

    /** The length of data to send: within the array and within what one IPv4 datagram can carry. */
    static void sendRange(byte[] data, int length) {
        if (data == null) {
            throw new IllegalArgumentException("data to send must not be null");
        }
        if (length < 0 || length > data.length) {
            throw new IllegalArgumentException("length to send must be 0.." + data.length
                    + " (the array's size), got " + length);
        }
        if (length > MAX_DATAGRAM) {
            throw new IllegalArgumentException("cannot send " + length + " bytes in one IPv4 UDP datagram; at most "
                    + MAX_DATAGRAM + " fit");
        }
    }

    static void receiveBuffer(byte[] buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException("receive buffer must not be null");
        }
        if (buffer.length == 0) {
            throw new IllegalArgumentException("receive buffer must not be empty");
        }
    }

    static Duration timeout(Duration timeout) {
        if (timeout == null) {
            throw new IllegalArgumentException("receive timeout must not be null");
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("receive timeout must not be negative, got " + timeout);
        }
        return timeout;
    }

    private static byte[] nulTerminated(byte[] bytes) {
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return out.append('"').toString();
    }

    private static Charset fileNameCharset() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }
}

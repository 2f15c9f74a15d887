package dev.terway.jni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Arguments are rejected in Java, with a message naming the argument, before anything crosses JNI. */
class SocketArgumentsTest {

    private static String rejection(Runnable call) {
        return assertThrows(IllegalArgumentException.class, call::run).getMessage();
    }

    @Test
    void openRejectsBadArgumentsBeforeTouchingNativeCode() {
        // open validates first: these fail the same whether or not the library could be loaded
        assertTrue(rejection(() -> open(null, "eth0", 68)).contains("network namespace path must not be null"));
        assertTrue(rejection(() -> open(Path.of(""), "eth0", 68)).contains("must not be empty"));
        assertTrue(rejection(() -> open(Path.of("/run/netns/x"), "a-very-long-name", 68))
                .contains("\"a-very-long-name\" must be at most 15 bytes long (IFNAMSIZ less the NUL); it is 16"));
        assertTrue(rejection(() -> open(Path.of("/run/netns/x"), "eth0", 65_536))
                .contains("port to bind must be 0..65535, got 65536"));
        assertTrue(rejection(() -> open(Path.of("/run/netns/x"), "eth0", -1)).contains("got -1"));
    }

    private static void open(Path netns, String ifname, int port) {
        NetnsUdpSocket opened;
        try {
            opened = NetnsUdpSocket.open(netns, ifname, port);
        } catch (NativeSocketException e) {
            throw new AssertionError("reached native code: " + e.getMessage(), e);
        }
        opened.close();
        throw new AssertionError("open should have been refused, got " + opened);
    }

    @Test
    void interfaceNameBecomesNulTerminatedBytes() {
        assertArrayEquals(new byte[] {'e', 't', 'h', '0', 0}, SocketArguments.ifname("eth0"));
        byte[] longest = SocketArguments.ifname("abcdefghijklmno");
        assertEquals(16, longest.length);
        assertEquals(0, longest[15]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "eth/0", "eth:0", "eth 0", "eth\t0", "eth\u00000", "abcdefghijklmnop"})
    void interfaceNamesLinuxWouldRefuseAreRejected(String name) {
        String message = rejection(() -> SocketArguments.ifname(name));
        assertTrue(message.startsWith("interface name"), message);
    }

    @Test
    void interfaceNameLengthCountsUtf8Bytes() {
        // 8 characters, 16 bytes: too long for IFNAMSIZ although it looks short
        String message = rejection(() -> SocketArguments.ifname("éééééééé"));
        assertTrue(message.contains("it is 16 bytes in UTF-8"), message);
        assertEquals(15, SocketArguments.ifname("ééééééé").length); // 14 bytes + NUL
    }

    @Test
    void controlCharactersAreShownEscaped() {
        String message = rejection(() -> SocketArguments.ifname("ab\u0000c"));
        assertTrue(message.contains("\"ab\\x00c\" must not contain a NUL byte"), message);
    }

    @Test
    void netnsPathBecomesNulTerminatedBytes() {
        byte[] bytes = SocketArguments.netnsPath(Path.of("/var/run/netns/x"));
        assertEquals("/var/run/netns/x\0", new String(bytes, StandardCharsets.UTF_8));
        assertTrue(rejection(() -> SocketArguments.netnsPath(Path.of("/" + "a".repeat(4095))))
                .contains("4096 bytes long; at most 4095"));
    }

    @Test
    void portsAreRangeChecked() {
        assertEquals(0, SocketArguments.bindPort(0));
        assertEquals(65_535, SocketArguments.bindPort(65_535));
        assertEquals(67, SocketArguments.destinationPort(67));
        assertTrue(rejection(() -> SocketArguments.destinationPort(0)).contains("destination port must be 1..65535"));
        assertTrue(rejection(() -> SocketArguments.destinationPort(70_000)).contains("got 70000"));
    }

    @Test
    void onlyIpv4DestinationsAreAccepted() throws Exception {
        assertArrayEquals(new byte[] {10, 0, 0, 1}, SocketArguments.ipv4(InetAddress.getByName("10.0.0.1")));
        assertTrue(rejection(() -> SocketArguments.ipv4(ipv6Loopback())).contains("is not an IPv4 address"));
        assertTrue(rejection(() -> SocketArguments.ipv4((InetAddress) null)).contains("must not be null"));
        assertTrue(rejection(() -> SocketArguments.ipv4(new byte[16])).contains("must be 4 bytes (IPv4), got 16"));
        byte[] given = {1, 2, 3, 4};
        byte[] copy = SocketArguments.ipv4(given);
        given[0] = 9;
        assertEquals(1, copy[0], "the caller's array is copied, so it cannot change under a send");
    }

    private static InetAddress ipv6Loopback() {
        try {
            return InetAddress.getByName("::1");
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void sendLengthMustFitTheArrayAndOneDatagram() {
        SocketArguments.sendRange(new byte[10], 10);
        SocketArguments.sendRange(new byte[10], 0);
        assertTrue(rejection(() -> SocketArguments.sendRange(new byte[10], 11)).contains("must be 0..10"));
        assertTrue(rejection(() -> SocketArguments.sendRange(new byte[10], -1)).contains("got -1"));
        assertTrue(rejection(() -> SocketArguments.sendRange(null, 0)).contains("must not be null"));
        assertTrue(rejection(() -> SocketArguments.sendRange(new byte[70_000], 65_508))
                .contains("cannot send 65508 bytes in one IPv4 UDP datagram"));
    }

    @Test
    void receiveNeedsABufferAndANonNegativeTimeout() {
        assertTrue(rejection(() -> SocketArguments.receiveBuffer(new byte[0])).contains("must not be empty"));
        assertTrue(rejection(() -> SocketArguments.receiveBuffer(null)).contains("must not be null"));
        assertTrue(rejection(() -> SocketArguments.timeout(Duration.ofMillis(-1))).contains("must not be negative"));
        assertEquals(Duration.ZERO, SocketArguments.timeout(Duration.ZERO));
    }
}

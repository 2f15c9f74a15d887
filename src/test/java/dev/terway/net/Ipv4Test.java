package dev.terway.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class Ipv4Test {

    @Test
    void parsesStrictDottedQuadAndFormatsBack() {
        for (String text : List.of("0.0.0.0", "192.0.2.1", "255.255.255.255", "10.0.100.9")) {
            assertEquals(text, Ipv4.parse(text).toString());
            assertEquals(Ipv4.parse(text), Ipv4.parseOrNull(text));
        }
        assertEquals(Ipv4.of(192, 0, 2, 1), Ipv4.parse("192.0.2.1"));
        assertEquals(0xc0000201, Ipv4.parse("192.0.2.1").bits());
    }

    @Test
    void rejectsEverythingElseWithTheReason() {
        for (String bad : List.of("", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "a.b.c.d", "1.2.3.-1",
                "01234.1.1.1", "1.2.3.4/24", " 1.2.3.4", "1.2.3.4 ", "0x1.2.3.4", "１.2.3.4")) {
            assertNull(Ipv4.parseOrNull(bad), bad);
            assertEquals("gateway '" + bad + "' is not an IPv4 address (a.b.c.d)",
                    assertThrows(IllegalArgumentException.class, () -> Ipv4.parse(bad, "gateway")).getMessage());
        }
        assertEquals("address '1.2.3.256' has an octet above 255",
                assertThrows(IllegalArgumentException.class, () -> Ipv4.parse("1.2.3.256")).getMessage());
        assertEquals("address '010.0.0.1' has an octet with a leading zero",
                assertThrows(IllegalArgumentException.class, () -> Ipv4.parse("010.0.0.1")).getMessage());
        assertNull(Ipv4.parseOrNull("1.2.3.256"));
        assertNull(Ipv4.parseOrNull("1.2.00.3"));
    }

    @Test
    void bytesIntsAndInetAddresses() {
        Ipv4 a = Ipv4.parse("192.0.2.1");
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, a.toBytes());
        assertEquals(a, Ipv4.fromBytes(new byte[] {9, (byte) 192, 0, 2, 1}, 1));
        assertEquals(a, Ipv4.fromInetAddress(a.toInetAddress()));
        assertEquals("192.0.2.1", a.toInetAddress().getHostAddress());
        assertEquals(192, a.octet(0));
        assertEquals(1, a.octet(3));
        assertEquals(Ipv4.parse("255.255.240.0"), Ipv4.netmask(20));
        assertEquals(Ipv4.ANY, Ipv4.netmask(0));
        assertEquals(Ipv4.BROADCAST, Ipv4.netmask(32));
        assertThrows(IllegalArgumentException.class, () -> Ipv4.netmask(33));
        assertThrows(IllegalArgumentException.class, () -> Ipv4.of(256, 0, 0, 0));
        assertEquals(-1, Ipv4.parse("9.0.0.0").compareTo(Ipv4.parse("200.0.0.0")));
    }
}

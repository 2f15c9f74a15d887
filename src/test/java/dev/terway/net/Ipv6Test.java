package dev.terway.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv6Test {

    @ParameterizedTest
    @CsvSource({
            // RFC 5952 §4: lower case, longest zero run compressed, leftmost on a tie, no "::" for one group
            "2001:DB8:0:0:0:0:2:1, 2001:db8::2:1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "0:0:0:0:0:0:0:0, ::",
            "::1, ::1",
            "fe80::0001, fe80::1",
            "1::, 1::",
            "::ffff:192.0.2.1, ::ffff:c000:201",
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:0, 2001:db8:aaaa:bbbb:cccc:dddd:eeee:0",
    })
    void writesCanonicalText(String text, String canonical) {
        assertEquals(canonical, Ipv6.parse(text).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::",
            "g::1", "fe80::1%eth0", "[::1]", "1:", ":1", "1:2:3:4:5:6:7:8::", "::1.2.3", "::256.0.0.1",
            "1:2:3:4:5:6:7:1.2.3.4", " ::1", "::1 ", "localhost", "10.0.0.1"})
    void refusesWhatIsNotAnAddress(String text) {
        assertNull(Ipv6.parseOrNull(text));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv6.parse(text, "gateway"));
        assertEquals("gateway '" + text + "' is not an IPv6 address", e.getMessage());
    }

    @Test
    void agreesWithTheJdkOnRandomAddresses() throws Exception {
        Random random = new Random(6);
        for (int i = 0; i < 2000; i++) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            // Zero runs of varied length and place, so compression is exercised.
            int from = random.nextInt(16);
            int to = Math.min(16, from + random.nextInt(12));
            for (int b = from; b < to; b++) {
                bytes[b] = 0;
            }
            Ipv6 address = Ipv6.fromBytes(bytes);
            assertArrayEquals(bytes, address.toBytes());
            assertEquals(address, Ipv6.parse(address.toString()));
            assertArrayEquals(bytes, InetAddress.getByName(address.toString()).getAddress());
            assertArrayEquals(bytes, address.toInetAddress().getAddress());
        }
    }

    @Test
    void knowsLinkLocalAndMulticast() {
        assertTrue(Ipv6.parse("fe80::1").isLinkLocal());
        assertTrue(Ipv6.parse("febf::1").isLinkLocal());
        assertFalse(Ipv6.parse("fec0::1").isLinkLocal());
        assertFalse(Ipv6.parse("2001:db8::1").isLinkLocal());
        assertTrue(Ipv6.parse("ff02::1:2").isMulticast());
        assertFalse(Ipv6.parse("fe80::1").isMulticast());
    }

    @Test
    void ordersAsUnsignedBits() {
        assertTrue(Ipv6.parse("ff02::1").compareTo(Ipv6.parse("2001:db8::1")) > 0);
        assertTrue(Ipv6.parse("::1").compareTo(Ipv6.parse("::2")) < 0);
    }

    @Test
    void cidrKnowsItsNetwork() {
        Ipv6Cidr cidr = Ipv6Cidr.parse("2001:db8:1:2:3:4:5:6/64");
        assertEquals("2001:db8:1:2::/64", cidr.networkCidr().toString());
        assertTrue(cidr.contains(Ipv6.parse("2001:db8:1:2::ffff")));
        assertFalse(cidr.contains(Ipv6.parse("2001:db8:1:3::1")));
        assertEquals("2001:db8::/32", Ipv6Cidr.parse("2001:db8:ff::1/32").networkCidr().toString());
        assertEquals("2001:db8::1:8000:0/97",
                Ipv6Cidr.parse("2001:db8::1:ffff:ffff/97").networkCidr().toString());
        assertTrue(Ipv6Cidr.parse("::/0").isDefault());
        assertEquals("fd00::5/128", Ipv6Cidr.parse("fd00::5/128").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001:db8::", "2001:db8::/", "2001:db8::/129", "2001:db8::/064", "2001:db8::/-1",
            "10.0.0.0/8", "/64", "2001:db8::/6a"})
    void cidrRefusesBadText(String text) {
        assertNull(Ipv6Cidr.parseOrNull(text));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse(text, "serviceCIDR"));
    }
}

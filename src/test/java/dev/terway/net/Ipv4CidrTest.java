package dev.terway.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class Ipv4CidrTest {

    @Test
    void parsesAndFormats() {
        Ipv4Cidr c = Ipv4Cidr.parse("10.100.1.1/12");
        assertEquals(Ipv4.parse("10.100.1.1"), c.address());
        assertEquals(12, c.prefixLength());
        assertEquals("10.100.1.1/12", c.toString());
        assertEquals(Ipv4.parse("10.96.0.0"), c.network());
        assertEquals("10.96.0.0/12", c.networkCidr().toString());
        assertEquals(c, Ipv4Cidr.parseOrNull("10.100.1.1/12"));
        assertTrue(Ipv4Cidr.parse("0.0.0.0/0").isDefault());
        assertTrue(Ipv4Cidr.parse("0.0.0.0/0").contains(Ipv4.parse("8.8.8.8")));
        assertTrue(Ipv4Cidr.parse("10.20.30.0/24").contains(Ipv4.parse("10.20.30.77")));
        assertFalse(Ipv4Cidr.parse("10.20.30.0/24").contains(Ipv4.parse("10.20.31.77")));
        assertTrue(Ipv4Cidr.parse("10.20.30.7/32").contains(Ipv4.parse("10.20.30.7")));
    }

    @Test
    void rejectsWithTheReason() {
        assertEquals("dst '1.2.3.4' has no prefix length (a.b.c.d/n)", message("1.2.3.4"));
        assertEquals("dst '192.0.2.300/24' has an octet above 255", message("192.0.2.300/24"));
        assertEquals("dst 'x/24' is not an IPv4 address (a.b.c.d)", message("x/24"));
        for (String bad : List.of("1.2.3.4/", "1.2.3.4/33", "1.2.3.4/08", "1.2.3.4/-1", "1.2.3.4/100",
                "1.2.3.4/24/1", "1.2.3.4/ 8")) {
            assertEquals("dst '" + bad + "' has a prefix length outside 0..32", message(bad));
            assertNull(Ipv4Cidr.parseOrNull(bad), bad);
        }
        assertEquals("prefix length 33 is not in 0..32", assertThrows(IllegalArgumentException.class,
                () -> new Ipv4Cidr(Ipv4.ANY, 33)).getMessage());
    }

    private static String message(String text) {
        return assertThrows(IllegalArgumentException.class, () -> Ipv4Cidr.parse(text, "dst")).getMessage();
    }
}

package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Option 121 against the destination descriptors of RFC 3442 section 3. */
class ClasslessRoutesTest {

    private static final OptionKey<List<ClasslessRoute>> KEY = DhcpOptions.CLASSLESS_ROUTES;

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0.0.0.0/0,        00",
            "10.0.0.0/8,       08 0a",
            "10.0.0.0/24,      18 0a 00 00",
            "10.17.0.0/16,     10 0a 11",
            "10.27.129.0/24,   18 0a 1b 81",
            "10.229.0.128/25,  19 0a e5 00 80",
            "10.198.122.47/32, 20 0a c6 7a 2f",
    })
    void rfc3442DestinationDescriptors(String destination, String descriptor) throws Exception {
        ClasslessRoute route = ClasslessRoute.of(destination, "10.0.0.1");
        byte[] expected = Hex.bytes(descriptor, "0a 00 00 01");
        assertEquals(Hex.of(expected), Hex.of(KEY.encode(List.of(route))));
        assertEquals(List.of(route), KEY.decode(expected));
    }

    @Test
    void allVectorsInOneOptionKeepTheirOrder() throws Exception {
        List<ClasslessRoute> routes = List.of(
                ClasslessRoute.of("0.0.0.0/0", "192.0.2.1"),
                ClasslessRoute.of("10.0.0.0/8", "192.0.2.2"),
                ClasslessRoute.of("10.17.0.0/16", "192.0.2.3"),
                ClasslessRoute.of("10.27.129.0/24", "0.0.0.0"),
                ClasslessRoute.of("10.229.0.128/25", "192.0.2.5"),
                ClasslessRoute.of("10.198.122.47/32", "192.0.2.6"));
        byte[] wire = KEY.encode(routes);
        assertEquals(Hex.of(Hex.bytes(
                "00 c0000201", "08 0a c0000202", "10 0a11 c0000203", "18 0a1b81 00000000",
                "19 0ae50080 c0000205", "20 0ac67a2f c0000206")), Hex.of(wire));
        List<ClasslessRoute> back = KEY.decode(wire);
        assertEquals(routes, back);
        assertTrue(back.get(0).isDefault());
        assertTrue(back.get(3).isOnLink());
        assertEquals("10.229.0.128/25", back.get(4).destinationCidr());
    }

    @Test
    void malformedRoutesAreParseErrors() {
        assertEquals("option 121 (classless static routes): route 1 has prefix length 33 > 32",
                assertThrows(DhcpParseException.class, () -> KEY.decode(Hex.bytes("21 0a000000 0a000001"))).getMessage());
        assertThrows(DhcpParseException.class, () -> KEY.decode(Hex.bytes("18 0a 00 00 0a 00 00"))); // router cut short
        assertThrows(DhcpParseException.class, () -> KEY.decode(Hex.bytes("18 0a 00")));             // destination cut short
        assertThrows(DhcpParseException.class, () -> KEY.decode(new byte[0]));
        DhcpParseException hostBits = assertThrows(DhcpParseException.class,
                () -> KEY.decode(Hex.bytes("07 0b 0a000001")));
        assertTrue(hostBits.getMessage().contains("bits set past its prefix length /7"), hostBits.getMessage());
    }

    @Test
    void routesWithHostBitsCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> ClasslessRoute.of("10.0.0.1/8", "10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> ClasslessRoute.of("10.0.0.0/33", "10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> ClasslessRoute.of("10.0.0.0", "10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> KEY.encode(List.of()));
    }
}

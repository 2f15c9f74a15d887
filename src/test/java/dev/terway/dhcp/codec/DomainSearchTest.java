package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Option 119 (RFC 3397) with RFC 1035 compression. */
class DomainSearchTest {

    private static final OptionKey<List<String>> KEY = DhcpOptions.DOMAIN_SEARCH;

    /** RFC 3397 section 2 example: "eng.apple.com." and "marketing.apple.com.". */
    private static final byte[] RFC_EXAMPLE = Hex.bytes(
            "03 656e67 05 6170706c65 03 636f6d 00", // eng.apple.com
            "09 6d61726b6574696e67 c0 04");         // marketing + pointer to offset 4 (apple.com)

    @Test
    void encodesTheRfcExampleWithCompression() {
        assertEquals(Hex.of(RFC_EXAMPLE), Hex.of(KEY.encode(List.of("eng.apple.com.", "marketing.apple.com"))));
    }

    @Test
    void decodesTheRfcExample() throws Exception {
        assertEquals(List.of("eng.apple.com", "marketing.apple.com"), KEY.decode(RFC_EXAMPLE));
    }

    @Test
    void followsChainsOfBackwardPointers() throws Exception {
        List<String> names = List.of("a.example.com", "b.a.example.com", "c.b.a.example.com", "example.com", "org");
        byte[] wire = KEY.encode(names);
        // c.b.a.example.com is "c" + pointer to "b.a.example.com", itself "b" + pointer.
        assertEquals(names, KEY.decode(wire));
        assertTrue(wire.length < names.stream().mapToInt(n -> n.length() + 2).sum());
    }

    @Test
    void splitAcrossInstancesIsConcatenatedBeforePointersAreResolved() throws Exception {
        // RFC 3396/3397: the pointer in the second instance refers to bytes of the first.
        byte[] packet = DhcpMessage.builder().putRaw(1, Ipv4.parse("255.255.255.0").toBytes()).build().encode();
        int at = DhcpMessage.OPTIONS_OFFSET;
        byte[] first = java.util.Arrays.copyOfRange(RFC_EXAMPLE, 0, 10);
        byte[] second = java.util.Arrays.copyOfRange(RFC_EXAMPLE, 10, RFC_EXAMPLE.length);
        byte[] options = Hex.bytes("77" + String.format("%02x", first.length) + Hex.of(first),
                "01 04 ffffff00",
                "77" + String.format("%02x", second.length) + Hex.of(second), "ff");
        System.arraycopy(options, 0, packet, at, options.length);
        DhcpMessage m = DhcpMessage.decode(packet);
        assertEquals(List.of("eng.apple.com", "marketing.apple.com"), m.domainSearch());
        assertEquals(List.of(119, 1), m.options().stream().map(DhcpOption::code).toList());
    }

    @Test
    void pointerToItselfIsRejected() {
        DhcpParseException e = assertThrows(DhcpParseException.class, () -> KEY.decode(Hex.bytes("c0 00")));
        assertTrue(e.getMessage().contains("does not point backwards"), e.getMessage());
    }

    @Test
    void pointerLoopThroughAnEarlierNameIsRejected() {
        // name 1 "a" ends in a pointer to name 2, which points back into name 1: a loop.
        byte[] loop = Hex.bytes("01 61 c0 04", "c0 00");
        DhcpParseException e = assertThrows(DhcpParseException.class, () -> KEY.decode(loop));
        assertTrue(e.getMessage().contains("name 1 has a compression pointer to offset 4"), e.getMessage());
        // name 2 pointing into its own labels is a loop too
        assertThrows(DhcpParseException.class, () -> KEY.decode(Hex.bytes("01 61 00", "01 62 c0 03")));
    }

    @Test
    void hostileOrBrokenNamesAreRejected() {
        List<byte[]> bad = List.of(
                Hex.bytes("03 656e67"),                 // no terminating zero
                Hex.bytes("05 656e67"),                 // label runs past the end
                Hex.bytes("03 656e67 c0"),              // pointer cut in half
                Hex.bytes("00"),                        // root name only
                Hex.bytes("40 00"),                     // reserved label type 01
                Hex.bytes("03 61 0a 62 00"),            // newline inside a label
                Hex.bytes("03 61 2e 62 00"),            // dot inside a label
                Hex.bytes(("3f" + "61".repeat(63)).repeat(4) + "00"), // 256 octets
                new byte[0]);
        for (byte[] value : bad) {
            assertThrows(DhcpParseException.class, () -> KEY.decode(value), Hex.of(value));
        }
    }

    @Test
    void nameOfExactly255OctetsIsAccepted() throws Exception {
        String label = "a".repeat(63);
        String name = String.join(".", label, label, label, "b".repeat(61));
        byte[] wire = KEY.encode(List.of(name));
        assertEquals(255, wire.length);
        assertEquals(List.of(name), KEY.decode(wire));
        assertThrows(IllegalArgumentException.class, () -> KEY.encode(List.of(name + "b")));
    }

    @Test
    void domainNameRules() {
        assertEquals(java.util.Optional.empty(), DomainNames.problem("lan.local."));
        assertEquals(java.util.Optional.empty(), DomainNames.problem("_srv.Example-1.org"));
        assertEquals(java.util.Optional.of("is empty"), DomainNames.problem("."));
        assertEquals(java.util.Optional.of("has an empty label"), DomainNames.problem("a..b"));
        assertTrue(DomainNames.problem("a b").orElseThrow().contains("0x20"));
        assertTrue(DomainNames.problem("x".repeat(64)).orElseThrow().contains("longer than 63"));
        assertEquals("lan.local", DomainNames.canonical("lan.local."));
    }
}

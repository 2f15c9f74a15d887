package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** RFC 3396 long options, option 52 overload, and malformed framing. */
class WireLayoutTest {

    /** A 240-byte header + cookie of a BOOTREPLY for chaddr 02:00:00:00:00:01 with given sname/file areas. */
    static byte[] packet(byte[] sname, byte[] file, String options) {
        byte[] head = Hex.bytes("02 01 06 00", "00000001", "0000 0000", Hex.zeros(4), "0a000005", Hex.zeros(8),
                "020000000001" + Hex.zeros(10));
        byte[] opts = Hex.bytes(options);
        byte[] out = new byte[236 + 4 + opts.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(sname, 0, out, 44, sname.length);
        System.arraycopy(file, 0, out, 108, file.length);
        System.arraycopy(Hex.bytes("63825363"), 0, out, 236, 4);
        System.arraycopy(opts, 0, out, 240, opts.length);
        return out;
    }

    static byte[] area(int size, String hex) {
        return Arrays.copyOf(Hex.bytes(hex), size);
    }

    @Test
    void overloadReadsOptionsThenFileThenSname() throws Exception {
        byte[] wire = packet(
                area(64, "06 04 08080404 0f 03 6c616e ff"),             // sname: DNS part 3, domain
                area(128, "01 04 ffffff00 06 04 08080808 03 04 0a000001 ff"), // file: mask, DNS part 2, router
                "35 01 05 34 01 03 06 04 01010101 36 04 0a000001 ff");  // options: ACK, overload both, DNS part 1
        DhcpMessage m = DhcpMessage.decode(wire);
        // option 6 instances concatenate in RFC order: options field, file, sname
        assertEquals(List.of(Ipv4.parse("1.1.1.1"), Ipv4.parse("8.8.8.8"), Ipv4.parse("8.8.4.4")), m.dnsServers());
        assertEquals(Optional.of(Ipv4.parse("255.255.255.0")), m.subnetMask());
        assertEquals(List.of(Ipv4.parse("10.0.0.1")), m.routers());
        assertEquals(Optional.of("lan"), m.domainName());
        assertEquals("", m.sname());
        assertEquals("", m.file());
        assertEquals(List.of(53, 6, 54, 1, 3, 15), m.options().stream().map(DhcpOption::code).toList());
        assertTrue(m.option(52).isEmpty(), "overload is wire layout, not content");
        assertEquals(m, DhcpMessage.decode(m.encode()));
    }

    @Test
    void withoutOverloadFileAndSnameAreNames() throws Exception {
        byte[] wire = packet(area(64, "7365727665720000ff"), area(128, "707865"), "35 01 02 36 04 0a000001 ff");
        DhcpMessage m = DhcpMessage.decode(wire);
        assertEquals("server", m.sname());
        assertEquals("pxe", m.file());
        assertEquals(2, m.options().size());
    }

    @Test
    void overloadOnlyFile() throws Exception {
        byte[] wire = packet(area(64, "6e616d65"), area(128, "0f 03 6c616e ff"), "35 01 05 34 01 01 ff");
        DhcpMessage m = DhcpMessage.decode(wire);
        assertEquals("name", m.sname());
        assertEquals(Optional.of("lan"), m.domainName());
    }

    @Test
    void badOverloadIsAParseError() {
        assertThrows(DhcpParseException.class,
                () -> DhcpMessage.decode(packet(new byte[0], new byte[0], "34 01 04 ff")));
        assertThrows(DhcpParseException.class,
                () -> DhcpMessage.decode(packet(new byte[0], new byte[0], "34 02 01 01 ff")));
        DhcpParseException inFile = assertThrows(DhcpParseException.class,
                () -> DhcpMessage.decode(packet(new byte[0], area(128, "34 01 02 ff"), "34 01 01 ff")));
        assertTrue(inFile.getMessage().contains("found in the file field"), inFile.getMessage());
        assertThrows(DhcpParseException.class,
                () -> DhcpMessage.decode(packet(new byte[0], area(128, "06 ff 01020304"), "34 01 01 ff")));
    }

    @Test
    void encoderSpillsIntoFileAndSnameWhenTheSizeIsCapped() throws Exception {
        List<ClasslessRoute> routes = new ArrayList<>();
        for (int i = 0; i < 66; i++) {
            routes.add(new ClasslessRoute(Ipv4.of(10, i, 0, 0), 16, Ipv4.parse("192.168.0.1")));
        }
        DhcpMessage m = DhcpMessage.builder().op(DhcpMessage.BOOTREPLY).xid(7)
                .chaddr(HardwareAddress.parse("02:00:00:00:00:01"))
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.ACK)
                .put(DhcpOptions.CLASSLESS_ROUTES, routes)                  // 462 bytes: needs options, file and sname
                .put(DhcpOptions.DOMAIN_NAME, "example.org")
                .build();
        byte[] plain = m.encode();
        assertTrue(plain.length > 576);
        byte[] capped = m.encode(576);
        assertTrue(capped.length <= 576, "length " + capped.length);
        assertEquals(3, capped[DhcpMessage.OPTIONS_OFFSET + 2], "overload option first, using file and sname");
        assertEquals(m, DhcpMessage.decode(capped));
        assertEquals(m, DhcpMessage.decode(plain));

        DhcpMessage named = m.toBuilder().file("boot").sname("srv").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> named.encode(576));
        assertTrue(e.getMessage().contains("even with option overload"), e.getMessage());
    }

    @Test
    void longOptionsAreSplitIn255ByteInstancesAndJoinedAgain() throws Exception {
        byte[] big = new byte[600];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        DhcpMessage m = DhcpMessage.builder().putRaw(224, big).putRaw(1, Ipv4.parse("255.0.0.0").toBytes()).build();
        byte[] wire = m.encode();
        int at = DhcpMessage.OPTIONS_OFFSET;
        assertEquals(224, wire[at] & 0xff);
        assertEquals(255, wire[at + 1] & 0xff);
        assertEquals(224, wire[at + 257] & 0xff);
        assertEquals(255, wire[at + 258] & 0xff);
        assertEquals(224, wire[at + 514] & 0xff);
        assertEquals(90, wire[at + 515] & 0xff);
        assertEquals(1, wire[at + 606] & 0xff);
        DhcpMessage back = DhcpMessage.decode(wire);
        assertEquals(m, back);
        assertEquals(600, back.option(224).orElseThrow().length());
    }

    @Test
    void splitKnownOptionConcatenatesBeforeDecoding() throws Exception {
        // Two instances of option 6 around another option, each a whole address here but not necessarily.
        byte[] wire = packet(new byte[0], new byte[0], "06 06 01010101 0808 03 04 0a000001 06 02 0808 ff");
        assertEquals(List.of(Ipv4.parse("1.1.1.1"), Ipv4.parse("8.8.8.8")), DhcpMessage.decode(wire).dnsServers());
    }

    @Test
    void padsAreSkippedAndEndIsOptional() throws Exception {
        DhcpMessage m = DhcpMessage.decode(packet(new byte[0], new byte[0], "00 00 35 01 02 00 36 04 0a000001"));
        assertEquals(Optional.of(MessageType.OFFER), m.messageType());
        assertEquals(Optional.of(Ipv4.parse("10.0.0.1")), m.serverId());
        DhcpMessage afterEnd = DhcpMessage.decode(packet(new byte[0], new byte[0], "35 01 02 ff 06 ff 0102"));
        assertEquals(1, afterEnd.options().size(), "bytes after END are padding");
    }

    @Test
    void malformedFramingNamesTheProblem() {
        assertParseError("shorter than the 240-byte BOOTP header", Arrays.copyOf(packet(new byte[0], new byte[0], ""), 239));
        assertParseError("op 3 is neither", edit(packet(new byte[0], new byte[0], "ff"), 0, 3));
        assertParseError("hlen 17 exceeds", edit(packet(new byte[0], new byte[0], "ff"), 2, 17));
        assertParseError("missing DHCP magic cookie", edit(packet(new byte[0], new byte[0], "ff"), 239, 0x64));
        assertParseError("option 3 (routers) in the options field claims 8 bytes but only 4 remain",
                packet(new byte[0], new byte[0], "03 08 0a000001"));
        assertParseError("option 6 (domain name servers) in the options field is cut off before its length",
                packet(new byte[0], new byte[0], "35 01 05 06"));
        assertParseError("option 1 (subnet mask): length 3, must be 4", packet(new byte[0], new byte[0], "01 03 ffffff ff"));
        assertParseError("option 53 (DHCP message type): unknown message type 42",
                packet(new byte[0], new byte[0], "35 01 2a ff"));
        assertParseError("option 26 (interface MTU): value 20 below the minimum 68",
                packet(new byte[0], new byte[0], "1a 02 0014 ff"));
        assertParseError("option 61 (client identifier): length 1", packet(new byte[0], new byte[0], "3d 01 01 ff"));
        assertParseError("option 12 (host name): empty text", packet(new byte[0], new byte[0], "0c 00 ff"));
    }

    @Test
    void trailingNulsOfTextOptionsAreDropped() throws Exception {
        DhcpMessage m = DhcpMessage.decode(packet(new byte[0], new byte[0], "0f 05 6c616e0000 ff"));
        assertEquals(Optional.of("lan"), m.domainName());
    }

    private static byte[] edit(byte[] packet, int index, int value) {
        packet[index] = (byte) value;
        return packet;
    }

    private static void assertParseError(String expected, byte[] wire) {
        DhcpParseException e = assertThrows(DhcpParseException.class, () -> DhcpMessage.decode(wire));
        assertTrue(e.getMessage().contains(expected), "message \"" + e.getMessage() + "\" lacks \"" + expected + "\"");
    }
}

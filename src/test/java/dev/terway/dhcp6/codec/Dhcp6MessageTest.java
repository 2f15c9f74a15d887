package dev.terway.dhcp6.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp.codec.DhcpParseException;
import dev.terway.dhcp.codec.Hex;
import dev.terway.dhcp6.codec.Dhcp6Option.ClientId;
import dev.terway.dhcp6.codec.Dhcp6Option.DnsServers;
import dev.terway.dhcp6.codec.Dhcp6Option.DomainList;
import dev.terway.dhcp6.codec.Dhcp6Option.ElapsedTime;
import dev.terway.dhcp6.codec.Dhcp6Option.IaAddress;
import dev.terway.dhcp6.codec.Dhcp6Option.IaNa;
import dev.terway.dhcp6.codec.Dhcp6Option.OptionRequest;
import dev.terway.dhcp6.codec.Dhcp6Option.Preference;
import dev.terway.dhcp6.codec.Dhcp6Option.ServerId;
import dev.terway.net.Ipv6;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

public class Dhcp6MessageTest {

    static final String UUID_HEX = "0f 6e 1c 3a 5b 2d 5e 41 8a 77 13 02 ad 9f 44 10";
    static final Duid CLIENT = Duid.fromHex((("0004" + UUID_HEX).replace(" ", "")));
    static final Duid SERVER = Duid.fromHex("000100012c4f5a100242ac110002");

    /** A SOLICIT written out field by field from RFC 8415 §8, §21.2, §21.4, §21.7 and §21.9. */
    public static final byte[] SOLICIT_WIRE = Hex.bytes(
            "01 12 34 56",                         // msg-type SOLICIT, transaction-id 0x123456
            "00 01 00 12  00 04", UUID_HEX,        // CLIENTID: 18 bytes, DUID-UUID (type 4) and the UUID
            "00 08 00 02  00 00",                  // ELAPSED_TIME 0
            "00 06 00 04  00 17 00 18",            // ORO: DNS servers 23, domain list 24
            "00 03 00 0c  00 00 00 01  00000000 00000000"); // IA_NA: IAID 1, T1 0, T2 0, no addresses

    /**
     * An ADVERTISE laid out the way dnsmasq answers a managed range: client and server id (DUID-LLT), the
     * IA_NA with one IAADDR and a status inside the IA, preference, DNS servers and the domain list.
     */
    public static final byte[] ADVERTISE_WIRE = Hex.bytes(
            "02 12 34 56",
            "00 01 00 12  00 04", UUID_HEX,
            "00 02 00 0e  00 01 00 01 2c 4f 5a 10 02 42 ac 11 00 02", // SERVERID: DUID-LLT, Ethernet, time, MAC
            "00 03 00 35  00 00 00 01  00 00 00 3c  00 00 00 69",     // IA_NA (53 bytes): IAID 1, T1 60, T2 105
            "   00 05 00 18  fd 00 0d b8 00 01 00 00 00 00 00 00 00 00 01 23", // IAADDR fd00:db8:1::123
            "                00 00 00 78  00 00 00 b4",               //   preferred 120, valid 180
            "   00 0d 00 09  00 00  73 75 63 63 65 73 73",            // STATUS_CODE Success "success"
            "00 07 00 01  0a",                                        // PREFERENCE 10
            "00 17 00 10  fd 00 0d b8 00 01 00 00 00 00 00 00 00 00 00 01", // DNS servers fd00:db8:1::1
            "00 18 00 0b  03 6c 61 6e 05 6c 6f 63 61 6c 00");         // domain list "lan.local"

    /**
     * dnsmasq 2.89's ADVERTISE to a SOLICIT sent over the JNI socket in the lab (NetnsUdp6SocketIT), as
     * received: range fd00:72:4a::100-1ff, 2 minute leases, DNS server and domain list configured.
     */
    static final byte[] DNSMASQ_ADVERTISE_CAPTURE = Hex.bytes(
            "025a5a5a00010012000454bf8f1522ea5df1902a4de12c75e5590002000e0001000132a6271eaa24d9fdf8ff0003002800",
            "0000010000003c0000006900050018fd000072004a000000000000000001bd0000007800000078000d0009000073756363",
            "65737300070001000018000a036c616e04746573740000170010fd000072004a000000000000000000fe");

    static Dhcp6Message solicit() {
        return new Dhcp6Message(Dhcp6MessageType.SOLICIT, 0x123456, List.of(new ClientId(CLIENT),
                new ElapsedTime(0), new OptionRequest(List.of(23, 24)), IaNa.asking(1, List.of())));
    }

    static Dhcp6Message advertise() {
        IaAddress address = IaAddress.of(Ipv6.parse("fd00:db8:1::123"), 120, 180);
        return new Dhcp6Message(Dhcp6MessageType.ADVERTISE, 0x123456, List.of(new ClientId(CLIENT),
                new ServerId(SERVER),
                new IaNa(1, 60, 105, List.of(address), Optional.of(new StatusCode(0, "success")), List.of()),
                new Preference(10), new DnsServers(List.of(Ipv6.parse("fd00:db8:1::1"))),
                new DomainList(List.of("lan.local"))));
    }

    @Test
    void solicitEncodesByteForByte() {
        assertEquals(Hex.of(SOLICIT_WIRE), Hex.of(solicit().encode()));
    }

    @Test
    void solicitDecodesToTheSameMessage() throws Exception {
        assertEquals(solicit(), Dhcp6Message.decode(SOLICIT_WIRE));
    }

    @Test
    void advertiseDecodesEveryField() throws Exception {
        Dhcp6Message m = Dhcp6Message.decode(ADVERTISE_WIRE);
        assertEquals(advertise(), m);
        assertEquals(Dhcp6MessageType.ADVERTISE, m.type());
        assertEquals(Optional.of(SERVER), m.serverId());
        assertEquals(Duid.LLT, m.serverId().orElseThrow().type());
        assertEquals(Duid.UUID, m.clientId().orElseThrow().type());
        IaNa ia = m.iaNa(1).orElseThrow();
        assertEquals(60, ia.t1());
        assertEquals(105, ia.t2());
        assertEquals(StatusCode.SUCCESS, ia.statusCode());
        assertEquals("fd00:db8:1::123", ia.addresses().get(0).address().toString());
        assertEquals(180, ia.addresses().get(0).validLifetime());
        assertEquals(10, m.preference());
        assertTrue(m.status().success(), "no top-level status means success");
        assertFalse(m.rapidCommit());
        assertEquals(Hex.of(ADVERTISE_WIRE), Hex.of(m.encode()));
    }

    @Test
    void dnsmasqsCapturedAdvertiseDecodesAndEncodesByteForByte() throws Exception {
        Dhcp6Message m = Dhcp6Message.decode(DNSMASQ_ADVERTISE_CAPTURE);
        assertEquals(Dhcp6MessageType.ADVERTISE, m.type());
        assertEquals(0x5a5a5a, m.transactionId());
        assertEquals(Duid.forAttachment("jni-it", "eth0"), m.clientId().orElseThrow());
        assertEquals(Duid.LLT, m.serverId().orElseThrow().type());
        IaNa ia = m.iaNa(1).orElseThrow();
        assertEquals(60, ia.t1());
        assertEquals(105, ia.t2());
        IaAddress address = ia.addresses().get(0);
        assertEquals(Ipv6.parse("fd00:72:4a::1bd"), address.address());
        assertEquals(120, address.preferredLifetime());
        assertEquals(120, address.validLifetime());
        assertEquals(0, m.preference(), "dnsmasq sends preference 0");
        assertEquals(List.of("lan.test"), m.find(DomainList.class).orElseThrow().names());
        assertEquals(List.of(Ipv6.parse("fd00:72:4a::fe")), m.find(DnsServers.class).orElseThrow().servers());
        assertEquals(Hex.of(DNSMASQ_ADVERTISE_CAPTURE), Hex.of(m.encode()));
    }

    @Test
    void nestedStatusInsideAnAddressAndUnknownOptionsSurvive() throws Exception {
        byte[] wire = Hex.bytes("07 00 00 01",
                "00 03 00 33  00 00 00 07  00000000 00000000",
                "   00 05 00 1f  fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 05  00000000 00000000",
                "                00 0d 00 03  00 02 78",                      // IAADDR's own status: NoAddrsAvail "x"
                "   00 63 00 00",                                             // unknown option 99 inside the IA
                "00 e0 00 02  ab cd");                                        // unknown option 224
        Dhcp6Message m = Dhcp6Message.decode(wire);
        IaNa ia = m.iaNa(7).orElseThrow();
        assertEquals(Optional.of(new StatusCode(StatusCode.NO_ADDRS_AVAIL, "x")), ia.addresses().get(0).status());
        assertEquals(List.of(new Dhcp6Option.Raw(99, new byte[0])), ia.others());
        assertEquals(new Dhcp6Option.Raw(224, new byte[] {(byte) 0xab, (byte) 0xcd}),
                m.find(Dhcp6Option.Raw.class).orElseThrow());
        assertEquals(m, Dhcp6Message.decode(m.encode()));
    }

    @Test
    void statusCodeDescribesWithoutControlCharacters() {
        assertEquals("NoAddrsAvail \"no\\?more\"".replace("\\", ""),
                new StatusCode(StatusCode.NO_ADDRS_AVAIL, "no\nmore").describe());
        assertEquals("NotOnLink", StatusCode.of(StatusCode.NOT_ON_LINK).describe());
    }

    @Test
    void attachmentDuidIsAStableVersion5UuidPerContainerAndInterface() {
        Duid a = Duid.forAttachment("c0ffee", "eth0");
        assertEquals(a, Duid.forAttachment("c0ffee", "eth0"));
        assertNotEquals(a, Duid.forAttachment("c0ffee", "net1"));
        assertNotEquals(a, Duid.forAttachment("c0ffef", "eth0"));
        assertEquals(Duid.UUID, a.type());
        assertEquals(18, a.length());
        byte[] b = a.bytes();
        assertEquals(0x50, b[2 + 6] & 0xf0, "version 5");
        assertEquals(0x80, b[2 + 8] & 0xc0, "RFC 4122 variant");
        assertEquals(a, Duid.fromHex(a.toString()));
    }

    @Test
    void duidLlOfAMac() {
        assertEquals("000300010242ac110002", Duid.linkLayer(new byte[] {2, 0x42, (byte) 0xac, 0x11, 0, 2}).toString());
    }

    // ---- malformed input: each refusal names what is wrong ----

    static String refusal(String... hex) {
        byte[] wire = Hex.bytes(hex);
        return assertThrows(DhcpParseException.class, () -> Dhcp6Message.decode(wire)).getMessage();
    }

    @Test
    void refusesMalformedMessages() {
        assertTrue(refusal("01 00 00").contains("shorter than its 4-byte header"));
        assertTrue(refusal("0c 00 00 00").contains("msg-type 12 is not a client/server message"));
        assertTrue(refusal("00 00 00 00").contains("msg-type 0"));
        assertTrue(refusal("07 00 00 01  00 01 00 20  00 04").contains("claims 32 bytes, only 2 left"));
        assertTrue(refusal("07 00 00 01  00 08").contains("truncated length of option 8"));
        assertTrue(refusal("07 00 00 01  00 08 00 03  00 00 00").contains("elapsed time of 3 bytes (it has 2)"));
        assertTrue(refusal("07 00 00 01  00 07 00 00").contains("preference of 0 bytes"));
        assertTrue(refusal("07 00 00 01  00 0e 00 01  00").contains("rapid commit of 1 bytes (it has 0)"));
        assertTrue(refusal("07 00 00 01  00 06 00 03  00 17 00").contains("option request of odd length 3"));
        assertTrue(refusal("07 00 00 01  00 17 00 0f", "00".repeat(15)).contains("DNS servers of 15 bytes"));
        assertTrue(refusal("07 00 00 01  00 0d 00 03  00 00 ff").contains("status message is not UTF-8"));
        assertTrue(refusal("07 00 00 01  00 0d 00 01  00").contains("truncated status code"));
    }

    @Test
    void refusesBadDuids() {
        assertTrue(refusal("07 00 00 01  00 01 00 05  00 04 01 02 03")
                .contains("DUID type 4 (DUID-UUID) of 5 bytes; it needs exactly 18"));
        assertTrue(refusal("07 00 00 01  00 02 00 06  00 01 00 01 00 00")
                .contains("DUID type 1 (DUID-LLT) of 6 bytes; it needs at least 9"));
        assertTrue(refusal("07 00 00 01  00 02 00 02  00 03").contains("DUID of 2 bytes"));
        assertTrue(refusal("07 00 00 01  00 02 00 83  00 05", "00".repeat(129)).contains("DUID of 131 bytes"));
    }

    @Test
    void refusesRepeatsAndMisplacedOptions() {
        String clientId = "00 01 00 12  00 04 " + UUID_HEX;
        assertTrue(refusal("07 00 00 01", clientId, clientId).contains("option 1 appears twice in message"));
        assertTrue(refusal("07 00 00 01  00 05 00 18", "00".repeat(24)).contains("an IAADDR outside an IA_NA"));
        assertTrue(refusal("07 00 00 01  00 03 00 08  00 00 00 01 00 00 00 00").contains("truncated T2"));
        assertTrue(refusal("07 00 00 01  00 03 00 10  00 00 00 01 00000000 00000000  00 03 00 00")
                .contains("an IA_NA inside an IA_NA"));
        assertTrue(refusal("07 00 00 01  00 03 00 14  00 00 00 01 00000000 00000000  00 05 00 04 00 00 00 00")
                .contains("truncated IAADDR address"));
        String twoStatuses = "00 03 00 18  00 00 00 01 00000000 00000000  00 0d 00 02 00 00  00 0d 00 02 00 00";
        assertTrue(refusal("07 00 00 01", twoStatuses).contains("option 13 appears twice in IA_NA"));
    }

    @Test
    void refusesCompressedOrUnsafeDomainNames() {
        assertTrue(refusal("07 00 00 01  00 18 00 06  03 6c 61 6e c0 00")
                .contains("compression pointer or reserved label type at offset 4"
                        + " (DHCPv6 names are never compressed)"));
        assertTrue(refusal("07 00 00 01  00 18 00 04  03 6c 61 6e").contains("name 1 runs past the end"));
        assertTrue(refusal("07 00 00 01  00 18 00 05  03 6c 0a 6e 00").contains("has a label with character 0xa"));
        assertTrue(refusal("07 00 00 01  00 18 00 01  00").contains("name 1 is the empty root name"));
        assertTrue(refusal("07 00 00 01  00 18 00 00").contains("empty domain list"));
    }

    @Test
    void errorsNameTheOffset() {
        String message = refusal("07 00 00 01  00 08 00 02 00 00  00 07 00 02 00 00");
        assertEquals("option 7 at offset 10 in message: preference of 2 bytes (it has 1)", message);
    }

    @Test
    void encoderRefusesWhatItCannotWrite() {
        assertThrows(IllegalArgumentException.class, () -> new Dhcp6Message(Dhcp6MessageType.REPLY, 0x1000000,
                List.of()));
        assertThrows(IllegalArgumentException.class, () -> new DomainList(List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new Dhcp6Message(Dhcp6MessageType.REPLY, 1, List.of(new DomainList(List.of("a b")))).encode());
        assertThrows(IllegalArgumentException.class, () -> IaAddress.of(Ipv6.ANY, -1, 0));
    }
}

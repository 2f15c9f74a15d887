package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

public class DhcpMessageTest {

    static final HardwareAddress MAC = HardwareAddress.parse("00:0b:82:01:fc:42");
    static final List<Integer> PRL = List.of(1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119, 121);

    /** A DISCOVER written out field by field from RFC 2131 figure 1 and RFC 2132. */
    public static final byte[] DISCOVER_WIRE = Hex.bytes(
            "01 01 06 00",                    // op BOOTREQUEST, htype Ethernet, hlen 6, hops 0
            "39 03 f3 26",                    // xid
            "00 03 80 00",                    // secs 3, flags: broadcast
            "00000000 00000000 00000000 00000000", // ciaddr yiaddr siaddr giaddr
            "00 0b 82 01 fc 42" + Hex.zeros(10), // chaddr, padded to 16
            Hex.zeros(64), Hex.zeros(128),   // sname, file
            "63 82 53 63",                    // magic cookie
            "35 01 01",                       // 53 message type DISCOVER
            "3d 07 01 00 0b 82 01 fc 42",     // 61 client id: type 1 + MAC
            "32 04 c0 a8 01 64",              // 50 requested address 192.168.1.100
            "0c 05 70 6f 64 2d 61",           // 12 host name "pod-a"
            "37 0d 01 03 06 0c 0f 1a 1c 33 36 3a 3b 77 79", // 55 parameter request list
            "ff",                             // end
            Hex.zeros(19));                   // pad to 300 bytes

    static DhcpMessage discover() {
        return DhcpMessage.builder()
                .xid(0x3903f326).secs(3).broadcast(true).chaddr(MAC)
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.DISCOVER)
                .put(DhcpOptions.CLIENT_ID, ClientIdentifier.ofHardware(1, MAC))
                .put(DhcpOptions.REQUESTED_ADDRESS, Ipv4.parse("192.168.1.100"))
                .put(DhcpOptions.HOST_NAME, "pod-a")
                .put(DhcpOptions.PARAMETER_REQUEST_LIST, PRL)
                .build();
    }

    /** A DHCPACK laid out the way dnsmasq sends one (its option order), with routes in option 121. */
    static final byte[] DNSMASQ_ACK = Hex.bytes(
            "02 01 06 00", "5a 3c 9e 01", "00 00 80 00",
            "00000000",                       // ciaddr
            "c0 a8 32 17",                    // yiaddr 192.168.50.23
            "c0 a8 32 01",                    // siaddr 192.168.50.1 (next server)
            "00000000",                       // giaddr
            "02 42 c0 a8 32 0a" + Hex.zeros(10),
            Hex.zeros(64), Hex.zeros(128), "63 82 53 63",
            "35 01 05",                       // ACK
            "36 04 c0 a8 32 01",              // server id
            "33 04 00 00 00 78",              // lease 120 s
            "3a 04 00 00 00 0a",              // T1 10 s
            "3b 04 00 00 00 14",              // T2 20 s
            "01 04 ff ff ff 00",              // mask /24
            "1c 04 c0 a8 32 ff",              // broadcast
            "03 04 c0 a8 32 01",              // router
            "06 08 c0 a8 32 01 08 08 08 08",  // DNS
            "0f 09 6c 61 6e 2e 6c 6f 63 61 6c", // domain "lan.local"
            "79 0d 18 0a 00 00 c0 a8 32 fe 00 c0 a8 32 01", // 10.0.0.0/24 via .254, default via .1
            "ff", Hex.zeros(6));

    @Test
    void discoverEncodesByteForByte() {
        byte[] wire = discover().encode();
        assertEquals(300, wire.length);
        assertEquals(Hex.of(DISCOVER_WIRE), Hex.of(wire));
    }

    @Test
    void discoverDecodesToTheSameMessage() throws Exception {
        DhcpMessage decoded = DhcpMessage.decode(DISCOVER_WIRE);
        assertEquals(discover(), decoded);
        assertEquals(DhcpMessage.BOOTREQUEST, decoded.op());
        assertEquals(6, decoded.hlen());
        assertTrue(decoded.broadcast());
        assertEquals(Optional.of(MessageType.DISCOVER), decoded.messageType());
        assertEquals(Optional.of("pod-a"), decoded.hostName());
        assertEquals(PRL, decoded.parameterRequestList());
        assertEquals(Optional.of(ClientIdentifier.ofHardware(1, MAC)), decoded.clientId());
        assertEquals(List.of(53, 61, 50, 12, 55), decoded.options().stream().map(DhcpOption::code).toList());
    }

    @Test
    void dnsmasqAckDecodes() throws Exception {
        DhcpMessage ack = DhcpMessage.decode(DNSMASQ_ACK);
        assertEquals(DhcpMessage.BOOTREPLY, ack.op());
        assertEquals(0x5a3c9e01, ack.xid());
        assertEquals(HardwareAddress.parse("02:42:c0:a8:32:0a"), ack.chaddr());
        assertEquals(Ipv4.parse("192.168.50.23"), ack.yiaddr());
        assertEquals(Ipv4.parse("192.168.50.1"), ack.siaddr());
        assertEquals(Optional.of(MessageType.ACK), ack.messageType());
        assertEquals(Optional.of(Ipv4.parse("192.168.50.1")), ack.serverId());
        assertEquals(Optional.of(120L), ack.leaseTime());
        assertEquals(Optional.of(10L), ack.renewalTime());
        assertEquals(Optional.of(20L), ack.rebindingTime());
        assertEquals(Optional.of(Ipv4.parse("255.255.255.0")), ack.subnetMask());
        assertEquals(Optional.of(Ipv4.parse("192.168.50.255")), ack.broadcastAddress());
        assertEquals(List.of(Ipv4.parse("192.168.50.1")), ack.routers());
        assertEquals(List.of(Ipv4.parse("192.168.50.1"), Ipv4.parse("8.8.8.8")), ack.dnsServers());
        assertEquals(Optional.of("lan.local"), ack.domainName());
        assertEquals(List.of(ClasslessRoute.of("10.0.0.0/24", "192.168.50.254"),
                ClasslessRoute.of("0.0.0.0/0", "192.168.50.1")), ack.classlessRoutes());
        assertEquals("", ack.sname());
        assertEquals("", ack.file());
    }

    @Test
    void decodedAckReencodesToTheSameBytesUpToPadding() throws Exception {
        DhcpMessage ack = DhcpMessage.decode(DNSMASQ_ACK);
        byte[] again = ack.encode();
        // The original carries 6 trailing pad octets after END; the encoder pads only up to 300 bytes.
        assertEquals(Hex.of(DNSMASQ_ACK).substring(0, 2 * again.length), Hex.of(again));
        assertEquals(ack, DhcpMessage.decode(again));
    }

    @Test
    void decodeHonoursOffsetAndLength() throws Exception {
        byte[] framed = new byte[DISCOVER_WIRE.length + 20];
        System.arraycopy(DISCOVER_WIRE, 0, framed, 7, DISCOVER_WIRE.length);
        framed[6] = (byte) 0xee;
        framed[7 + DISCOVER_WIRE.length] = (byte) 0xee;
        assertEquals(discover(), DhcpMessage.decode(framed, 7, DISCOVER_WIRE.length));
    }

    @Test
    void everyFieldRoundTrips() throws Exception {
        DhcpMessage m = DhcpMessage.builder().op(DhcpMessage.BOOTREPLY).htype(6).hops(3).xid(0xdeadbeef)
                .secs(65535).flags(0x8001)
                .ciaddr(Ipv4.parse("10.0.0.1")).yiaddr(Ipv4.parse("10.0.0.2")).siaddr(Ipv4.parse("10.0.0.3"))
                .giaddr(Ipv4.parse("10.0.0.4")).chaddr(HardwareAddress.parse("01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10"))
                .sname("server.example").file("/boot/pxelinux.0")
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.OFFER)
                .put(DhcpOptions.SUBNET_MASK, Ipv4.parse("255.255.0.0"))
                .put(DhcpOptions.ROUTERS, List.of(Ipv4.parse("10.0.0.1"), Ipv4.parse("10.0.0.254")))
                .put(DhcpOptions.DNS_SERVERS, List.of(Ipv4.parse("1.1.1.1")))
                .put(DhcpOptions.HOST_NAME, "h")
                .put(DhcpOptions.DOMAIN_NAME, "example.org")
                .put(DhcpOptions.INTERFACE_MTU, 9000)
                .put(DhcpOptions.BROADCAST_ADDRESS, Ipv4.parse("10.0.255.255"))
                .put(DhcpOptions.REQUESTED_ADDRESS, Ipv4.parse("10.0.0.2"))
                .put(DhcpOptions.LEASE_TIME, DhcpOptions.INFINITE_LEASE)
                .put(DhcpOptions.SERVER_ID, Ipv4.parse("10.0.0.3"))
                .put(DhcpOptions.PARAMETER_REQUEST_LIST, PRL)
                .put(DhcpOptions.MESSAGE, "ok")
                .put(DhcpOptions.RENEWAL_TIME, 1800L)
                .put(DhcpOptions.REBINDING_TIME, 3150L)
                .put(DhcpOptions.CLIENT_ID, ClientIdentifier.ofText("default/web-0"))
                .put(DhcpOptions.DOMAIN_SEARCH, List.of("eng.example.org", "example.org"))
                .put(DhcpOptions.CLASSLESS_ROUTES, List.of(ClasslessRoute.of("10.229.0.128/25", "10.0.0.1")))
                .putRaw(224, new byte[] {1, 2, 3})
                .putRaw(225, new byte[0])
                .build();
        DhcpMessage back = DhcpMessage.decode(m.encode());
        assertEquals(m, back);
        assertEquals(16, back.hlen());
        assertEquals(Optional.of(9000), back.mtu());
        assertEquals(Optional.of(DhcpOptions.INFINITE_LEASE), back.leaseTime());
        assertEquals(List.of("eng.example.org", "example.org"), back.domainSearch());
        assertArrayEquals(new byte[] {1, 2, 3}, back.option(224).orElseThrow().value());
        assertEquals(0, back.option(225).orElseThrow().length());
        assertEquals(Optional.of(ClientIdentifier.ofText("default/web-0")), back.clientId());
        assertEquals(m.toBuilder().build(), m);
    }

    @Test
    void putReplacesInPlaceAndRemoveDrops() {
        DhcpMessage m = DhcpMessage.builder()
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.DISCOVER)
                .put(DhcpOptions.HOST_NAME, "a")
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.REQUEST)
                .remove(12)
                .build();
        assertEquals(List.of(53), m.options().stream().map(DhcpOption::code).toList());
        assertEquals(Optional.of(MessageType.REQUEST), m.messageType());
    }

    @Test
    void builderRejectsWhatTheWireCannotCarry() {
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().op(3));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().secs(65536));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().sname("x".repeat(65)));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().putRaw(52, new byte[] {1}));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().putRaw(255, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().putRaw(1, new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().put(DhcpOptions.INTERFACE_MTU, 67));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.builder().put(DhcpOptions.HOST_NAME, "a\nb"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DhcpMessage.builder().put(DhcpOptions.DOMAIN_SEARCH, List.of("bad name.org")));
        assertTrue(e.getMessage().contains("option 119 (domain search)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HardwareAddress.of(new byte[17]));
    }

    @Test
    void toStringNamesTypeAndOptions() {
        String text = discover().toString();
        assertTrue(text.startsWith("DHCP DISCOVER xid=0x3903f326 chaddr=00:0b:82:01:fc:42 broadcast"), text);
        assertTrue(text.contains("option 12 (host name)=706f642d61"), text);
        assertFalse(text.contains("option 52"), text);
    }

    @Test
    void ipv4Values() {
        assertEquals("192.0.2.1", Ipv4.parse("192.0.2.1").toString());
        assertEquals(Ipv4.of(192, 0, 2, 1), Ipv4.fromInetAddress(Ipv4.parse("192.0.2.1").toInetAddress()));
        assertEquals(24, Ipv4.parse("255.255.255.0").maskPrefixLength().orElseThrow());
        assertEquals(0, Ipv4.ANY.maskPrefixLength().orElseThrow());
        assertEquals(32, Ipv4.BROADCAST.maskPrefixLength().orElseThrow());
        assertTrue(Ipv4.parse("255.0.255.0").maskPrefixLength().isEmpty());
        assertEquals(Ipv4.parse("10.229.0.128"), Ipv4.parse("10.229.0.200").network(25));
        for (String bad : List.of("1.2.3", "1.2.3.256", "1.2.3.-1", "a.b.c.d", "1..2.3", "01234.1.1.1", "")) {
            assertThrows(IllegalArgumentException.class, () -> Ipv4.parse(bad), bad);
        }
    }
}

package dev.terway.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.Ipv4;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ArpPacketTest {

    static final HardwareAddress OWN = HardwareAddress.parse("02:42:c0:a8:32:0a");
    static final HardwareAddress OTHER = HardwareAddress.parse("52:54:00:12:34:56");
    static final Ipv4 ADDRESS = Ipv4.parse("192.168.50.23");

    @Test
    void aProbeHasTheRfc5227LayoutByteForByte() {
        byte[] wire = ArpPacket.probe(OWN, ADDRESS).encode();
        assertEquals("0001" + "0800" + "06" + "04" + "0001"
                        + "0242c0a8320a" + "00000000"     // sender: our MAC, 0.0.0.0
                        + "000000000000" + "c0a83217",    // target: zero MAC, the address probed
                Hex.of(wire));
    }

    @Test
    void decodeReadsWhatEncodeWroteAndIgnoresEthernetPadding() {
        ArpPacket reply = new ArpPacket(ArpPacket.REPLY, OTHER, ADDRESS, OWN, Ipv4.ANY);
        byte[] padded = Arrays.copyOf(reply.encode(), 46);
        assertEquals(Optional.of(reply), ArpPacket.decode(padded, 0, padded.length));
        byte[] shifted = new byte[40];
        System.arraycopy(reply.encode(), 0, shifted, 5, ArpPacket.LENGTH);
        assertEquals(Optional.of(reply), ArpPacket.decode(shifted, 5, ArpPacket.LENGTH));
        assertEquals("ARP reply from 52:54:00:12:34:56 (192.168.50.23) for 0.0.0.0 at 02:42:c0:a8:32:0a",
                reply.toString());
        assertEquals("ARP probe from 02:42:c0:a8:32:0a (0.0.0.0) for 192.168.50.23",
                ArpPacket.probe(OWN, ADDRESS).toString());
    }

    @Test
    void anythingButIpv4OverEthernetRequestsAndRepliesIsNotAnArpPacketHere() {
        byte[] good = ArpPacket.probe(OWN, ADDRESS).encode();
        assertEquals(Optional.empty(), ArpPacket.decode(good, 0, ArpPacket.LENGTH - 1), "truncated");
        for (int[] change : new int[][] {{1, 6}, {2, 0x86}, {4, 8}, {5, 16}, {7, 3}, {7, 0}, {6, 1}}) {
            byte[] bad = good.clone();
            bad[change[0]] = (byte) change[1];
            assertEquals(Optional.empty(), ArpPacket.decode(bad, 0, bad.length), Arrays.toString(change));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> ArpPacket.decode(good, 20, 28));
    }

    @Test
    void claimsFollowRfc5227Section211() {
        HardwareAddress zero = HardwareAddress.parse("00:00:00:00:00:00");
        // any ARP packet whose sender IP is the address, request or reply, from another MAC
        assertEquals(Optional.of(ArpPacket.Claim.REPLY),
                new ArpPacket(ArpPacket.REPLY, OTHER, ADDRESS, OWN, Ipv4.ANY).claims(ADDRESS, OWN));
        assertEquals(Optional.of(ArpPacket.Claim.REQUEST),
                new ArpPacket(ArpPacket.REQUEST, OTHER, ADDRESS, zero, ADDRESS).claims(ADDRESS, OWN));
        // an ARP probe for the address from another MAC
        assertEquals(Optional.of(ArpPacket.Claim.PROBE), ArpPacket.probe(OTHER, ADDRESS).claims(ADDRESS, OWN));
        // not: our own frames, other addresses, ordinary requests for the address from a configured host
        assertEquals(Optional.empty(), ArpPacket.probe(OWN, ADDRESS).claims(ADDRESS, OWN));
        assertEquals(Optional.empty(),
                new ArpPacket(ArpPacket.REPLY, OWN, ADDRESS, OTHER, Ipv4.ANY).claims(ADDRESS, OWN));
        assertEquals(Optional.empty(),
                new ArpPacket(ArpPacket.REQUEST, OTHER, Ipv4.parse("192.168.50.1"), zero, ADDRESS).claims(ADDRESS, OWN));
        assertEquals(Optional.empty(), ArpPacket.probe(OTHER, Ipv4.parse("192.168.50.24")).claims(ADDRESS, OWN));
        assertTrue(ArpPacket.probe(OTHER, ADDRESS).isProbe());
    }

    @Test
    void malformedValuesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new ArpPacket(3, OWN, ADDRESS, OTHER, ADDRESS));
        assertThrows(IllegalArgumentException.class,
                () -> new ArpPacket(1, HardwareAddress.parse("01:02:03"), ADDRESS, OTHER, ADDRESS));
    }
}

package dev.terway.dhcp.codec;

import dev.terway.net.Ipv4;
import java.util.Objects;
import java.util.Optional;

/**
 * An ARP packet for IPv4 over Ethernet (RFC 826), the 28 bytes after the Ethernet header, and the RFC 5227
 * rules a DHCP client applies to the ARP packets it sees while it probes an offered address.
 *
 * @param operation {@link #REQUEST} or {@link #REPLY}
 */
public record ArpPacket(int operation, HardwareAddress senderMac, Ipv4 senderIp, HardwareAddress targetMac,
                        Ipv4 targetIp) {

    public static final int REQUEST = 1;
    public static final int REPLY = 2;
    /** hardware type 2 + protocol type 2 + lengths 2 + operation 2 + 2 × (6 + 4). */
    public static final int LENGTH = 28;

    private static final int HTYPE_ETHERNET = 1;
    private static final int PTYPE_IPV4 = 0x0800;
    private static final int MAC_LENGTH = 6;
    private static final HardwareAddress NO_MAC = HardwareAddress.of(new byte[MAC_LENGTH]);

    /** How a packet seen while probing shows that someone else has the address (RFC 5227 section 2.1.1). */
    public enum Claim {
        /** An ARP reply from the address: the host answered the probe, or another's question. */
        REPLY("answered for it with an ARP reply"),
        /** An ARP request sent from the address: the host uses it (an announcement, or a question of its own). */
        REQUEST("sent an ARP request from it"),
        /** An ARP probe for the address from another MAC: another host is about to take it at the same time. */
        PROBE("is probing for it at the same time");

        private final String text;

        Claim(String text) {
            this.text = text;
        }

        /** "answered for it with an ARP reply": reads after the claimant's MAC. */
        public String text() {
            return text;
        }
    }

    public ArpPacket {
        Objects.requireNonNull(senderMac);
        Objects.requireNonNull(senderIp);
        Objects.requireNonNull(targetMac);
        Objects.requireNonNull(targetIp);
        if (senderMac.length() != MAC_LENGTH || targetMac.length() != MAC_LENGTH) {
            throw new IllegalArgumentException("ARP over Ethernet carries 6-byte MACs, got " + senderMac + " and "
                    + targetMac);
        }
        if (operation != REQUEST && operation != REPLY) {
            throw new IllegalArgumentException("ARP operation must be 1 (request) or 2 (reply), got " + operation);
        }
    }

    /**
     * An ARP probe (RFC 5227 section 2.1.1): a request from {@code ownMac} with sender IP 0.0.0.0, so that
     * no host's ARP cache learns a binding for an address that is not yet ours, target MAC zero and
     * target IP the address probed.
     */
    public static ArpPacket probe(HardwareAddress ownMac, Ipv4 address) {
        return new ArpPacket(REQUEST, ownMac, Ipv4.ANY, NO_MAC, address);
    }

    /** A request with sender IP 0.0.0.0. */
    public boolean isProbe() {
        return operation == REQUEST && senderIp.isAny();
    }

    /**
     * Whether this packet, seen while {@code ownMac} probes {@code address}, shows that the address is in use
     * by another host (RFC 5227 section 2.1.1): any ARP request or reply whose sender IP is the address, or an
     * ARP probe for the address, from a MAC other than {@code ownMac}. Packets from {@code ownMac} are this
     * host's own.
     */
    public Optional<Claim> claims(Ipv4 address, HardwareAddress ownMac) {
        if (senderMac.equals(ownMac)) {
            return Optional.empty();
        }
        if (senderIp.equals(address)) {
            return Optional.of(operation == REPLY ? Claim.REPLY : Claim.REQUEST);
        }
        if (isProbe() && targetIp.equals(address)) {
            return Optional.of(Claim.PROBE);
        }
        return Optional.empty();
    }

    public byte[] encode() {
        byte[] out = new byte[LENGTH];
        out[1] = HTYPE_ETHERNET;
        out[2] = (byte) (PTYPE_IPV4 >>> 8);
        out[4] = MAC_LENGTH;
        out[5] = 4;
        out[7] = (byte) operation;
        System.arraycopy(senderMac.toBytes(), 0, out, 8, MAC_LENGTH);
        System.arraycopy(senderIp.toBytes(), 0, out, 14, 4);
        System.arraycopy(targetMac.toBytes(), 0, out, 18, MAC_LENGTH);
        System.arraycopy(targetIp.toBytes(), 0, out, 24, 4);
        return out;
    }

    /**
     * Reads an ARP packet; empty for anything that is not an IPv4-over-Ethernet request or reply (other
     * hardware or protocol types, RARP, truncated data). Bytes after the 28 (Ethernet padding) are ignored.
     */
    public static Optional<ArpPacket> decode(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        if (length < LENGTH) {
            return Optional.empty();
        }
        int htype = u16(data, offset);
        int ptype = u16(data, offset + 2);
        int operation = u16(data, offset + 6);
        if (htype != HTYPE_ETHERNET || ptype != PTYPE_IPV4 || data[offset + 4] != MAC_LENGTH || data[offset + 5] != 4
                || (operation != REQUEST && operation != REPLY)) {
            return Optional.empty();
        }
        return Optional.of(new ArpPacket(operation, mac(data, offset + 8), Ipv4.fromBytes(data, offset + 14),
                mac(data, offset + 18), Ipv4.fromBytes(data, offset + 24)));
    }

    @Override
    public String toString() {
        return (operation == REQUEST ? (isProbe() ? "ARP probe" : "ARP request") : "ARP reply") + " from "
                + senderMac + " (" + senderIp + ") for " + targetIp + (operation == REPLY ? " at " + targetMac : "");
    }

    private static int u16(byte[] data, int at) {
        return (data[at] & 0xff) << 8 | data[at + 1] & 0xff;
    }

    private static HardwareAddress mac(byte[] data, int at) {
        byte[] bytes = new byte[MAC_LENGTH];
        System.arraycopy(data, at, bytes, 0, MAC_LENGTH);
        return HardwareAddress.of(bytes);
    }
}

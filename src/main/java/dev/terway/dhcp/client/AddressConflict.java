package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import java.time.Instant;
import java.util.Objects;

/**
 * An acknowledged address that the ARP probe found in use, and that the client declined.
 *
 * @param address  the address the server acknowledged
 * @param claimant the MAC of the host that has it
 * @param claim    how that host showed it
 * @param server   the server that offered it, to which the DHCPDECLINE went
 * @param at       when the conflicting ARP packet arrived
 */
public record AddressConflict(Ipv4 address, HardwareAddress claimant, ArpPacket.Claim claim, Ipv4 server,
                              Instant at) {

    public AddressConflict {
        Objects.requireNonNull(address);
        Objects.requireNonNull(claimant);
        Objects.requireNonNull(claim);
        Objects.requireNonNull(server);
        Objects.requireNonNull(at);
    }

    /** "192.0.2.100 (in use: 02:00:00:00:00:01 answered for it with an ARP reply)". */
    public String describe() {
        return address + " (in use: " + claimant + " " + claim.text() + ")";
    }
}

package dev.terway.dhcp.client;

import dev.terway.net.Ipv4;
import java.util.Optional;

/**
 * Why a held lease ended without a release: the address must come off the pod.
 *
 * @param state the state the client was in when the lease was lost
 * @param server the server that sent the NAK or a different address, when there was one
 * @param serverMessage option 56 text of a NAK
 */
public record LeaseLoss(Reason reason, ClientState state, Optional<Ipv4> server, Optional<String> serverMessage) {

    public enum Reason {
        /** No server extended the lease before it ran out. */
        EXPIRED,
        /** A server refused the lease (DHCPNAK). */
        NAK,
        /** A server acknowledged a different address than the one held. */
        ADDRESS_CHANGED
    }

    public String describe() {
        return switch (reason) {
            case EXPIRED -> "lease expired in " + state + " without an answer from any server";
            case NAK -> "server " + server.map(Ipv4::toString).orElse("(unidentified)") + " sent DHCPNAK in " + state
                    + serverMessage.map(m -> ": \"" + m + "\"").orElse("");
            case ADDRESS_CHANGED -> "server " + server.map(Ipv4::toString).orElse("(unidentified)")
                    + " acknowledged a different address in " + state;
        };
    }
}

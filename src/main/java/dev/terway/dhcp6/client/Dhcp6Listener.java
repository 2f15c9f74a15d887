package dev.terway.dhcp6.client;

import dev.terway.dhcp6.codec.Duid;
import dev.terway.net.Ipv6;

/**
 * What a {@link Dhcp6Client} tells its owner, synchronously from its event methods; a listener must not call
 * back into the same client (it throws), but may queue work.
 */
public interface Dhcp6Listener {

    /** A lease was bound: acquired, or restored after a restart (confirmed, rebound, or kept for want of an answer). */
    void bound(IaNaLease lease);

    /** A RENEW or REBIND (or a REQUEST after NoBinding) extended the lease of the same address: new lifetimes. */
    void renewed(IaNaLease lease);

    /**
     * The lease ended without a release (valid lifetime over, NotOnLink, withdrawn, another address granted): the
     * address must go. {@code why} says it for people.
     */
    void lost(IaNaLease lease, Dhcp6LossReason reason, String why);

    /** An acquisition gave up; the client is STOPPED. {@code report} names what was sent and what came back. */
    void failed(String report);

    /**
     * The client is about to send the first REQUEST of an acquisition (none held) for {@code address} to
     * {@code server}: from then on the server may commit a binding, so an owner that persists leases records it
     * now, and a crash before the REPLY is stored can be released at the next start.
     */
    default void requesting(Duid server, Ipv6 address) {
    }

    /** An exchange ended: what was sent and what came of it (counted by the daemon for its metrics). */
    default void exchanged(Dhcp6ExchangeOutcome outcome) {
    }

    default void stateChanged(Dhcp6ClientState from, Dhcp6ClientState to) {
    }

    /** A reply was unusable or a send failed; the client carries on. */
    default void warning(String message) {
    }
}

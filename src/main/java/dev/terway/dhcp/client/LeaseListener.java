package dev.terway.dhcp.client;

/**
 * What a {@link DhcpClient} tells its owner. Called synchronously from the client's event methods;
 * a listener must not call back into the same client (it throws), but may queue work for later.
 */
public interface LeaseListener {

    /** A lease was acquired (DORA, INIT-REBOOT ACK, or a restored lease kept after no answer). */
    void bound(Lease lease);

    /** A renewal or rebind extended the lease for the same address; new times and options. */
    void renewed(Lease lease);

    /** The lease ended without release (expiry, NAK, a different address): remove the address. */
    void lost(Lease lease, LeaseLoss loss);

    /**
     * A lease lost while held (NAK, expiry, an ACK for another address) was replaced by one for a different
     * address, though the client asked for the old one again. Under {@link AddressChangePolicy#FOLLOW} it
     * comes right before {@link #bound} of the new lease; under {@link AddressChangePolicy#REMOVE} the new
     * lease has been released and the client is STOPPED (nothing is bound).
     */
    default void addressChanged(AddressChange change) {
    }

    /** An acquisition gave up; the client is STOPPED. */
    void failed(AcquireFailure failure);

    /**
     * The client is about to REQUEST the address of an OFFER ({@code offered}: the lease the OFFER
     * describes, not yet granted). From the first REQUEST on, the server may commit the lease; an owner
     * that persists leases records it now, so that a crash before the ACK is stored leaves a trace of
     * a lease the server may hold.
     */
    default void requesting(Lease offered) {
    }

    /**
     * The ARP probe found the acknowledged address in use: the client has sent DHCPDECLINE for it and
     * discovers again after {@link DhcpClientConfig#declineWait()}, within the same acquisition.
     */
    default void declined(AddressConflict conflict) {
    }

    /**
     * The acknowledged address could not be probed (the probe could not be sent): the client binds it
     * unchecked. {@code why} says what failed.
     */
    default void unprobed(Lease lease, String why) {
    }

    /**
     * An exchange ended: an OFFER taken, a REQUEST acknowledged, refused, declined or unanswered in time. Called
     * before the callbacks that follow from it ({@link #bound}, {@link #renewed}, {@link #lost}, {@link #failed}).
     */
    default void exchanged(ExchangeOutcome outcome) {
    }

    /** Every state change, for one-line logs (RENEWING, REBINDING, ...). */
    default void stateChanged(ClientState from, ClientState to) {
    }

    /** A reply for this client was unusable or a send failed; the client carries on. */
    default void warning(String message) {
    }
}

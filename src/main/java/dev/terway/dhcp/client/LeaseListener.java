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

    /** An acquisition gave up; the client is STOPPED. */
    void failed(AcquireFailure failure);

    /** Every state change, for one-line logs (RENEWING, REBINDING, ...). */
    default void stateChanged(ClientState from, ClientState to) {
    }

    /** A reply for this client was unusable or a send failed; the client carries on. */
    default void warning(String message) {
    }
}

package dev.terway.dhcp.client;

import dev.terway.net.Ipv4;
import java.util.Objects;

/**
 * A held lease was lost and the server granted another address instead of the old one, which the client
 * had asked for again (option 50).
 *
 * @param previous the address the pod had
 * @param current  the lease the server granted: bound under {@link AddressChangePolicy#FOLLOW}, released at
 *                 once under {@link AddressChangePolicy#REMOVE}
 * @param cause    how the old lease ended
 * @param policy   what the client did
 */
public record AddressChange(Ipv4 previous, Lease current, LeaseLoss cause, AddressChangePolicy policy) {

    public AddressChange {
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(policy, "policy");
    }

    /** "192.0.2.10 -> 192.0.2.77 (server 192.0.2.254 sent DHCPNAK in RENEWING: ...)". */
    public String describe() {
        return previous + " -> " + current.address() + " (" + cause.describe() + ")";
    }
}

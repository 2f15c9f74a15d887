package dev.terway.dhcp.daemon;

import java.util.Objects;
import java.util.Optional;
import dev.terway.net.Ipv4;

/**
 * One pod interface's lease as the daemon's {@code status} shows it.
 *
 * @param state        the client's state in lower case ({@code bound}, {@code renewing}, {@code rebinding},
 *                     {@code selecting}, …; {@code starting} before the first DISCOVER)
 * @param held         the lease the pod holds now; empty while it has none
 * @param lost         the lease was lost (expiry, NAK) and no lease has been bound since
 * @param lostAddress  the address of the lease lost last, while {@code lost}
 * @param lastFailure  the last failed attempt to get a lease, until one is bound
 */
public record LeaseStatus(PodIdentity pod, String state, Optional<HeldLease> held, boolean lost,
                          Optional<Ipv4> lostAddress, Optional<String> lastFailure) {

    public LeaseStatus {
        Objects.requireNonNull(pod, "pod");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(held, "held");
        Objects.requireNonNull(lostAddress, "lostAddress");
        Objects.requireNonNull(lastFailure, "lastFailure");
    }
}

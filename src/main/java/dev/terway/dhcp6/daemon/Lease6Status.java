package dev.terway.dhcp6.daemon;

import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.net.Ipv6;
import java.util.Objects;
import java.util.Optional;

/**
 * A pod interface's DHCPv6 lease as `terway status` shows it: the client's state in lower case
 * ({@code bound}, {@code renewing}, {@code rebinding}, {@code soliciting}, …), the lease held if any, whether
 * it was lost and is being acquired again (and which address it had), and the last acquisition failure.
 */
public record Lease6Status(PodIdentity pod, String state, Optional<HeldLease6> held, boolean lost,
                           Optional<Ipv6> lostAddress, Optional<String> lastFailure) {

    public Lease6Status {
        Objects.requireNonNull(pod, "pod");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(held, "held");
        Objects.requireNonNull(lostAddress, "lostAddress");
        Objects.requireNonNull(lastFailure, "lastFailure");
    }
}

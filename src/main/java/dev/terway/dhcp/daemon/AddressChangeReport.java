package dev.terway.dhcp.daemon;

import dev.terway.dhcp.client.AddressChangePolicy;
import java.time.Instant;
import java.util.Objects;

/**
 * A pod's lease was lost and the server granted another address in its place (see
 * {@link dev.terway.dhcp.client.AddressChange}): what the daemon tells whoever keeps records of the pod
 * (the attachment record beside the socket).
 *
 * @param previous the address the pod had, with its prefix
 * @param granted  the address the server granted, with its prefix: the pod's now under follow, released
 *                 under remove
 * @param cause    how the old lease ended, as the log says it
 */
public record AddressChangeReport(PodIdentity pod, String previous, String granted, AddressChangePolicy policy,
                                  String cause, Instant at) {

    public AddressChangeReport {
        Objects.requireNonNull(pod, "pod");
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(granted, "granted");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(at, "at");
    }
}

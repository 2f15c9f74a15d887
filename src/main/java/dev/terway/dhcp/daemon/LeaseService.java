package dev.terway.dhcp.daemon;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The daemon's leases, as the in-process CNI handler and the socket API see them. Implementations are
 * safe for concurrent use: kubelet adds and deletes pods in parallel.
 */
public interface LeaseService {

    /**
     * Obtains a lease for the pod interface and keeps renewing it until {@link #release}. Blocks until the
     * lease is bound or {@link AcquireRequest#timeout()} has passed. Acquiring again for an interface that
     * already holds a lease returns the held lease.
     *
     * @throws LeaseException with the precise failure report (interface, DISCOVERs sent, servers and
     *                        their replies) when no lease was bound in time
     */
    HeldLease acquire(AcquireRequest request) throws LeaseException;

    /**
     * Sends DHCPRELEASE for the interface's lease and forgets it.
     *
     * @return false when nothing was held for this interface; never throws for an unknown lease
     */
    boolean release(String containerId, String ifname);

    /**
     * Like {@link #release}, for an interface that is gone: CNI DEL, GC and a failed ADD delete the pod's
     * veth before they give its address back, so that the pod no longer answers for an address the server
     * may already be handing to another. The DHCPRELEASE goes out from the node at once, without a look
     * into the pod for the address.
     */
    default boolean releaseUnplugged(String containerId, String ifname) {
        return release(containerId, ifname);
    }

    /** Every lease held now, in a stable order (container id, then interface). */
    List<HeldLease> list();

    /** Event counts since the service started, by name (e.g. "addressConflicts"); empty when it keeps none. */
    default Map<String, Long> counters() {
        return Map.of();
    }

    /**
     * Like {@link #release} but returns the lease that was released, for callers that report it. The
     * default looks the lease up first; the daemon's implementation does both in one step.
     */
    default Optional<HeldLease> releaseLease(String containerId, String ifname) {
        Optional<HeldLease> held = list().stream()
                .filter(l -> l.containerId().equals(containerId) && l.ifname().equals(ifname))
                .findFirst();
        return release(containerId, ifname) ? held : Optional.empty();
    }
}

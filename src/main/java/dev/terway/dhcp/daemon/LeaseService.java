package dev.terway.dhcp.daemon;

import java.util.List;

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
     * Sends DHCPRELEASE for the interface's lease (when its netns still exists) and forgets it.
     *
     * @return false when nothing was held for this interface; never throws for an unknown lease
     */
    boolean release(String containerId, String ifname);

    /** Every lease held now, in a stable order (container id, then interface). */
    List<HeldLease> list();
}

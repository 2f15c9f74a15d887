package dev.terway.cni.ipam;

import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.spec.CniException;
import java.util.Optional;
import java.util.Set;

/**
 * The DHCP leases as the CNI verbs use them. In the daemon it is the daemon's LeaseService; in the
 * in-process fallback of `cni-terway` (daemon down) releases are queued for the daemon instead.
 */
public interface LeaseGateway {

    /** Leases an address for the pod interface; "try again later" (11) with the failure report if none. */
    PodAddress acquire(LeaseRequest request) throws CniException;

    /**
     * Releases the lease of an interface that is gone by now: the verbs delete the pod's veth first, so the
     * pod never answers for an address the server may already be handing to another. False when none was
     * held. Never fails for an unknown lease.
     */
    boolean release(String containerId, String ifname);

    /** How a DEL reports a {@link #release} that returned {@code released}, for the log. */
    default String describeRelease(boolean released) {
        return released ? "lease released" : "no lease held";
    }

    /** The attachments holding a lease now, or empty when this gateway cannot know (daemon down). */
    Optional<Set<Attachment>> held();

    /** A (container id, interface) pair. */
    record Attachment(String containerId, String ifname) {
    }
}

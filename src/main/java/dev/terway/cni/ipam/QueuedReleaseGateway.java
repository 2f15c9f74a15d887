package dev.terway.cni.ipam;

import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import java.util.Optional;
import java.util.Set;

/**
 * The lease gateway of the in-process fallback, used while the daemon is down: releases are queued in
 * {@link PendingReleases} for the daemon, nothing can be acquired and holdings are unknown.
 */
public final class QueuedReleaseGateway implements LeaseGateway {

    private final PendingReleases pending;

    public QueuedReleaseGateway(PendingReleases pending) {
        this.pending = pending;
    }

    @Override
    public PodAddress acquire(LeaseRequest request) throws CniException {
        throw new CniException(CniErrorCode.TRY_AGAIN_LATER,
                "cannot lease an address: the terway daemon is not running; try again later");
    }

    @Override
    public boolean release(String containerId, String ifname) {
        pending.mark(containerId, ifname);
        return true;
    }

    @Override
    public String describeRelease(boolean released) {
        return "lease release (DHCP and DHCPv6) queued for the daemon";
    }

    @Override
    public Optional<Set<Attachment>> held() {
        return Optional.empty();
    }
}

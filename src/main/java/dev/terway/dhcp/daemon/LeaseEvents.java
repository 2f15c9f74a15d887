package dev.terway.dhcp.daemon;

import java.util.Objects;
import java.util.Optional;

/**
 * What the DHCP side tells about a pod's lease after ADD got it: bound again (renewed, restored after a
 * restart, re-acquired after a loss, with the same address or another) and lost. The receiver (the daemon's
 * pod-network upkeep) looks at the pod and gives it what the lease and its network configuration say.
 */
public interface LeaseEvents {

    /** How the lease came to be bound. */
    enum Kind {
        /**
         * T1 has come and the renewal goes out: the lease is still the pod's, and a pod that lost its address
         * (flushed by hand) gets it back now, or the server's answer could not reach it.
         */
        RENEWAL_DUE("due for renewal"),
        /** Renewed (or rebound) by the server that granted it. */
        RENEWED("renewed"),
        /** Taken up again after a daemon restart (INIT-REBOOT). */
        RESTORED("restored"),
        /** Acquired again after a loss (expiry, NAK), with the same address or, followed, another. */
        REACQUIRED("acquired again");

        private final String text;

        Kind(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** A lease bound for a pod; {@code network} is empty for leases not obtained through a CNI ADD. */
    record Bound(Kind kind, HeldLease lease, Optional<PodNetworkConfig> network) {

        public Bound {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(lease, "lease");
            Objects.requireNonNull(network, "network");
        }
    }

    /** The pod's lease is bound again (or due for renewal): the pod gets (back) its address, routes and MTU. */
    void bound(Bound event);

    /** The lease ended without a release: take the address {@code cidr} off the pod. */
    void lost(PodIdentity pod, String cidr, String why);

    /** Whether the pod's interface has the address {@code cidr} now (false when it cannot be told). */
    boolean holds(PodIdentity pod, String cidr);
}

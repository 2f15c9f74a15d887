package dev.terway.dhcp.daemon;

/** Keeps a pod's address in step with its lease; see {@link PodAddressUpkeep}. */
public interface AddressUpkeep {

    /** A renewal extended the lease: extend the address's lifetimes, if the pod has the address. */
    void refresh(HeldLease lease);

    /** The lease ended without a release: take the address {@code cidr} off the pod. */
    void remove(PodIdentity pod, String cidr, String why);

    /** Whether the pod's interface has the address {@code cidr} now (false when it cannot be told). */
    boolean holds(PodIdentity pod, String cidr);

    /** A lease was obtained again after a loss: put the address (and its routes) back. */
    void restore(HeldLease lease);
}

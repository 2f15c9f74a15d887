package dev.terway.dhcp6.daemon;

/**
 * What the DHCPv6 side tells about a pod's lease after ADD got it, so the pod's address follows the lease:
 * bound again (renewed with new lifetimes, restored after a restart, re-acquired after a loss) and lost.
 * Called off the pod's lock, in order, on the daemon's upkeep thread.
 */
public interface Dhcp6LeaseEvents {

    enum Kind {
        RENEWED("renewed"), RESTORED("restored"), REACQUIRED("acquired again");

        private final String text;

        Kind(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** The lease is bound with these lifetimes: the pod's address gets them (or comes back). */
    void bound(Kind kind, HeldLease6 lease);

    /** The lease ended without a release: the address comes off the pod. */
    void lost(HeldLease6 lease, String why);

    /** Tells nobody: for a daemon whose pods' IPv6 nobody keeps up (tests, a service without the CNI side). */
    Dhcp6LeaseEvents NONE = new Dhcp6LeaseEvents() {
        @Override
        public void bound(Kind kind, HeldLease6 lease) {
        }

        @Override
        public void lost(HeldLease6 lease, String why) {
        }
    };
}

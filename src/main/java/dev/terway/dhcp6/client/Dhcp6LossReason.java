package dev.terway.dhcp6.client;

import java.util.Locale;

/** Why a held DHCPv6 lease ended without a release (the address comes off the pod). */
public enum Dhcp6LossReason {
    /** Its valid lifetime ended without a server extending it (also while the daemon was down). */
    EXPIRED,
    /** A server said the address is not on the pod's link (RENEW, REBIND, CONFIRM, REQUEST after NoBinding). */
    NOT_ON_LINK,
    /** A server returned the address with valid lifetime 0. */
    WITHDRAWN,
    /** A server granted another address than the one held. */
    ADDRESS_CHANGED;

    /** Lower case, as metric labels spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package dev.terway.status;

import java.util.Locale;
import java.util.Objects;

/** One thing on the node that needs attention: which check found it and what it is, in words. */
public record Finding(Check check, String message) {

    /** The checks {@code terway status} makes; their names are stable (the JSON's {@code check}). */
    public enum Check {
        DAEMON_DOWN, SETUP_MISSING, SETUP_UNREADABLE, LINKS_UNREADABLE, BRIDGE_MISSING, BRIDGE_DOWN, NIC_MISSING,
        NIC_NOT_ENSLAVED, ORPHAN_VETH, VETH_MISSING, VETH_OFF_BRIDGE, LEASE_LOST, LEASE_EXPIRED, LEASE_REBINDING,
        LEASE_FAILING, RECENT_ERROR;

        /** {@code bridge-missing}, …: how the report names the check. */
        public String text() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public Finding {
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(message, "message");
    }
}

package dev.terway.dhcp.daemon;

import java.util.List;

/**
 * No lease could be obtained. The message is the complete report for the operator: which interface,
 * how many DISCOVERs/REQUESTs were sent over how long, and which servers replied with what.
 */
public final class LeaseException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Addresses declined as in use during the acquisition, described ("192.0.2.100 (in use: ...)"). */
    private final List<String> declined;

    public LeaseException(String report) {
        this(report, List.of());
    }

    public LeaseException(String report, List<String> declined) {
        super(report);
        this.declined = List.copyOf(declined);
    }

    public LeaseException(String report, Throwable cause) {
        super(report, cause);
        this.declined = cause instanceof LeaseException e ? e.declined : List.of();
    }

    /** The acknowledged addresses the ARP probe found in use and the daemon declined, described; often none. */
    public List<String> declined() {
        return declined;
    }
}

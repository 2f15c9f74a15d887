package dev.terway.dhcp.daemon;

/**
 * No lease could be obtained. The message is the complete report for the operator: which interface,
 * how many DISCOVERs/REQUESTs were sent over how long, and which servers replied with what.
 */
public final class LeaseException extends Exception {

    private static final long serialVersionUID = 1L;

    public LeaseException(String report) {
        super(report);
    }

    public LeaseException(String report, Throwable cause) {
        super(report, cause);
    }
}

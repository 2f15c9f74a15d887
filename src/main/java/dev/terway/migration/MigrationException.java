package dev.terway.migration;

/**
 * A setup or teardown that was refused or failed. The message is complete for an operator: it names the
 * action, the object and the cause, and says what was rolled back.
 */
public final class MigrationException extends Exception {

    private static final long serialVersionUID = 1L;

    public MigrationException(String message) {
        super(message);
    }

    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.terway.ship;

/** An install or uninstall that cannot go ahead; the message names the action, the path and the cause. */
public final class InstallException extends Exception {

    private static final long serialVersionUID = 1L;

    public InstallException(String message) {
        super(message);
    }

    public InstallException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.terway.daemon;

import java.io.IOException;

/** No connection to the daemon could be made: nothing was sent, so nothing was done on its side. */
public final class DaemonUnreachableException extends IOException {

    private static final long serialVersionUID = 1L;

    public DaemonUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}

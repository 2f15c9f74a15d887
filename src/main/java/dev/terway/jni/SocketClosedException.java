package dev.terway.jni;

import java.io.IOException;

/** An operation was attempted on, or interrupted by closing, a {@link NetnsUdpSocket}. */
public final class SocketClosedException extends IOException {

    SocketClosedException(String operation, String socket) {
        super(operation + " " + socket + " failed: socket closed");
    }

    /** The call was under way when the socket was closed and failed because of it (e.g. EPIPE). */
    SocketClosedException(String operation, String socket, Throwable whatTheCallSaw) {
        super(operation + " " + socket + " failed: socket closed", whatTheCallSaw);
    }
}

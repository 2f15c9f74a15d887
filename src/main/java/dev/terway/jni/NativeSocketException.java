package dev.terway.jni;

import java.io.IOException;
import java.util.Optional;

/**
 * A system call made by the native socket helper failed. The message reads
 * "{operation} {object} failed: {strerror(errno)}", e.g.
 * "setns into /var/run/netns/x failed: Invalid argument (not a network namespace)".
 */
public class NativeSocketException extends IOException {

    private final String operation;
    private final String object;
    private final int errno;
    private final String errnoText;
    private final String hint;

    /** Called from the C code, so keep the signature in step with terway_netns_udp.c. */
    public NativeSocketException(String operation, String object, int errno, String errnoText, String hint) {
        super(operation + " " + object + " failed: " + errnoText + (hint == null ? "" : " (" + hint + ")"));
        this.operation = operation;
        this.object = object;
        this.errno = errno;
        this.errnoText = errnoText;
        this.hint = hint;
    }

    /** What was being done, e.g. "setns into" or "bind to device". */
    public String operation() {
        return operation;
    }

    /** What it was done to, e.g. the namespace path or "eth0 in /var/run/netns/x". */
    public String object() {
        return object;
    }

    /** The errno value the system call left (Linux numbering), e.g. 19 for ENODEV. */
    public int errno() {
        return errno;
    }

    /** strerror(errno). */
    public String errnoText() {
        return errnoText;
    }

    /** A likely explanation added for well-known causes, e.g. "not a network namespace". */
    public Optional<String> hint() {
        return Optional.ofNullable(hint);
    }
}

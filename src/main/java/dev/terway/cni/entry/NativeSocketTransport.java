package dev.terway.cni.entry;

import dev.terway.cni.spec.CniReply;
import dev.terway.daemon.DaemonProtocol;
import dev.terway.daemon.DaemonUnreachableException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The daemon exchange of {@link UnixSocketTransport} done in C (src/main/c/terway_cni_exchange.c,
 * libterwaycni.so). Measured on a forwarded ADD: the interpreted client spends about half its CPU time
 * initialising java.nio's unix-domain sockets (selector provider look-up, a SecureRandom that loads the
 * security providers); this makes the same exchange with four system calls. {@link #loadOrNull} falls
 * back to the java.nio transport when the library is missing. The request, the limits and the answer's
 * parsing are {@link DaemonProtocol}'s, so both transports speak the same protocol (docs/protocol.md).
 */
public final class NativeSocketTransport implements DaemonTransport {

    static final String LIBRARY = "terwaycni";

    private final int timeoutMillis;

    private NativeSocketTransport(int timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    /** The native transport, or null when libterwaycni.so is not on java.library.path. */
    public static NativeSocketTransport loadOrNull(int timeoutMillis) {
        try {
            System.loadLibrary(LIBRARY);
            return new NativeSocketTransport(timeoutMillis);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    @Override
    public CniReply exchange(Path socket, String requestJson) throws IOException {
        byte[] answer = exchange(socket.toString(), DaemonProtocol.requestBytes(socket, requestJson), timeoutMillis,
                DaemonProtocol.MAX_RESPONSE_BYTES);
        return UnixSocketTransport.parse(socket, answer);
    }

    /**
     * Connects, sends {@code request}, half-closes and reads to the end, all within {@code timeoutMillis}.
     *
     * @throws DaemonUnreachableException when the connection fails or is not accepted in time (nothing was sent)
     * @throws IOException                when the exchange breaks later, times out or the answer is too big
     */
    private static native byte[] exchange(String socket, byte[] request, int timeoutMillis, int maxAnswer)
            throws IOException;
}

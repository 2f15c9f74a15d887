package dev.terway.dhcp.daemon;

import java.io.IOException;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * The DHCP client's socket in a pod: UDP port 68 on the pod interface, inside the pod's netns. An
 * interface so the lease service can be tested with an in-memory server; the daemon uses
 * {@link NetnsPodSockets} (the JNI socket).
 */
public interface PodSocket extends AutoCloseable {

    /** Opens sockets; {@link IOException} messages name the netns, the interface and the cause. */
    @FunctionalInterface
    interface Factory {
        PodSocket open(Path netns, String ifname) throws IOException;
    }

    /** The interface's MAC, the chaddr of every message. */
    byte[] hardwareAddress() throws IOException;

    void send(byte[] data, int length, Inet4Address destination, int port) throws IOException;

    /**
     * Waits up to {@code timeout} for a datagram. Empty when none came; throws once the socket is closed,
     * which ends the receive loop.
     */
    OptionalInt receive(byte[] buffer, Duration timeout) throws IOException;

    /** Idempotent; wakes a thread blocked in {@link #receive}. */
    @Override
    void close();
}

package dev.terway.dhcp6.daemon;

import dev.terway.net.Ipv6;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * The DHCPv6 client's socket in a pod: UDP port 546 on the pod interface's link-local address, inside the pod's
 * netns. An interface so the lease service can be tested with an in-memory server; the daemon uses
 * {@link NetnsPod6Sockets}.
 */
public interface Pod6Socket extends AutoCloseable {

    @FunctionalInterface
    interface Factory {
        /** Opens a socket; {@link IOException} messages name the netns, the interface and the cause. */
        Pod6Socket open(Path netns, String ifname, Duration linkLocalWait) throws IOException;
    }

    void send(byte[] data, int length, Ipv6 destination, int port) throws IOException;

    /** Waits up to {@code timeout} for a datagram; empty when none came; throws once closed. */
    OptionalInt receive(byte[] buffer, Duration timeout) throws IOException;

    /** Idempotent; wakes a thread blocked in {@link #receive}. */
    @Override
    void close();
}

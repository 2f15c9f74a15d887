package dev.terway.dhcp.daemon;

import dev.terway.dhcp.codec.ArpPacket;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The DHCP client's ARP socket in a pod, open while it probes an acknowledged address: raw ARP on the pod
 * interface, inside the pod's netns. An interface so the lease service can be tested with an in-memory
 * LAN; the daemon uses {@link NetnsPodArpSockets} (the JNI socket).
 */
public interface PodArpSocket extends AutoCloseable {

    /** Opens sockets; {@link IOException} messages name the netns, the interface and the cause. */
    @FunctionalInterface
    interface Factory {
        PodArpSocket open(Path netns, String ifname) throws IOException;
    }

    /** Broadcasts one ARP packet on the interface. */
    void broadcast(ArpPacket packet) throws IOException;

    /**
     * An ARP packet that arrived on the interface from another host, if one is waiting; never blocks.
     * Frames this host sent and anything that is not IPv4-over-Ethernet ARP are skipped.
     */
    Optional<ArpPacket> poll() throws IOException;

    /** Idempotent. */
    @Override
    void close();
}

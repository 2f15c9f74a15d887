package dev.terway.dhcp.daemon;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * Sends a DHCP message from the daemon's own (node) network namespace, unicast to a server's port 67.
 * Used only for DHCPRELEASE of a pod whose netns or interface is already gone: the server identifies
 * the lease by ciaddr, chaddr and client id, not by the packet's source, so the address goes back to the
 * pool at once instead of staying taken until the lease runs out.
 */
@FunctionalInterface
public interface NodeSender {

    void send(byte[] message, Inet4Address server) throws IOException;

    /** A UDP socket on an ephemeral port of the node: port 68 may belong to the node's own DHCP client. */
    static NodeSender udp() {
        return (message, server) -> {
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                channel.send(ByteBuffer.wrap(message), new InetSocketAddress(server, 67));
            }
        };
    }
}

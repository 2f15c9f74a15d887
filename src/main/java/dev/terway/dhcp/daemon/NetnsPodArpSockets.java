package dev.terway.dhcp.daemon;

import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.jni.NetnsArpSocket;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@link PodArpSocket}s on the JNI socket: AF_PACKET, opened inside the pod netns, bound to the interface. */
public final class NetnsPodArpSockets implements PodArpSocket.Factory {

    @Override
    public PodArpSocket open(Path netns, String ifname) throws IOException {
        NetnsArpSocket socket = NetnsArpSocket.open(netns, ifname);
        return new PodArpSocket() {
            private final byte[] buffer = new byte[256];

            @Override
            public void broadcast(ArpPacket packet) throws IOException {
                byte[] bytes = packet.encode();
                socket.broadcast(bytes, bytes.length);
            }

            @Override
            public Optional<ArpPacket> poll() throws IOException {
                while (true) {
                    Optional<NetnsArpSocket.ReceivedFrame> frame = socket.receive(buffer, Duration.ZERO);
                    if (frame.isEmpty()) {
                        return Optional.empty();
                    }
                    if (frame.get().outgoing()) {
                        continue; // our own probe, looped back to the socket
                    }
                    Optional<ArpPacket> packet = ArpPacket.decode(buffer, 0, frame.get().length());
                    if (packet.isPresent()) {
                        return packet;
                    }
                }
            }

            @Override
            public void close() {
                socket.close();
            }

            @Override
            public String toString() {
                return socket.toString();
            }
        };
    }
}

package dev.terway.dhcp.daemon;

import dev.terway.jni.NetnsUdpSocket;
import dev.terway.jni.ReceivedDatagram;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** {@link PodSocket}s on the JNI socket: opened inside the pod netns, bound to the interface and port 68. */
public final class NetnsPodSockets implements PodSocket.Factory {

    public static final int CLIENT_PORT = 68;

    @Override
    public PodSocket open(Path netns, String ifname) throws IOException {
        NetnsUdpSocket socket = NetnsUdpSocket.open(netns, ifname, CLIENT_PORT);
        return new PodSocket() {
            @Override
            public byte[] hardwareAddress() throws IOException {
                return socket.hardwareAddress();
            }

            @Override
            public void send(byte[] data, int length, Inet4Address destination, int port) throws IOException {
                socket.send(data, length, destination, port);
            }

            @Override
            public OptionalInt receive(byte[] buffer, Duration timeout) throws IOException {
                Optional<ReceivedDatagram> datagram = socket.receive(buffer, timeout);
                // A truncated datagram is not a whole DHCP message; the codec would reject it anyway.
                return datagram.filter(d -> !d.truncated()).map(d -> OptionalInt.of(d.length()))
                        .orElse(OptionalInt.empty());
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

package dev.terway.dhcp6.daemon;

import dev.terway.jni.NetnsUdp6Socket;
import dev.terway.net.Ipv6;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/** {@link Pod6Socket}s on the JNI socket: in the pod netns, on the interface's link-local address, port 546. */
public final class NetnsPod6Sockets implements Pod6Socket.Factory {

    public static final int CLIENT_PORT = 546;

    @Override
    public Pod6Socket open(Path netns, String ifname, Duration linkLocalWait) throws IOException {
        NetnsUdp6Socket socket = NetnsUdp6Socket.open(netns, ifname, CLIENT_PORT, linkLocalWait);
        return new Pod6Socket() {
            @Override
            public void send(byte[] data, int length, Ipv6 destination, int port) throws IOException {
                socket.send(data, length, destination, port);
            }

            @Override
            public OptionalInt receive(byte[] buffer, Duration timeout) throws IOException {
                // A truncated datagram is not a whole message; the codec would reject it anyway.
                return socket.receive(buffer, timeout).filter(d -> !d.truncated())
                        .map(d -> OptionalInt.of(d.length())).orElse(OptionalInt.empty());
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

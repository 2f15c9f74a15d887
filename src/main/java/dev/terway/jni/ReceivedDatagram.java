package dev.terway.jni;

import java.net.Inet4Address;
import java.util.Objects;

/**
 * One datagram {@link NetnsUdpSocket#receive} copied into the caller's buffer.
 *
 * @param length     bytes copied into the buffer (starting at the offset given to receive)
 * @param source     the sender's address; 0.0.0.0 for a host without an address yet (a DHCP client)
 * @param sourcePort the sender's UDP port
 * @param fullLength the datagram's real size; larger than {@code length} when the buffer was too small
 */
public record ReceivedDatagram(int length, Inet4Address source, int sourcePort, int fullLength) {

    public ReceivedDatagram {
        Objects.requireNonNull(source, "source");
        if (length < 0 || fullLength < length) {
            throw new IllegalArgumentException("inconsistent datagram lengths " + length + "/" + fullLength);
        }
    }

    /** The buffer was too small and the rest of the datagram was discarded. */
    public boolean truncated() {
        return fullLength > length;
    }
}

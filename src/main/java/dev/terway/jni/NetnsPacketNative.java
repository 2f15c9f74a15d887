package dev.terway.jni;

/**
 * The native half of {@link NetnsArpSocket} (src/main/c/terway_netns_udp.c, which the UDP socket shares):
 * an AF_PACKET socket of one EtherType created inside another network namespace and bound to one
 * interface there. Callers have already validated every argument; the C code checks bounds again.
 * Strings named {@code ...Text} are only used to word exceptions.
 */
final class NetnsPacketNative {

    /** Indexes into the {@code int[]} that {@link #open} fills about the interface. */
    static final int LINK_INDEX = 0;
    static final int LINK_TYPE = 1;
    static final int LINK_INFO_SIZE = 2;

    /** Indexes into the {@code int[]} that {@link #receive} fills about the frame it returns. */
    static final int FRAME_PACKET_TYPE = 0;
    static final int FRAME_FULL_LENGTH = 1;
    static final int FRAME_INFO_SIZE = 2;

    /** Ethernet (MAC) address length: the link addresses this socket sends to and reports. */
    static final int MAC_LENGTH = 6;

    /** sll_pkttype PACKET_OUTGOING (linux/if_packet.h): a frame this host sent, looped back to its sockets. */
    static final int PACKET_OUTGOING = 4;

    private NetnsPacketNative() {
    }

    /**
     * Enters the namespace at {@code netnsPath} on this thread, creates an AF_PACKET/SOCK_DGRAM socket
     * for {@code etherType} there, bound to {@code ifname}, and always switches back before returning.
     *
     * @param linkInfo receives the interface's index ({@link #LINK_INDEX}) and ARPHRD type ({@link #LINK_TYPE})
     * @param mac      receives the interface's first six hardware address bytes
     * @return the socket's file descriptor
     */
    static native int open(byte[] netnsPath, byte[] ifname, int etherType, int[] linkInfo, byte[] mac,
                           String netnsText, String deviceText, String socketText) throws NativeSocketException;

    /** sendto() one frame payload to the six-byte link address {@code destinationMac} on interface {@code ifindex}. */
    static native void send(int fd, byte[] data, int offset, int length, int ifindex, int etherType,
                            byte[] destinationMac, String targetText) throws NativeSocketException;

    /**
     * Waits up to {@code timeoutMillis} for one frame and copies at most {@code length} bytes of its
     * payload (the part after the link-layer header).
     *
     * @param frameInfo receives the packet type and the payload's full length
     * @param sourceMac receives the sender's link address (the frame's source MAC)
     * @return bytes copied, or {@link NetnsUdpNative#RECEIVE_TIMED_OUT} or {@link NetnsUdpNative#RECEIVE_NOTHING}
     */
    static native int receive(int fd, byte[] buffer, int offset, int length, int timeoutMillis, int[] frameInfo,
                              byte[] sourceMac, String socketText) throws NativeSocketException;

    static native void close(int fd, String socketText) throws NativeSocketException;
}

package dev.terway.jni;

/**
 * The native half of {@link NetnsUdpSocket} (src/main/c/terway_netns_udp.c). Callers have already
 * validated every argument and hold the descriptor open; the C code trusts neither fully and checks
 * bounds again. Strings named {@code ...Text} are only used to word exceptions.
 */
final class NetnsUdpNative {

    /** {@link #receive} result: the timeout elapsed without a datagram. */
    static final int RECEIVE_TIMED_OUT = -1;
    /** {@link #receive} result: poll() woke up but there was nothing to read (e.g. after shutdown). */
    static final int RECEIVE_NOTHING = -2;

    /** Indexes into the {@code int[]} that {@link #receive} fills about the datagram it returns. */
    static final int SOURCE_ADDRESS = 0;
    static final int SOURCE_PORT = 1;
    static final int FULL_LENGTH = 2;
    static final int SOURCE_INFO_SIZE = 3;

    private NetnsUdpNative() {
    }

    /**
     * Enters the namespace at {@code netnsPath} on this thread, creates and binds the socket there,
     * and always switches back before returning.
     *
     * @param netnsPath NUL-terminated file-system bytes of the namespace path
     * @param ifname    NUL-terminated interface name, at most 15 bytes before the NUL
     * @return the socket's file descriptor
     */
    static native int open(byte[] netnsPath, byte[] ifname, int port,
                           String netnsText, String deviceText, String socketText) throws NativeSocketException;

    /** sendto() the 4-byte big-endian IPv4 address; returns the number of bytes sent. */
    static native int send(int fd, byte[] data, int offset, int length, byte[] ipv4, int port,
                           String targetText) throws NativeSocketException;

    /**
     * Waits up to {@code timeoutMillis} for one datagram and copies at most {@code length} bytes of it.
     *
     * @return bytes copied, or {@link #RECEIVE_TIMED_OUT} or {@link #RECEIVE_NOTHING}
     */
    static native int receive(int fd, byte[] buffer, int offset, int length, int timeoutMillis,
                              int[] sourceInfo, String socketText) throws NativeSocketException;

    /**
     * Like {@link #open} for UDP over IPv6: bound to the interface's link-local address and {@code port},
     * multicast out of the interface with hop limit 1. Waits up to {@code waitMillis} for the link-local
     * address to exist and leave the tentative state (duplicate address detection).
     *
     * @param localAddress receives the 16 bytes of the link-local address bound
     * @param ifindex      receives the interface index (the scope of link-local and multicast destinations)
     */
    static native int open6(byte[] netnsPath, byte[] ifname, int port, int waitMillis, byte[] localAddress,
                            int[] ifindex, String netnsText, String deviceText, String socketText)
            throws NativeSocketException;

    /** sendto() the 16-byte IPv6 address with {@code scopeId}; returns the number of bytes sent. */
    static native int send6(int fd, byte[] data, int offset, int length, byte[] ipv6, int scopeId, int port,
                            String targetText) throws NativeSocketException;

    /**
     * Like {@link #receive}; the source's 16 address bytes go to {@code sourceAddress}, and
     * {@code sourceInfo[SOURCE_ADDRESS]} holds its scope id.
     */
    static native int receive6(int fd, byte[] buffer, int offset, int length, int timeoutMillis, int[] sourceInfo,
                               byte[] sourceAddress, String socketText) throws NativeSocketException;

    /** SIOCGIFHWADDR: six address bytes; {@code arpType[0]} receives the ARPHRD_* type. */
    static native byte[] hardwareAddress(int fd, byte[] ifname, int[] arpType, String deviceText)
            throws NativeSocketException;

    /** shutdown(SHUT_RDWR): wakes any thread in poll() on this descriptor; never fails. */
    static native void shutdown(int fd);

    static native void close(int fd, String socketText) throws NativeSocketException;
}

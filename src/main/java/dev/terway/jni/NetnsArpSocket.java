package dev.terway.jni;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * An ARP socket in another network namespace (a pod's): AF_PACKET, SOCK_DGRAM, EtherType 0x0806, bound
 * to one Ethernet interface there. It sends and receives ARP packets (the 28 bytes after the Ethernet
 * header; the kernel adds and strips the header), so a DHCP client can probe an offered address (RFC
 * 5227) from the pod's own interface with the pod's own MAC, before the pod has any address. Needs
 * CAP_NET_RAW in the pod namespace's owning user namespace, as well as CAP_SYS_ADMIN to enter it.
 *
 * <p>{@link #open} switches the calling thread into the namespace only for the few system calls that
 * create and bind the socket, and always switches it back. The socket sees every ARP frame on the
 * interface, the ones this host sends included ({@link ReceivedFrame#outgoing()}).
 *
 * <p>Thread safety: any number of threads may send, receive and close concurrently. Unlike a UDP socket
 * an AF_PACKET socket cannot be woken by shutdown(), so a receive sleeps in the kernel for at most
 * {@value #WAIT_SLICE_MILLIS} ms at a time, and {@link #close} does not wait for a receiving thread:
 * the descriptor is closed at once when no call uses it, otherwise by the last call to leave (within one
 * slice). Calls that come after close throw {@link SocketClosedException}.
 */
public final class NetnsArpSocket extends SlicedNetnsSocket implements AutoCloseable {

    /** EtherType of ARP (ETH_P_ARP). */
    public static final int ETH_P_ARP = 0x0806;
    /** Ethernet broadcast, where ARP probes go. */
    private static final byte[] BROADCAST_MAC = {-1, -1, -1, -1, -1, -1};
    /** Longest single poll(): how long a closed socket's descriptor may outlive close(). */
    static final int WAIT_SLICE_MILLIS = 100;
    /** ARPHRD_ETHER from linux/if_arp.h. */
    private static final int ARPHRD_ETHER = 1;

    private final Path netns;
    private final String ifname;
    private final int ifindex;
    private final byte[] mac;

    /**
     * One frame {@link #receive} copied into the caller's buffer.
     *
     * @param length     payload bytes copied into the buffer
     * @param sourceMac  the frame's Ethernet source address
     * @param outgoing   sent by this host (PACKET_OUTGOING), looped back to the socket
     * @param fullLength the payload's real size; larger than {@code length} when the buffer was too small
     */
    public record ReceivedFrame(int length, byte[] sourceMac, boolean outgoing, int fullLength) {

        public ReceivedFrame {
            sourceMac = sourceMac.clone();
        }

        @Override
        public byte[] sourceMac() {
            return sourceMac.clone();
        }
    }

    private NetnsArpSocket(Path netns, String ifname, int ifindex, byte[] mac, int fd, String description) {
        super(fd, description);
        this.netns = netns;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.mac = mac;
    }

    /**
     * Opens an ARP socket inside the network namespace at {@code netns}, bound to Ethernet interface
     * {@code ifname} there.
     *
     * @throws IllegalArgumentException when an argument is malformed (checked before any system call)
     * @throws NativeSocketException    when a system call fails (EPERM without CAP_NET_RAW, ENODEV when the
     *                                  interface is not in that namespace); the message names the step
     * @throws IOException              when the interface is not an Ethernet interface
     * @throws NetnsSwitchBackError     when the calling thread could not return to its own namespace
     * @throws UnsatisfiedLinkError     when libterwaynet.so cannot be loaded
     */
    public static NetnsArpSocket open(Path netns, String ifname) throws IOException {
        byte[] pathBytes = SocketArguments.netnsPath(netns);
        byte[] ifnameBytes = SocketArguments.ifname(ifname);
        NativeLibrary.ensureLoaded();
        String device = ifname + " in " + netns;
        String description = "ARP socket on " + device;
        int[] link = new int[NetnsPacketNative.LINK_INFO_SIZE];
        byte[] mac = new byte[NetnsPacketNative.MAC_LENGTH];
        int fd = NetnsPacketNative.open(pathBytes, ifnameBytes, ETH_P_ARP, link, mac, netns.toString(), device,
                description);
        if (link[NetnsPacketNative.LINK_TYPE] != ARPHRD_ETHER) {
            NetnsPacketNative.close(fd, description);
            throw new IOException("open " + description + " failed: it is not an Ethernet interface (ARPHRD type "
                    + link[NetnsPacketNative.LINK_TYPE] + ")");
        }
        return new NetnsArpSocket(netns, ifname, link[NetnsPacketNative.LINK_INDEX], mac, fd, description);
    }

    public Path netns() {
        return netns;
    }

    public String ifname() {
        return ifname;
    }

    /** The interface's MAC as it was when the socket was opened: the sender of every probe. */
    public byte[] hardwareAddress() {
        return mac.clone();
    }

    /** Broadcasts one ARP packet (the payload after the Ethernet header) on the interface. */
    public void broadcast(byte[] arp, int length) throws IOException {
        SocketArguments.sendRange(arp, length);
        String target = "ff:ff:ff:ff:ff:ff from " + description;
        int fd = enter("send to");
        try {
            NetnsPacketNative.send(fd, arp, 0, length, ifindex, ETH_P_ARP, BROADCAST_MAC, target);
        } catch (NativeSocketException e) {
            throw closedOr("send to", e);
        } finally {
            leave();
        }
    }

    /**
     * Waits up to {@code timeout} for one ARP frame and copies its payload to the start of {@code buffer}.
     *
     * @return the frame, or empty when the timeout elapsed first
     * @throws SocketClosedException  when the socket is or gets closed meanwhile (noticed within a slice)
     * @throws InterruptedIOException when the thread is interrupted (noticed within a slice)
     * @throws NativeSocketException  when poll() or recvfrom() fails
     */
    public Optional<ReceivedFrame> receive(byte[] buffer, Duration timeout) throws IOException {
        SocketArguments.receiveBuffer(buffer);
        SocketArguments.timeout(timeout);
        int[] info = new int[NetnsPacketNative.FRAME_INFO_SIZE];
        byte[] source = new byte[NetnsPacketNative.MAC_LENGTH];
        int n = receiveInSlices(timeout, WAIT_SLICE_MILLIS, (fd, slice) ->
                NetnsPacketNative.receive(fd, buffer, 0, buffer.length, slice, info, source, description));
        if (n < 0) {
            return Optional.empty();
        }
        return Optional.of(new ReceivedFrame(n, source,
                info[NetnsPacketNative.FRAME_PACKET_TYPE] == NetnsPacketNative.PACKET_OUTGOING,
                info[NetnsPacketNative.FRAME_FULL_LENGTH]));
    }

    /**
     * Closes the socket. Idempotent and never blocks: a thread in {@link #receive} notices within
     * {@value #WAIT_SLICE_MILLIS} ms and throws {@link SocketClosedException}, and the descriptor is
     * closed as soon as no call uses it any more.
     */
    @Override
    public void close() {
        int toClose = -1;
        synchronized (lock) {
            if (!closed) {
                closed = true;
                if (users == 0) {
                    toClose = fd;
                    fd = -1;
                }
            }
        }
        closeDescriptor(toClose);
    }

    @Override
    public String toString() {
        return description + " (" + HexFormat.ofDelimiter(":").formatHex(mac) + (closed ? ", closed)" : ")");
    }

    /** The last call to leave a closed socket closes its descriptor. */
    @Override
    void leave() {
        int toClose = -1;
        synchronized (lock) {
            users--;
            if (users == 0 && closed && fd >= 0) {
                toClose = fd;
                fd = -1;
            }
        }
        closeDescriptor(toClose);
    }

    private void closeDescriptor(int descriptor) {
        if (descriptor < 0) {
            return;
        }
        try {
            NetnsPacketNative.close(descriptor, description);
        } catch (NativeSocketException e) {
            // Linux releases the descriptor whatever close() reports; nothing is left to undo.
        }
    }
}

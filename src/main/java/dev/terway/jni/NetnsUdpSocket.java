package dev.terway.jni;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * An IPv4 UDP socket that lives in another network namespace (a pod's), bound to one interface there.
 *
 * <p>{@link #open} switches the calling thread into the namespace only for the few system calls that
 * create and bind the socket and always switches it back. A socket stays in the namespace it was
 * created in, so {@link #send}, {@link #receive} and {@link #close} work from any thread.
 *
 * <p>The socket has SO_REUSEADDR, SO_BROADCAST and SO_BINDTODEVICE set and is bound to
 * 0.0.0.0:{@code port}. Thanks to SO_BINDTODEVICE a DHCP client can send to 255.255.255.255 and
 * receive broadcast replies while its interface has no address and its namespace no route.
 *
 * <p>Thread safety: any number of threads may send, receive and close concurrently. The descriptor is
 * closed only once no other call is using it, so its number can never be reused by an unrelated file
 * while a call still refers to it. {@link #close} marks the socket closed, wakes threads blocked in
 * {@link #receive} at once (shutdown() makes poll() return), waits for them to leave (they throw
 * {@link SocketClosedException}), then closes the descriptor. As a second line of defence a receive
 * never sleeps in the kernel for more than {@value #WAIT_SLICE_MILLIS} ms before looking at the closed
 * flag again.
 */
public final class NetnsUdpSocket extends WakeableUdpSocket {

    /** The limited broadcast address, 255.255.255.255. */
    public static final Inet4Address BROADCAST = ipv4Constant(new byte[] {-1, -1, -1, -1});

    /** Longest single poll(); bounds how long close() can wait for a reader if the wake-up were lost. */
    static final int WAIT_SLICE_MILLIS = 1000;

    /** ARPHRD_ETHER from linux/if_arp.h: the only hardware type a DHCP chaddr here may have. */
    private static final int ARPHRD_ETHER = 1;

    private final Path netns;
    private final String ifname;
    private final byte[] ifnameBytes;
    private final int port;

    private NetnsUdpSocket(Path netns, String ifname, byte[] ifnameBytes, int port, int fd, String description) {
        super(fd, description);
        this.netns = netns;
        this.ifname = ifname;
        this.ifnameBytes = ifnameBytes;
        this.port = port;
    }

    /**
     * Opens a UDP socket inside the network namespace at {@code netns} (e.g. /var/run/netns/x or
     * /proc/PID/ns/net), bound to interface {@code ifname} there and to 0.0.0.0:{@code port}.
     *
     * @param port the local port, 68 for a DHCP client; 0 lets the kernel pick one
     * @throws IllegalArgumentException when an argument is malformed (checked before any system call)
     * @throws NativeSocketException    when a system call fails; the message names the step, the
     *                                  namespace or interface, and strerror(errno)
     * @throws NetnsSwitchBackError     when the calling thread could not return to its own namespace
     * @throws UnsatisfiedLinkError     when libterwaynet.so cannot be loaded
     */
    public static NetnsUdpSocket open(Path netns, String ifname, int port) throws NativeSocketException {
        byte[] pathBytes = SocketArguments.netnsPath(netns);
        byte[] ifnameBytes = SocketArguments.ifname(ifname);
        SocketArguments.bindPort(port);
        NativeLibrary.ensureLoaded();
        String device = ifname + " in " + netns;
        String description = "UDP port " + port + " on " + device;
        int fd = NetnsUdpNative.open(pathBytes, ifnameBytes, port, netns.toString(), device, description);
        return new NetnsUdpSocket(netns, ifname, ifnameBytes, port, fd, description);
    }

    public Path netns() {
        return netns;
    }

    public String ifname() {
        return ifname;
    }

    /** The port given to {@link #open} (0 if the kernel chose). */
    public int port() {
        return port;
    }

    /** Sends the first {@code length} bytes of {@code data} as one datagram to {@code destination:port}. */
    public void send(byte[] data, int length, InetAddress destination, int port) throws IOException {
        SocketArguments.sendRange(data, length);
        send(data, length, SocketArguments.ipv4(destination), SocketArguments.destinationPort(port),
                destination.getHostAddress());
    }

    /** Like {@link #send(byte[], int, InetAddress, int)} with a 4-byte IPv4 address in network order. */
    public void send(byte[] data, int length, byte[] destinationIpv4, int port) throws IOException {
        SocketArguments.sendRange(data, length);
        byte[] address = SocketArguments.ipv4(destinationIpv4);
        SocketArguments.destinationPort(port);
        send(data, length, address, port, ipv4Constant(address).getHostAddress());
    }

    private void send(byte[] data, int length, byte[] address, int port, String addressText) throws IOException {
        String target = addressText + ":" + port + " from " + description;
        int fd = enter("send to");
        try {
            int sent;
            try {
                sent = NetnsUdpNative.send(fd, data, 0, length, address, port, target);
            } catch (NativeSocketException e) {
                throw closedOr("send to", e); // EPIPE after shutdown
            }
            if (sent != length) {
                throw new IOException("send to " + target + " failed: sent " + sent + " of " + length + " bytes");
            }
        } finally {
            leave();
        }
    }

    /**
     * Waits up to {@code timeout} for one datagram and copies it to the start of {@code buffer}.
     *
     * @return the datagram's length and sender, or empty when the timeout elapsed first (a zero timeout
     *     only takes a datagram that has already arrived)
     * @throws SocketClosedException when the socket is or gets closed meanwhile
     * @throws InterruptedIOException when the thread is interrupted; noticed within
     *     {@value #WAIT_SLICE_MILLIS} ms, the interrupt status stays set
     * @throws NativeSocketException when poll() or recvfrom() fails
     */
    public Optional<ReceivedDatagram> receive(byte[] buffer, Duration timeout) throws IOException {
        SocketArguments.receiveBuffer(buffer);
        SocketArguments.timeout(timeout);
        int[] sourceInfo = new int[NetnsUdpNative.SOURCE_INFO_SIZE];
        int n = receiveInSlices(timeout, WAIT_SLICE_MILLIS, (fd, slice) ->
                NetnsUdpNative.receive(fd, buffer, 0, buffer.length, slice, sourceInfo, description));
        if (n < 0) {
            return Optional.empty();
        }
        return Optional.of(new ReceivedDatagram(n, ipv4(sourceInfo[NetnsUdpNative.SOURCE_ADDRESS]),
                sourceInfo[NetnsUdpNative.SOURCE_PORT], sourceInfo[NetnsUdpNative.FULL_LENGTH]));
    }

    /**
     * The interface's Ethernet (MAC) address as seen inside the namespace: the chaddr a DHCP client
     * sends. Read afresh on every call.
     *
     * @throws IOException when the interface has gone or is not an Ethernet-like interface
     */
    public byte[] hardwareAddress() throws IOException {
        String device = ifname + " in " + netns;
        int[] arpType = new int[1];
        int fd = enter("read hardware address of");
        byte[] mac;
        try {
            mac = NetnsUdpNative.hardwareAddress(fd, ifnameBytes, arpType, device);
        } catch (NativeSocketException e) {
            throw closedOr("read hardware address of", e);
        } finally {
            leave();
        }
        if (arpType[0] != ARPHRD_ETHER) {
            throw new IOException("read hardware address of " + device + " failed: it is not an Ethernet interface"
                    + " (ARPHRD type " + arpType[0] + ")");
        }
        return mac;
    }

    private static Inet4Address ipv4(int hostOrder) {
        return ipv4Constant(new byte[] {
                (byte) (hostOrder >>> 24), (byte) (hostOrder >>> 16), (byte) (hostOrder >>> 8), (byte) hostOrder});
    }

    private static Inet4Address ipv4Constant(byte[] address) {
        try {
            return (Inet4Address) InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 bytes are always an IPv4 address", e);
        }
    }
}

package dev.terway.jni;

import dev.terway.net.Ipv6;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A UDP/IPv6 socket that lives in another network namespace (a pod's), bound to one interface there and to
 * its link-local address: what a DHCPv6 client sends from (RFC 8415 §13.1: "the client MUST use a link-local
 * address" as the source of messages to ff02::1:2). Multicast goes out of that interface only, with hop limit
 * 1, and does not loop back.
 *
 * <p>A veth that has just come up has no link-local address yet, and then a tentative one for the time of
 * duplicate address detection (about a second); the kernel neither binds a tentative address nor delivers
 * unicast to it, so a socket bound early (IPV6_FREEBIND) would lose the server's first answers.
 * {@link #open} therefore waits, bounded by {@code linkLocalWait}, until the address binds, and names the
 * state of the address when it gives up.
 *
 * <p>Like {@link NetnsUdpSocket}: the calling thread is in the namespace only to create and bind the
 * socket; send, receive and close work from any thread, and close wakes blocked readers.
 */
public final class NetnsUdp6Socket extends WakeableUdpSocket {

    /** All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1). */
    public static final Ipv6 ALL_DHCP_RELAY_AGENTS_AND_SERVERS = Ipv6.parse("ff02::1:2");

    private static final int WAIT_SLICE_MILLIS = NetnsUdpSocket.WAIT_SLICE_MILLIS;

    private final Path netns;
    private final String ifname;
    private final Ipv6 localAddress;
    private final int interfaceIndex;

    private NetnsUdp6Socket(Path netns, String ifname, Ipv6 localAddress, int interfaceIndex, int fd,
                            String description) {
        super(fd, description);
        this.netns = netns;
        this.ifname = ifname;
        this.localAddress = localAddress;
        this.interfaceIndex = interfaceIndex;
    }

    /**
     * Opens a UDP/IPv6 socket inside the network namespace at {@code netns}, bound to {@code ifname} and to
     * [its link-local address]:{@code port}, waiting up to {@code linkLocalWait} for that address to be usable.
     *
     * @throws IllegalArgumentException when an argument is malformed (checked before any system call)
     * @throws NativeSocketException    when a system call fails, or no link-local address binds in time
     * @throws NetnsSwitchBackError     when the calling thread could not return to its own namespace
     */
    public static NetnsUdp6Socket open(Path netns, String ifname, int port, Duration linkLocalWait)
            throws NativeSocketException {
        byte[] pathBytes = SocketArguments.netnsPath(netns);
        byte[] ifnameBytes = SocketArguments.ifname(ifname);
        SocketArguments.bindPort(port);
        Duration wait = SocketArguments.timeout(linkLocalWait);
        NativeLibrary.ensureLoaded();
        String device = ifname + " in " + netns;
        String description = "UDP/IPv6 port " + port + " on " + device;
        byte[] local = new byte[16];
        int[] index = new int[1];
        int fd = NetnsUdpNative.open6(pathBytes, ifnameBytes, port, (int) Math.min(Integer.MAX_VALUE, wait.toMillis()),
                local, index, netns.toString(), device, description);
        Ipv6 address = Ipv6.fromBytes(local);
        return new NetnsUdp6Socket(netns, ifname, address, index[0], fd,
                "UDP [" + address + "]:" + port + " on " + device);
    }

    public Path netns() {
        return netns;
    }

    public String ifname() {
        return ifname;
    }

    /** The link-local address the socket is bound to: the source of everything it sends. */
    public Ipv6 localAddress() {
        return localAddress;
    }

    /** The interface's index in its namespace: the scope of link-local and multicast destinations. */
    public int interfaceIndex() {
        return interfaceIndex;
    }

    /** Sends the first {@code length} bytes of {@code data} to [{@code destination}]:{@code port}. */
    public void send(byte[] data, int length, Ipv6 destination, int port) throws IOException {
        SocketArguments.sendRange(data, length);
        SocketArguments.destinationPort(port);
        String target = "[" + destination + "]:" + port + " from " + description;
        int fd = enter("send to");
        try {
            int sent;
            try {
                sent = NetnsUdpNative.send6(fd, data, 0, length, destination.toBytes(), interfaceIndex, port, target);
            } catch (NativeSocketException e) {
                throw closedOr("send to", e);
            }
            if (sent != length) {
                throw new IOException("send to " + target + " failed: sent " + sent + " of " + length + " bytes");
            }
        } finally {
            leave();
        }
    }

    /** One datagram received: its length, sender and real size (larger than length when cut). */
    public record Datagram(int length, Ipv6 source, int sourcePort, int fullLength) {
        public boolean truncated() {
            return fullLength > length;
        }
    }

    /**
     * Waits up to {@code timeout} for one datagram and copies it to the start of {@code buffer}; empty when
     * none came. Throws {@link SocketClosedException} when the socket is or gets closed meanwhile.
     */
    public Optional<Datagram> receive(byte[] buffer, Duration timeout) throws IOException {
        SocketArguments.receiveBuffer(buffer);
        SocketArguments.timeout(timeout);
        int[] sourceInfo = new int[NetnsUdpNative.SOURCE_INFO_SIZE];
        byte[] source = new byte[16];
        int n = receiveInSlices(timeout, WAIT_SLICE_MILLIS, (fd, slice) ->
                NetnsUdpNative.receive6(fd, buffer, 0, buffer.length, slice, sourceInfo, source, description));
        if (n < 0) {
            return Optional.empty();
        }
        return Optional.of(new Datagram(n, Ipv6.fromBytes(source), sourceInfo[NetnsUdpNative.SOURCE_PORT],
                sourceInfo[NetnsUdpNative.FULL_LENGTH]));
    }
}

package dev.terway.dhcp.daemon;

import dev.terway.log.EventLog;
import dev.terway.dhcp.client.AddressProbe;
import dev.terway.dhcp.client.ClientState;
import dev.terway.dhcp.client.DhcpClient;
import dev.terway.dhcp.client.DhcpTransport;
import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.dhcp.codec.MessageType;
import dev.terway.net.Ipv4;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The exchange over one pod interface's sockets: the DHCP socket (port 68 on the pod interface, inside
 * its netns), opened for an exchange, kept for {@link #LISTEN_WINDOW} after the last transmission, with a
 * receive loop while it is open; the ARP socket of the address probe; and where a DHCPRELEASE goes out
 * (from the pod or from the node). Every method runs under the pod's lock ({@code lock}, the pod's
 * {@link PodLease}), and so do the calls to the {@link Receiver}.
 */
final class PodExchange implements DhcpTransport, AddressProbe {

    /** Server port: requests go to 67. */
    static final int SERVER_PORT = 67;
    /** 255.255.255.255, where broadcasts go (SO_BINDTODEVICE keeps them on the pod interface). */
    private static final Inet4Address BROADCAST = Ipv4.BROADCAST.toInetAddress();
    /** How long one receive waits before looking whether the exchange is still on. */
    private static final Duration RECEIVE_SLICE = Duration.ofSeconds(2);
    /**
     * How long the socket stays open after the last transmission. Replies come within milliseconds;
     * RENEWING/REBINDING retransmit a minute or more apart, and a socket (with its receive thread) held
     * open across that wait would cost a thread per lease while a server is down.
     */
    static final Duration LISTEN_WINDOW = Duration.ofSeconds(5);
    /** ARP packets read at one timer event at most: a flood of ARP must not hold the pod's lock for long. */
    private static final int MAX_ARP_PER_EVENT = 256;

    /** Where the datagrams go; called under the pod's lock. */
    interface Receiver {
        /** False once the pod's lease is forgotten: what still arrives is dropped, the socket left alone. */
        boolean active();

        void onDatagram(byte[] buffer, int length);
    }

    private final PodIdentity pod;
    private final Object lock;
    private final Receiver receiver;
    private final PodSocket.Factory sockets;
    private final PodArpSocket.Factory arpSockets;
    private final NodeSender nodeSender;
    private final ExecutorService receivers;
    private final Clock clock;
    private final EventLog log;
    private final AtomicLong arpProbesSent;

    private String mac = "";
    private PodSocket socket;
    /** Open only while the client is PROBING. */
    private PodArpSocket arpSocket;
    private final LeaseDeadline listenWindow;
    /** Set when the pod's netns disappeared under a running client. */
    private boolean netnsGone;
    /**
     * Where the next DHCPRELEASE goes out: from the pod only while the pod has the leased address.
     * Without it the kernel sends from 0.0.0.0 "on link" and the server never sees the release.
     */
    private boolean releaseFromPod;

    PodExchange(PodLeaseContext context, PodIdentity pod, Object lock, Receiver receiver) {
        this.pod = pod;
        this.lock = lock;
        this.receiver = receiver;
        this.sockets = context.sockets();
        this.arpSockets = context.arpSockets();
        this.nodeSender = context.nodeSender();
        this.receivers = context.receivers();
        this.listenWindow = new LeaseDeadline(context.timer());
        this.clock = context.clock();
        this.log = context.log();
        this.arpProbesSent = context.counters().arpProbesSent;
    }

    /** Opens the pod's socket and reads the interface's MAC; {@link #startReceiving} starts the loop. */
    void open() throws IOException {
        socket = sockets.open(pod.netns(), pod.ifname());
        mac = HardwareAddress.of(socket.hardwareAddress()).toString();
    }

    /** The pod interface's MAC as {@code aa:bb:cc:dd:ee:ff}: read by {@link #open}, or a stored lease's. */
    String mac() {
        return mac;
    }

    void useMac(String hardwareAddress) {
        this.mac = hardwareAddress;
    }

    boolean netnsGone() {
        return netnsGone;
    }

    void markNetnsGone() {
        netnsGone = true;
    }

    void releaseFromPod(boolean fromPod) {
        releaseFromPod = fromPod;
    }

    /** Closes both sockets. */
    void close() {
        closeSocket();
        closeArpSocket();
    }

    // ---- ARP probe ----

    /**
     * PROBING: hands the ARP packets that arrived since the last event to the client, before it sends the
     * next probe or gives its verdict. A socket that fails is closed and reported; the next probe opens
     * a new one (or, failing that, the client binds the address unchecked and says so).
     */
    void readArp(DhcpClient client) {
        if (arpSocket == null || client.state() != ClientState.PROBING) {
            return;
        }
        try {
            for (int i = 0; i < MAX_ARP_PER_EVENT && client.state() == ClientState.PROBING; i++) {
                Optional<ArpPacket> packet = arpSocket.poll();
                if (packet.isEmpty()) {
                    return;
                }
                client.onArp(packet.get());
            }
        } catch (IOException e) {
            log.warn("dhcp.arp_failed", pod.logPod(), "reading ARP on " + pod.interfaceDescription() + " failed: " + e.getMessage());
            closeArpSocket();
        }
    }

    @Override
    public void probe(Ipv4 address) throws IOException {
        if (arpSocket == null) {
            arpSocket = arpSockets.open(pod.netns(), pod.ifname());
        }
        arpSocket.broadcast(ArpPacket.probe(HardwareAddress.parse(mac), address));
        arpProbesSent.incrementAndGet();
    }

    void closeArpSocket() {
        if (arpSocket != null) {
            PodArpSocket s = arpSocket;
            arpSocket = null;
            s.close();
        }
    }

    // ---- socket and receive loop ----

    private PodSocket openSocket() throws IOException {
        if (socket == null) {
            try {
                socket = sockets.open(pod.netns(), pod.ifname());
            } catch (IOException | RuntimeException e) {
                if (!Files.exists(pod.netns())) {
                    netnsGone = true;
                }
                throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            }
            startReceiving(socket);
        }
        return socket;
    }

    /** Starts the receive loop on the socket {@link #open} opened. */
    void startReceiving() {
        startReceiving(socket);
    }

    private void startReceiving(PodSocket s) {
        try {
            receivers.execute(() -> receiveLoop(s));
        } catch (RejectedExecutionException e) {
            log.error("dhcp.receive_failed", pod.logPod(), "no receive thread for " + pod.describe() + ": " + e.getMessage());
        }
    }

    private void receiveLoop(PodSocket s) {
        byte[] buffer = new byte[4096];
        while (true) {
            OptionalInt length;
            try {
                length = s.receive(buffer, RECEIVE_SLICE);
            } catch (IOException e) {
                synchronized (lock) {
                    if (socket == s && receiver.active()) {
                        // The interface went down or away; the next send opens a fresh socket.
                        log.warn("dhcp.receive_failed", pod.logPod(), "receiving on " + pod.interfaceDescription() + " failed: " + e.getMessage());
                        closeSocket();
                    }
                }
                return;
            }
            synchronized (lock) {
                if (socket != s || !receiver.active()) {
                    return;
                }
                if (length.isPresent()) {
                    receiver.onDatagram(buffer, length.getAsInt());
                }
            }
        }
    }

    void closeSocket() {
        listenWindow.cancel();
        if (socket != null) {
            PodSocket s = socket;
            socket = null;
            s.close();
        }
    }

    /** Keeps the socket for {@link #LISTEN_WINDOW} after this transmission, then lets it go. */
    private void listenAfterSending() {
        listenWindow.schedule(clock.instant().plus(LISTEN_WINDOW), gen -> () -> stopListening(gen));
    }

    private void stopListening(long forGeneration) {
        synchronized (lock) {
            if (listenWindow.fired(forGeneration) && receiver.active()) {
                closeSocket();
            }
        }
    }

    // ---- DhcpTransport (called by the client, under the pod's lock) ----

    @Override
    public void broadcast(DhcpMessage message) throws IOException {
        send(message, BROADCAST);
    }

    @Override
    public void unicast(DhcpMessage message, Ipv4 server) throws IOException {
        send(message, server.toInetAddress());
    }

    private void send(DhcpMessage message, Inet4Address to) throws IOException {
        byte[] bytes = message.encode();
        boolean release = message.messageType().filter(MessageType.RELEASE::equals).isPresent();
        try {
            if (release && !releaseFromPod) {
                nodeSender.send(bytes, to);
                return;
            }
            openSocket().send(bytes, bytes.length, to, SERVER_PORT);
            listenAfterSending();
        } catch (IOException e) {
            if (!release || !releaseFromPod) {
                throw e;
            }
            // The pod side went away after the look that found the address on it (the netns torn down
            // meanwhile): the server takes the release from any source, so send it from the node.
            nodeSender.send(bytes, to);
        }
    }
}

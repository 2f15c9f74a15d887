package dev.terway.it;

import dev.terway.netstate.NetState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway LAN built from network namespaces, so that terway can be run for real without touching
 * the machine's own networking. Nothing is ever created in the root namespace: every veth is created
 * inside the LAN namespace with its peer placed straight into the host or node namespace.
 *
 * <pre>
 *   ID-lan:  bridge sw0 (the LAN switch, .254) ── p-gw ── ID-gw: eth0 .1 (router; "remote" nets on its lo)
 *                                              ── p-h2 ── ID-h2: eth0 .2 (second router, extra net on lo)
 *                                              ── p-n1 ── ID-n1: eth0     (a node; terway runs here)
 * </pre>
 *
 * Names carry a random lab id (`tw` + 6 hex digits) and addresses come from a subnet picked per lab,
 * so concurrent labs never meet. {@link #close()} removes namespaces, processes and files even after a
 * half-built lab or a failed test; a shutdown hook and {@link LabRegistry} are the backstops.
 */
public final class NetnsLab implements AutoCloseable {

    public static final String SWITCH = "sw0";
    public static final String NIC = "eth0";
    /** The node NIC's MTU in {@link Node#configureStatic()}: not the 1500 a new bridge gets by default. */
    public static final int NODE_MTU = 1450;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String id;
    private final Addressing net;
    private final Path dir;
    private final LabRegistry registry;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook;
    private final Host gateway;
    private final Host secondHost;
    private int nodes;
    private boolean closed;

    /** IPv4 10.A.B.0/24 and IPv6 fd00:A:B::/64 on the LAN; "remote" networks behind the two routers. */
    public record Addressing(int a, int b) {

        public String lanV4(int host) {
            return "10." + a + "." + b + "." + host;
        }

        public String lanV6(int host) {
            return "fd00:" + Integer.toHexString(a) + ":" + Integer.toHexString(b) + "::" + Integer.toHexString(host);
        }

        /** An address beyond the gateway, reached through the default route. */
        public String remoteV4() {
            return "10." + a + "." + (b + 1) + ".1";
        }

        /** An IPv6 address beyond the gateway, reached through the IPv6 default route. */
        public String remoteV6() {
            return "2001:db8:" + Integer.toHexString(a) + ":" + Integer.toHexString(b) + "::1";
        }

        /** The network behind the second router, reached through a static route. */
        public String extraNet() {
            return "172." + (16 + a % 16) + "." + b + ".0/24";
        }

        public String extraHost() {
            return "172." + (16 + a % 16) + "." + b + ".1";
        }

        public String dhcpRangeStart() {
            return lanV4(100);
        }

        public String dhcpRangeEnd() {
            return lanV4(199);
        }
    }

    /** A LAN host: its namespace and its addresses on the LAN. */
    public record Host(String ns, String ipv4, String ipv6) {
    }

    /** dnsmasq serving DHCP on the LAN switch; its lease file shows what it handed out. */
    public record DhcpServer(Process process, Path leaseFile, Path log) {
    }

    private NetnsLab() {
        byte[] suffix = new byte[3];
        RANDOM.nextBytes(suffix);
        this.id = "tw" + HexFormat.of().formatHex(suffix);
        // b even so that b + 1 (the network behind the gateway) is still a valid octet
        this.net = new Addressing(64 + RANDOM.nextInt(64), 2 * RANDOM.nextInt(128));
        this.registry = new LabRegistry(id);
        try {
            this.dir = Files.createTempDirectory(id + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the lab's temporary directory", e);
        }
        registry.dir(dir);
        this.shutdownHook = new Thread(this::closeQuietly, id + "-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            buildLan();
            this.gateway = attachHost("gw", 1);
            // "Remote" networks live on the routers' loopback: a host answers for any of its own
            // addresses on any interface, so no forwarding (and no dummy module) is needed.
            ip(gateway.ns(), "addr", "add", net.remoteV4() + "/24", "dev", "lo");
            ip(gateway.ns(), "-6", "addr", "add", net.remoteV6() + "/64", "dev", "lo", "nodad");
            this.secondHost = attachHost("h2", 2);
            ip(secondHost.ns(), "addr", "add", net.extraHost() + "/24", "dev", "lo");
        } catch (RuntimeException | Error e) {
            closeQuietly();
            throw e;
        }
    }

    /** Builds a lab, or skips the calling test (JUnit assumption) when not running as root. */
    public static NetnsLab create() {
        Assumptions.assumeTrue(isRoot(), "network namespace labs need root");
        LabRegistry.sweepAbandoned();
        return new NetnsLab();
    }

    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public String id() {
        return id;
    }

    public Addressing net() {
        return net;
    }

    public String lanNs() {
        return id + "-lan";
    }

    public Host gateway() {
        return gateway;
    }

    public Host secondHost() {
        return secondHost;
    }

    /** A directory removed with the lab, for state dirs, logs and lease files. */
    public Path dir() {
        return dir;
    }

    public List<String> namespaces() {
        synchronized (this) {
            return List.copyOf(namespaces);
        }
    }

    /** A new node namespace whose {@value #NIC} is plugged into the LAN switch, up, with no address yet. */
    public Node addNode() {
        int n;
        synchronized (this) {
            n = ++nodes;
        }
        String ns = addNamespace("n" + n);
        String port = "p-n" + n;
        plug(ns, port);
        return new Node(this, ns, port, 9 + n);
    }

    /** Starts dnsmasq serving DHCP on the LAN switch (range .100-.199, 2 minute leases, T1 10 s, T2 20 s). */
    public DhcpServer startDhcpServer() {
        return startDhcpServer(net.dhcpRangeStart(), net.dhcpRangeEnd());
    }

    /**
     * Starts dnsmasq serving DHCP on the LAN switch from the range {@code first}-{@code last} (2 minute
     * leases, T1 10 s, T2 20 s, --no-ping: it offers an address without checking whether a host has it).
     */
    public DhcpServer startDhcpServer(String first, String last) {
        return startDhcpServer(first, last, new String[0]);
    }

    /** As {@link #startDhcpServer(String, String)}, with more dnsmasq options (e.g. {@code --dhcp-option=26,1400}). */
    public DhcpServer startDhcpServer(String first, String last, String... extraOptions) {
        Path leases = dir.resolve("dnsmasq.leases");
        Path log = dir.resolve("dnsmasq.log");
        List<String> options = new ArrayList<>(List.of("--no-ping",
                "--dhcp-range=" + first + "," + last + ",255.255.255.0,2m",
                "--dhcp-option=option:router," + gateway.ipv4(),
                "--dhcp-option=option:T1,10", "--dhcp-option=option:T2,20",
                "--dhcp-leasefile=" + leases, "--pid-file=" + dir.resolve("dnsmasq.pid")));
        options.addAll(List.of(extraOptions));
        Process p = startDnsmasq(log, "DHCP, IP range", options.toArray(String[]::new));
        return new DhcpServer(p, leases, log);
    }

    /**
     * Starts IPv6 router advertisements on the LAN switch, as many real LANs have: the LAN's IPv6 prefix
     * for SLAAC (10 minute lifetime) and the switch's link-local address as default router, every 3 s.
     * Nodes then get a dynamic IPv6 address, an RA prefix route and an RA default route (proto ra).
     */
    public Process startRouterAdvertisements() {
        return startRouterAdvertisements("ra-only");
    }

    /**
     * As {@link #startRouterAdvertisements()} with dnsmasq's IPv6 range {@code mode}: {@code ra-only} (SLAAC, the A
     * flag), {@code ra-stateless} (SLAAC with the O flag: other configuration, e.g. DNS, from stateless
     * DHCPv6, which dnsmasq then also answers) or {@code managed} (the M flag and no A flag: addresses ::100 to
     * ::1ff of the prefix from dnsmasq's DHCPv6 only). Stop the returned process before starting another mode.
     */
    public Process startRouterAdvertisements(String mode) {
        Path log = dir.resolve("dnsmasq-" + mode + ".log");
        String range = mode.equals("managed") ? "::100,::1ff,constructor:" + SWITCH + ",64,10m"
                : "::,constructor:" + SWITCH + "," + mode + ",64,10m";
        return startDnsmasq(log, "RTR-ADVERT(" + SWITCH + ")",
                "--enable-ra", "--dhcp-range=" + range,
                "--ra-param=" + SWITCH + ",3,300",
                "--dhcp-leasefile=" + dir.resolve("dnsmasq-" + mode + ".leases"),
                "--pid-file=" + dir.resolve("dnsmasq-" + mode + ".pid"));
    }

    /**
     * Starts dnsmasq serving DHCPv6 on the LAN switch from {@code first}-{@code last} of the LAN's /64 (a managed
     * range: router advertisements with the M flag, 2 minute leases, so T1 1 min and T2 1 min 45 s), with
     * the switch's address as DNS server and "lan.test" as domain list. Its log (DHCPSOLICIT, DHCPRENEW,
     * DHCPRELEASE … lines) and lease file are its own, apart from the DHCPv4 server's.
     */
    public DhcpServer startDhcp6Server(String first, String last, String... extraOptions) {
        Path leases = dir.resolve("dnsmasq6.leases");
        Path log = dir.resolve("dnsmasq6.log");
        List<String> options = new ArrayList<>(List.of("--enable-ra", "--dhcp-range=" + first + "," + last + ",64,2m",
                "--dhcp-option=option6:dns-server,[" + net.lanV6(0xfe) + "]",
                "--dhcp-option=option6:domain-search,lan.test",
                "--dhcp-leasefile=" + leases, "--pid-file=" + dir.resolve("dnsmasq6.pid")));
        options.addAll(List.of(extraOptions));
        Process p = startDnsmasq(log, "DHCPv6, IP range", options.toArray(String[]::new));
        return new DhcpServer(p, leases, log);
    }

    /** A namespace {@code <lab>-<suffix>} whose {@value #NIC} is plugged straight into the switch, up, no address. */
    public String addLanNamespace(String suffix) {
        String ns = addNamespace(suffix);
        plug(ns, "p-" + suffix);
        return ns;
    }

    /** Runs dnsmasq (no DNS) on the switch in the LAN namespace, and waits for {@code readyLine} in its log. */
    private Process startDnsmasq(Path log, String readyLine, String... options) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", lanNs(), "dnsmasq", "--no-daemon",
                "--no-resolv", "--port=0", "--interface=" + SWITCH, "--bind-interfaces", "--log-facility=-"));
        argv.addAll(List.of(options));
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start dnsmasq in " + lanNs(), e);
        }
        synchronized (this) {
            processes.add(p);
        }
        // dnsmasq logs this once its sockets are bound; before that a client would go unanswered.
        Instant deadline = Instant.now().plusSeconds(10);
        while (!readLog(log).contains(readyLine)) {
            if (!p.isAlive()) {
                throw new IllegalStateException("dnsmasq in " + lanNs() + " exited " + p.exitValue() + ": " + readLog(log));
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("dnsmasq in " + lanNs() + " did not start within 10 s: " + readLog(log));
            }
            sleep(Duration.ofMillis(50));
        }
        return p;
    }

    /** Whether {@code target} answers a ping from namespace {@code ns} within 5 seconds. */
    public static boolean ping(String ns, String target) {
        return Cmd.run("ip", "netns", "exec", ns, "ping", "-n", "-q", "-c", "1", "-w", "5", target).succeeded();
    }

    /** Runs {@code ip -n NS args…}, failing loudly. */
    public static String ip(String ns, String... args) {
        return Cmd.check(Stream.concat(Stream.of("ip", "-n", ns), Stream.of(args)).toList());
    }

    /** Runs a command inside {@code ns} and returns its result whatever the exit code. */
    public static dev.terway.plan.CommandResult exec(String ns, String... argv) {
        return Cmd.run(Stream.concat(Stream.of("ip", "netns", "exec", ns), Stream.of(argv)).toList());
    }

    private void buildLan() {
        String lan = addNamespace("lan");
        ip(lan, "link", "add", SWITCH, "type", "bridge");
        ip(lan, "addr", "add", net.lanV4(254) + "/24", "dev", SWITCH);
        ip(lan, "-6", "addr", "add", net.lanV6(0xfe) + "/64", "dev", SWITCH, "nodad");
        ip(lan, "link", "set", SWITCH, "up");
    }

    private Host attachHost(String name, int host) {
        String ns = addNamespace(name);
        plug(ns, "p-" + name);
        ip(ns, "addr", "add", net.lanV4(host) + "/24", "dev", NIC);
        ip(ns, "-6", "addr", "add", net.lanV6(host) + "/64", "dev", NIC, "nodad");
        return new Host(ns, net.lanV4(host), net.lanV6(host));
    }

    /**
     * A namespace {@code <lab id>-<suffix>} with lo up, removed with the lab; for pods and other parts
     * the lab does not build itself.
     */
    public String addNamespace(String suffix) {
        String ns = id + "-" + suffix;
        // recorded before it exists, so that a crash right after creation still gets it swept
        synchronized (this) {
            namespaces.add(ns);
        }
        registry.netns(ns);
        Cmd.check("ip", "netns", "add", ns);
        ip(ns, "link", "set", "lo", "up");
        return ns;
    }

    /** Connects {@code ns}'s {@value #NIC} to the switch through a veth whose LAN end is {@code port}. */
    private void plug(String ns, String port) {
        ip(lanNs(), "link", "add", port, "type", "veth", "peer", "name", NIC, "netns", ns);
        ip(lanNs(), "link", "set", port, "master", SWITCH, "up");
        ip(ns, "link", "set", NIC, "up");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (Process p : processes) {
            p.destroy();
            try {
                if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // nodes first, the LAN (which all veths hang off) last
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            try {
                LabRegistry.deleteNamespace(namespaces.get(i));
            } catch (RuntimeException e) {
                failure = addTo(failure, e);
            }
        }
        try {
            LabRegistry.deleteTree(dir);
            registry.remove();
        } catch (IOException e) {
            failure = addTo(failure, new UncheckedIOException("cannot remove lab files of " + id, e));
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook itself running
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("netns lab " + id + ": cleanup failed: " + e.getMessage());
        }
    }

    private static RuntimeException addTo(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return new IllegalStateException("cleaning up the lab failed", next);
        }
        first.addSuppressed(next);
        return first;
    }

    private static String readLog(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A node namespace: where terway runs. */
    public static final class Node {

        private final NetnsLab lab;
        private final String ns;
        private final String port;
        private final int host;

        Node(NetnsLab lab, String ns, String port, int host) {
            this.lab = lab;
            this.ns = ns;
            this.port = port;
            this.host = host;
        }

        public String ns() {
            return ns;
        }

        public String ipv4() {
            return lab.net.lanV4(host);
        }

        public String ipv6() {
            return lab.net.lanV6(host);
        }

        /**
         * The node of the integration tests: static IPv4 and IPv6 addresses, MTU {@value #NODE_MTU},
         * an IPv4 default route via the gateway, a static route (with metric and src) to the extra
         * network via the second host, and an IPv6 default route via the gateway.
         */
        public Node configureStatic() {
            Addressing n = lab.net;
            ip(lab.lanNs(), "link", "set", port, "mtu", Integer.toString(NODE_MTU));
            ip(ns, "link", "set", NIC, "mtu", Integer.toString(NODE_MTU));
            ip(ns, "addr", "add", ipv4() + "/24", "dev", NIC);
            ip(ns, "-6", "addr", "add", ipv6() + "/64", "dev", NIC, "nodad");
            ip(ns, "route", "add", "default", "via", lab.gateway.ipv4(), "dev", NIC);
            ip(ns, "route", "add", n.extraNet(), "via", lab.secondHost.ipv4(), "dev", NIC, "metric", "50",
                    "src", ipv4());
            ip(ns, "-6", "route", "add", "default", "via", lab.gateway.ipv6(), "dev", NIC);
            return this;
        }

        /**
         * A node of an IPv4-only LAN: IPv6 disabled in its namespace (no link-local address, no router
         * advertisements heard), a static IPv4 address and an IPv4 default route via the gateway.
         */
        public Node configureStaticIpv4Only() {
            Cmd.check("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
            Cmd.check("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
            ip(ns, "addr", "add", ipv4() + "/24", "dev", NIC);
            ip(ns, "route", "add", "default", "via", lab.gateway.ipv4(), "dev", NIC);
            return this;
        }

        /**
         * A node of an IPv6-only LAN: no IPv4 address or route at all, a static global IPv6 address ({@link #ipv6()},
         * without duplicate detection so it is usable at once) and the kernel's defaults for router advertisements,
         * so that once the LAN announces itself ({@link NetnsLab#startRouterAdvertisements(String)}) the NIC also has
         * a SLAAC address and its default route via the router's link-local address ({@code proto ra}).
         */
        public Node configureIpv6Only() {
            ip(ns, "-6", "addr", "add", ipv6() + "/64", "dev", NIC, "nodad");
            return this;
        }

        /**
         * Takes {@code name} with a device that is not a bridge (one end of a veth pair inside this node;
         * this kernel may lack the dummy module), so that creating a bridge of that name fails.
         */
        public void occupyName(String name) {
            ip(ns, "link", "add", name, "type", "veth", "peer", "name", "occ" + host);
        }

        public NsState state() {
            return NsState.read(ns);
        }

        public NetState observe() {
            return NsState.observe(ns);
        }

        public boolean ping(String target) {
            return NetnsLab.ping(ns, target);
        }
    }
}

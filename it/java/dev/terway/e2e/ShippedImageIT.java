package dev.terway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.it.DaemonProcess;
import dev.terway.it.Eventually;
import dev.terway.it.FedCommand;
import dev.terway.it.NetnsLab;
import dev.terway.metrics.ExpositionText;
import dev.terway.metrics.MetricsAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What ships, run the way a cluster runs it. The image is built from the Containerfile; each lab node runs
 * the DaemonSet's init container and main container under podman with exactly the settings of
 * {@code manifests/} ({@link ManifestPodman}); pods are made by real runtimes — podman's CNI backend and
 * containerd's {@code ctr run --cni}, both on libcni 1.1 — from the conflist and plugin that the init
 * container installed. Two nodes on one LAN with dnsmasq: a fresh dual-stack node (router advertisements
 * on the LAN, so setup writes IPv6 sysctls) and an IPv4-only node that was bridged before the DaemonSet
 * came. The tests run in order, as one story: install, pods, SIGTERM, rolling upgrade, removal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShippedImageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY_WITHIN = Duration.ofSeconds(90);
    private static final String MAIN = "terway";
    private static final String INIT = "install";
    private static final int HOST_PORT = 18080;

    private NetnsLab lab;
    private NetnsLab.DhcpServer dhcp;
    private ManifestPodman manifest;
    private E2eImages images;
    private E2eNode dual;
    private E2eNode v4only;
    private final Map<String, Pod> pods = new java.util.LinkedHashMap<>();

    /** A pod as the test knows it: the node, how to reach its network namespace, its leased address. */
    private record Pod(E2eNode node, String name, String netns, String ipv4) {
    }

    @BeforeAll
    void buildImagesAndNodes() throws IOException {
        lab = NetnsLab.create();
        manifest = ManifestPodman.read(E2eImages.PROJECT.resolve("manifests"));
        images = E2eImages.build(manifest.container(MAIN).image());
        dhcp = lab.startDhcpServer();
        lab.startRouterAdvertisements();
        NetnsLab.Node n1 = lab.addNode().configureStatic();
        // On a LAN with router advertisements the IPv6 default route is the one the RAs give.
        NetnsLab.ip(n1.ns(), "-6", "route", "del", "default", "via", lab.gateway().ipv6());
        dual = new E2eNode(n1, lab.dir().resolve("n1"), images.store());
        v4only = new E2eNode(lab.addNode().configureStaticIpv4Only(), lab.dir().resolve("n2"), images.store());
        for (E2eNode n : List.of(dual, v4only)) {
            // kubeadm's preflight demands these of every node; hostPort DNAT is routed (ip_forward) and the
            // pod's reply crosses the bridge, where conntrack must see it (bridge-nf-call-iptables).
            n.check(List.of("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
            n.check(List.of("sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1"));
        }
    }

    @AfterAll
    void tearDown() {
        RuntimeException failure = null;
        for (AutoCloseable c : new AutoCloseable[] {dual, v4only, lab}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    if (failure == null) {
                        failure = new IllegalStateException("cleanup failed", e);
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Test
    @Order(1)
    void aFreshDualStackNodeIsBridgedByTheDaemonSetAsTheManifestSaysAndItsProbesAnswer() throws IOException {
        install(dual, images.terway());
        JsonNode conflist = JSON.readTree(Files.readString(dual.hostPath("/etc/cni/net.d/10-terway.conflist")));
        assertEquals("1.0.0", conflist.path("cniVersion").asText(),
                "runtimes on libcni 1.1 (containerd 1.6/1.7, podman 4) refuse 1.1.0 results");
        List<String> types = new ArrayList<>();
        conflist.path("plugins").forEach(p -> types.add(p.path("type").asText()));
        assertEquals(List.of("cni-terway", "portmap"), types, "portmap is chained: it is in the node's CNI bin dir");
        assertTrue(conflist.path("plugins").get(1).path("capabilities").path("portMappings").asBoolean());

        startMain(dual, images.terway());
        String bridge = NetnsLab.ip(dual.ns(), "-j", "addr", "show", "dev", "mybr0");
        assertTrue(bridge.contains(dual.lab().ipv4()), "the node's IPv4 address moved to the bridge: " + bridge);
        assertTrue(bridge.contains(dual.lab().ipv6()), "the node's IPv6 address moved to the bridge: " + bridge);
        assertTrue(NetnsLab.ip(dual.ns(), "-j", "link", "show", "dev", "eth0").contains("\"master\":\"mybr0\""));
        assertTrue(dual.lab().ping(lab.gateway().ipv4()) && dual.lab().ping(lab.gateway().ipv6()),
                "the node keeps its connectivity");
        for (String probe : manifest.container(MAIN).probes().keySet()) {
            FedCommand.Outcome o = probe(dual, probe);
            assertEquals(0, o.exit(), probe + " answers: " + o.stderr());
        }
        // the daemon's metrics, on the address the ConfigMap gives (the node's loopback), from the image's runtime
        List<String> args = manifest.container(MAIN).args();
        MetricsAddress metrics = MetricsAddress.parse(args.get(args.indexOf("--metrics-address") + 1));
        ExpositionText scraped = ExpositionText.parse(DaemonProcess.scrapeMetrics(dual.ns(), metrics.host(),
                metrics.port()));
        assertEquals(1, scraped.require("terway_node_bridged"), "the DaemonSet bridged the node");
        assertTrue(scraped.require("process_resident_memory_bytes") > 0, "the JVM's metrics come from the image too");
    }

    @Test
    @Order(2)
    void anIpv4OnlyNodeBridgedBeforeTheDaemonSetCameIsTakenAsItIs() {
        // An operator (or an earlier terway) bridged it: `terway setup` from the image, under the daemon's settings.
        ManifestPodman.Container main = manifest.container(MAIN);
        List<String> setup = new ArrayList<>(List.of("podman", "run", "--rm"));
        setup.addAll(main.podmanOptions());
        setup.addAll(List.of("--entrypoint", "[\"/opt/terway/bin/terway\"]", images.terway(), "setup", "--iface", "eth0"));
        String out = v4only.check(setup);
        assertTrue(out.contains("bridged eth0 into mybr0"), out);

        install(v4only, images.terway());
        startMain(v4only, images.terway());
        String log = v4only.podman("logs", MAIN).stdout() + v4only.podman("logs", MAIN).stderr();
        assertFalse(log.contains("bridged eth0 into mybr0"), "the bridged node is not migrated again: " + log);
        assertTrue(NetnsLab.ip(v4only.ns(), "-j", "addr", "show", "dev", "mybr0").contains(v4only.lab().ipv4()));
        assertTrue(v4only.lab().ping(lab.gateway().ipv4()));
    }

    @Test
    @Order(3)
    void podsOfBothRuntimesLeaseLanAddressesAndReachTheLanEachOtherAndAHostPort() throws IOException {
        pods.put("web", podmanPod(dual, "web", "-p", HOST_PORT + ":80", images.pod(), "httpd", "-f", "-p", "80", "-h", "/www"));
        pods.put("ctr", ctrPod(dual, "ctr1"));
        pods.put("far", podmanPod(v4only, "far", images.pod(), "sleep", "3600"));

        String leases = Files.readString(dhcp.leaseFile());
        for (Pod p : pods.values()) {
            assertTrue(leases.contains(" " + p.ipv4() + " "), p.name() + "'s address comes from the LAN's server: " + leases);
        }
        for (Pod p : pods.values()) {
            assertPings(p, lab.gateway().ipv4());
            assertPings(p, lab.secondHost().ipv4());
            assertTrue(NetnsLab.ping(lab.secondHost().ns(), p.ipv4()), "LAN host → " + p.name());
        }
        assertPings(pods.get("web"), pods.get("ctr").ipv4());
        assertPings(pods.get("ctr"), pods.get("far").ipv4());
        assertPings(pods.get("far"), pods.get("web").ipv4());

        String page = httpGet(lab.secondHost().ns(), dual.lab().ipv4(), HOST_PORT);
        assertTrue(page.contains("terway-e2e pod web page"), "hostPort " + HOST_PORT + " from the LAN: " + page);
    }

    @Test
    @Order(4)
    void sigtermStopsTheDaemonAndKeepsTheBridgeAndThePodsNetwork() {
        Instant start = Instant.now();
        dual.check(List.of("podman", "stop", "-t", "15", MAIN));
        assertTrue(Duration.between(start, Instant.now()).compareTo(Duration.ofSeconds(14)) < 0,
                "the daemon stops on SIGTERM well inside the grace period");
        assertTrue(NetnsLab.ip(dual.ns(), "-j", "addr", "show", "dev", "mybr0").contains(dual.lab().ipv4()),
                "the bridge stays with the node's address");
        assertPings(pods.get("web"), lab.gateway().ipv4());
        assertPings(pods.get("ctr"), lab.gateway().ipv4());
        assertTrue(NetnsLab.ping(lab.secondHost().ns(), pods.get("web").ipv4()));
        dual.check(List.of("podman", "rm", MAIN));
    }

    @Test
    @Order(5)
    void aRollingUpgradeToANewImageKeepsThePodsLeasesAndConnectivity() throws IOException {
        String before = launcherRuntime(dual);
        String web = pods.get("web").ipv4();
        long acksBefore = acks(web);
        install(dual, images.upgrade());
        String after = launcherRuntime(dual);
        assertNotEquals(before, after, "the new image's runtime replaced the launcher's");
        assertTrue(Files.isDirectory(dual.hostPath("/opt/cni/bin/terway-runtime/" + before)),
                "the replaced runtime stays until the next install, for plugin calls in flight");
        startMain(dual, images.upgrade());

        for (String name : List.of("web", "ctr")) {
            Pod p = pods.get(name);
            assertEquals(p.ipv4(), podAddress(p.node(), p.netns()), name + " keeps its address");
            assertPings(p, lab.gateway().ipv4());
            assertTrue(NetnsLab.ping(lab.secondHost().ns(), p.ipv4()), "LAN host → " + name);
        }
        // The new daemon holds the old leases: it renews them (T1 = 10 s) with the server.
        assertTrue(Eventually.within(Duration.ofSeconds(40), () -> acks(web) > acksBefore),
                "the upgraded daemon renews " + web + ": " + E2eNode.read(dhcp.log()));

        pods.put("new", podmanPod(dual, "new", images.pod(), "sleep", "3600"));
        assertPings(pods.get("new"), lab.gateway().ipv4());
    }

    @Test
    @Order(6)
    void removingThePodsReleasesTheirLeasesAndLeavesNoVeth() {
        for (Pod p : pods.values()) {
            if (p.name().equals("ctr1")) {
                p.node().check(p.node().ctr("task", "kill", "-s", "SIGKILL", "ctr1"));
            } else {
                p.node().check(List.of("podman", "rm", "-f", "-t", "0", p.name()));
            }
        }
        for (Pod p : pods.values()) {
            assertTrue(Eventually.within(Duration.ofSeconds(20),
                    () -> E2eNode.read(dhcp.log()).contains("DHCPRELEASE(sw0) " + p.ipv4() + " ")),
                    p.name() + "'s lease is released: " + E2eNode.read(dhcp.log()));
        }
        for (E2eNode n : List.of(dual, v4only)) {
            assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> veths(n).isEmpty()),
                    "no veth left on " + n.ns() + ": " + NetnsLab.ip(n.ns(), "-br", "link"));
        }
        pods.clear();
    }

    // ---- the DaemonSet on a node

    private void install(E2eNode node, String image) {
        FedCommand.Outcome o = node.run(manifest.container(INIT).podmanRun(image, List.of("--rm", "--name", INIT)));
        assertEquals(0, o.exit(), "the init container installs: " + o.stdout() + o.stderr());
        assertTrue(Files.isRegularFile(node.hostPath("/opt/cni/bin/cni-terway")));
    }

    private void startMain(E2eNode node, String image) {
        node.check(manifest.container(MAIN).podmanRun(image, List.of("-d", "--name", MAIN)));
        // kubelet would restart a container that exited; here that ends the wait
        boolean ready = Eventually.within(READY_WITHIN, () -> probe(node, "startupProbe").exit() == 0
                || node.podman("inspect", "--format", "{{.State.Running}}", MAIN).stdout().strip().equals("false"));
        ready = ready && probe(node, "startupProbe").exit() == 0;
        assertTrue(ready, "the startup probe answers within " + READY_WITHIN.toSeconds() + " s; logs: "
                + node.podman("logs", MAIN).stdout() + node.podman("logs", MAIN).stderr());
    }

    private FedCommand.Outcome probe(E2eNode node, String probe) {
        List<String> argv = new ArrayList<>(List.of("podman", "exec", MAIN));
        argv.addAll(manifest.container(MAIN).probes().get(probe));
        return node.run(argv);
    }

    private static String launcherRuntime(E2eNode node) throws IOException {
        Matcher m = Pattern.compile("terway-runtime/([A-Za-z0-9._-]+)/bin/cni-terway")
                .matcher(Files.readString(node.hostPath("/opt/cni/bin/cni-terway")));
        assertTrue(m.find(), "the launcher names its runtime");
        return m.group(1);
    }

    // ---- pods

    private Pod podmanPod(E2eNode node, String name, String... runArgs) throws IOException {
        List<String> argv = new ArrayList<>(List.of("podman", "run", "-d", "--name", name, "--network", "terway"));
        argv.addAll(List.of(runArgs));
        node.check(argv);
        String netns = node.check(List.of("podman", "inspect", "--format", "{{.NetworkSettings.SandboxKey}}", name)).strip();
        return new Pod(node, name, netns, podAddress(node, netns));
    }

    private Pod ctrPod(E2eNode node, String id) throws IOException {
        node.startContainerd();
        node.check(node.ctr("images", "import", images.podArchive().toString()));
        node.ctrRun(images.pod(), id, "sleep", "3600");
        assertTrue(Eventually.within(Duration.ofSeconds(60), () -> node.ctrTaskPid(id).isPresent()),
                "ctr run --cni starts " + id + ": " + node.ctrLog(id));
        String netns = "/proc/" + node.ctrTaskPid(id).orElseThrow() + "/ns/net";
        return new Pod(node, id, netns, podAddress(node, netns));
    }

    private static String podAddress(E2eNode node, String netns) throws IOException {
        FedCommand.Outcome o = node.inPodNetns(netns, "ip", "-j", "-4", "addr", "show", "dev", "eth0");
        assertEquals(0, o.exit(), o.stderr());
        for (JsonNode link : JSON.readTree(o.stdout())) {
            for (JsonNode a : link.path("addr_info")) {
                return a.path("local").asText();
            }
        }
        throw new AssertionError("no IPv4 address in " + netns + ": " + o.stdout());
    }

    /** The pods' host veths on a node. */
    private static List<String> veths(E2eNode node) {
        try {
            List<String> names = new ArrayList<>();
            String out = NetnsLab.ip(node.ns(), "-j", "link", "show", "type", "veth");
            if (!out.isBlank()) {
                // the node's own NIC is a veth too: the lab plugs nodes into its LAN with veths
                JSON.readTree(out).forEach(l -> names.add(l.path("ifname").asText()));
                names.remove(NetnsLab.NIC);
            }
            return names;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertPings(Pod from, String target) {
        FedCommand.Outcome o = from.node().inPodNetns(from.netns(), "ping", "-n", "-q", "-c", "1", "-w", "5", target);
        assertEquals(0, o.exit(), from.name() + " → " + target + ": " + o.stdout() + o.stderr());
    }

    /** How many times the LAN's server has acknowledged {@code address} (each renewal is one more). */
    private long acks(String address) {
        return E2eNode.read(dhcp.log()).lines().filter(l -> l.contains("DHCPACK(sw0) " + address + " ")).count();
    }

    /** An HTTP GET from a LAN host's namespace with bash's /dev/tcp (no HTTP client needed on the machine). */
    private static String httpGet(String ns, String host, int port) {
        FedCommand.Outcome o = FedCommand.run(List.of("ip", "netns", "exec", ns, "timeout", "10", "bash", "-c",
                "exec 3<>/dev/tcp/$0/$1 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3", host,
                Integer.toString(port)), Optional.empty(), "", Duration.ofSeconds(20));
        return o.stdout() + o.stderr();
    }
}

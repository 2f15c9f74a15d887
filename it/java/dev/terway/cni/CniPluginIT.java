package dev.terway.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniReply;
import dev.terway.it.DaemonProcess;
import dev.terway.it.Eventually;
import dev.terway.it.NetnsLab;
import dev.terway.plan.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * `cni-terway` for real: a LAN namespace with dnsmasq and a router, two node namespaces each prepared
 * with `terway setup` and running `terway dhcp daemon`, pods as namespaces added and deleted through the
 * real `bin/cni-terway`, invoked as a runtime does (see {@link CniRuntime}). Root only; skipped otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CniPluginIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ARGS = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=";

    private NetnsLab lab;
    private TerwayNode node1;
    private TerwayNode node2;
    private final List<String> podNamespaces = new ArrayList<>();

    @BeforeAll
    void buildLab() {
        lab = NetnsLab.create();
        lab.startDhcpServer();
        node1 = new TerwayNode(lab, lab.addNode().configureStatic(), "t1");
        node2 = new TerwayNode(lab, lab.addNode().configureStatic(), "t2");
        node1.setupAndStart();
        node2.setupAndStart();
    }

    @AfterAll
    void removeLab() {
        try {
            if (node1 != null) {
                node1.stopDaemon();
            }
            if (node2 != null) {
                node2.stopDaemon();
            }
            for (String ns : podNamespaces) {
                Cmd.run("ip", "netns", "delete", ns);
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
        }
    }

    private String newPod(String name) {
        String ns = lab.id() + "-" + name;
        podNamespaces.add(ns);
        Cmd.check("ip", "netns", "add", ns);
        Cmd.check("ip", "-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    private static String netnsPath(String podNs) {
        return "/run/netns/" + podNs;
    }

    private CniRuntime.Result cni(TerwayNode node, String command, String containerId, String podNs, String conf) {
        return CniRuntime.invoke(node.ns(), CniRuntime.env(command, containerId,
                podNs == null ? null : netnsPath(podNs), "eth0", ARGS + containerId), conf);
    }

    private static String withPrevResult(String conf, String result) {
        try {
            ObjectNode c = (ObjectNode) JSON.readTree(conf);
            c.set("prevResult", JSON.readTree(result));
            return c.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + text, e);
        }
    }

    private static String podAddress(CniRuntime.Result add) {
        String cidr = json(add.stdout()).path("ips").path(0).path("address").asText();
        return cidr.substring(0, cidr.indexOf('/'));
    }

    private record Pod(TerwayNode node, String id, String ns, String address, String result) {
    }

    private Pod addPod(TerwayNode node, String id) {
        String ns = newPod(id);
        CniRuntime.Result add = cni(node, "ADD", id, ns, node.conf("1.0.0"));
        assertEquals(0, add.exit(), add::describe);
        return new Pod(node, id, ns, podAddress(add), add.stdout());
    }

    @Test
    @Order(1)
    void podsOnTwoNodesReachEachOtherTheGatewayAndTheNodes() {
        List<Pod> pods = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            pods.add(addPod(node1, "a" + i));
            pods.add(addPod(node2, "b" + i));
        }
        assertEquals(6, pods.stream().map(Pod::address).distinct().count(), "distinct addresses");
        for (Pod p : pods) {
            JsonNode r = json(p.result());
            assertEquals("1.0.0", r.path("cniVersion").asText());
            assertEquals(VethNames.hostVeth(p.id(), "eth0"), r.path("interfaces").path(0).path("name").asText());
            assertEquals(netnsPath(p.ns()), r.path("interfaces").path(1).path("sandbox").asText());
            assertEquals(lab.gateway().ipv4(), r.path("ips").path(0).path("gateway").asText());
            JsonNode port = p.node().link(VethNames.hostVeth(p.id(), "eth0"));
            assertEquals("mybr0", port.path("master").asText(), port::toString);
            assertEquals("terway:" + p.id() + "/eth0", port.path("ifalias").asText(), port::toString);
            assertTrue(port.path("linkinfo").path("info_slave_data").path("hairpin").asBoolean(false), port::toString);
            assertTrue(port.path("flags").toString().contains("\"UP\""), port::toString);
            // the DHCP lease lifetime, not "forever"
            assertTrue(Cmd.check("ip", "-n", p.ns(), "-4", "addr", "show", "dev", "eth0").contains("dynamic"));
        }
        for (Pod from : pods) {
            assertTrue(NetnsLab.ping(from.ns(), lab.gateway().ipv4()), from.id() + " -> gateway");
            assertTrue(NetnsLab.ping(from.ns(), node1.node().ipv4()), from.id() + " -> node 1");
            assertTrue(NetnsLab.ping(from.ns(), node2.node().ipv4()), from.id() + " -> node 2");
            for (Pod to : pods) {
                if (to != from && to.node() != from.node()) {
                    assertTrue(NetnsLab.ping(from.ns(), to.address()), from.id() + " -> " + to.id());
                }
            }
        }
        assertTrue(NetnsLab.ping(lab.gateway().ns(), pods.get(0).address()), "the LAN reaches a pod");
        Pod first = pods.get(0);
        String checkConf = withPrevResult(first.node().conf("1.0.0"), first.result());
        CniRuntime.Result check = cni(first.node(), "CHECK", first.id(), first.ns(), checkConf);
        assertEquals(0, check.exit(), check::describe);
        assertEquals("", check.stdout());

        Cmd.check("ip", "-n", first.ns(), "addr", "flush", "dev", "eth0");
        CniRuntime.Result broken = cni(first.node(), "CHECK", first.id(), first.ns(), checkConf);
        assertEquals(1, broken.exit(), broken::describe);
        assertEquals(101, json(broken.stdout()).path("code").asInt(), broken::describe);
        assertTrue(broken.stdout().contains(first.address()), broken::describe);

        for (Pod p : pods) {
            assertTrue(p.node().holdsLease(p.id()));
            CniRuntime.Result del = cni(p.node(), "DEL", p.id(), p.ns(), withPrevResult(p.node().conf("1.0.0"),
                    p.result()));
            assertEquals(0, del.exit(), del::describe);
            assertEquals("", del.stdout());
            // the daemon finishes a DEL right after replying (DeferredDeletes)
            assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> !p.node().holdsLease(p.id())), "lease released");
            assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> !p.node().hasLink(VethNames.hostVeth(p.id(), "eth0"))),
                    "veth removed");
            assertTrue(Eventually.within(Eventually.DEL_TAIL,
                    () -> !Cmd.run("ip", "-n", p.ns(), "link", "show", "dev", "eth0").succeeded()), "pod end removed");
            CniRuntime.Result again = cni(p.node(), "DEL", p.id(), p.ns(), p.node().conf("1.0.0"));
            assertEquals(0, again.exit(), again::describe);
        }
        CniRuntime.Result noNetns = cni(node1, "DEL", "a1", null, node1.conf("1.0.0"));
        assertEquals(0, noNetns.exit(), noNetns::describe);
    }

    @Test
    @Order(2)
    void everyVersionGetsItsOwnResult() {
        for (String version : List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")) {
            String id = "v" + version.replace(".", "");
            String ns = newPod(id);
            CniRuntime.Result add = cni(node1, "ADD", id, ns, node1.conf(version));
            assertEquals(0, add.exit(), add::describe);
            JsonNode r = json(add.stdout());
            assertEquals(version, r.path("cniVersion").asText());
            assertEquals(version.startsWith("0."), r.path("ips").path(0).has("version"), add::describe);
            assertEquals(version.equals("1.1.0"), r.path("interfaces").path(0).has("mtu"), add::describe);
            assertEquals(0, cni(node1, "DEL", id, ns, node1.conf(version)).exit());
        }
    }

    @Test
    @Order(3)
    void twentyParallelAddsGetDistinctAddresses() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add("par" + i);
            newPod("par" + i);
        }
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<CniRuntime.Result>> adds = new ArrayList<>();
            for (String id : ids) {
                adds.add(pool.submit(() -> cni(node1, "ADD", id, lab.id() + "-" + id, node1.conf("1.0.0"))));
            }
            Set<String> addresses = new HashSet<>();
            for (Future<CniRuntime.Result> f : adds) {
                CniRuntime.Result r = f.get();
                assertEquals(0, r.exit(), r::describe);
                addresses.add(podAddress(r));
            }
            assertEquals(20, addresses.size(), "distinct addresses: " + addresses);
            List<Future<CniRuntime.Result>> dels = new ArrayList<>();
            for (String id : ids) {
                dels.add(pool.submit(() -> cni(node1, "DEL", id, lab.id() + "-" + id, node1.conf("1.0.0"))));
            }
            for (Future<CniRuntime.Result> f : dels) {
                assertEquals(0, f.get().exit(), f.get()::describe);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> node1.terwayVeths().isEmpty()),
                "host veths left: " + node1.terwayVeths());
        assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> node1.leases().isEmpty()),
                "leases left: " + node1.leases());
    }

    @Test
    @Order(4)
    void badInputsGetTheirCodeAndLeaveNothingBehind() {
        String ns = newPod("bad");
        Set<String> linksBefore = node1.links();
        String conf = node1.conf("1.0.0");
        String path = netnsPath(ns);
        record Case(String what, Map<String, String> env, String stdin, int code) {
        }
        List<Case> cases = List.of(
                new Case("invalid JSON", CniRuntime.env("ADD", "bad", path, "eth0", null), "{\"cniVersion\":", 6),
                new Case("no CNI_COMMAND", CniRuntime.env(null, "bad", path, "eth0", null), conf, 4),
                new Case("no CNI_NETNS", CniRuntime.env("ADD", "bad", null, "eth0", null), conf, 4),
                new Case("unsupported cniVersion", CniRuntime.env("ADD", "bad", path, "eth0", null),
                        conf.replace("\"1.0.0\"", "\"0.2.0\""), 1),
                new Case("16-character ifname", CniRuntime.env("ADD", "bad", path, "abcdefghijklmnop", null), conf, 4),
                new Case("netns does not exist", CniRuntime.env("ADD", "bad", path + "-gone", "eth0", null), conf, 3),
                new Case("unknown verb", CniRuntime.env("FROB", "bad", path, "eth0", null), conf, 4),
                new Case("wrong field type", CniRuntime.env("ADD", "bad", path, "eth0", null),
                        conf.replace("}", ",\"mtu\":\"9000\"}"), 7));
        for (Case c : cases) {
            CniRuntime.Result r = CniRuntime.invoke(node1.ns(), c.env(), c.stdin());
            assertEquals(1, r.exit(), c.what() + ": " + r.describe());
            JsonNode error = json(r.stdout());
            assertEquals(c.code(), error.path("code").asInt(), c.what() + ": " + r.describe());
            assertFalse(error.path("msg").asText().isEmpty(), c.what());
            assertTrue(error.has("cniVersion"), c.what());
        }
        assertEquals(linksBefore, node1.links(), "no link left on the node");
        assertEquals(List.of(), node1.leases(), "no lease left");
        assertFalse(Cmd.run("ip", "-n", ns, "link", "show", "dev", "eth0").succeeded(), "nothing in the pod");
    }

    @Test
    @Order(5)
    void gcRemovesWhatNoValidAttachmentOwns() {
        String conf = node1.conf("1.1.0");
        Pod keep = addPod(node1, "gckeep");
        Pod stale = addPod(node1, "gcstale");
        String gc = conf.replace("}", ",\"cni.dev/valid-attachments\":[{\"containerID\":\"gckeep\",\"ifname\":\"eth0\"}]}");
        CniRuntime.Result r = CniRuntime.invoke(node1.ns(), CniRuntime.env("GC", null, null, null, null), gc);
        assertEquals(0, r.exit(), r::describe);
        assertTrue(node1.hasLink(VethNames.hostVeth(keep.id(), "eth0")));
        assertTrue(node1.holdsLease(keep.id()));
        assertFalse(node1.hasLink(VethNames.hostVeth(stale.id(), "eth0")));
        assertFalse(node1.holdsLease(stale.id()));
        assertEquals(0, cni(node1, "DEL", keep.id(), keep.ns(), conf).exit());
    }

    @Test
    @Order(6)
    void statusAndDelWithTheDaemonDown() throws Exception {
        String conf = node2.conf("1.1.0");
        CniRuntime.Result ready = CniRuntime.invoke(node2.ns(), CniRuntime.env("STATUS", null, null, null, null), conf);
        assertEquals(0, ready.exit(), ready::describe);
        Pod pod = addPod(node2, "down1");
        node2.stopDaemon();

        CniRuntime.Result status = CniRuntime.invoke(node2.ns(), CniRuntime.env("STATUS", null, null, null, null), conf);
        assertEquals(50, json(status.stdout()).path("code").asInt(), status::describe);
        String ns = newPod("down2");
        CniRuntime.Result add = cni(node2, "ADD", "down2", ns, conf);
        assertEquals(11, json(add.stdout()).path("code").asInt(), add::describe);
        assertTrue(add.stdout().contains(node2.socket().toString()), add::describe);
        assertFalse(node2.hasLink(VethNames.hostVeth("down2", "eth0")));

        CniRuntime.Result del = cni(node2, "DEL", pod.id(), pod.ns(), conf);
        assertEquals(0, del.exit(), del::describe);
        assertFalse(node2.hasLink(VethNames.hostVeth(pod.id(), "eth0")), "veth removed without the daemon");
        Path marker = node2.socket().getParent().resolve("pending-release")
                .resolve(VethNames.hostVeth(pod.id(), "eth0") + ".json");
        assertTrue(Files.exists(marker), "release queued for the daemon");

        node2.startDaemon();
        assertFalse(Files.exists(marker), "the daemon released the queued lease when it started");
        assertFalse(node2.holdsLease(pod.id()));
    }

    @Test
    @Order(7)
    void pinnedAddressDelegatedIpamAndDryRun() {
        // an operator's pinned address (CNI_ARGS IP= with prefix): configured as is, no lease
        String ns = newPod("pinned");
        String pinned = lab.net().lanV4(77);
        CniRuntime.Result add = CniRuntime.invoke(node1.ns(), CniRuntime.env("ADD", "pinned", netnsPath(ns), "eth0",
                "IgnoreUnknown=1;IP=" + pinned + "/24"), node1.conf("1.0.0"));
        assertEquals(0, add.exit(), add::describe);
        assertEquals(pinned, podAddress(add));
        assertFalse(node1.holdsLease("pinned"));
        assertTrue(NetnsLab.ping(ns, lab.gateway().ipv4()));
        assertEquals(0, cni(node1, "DEL", "pinned", ns, node1.conf("1.0.0")).exit());

        // a delegated IPAM plugin (the reference host-local) from CNI_PATH, with its state in the lab
        String hostLocal = node1.conf("1.0.0").replace("}", ",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\""
                + lab.dir().resolve("host-local") + "\",\"ranges\":[[{\"subnet\":\"" + lab.net().lanV4(0)
                + "/24\",\"rangeStart\":\"" + lab.net().lanV4(60) + "\",\"rangeEnd\":\"" + lab.net().lanV4(69)
                + "\",\"gateway\":\"" + lab.gateway().ipv4() + "\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}");
        String ns2 = newPod("hostlocal");
        CniRuntime.Result delegated = cni(node1, "ADD", "hostlocal", ns2, hostLocal);
        assertEquals(0, delegated.exit(), delegated::describe);
        assertEquals(lab.net().lanV4(60), podAddress(delegated));
        assertTrue(NetnsLab.ping(ns2, lab.gateway().ipv4()));
        CniRuntime.Result check = cni(node1, "CHECK", "hostlocal", ns2, withPrevResult(hostLocal, delegated.stdout()));
        assertEquals(0, check.exit(), check::describe);
        assertEquals(0, cni(node1, "DEL", "hostlocal", ns2, hostLocal).exit());
        assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> !node1.hasLink(VethNames.hostVeth("hostlocal", "eth0"))));

        // --dry-run prints the plan and changes nothing
        String ns3 = newPod("dry");
        Set<String> before = node1.links();
        Map<String, String> env = new java.util.LinkedHashMap<>(CniRuntime.env("ADD", "dry", netnsPath(ns3), "eth0", null));
        env.put("TERWAY_DRY_RUN", "1");
        CniRuntime.Result dry = CniRuntime.invoke(node1.ns(), env, node1.conf("1.0.0"));
        assertEquals(0, dry.exit(), dry::describe);
        assertTrue(dry.stdout().contains("\nlink add name eth0 "), dry::describe);
        assertTrue(dry.stdout().contains(" peer name " + VethNames.hostVeth("dry", "eth0") + " "), dry::describe);
        assertEquals(before, node1.links());
    }

    /** A lab node prepared with `terway setup` and running `terway dhcp daemon` on its own socket. */
    static final class TerwayNode {
        private final NetnsLab lab;
        private final NetnsLab.Node node;
        private final Path dir;
        private Process daemon;

        TerwayNode(NetnsLab lab, NetnsLab.Node node, String name) {
            this.lab = lab;
            this.node = node;
            this.dir = lab.dir().resolve(name);
        }

        NetnsLab.Node node() {
            return node;
        }

        String ns() {
            return node.ns();
        }

        Path socket() {
            return dir.resolve("run/dhcp.sock");
        }

        String conf(String version) {
            return "{\"cniVersion\":\"" + version + "\",\"name\":\"lan\",\"type\":\"cni-terway\",\"dhcpSocket\":\""
                    + socket() + "\",\"serviceCIDR\":\"10.96.0.0/12\"}";
        }

        void setupAndStart() {
            CommandResult setup = NetnsLab.exec(ns(), CniRuntime.home().resolve("bin/terway").toString(), "setup",
                    "--iface", NetnsLab.NIC, "--state-dir", dir.resolve("setup").toString());
            assertEquals(0, setup.exitCode(), () -> "terway setup: " + setup.stderr());
            startDaemon();
        }

        void startDaemon() {
            try {
                Files.createDirectories(socket().getParent());
                daemon = new ProcessBuilder("ip", "netns", "exec", ns(), CniRuntime.home().resolve("bin/terway").toString(),
                        "dhcp", "daemon", "--socket", socket().toString(), "--state-dir", dir.resolve("state").toString())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Instant deadline = Instant.now().plusSeconds(30);
            while (!ping()) {
                if (!daemon.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the daemon of " + ns() + " did not start: " + log());
                }
                sleepMillis(50);
            }
        }

        void stopDaemon() {
            DaemonProcess.stop(daemon);
        }

        /** A shared lab's end: the node's daemon (if it was made) stopped, then the lab removed, even if stopping failed. */
        static void stopAndRemove(TerwayNode node, NetnsLab lab) {
            try {
                if (node != null) {
                    node.stopDaemon();
                }
            } finally {
                if (lab != null) {
                    lab.close();
                }
            }
        }

        String log() {
            return DaemonProcess.log(dir.resolve("daemon.log"));
        }

        private CniReply call(String request) throws IOException {
            return DaemonProcess.call(socket(), 10_000, request);
        }

        boolean ping() {
            return DaemonProcess.ping(socket(), 10_000);
        }

        List<String> leases() {
            try {
                CniReply r = call("{\"op\":\"list\"}");
                List<String> out = new ArrayList<>();
                for (JsonNode l : json(r.stdout())) {
                    out.add(l.path("containerId").asText() + "/" + l.path("ifname").asText());
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        boolean holdsLease(String containerId) {
            return leases().contains(containerId + "/eth0");
        }

        /** Whether the daemon lists a lease of {@code family} ("ipv4" or "ipv6") for {@code containerId}/eth0. */
        boolean holdsLease(String containerId, String family) {
            try {
                for (JsonNode l : json(call("{\"op\":\"list\"}").stdout())) {
                    if (l.path("containerId").asText().equals(containerId) && l.path("ifname").asText().equals("eth0")
                            && l.path("family").asText().equals(family)) {
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        boolean hasLink(String name) {
            return Cmd.run("ip", "-n", ns(), "link", "show", "dev", name).succeeded();
        }

        /** One link as {@code ip -j -d link show} describes it (master, alias, bridge-port data, flags). */
        JsonNode link(String name) {
            return json(Cmd.check("ip", "-n", ns(), "-j", "-d", "link", "show", "dev", name)).path(0);
        }

        Set<String> links() {
            Set<String> names = new TreeSet<>();
            for (JsonNode l : json(Cmd.check("ip", "-n", ns(), "-j", "link", "show"))) {
                names.add(l.path("ifname").asText());
            }
            return names;
        }

        Set<String> terwayVeths() {
            Set<String> out = new TreeSet<>();
            for (String l : links()) {
                if (VethNames.HOST_VETH.matcher(l).matches()) {
                    out.add(l);
                }
            }
            return out;
        }
    }

    static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Root-namespace commands of the test itself (netns creation, inspection). */
    static final class Cmd {
        static CommandResult run(String... argv) {
            return new dev.terway.plan.ExecCommandRunner(Duration.ofSeconds(30)).run(List.of(argv));
        }

        static String check(String... argv) {
            CommandResult r = run(argv);
            if (!r.succeeded()) {
                throw new IllegalStateException(String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.stderr());
            }
            return r.stdout();
        }
    }
}

package dev.terway.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for what already held when issue 13 was filed: a DHCP pool that runs out, and a pod
 * whose attachment is deleted and at once added again, many times. Real `bin/cni-terway` against a real
 * `terway dhcp daemon` in a lab node namespace, dnsmasq on the lab LAN. Every test asserts the exact end
 * state: which host veths, lease files, daemon leases, attachment records, queued DELs and server leases
 * exist, and what is left in the pods' namespaces. Root only; skipped otherwise.
 */
class PoolAndChurnIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ARGS = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=";

    /** The network configuration's `dhcpTimeoutSeconds` in the pool test: what an ADD beyond the pool waits. */
    private static final int CONF_TIMEOUT_S = 4;
    /**
     * What a failed ADD may take beyond {@link #CONF_TIMEOUT_S}: starting `cni-terway` (a JVM, on 2 shared
     * cores), the daemon's 2 s grace after the client's deadline, the undo. Kept below the daemon's own
     * `--timeout` (30 s here), so that an ADD that waited for the daemon's default instead fails too.
     */
    private static final Duration FAILURE_MARGIN = Duration.ofSeconds(8);

    /**
     * A pool of three addresses: three pods hold it all, two more ADDs fail with 11 (try again later) in the
     * configured timeout and leave nothing anywhere; after DELs free addresses a new pod and a retry of a
     * failed one (same id, same netns, as a runtime retries) get exactly the freed addresses.
     *
     * <p>The daemon runs with its defaults (ARP probe 200 ms included) but `--timeout 30s`, so the 4 s
     * measured here can only come from the network configuration's `dhcpTimeoutSeconds`.
     */
    @Test
    void addsBeyondThePoolFailWithTryAgainInTheTimeoutLeakNothingAndSucceedOnceAddressesAreFree()
            throws Exception {
        try (NetnsLab lab = NetnsLab.create()) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer(lab.net().lanV4(100), lab.net().lanV4(102));
            Node node = new Node(lab, "n1", ",\"dhcpTimeoutSeconds\":" + CONF_TIMEOUT_S);
            try {
                node.setupAndStart("--timeout", "30s");
                Set<String> pool = Set.of(lab.net().lanV4(100), lab.net().lanV4(101), lab.net().lanV4(102));

                Map<String, String> holders = new LinkedHashMap<>(); // id -> address
                Map<String, String> podNs = new LinkedHashMap<>();
                for (String id : List.of("p0", "p1", "p2")) {
                    podNs.put(id, lab.addNamespace(id));
                    CniRuntime.Result add = node.cni("ADD", id, podNs.get(id));
                    assertEquals(0, add.exit(), add::describe);
                    holders.put(id, address(add));
                }
                assertEquals(pool, Set.copyOf(holders.values()), "the three pods hold the whole pool");

                Set<String> linksBefore = node.links();
                Set<String> attachmentsBefore = node.dirEntries("attachments");
                assertEquals(records(holders.keySet()), attachmentsBefore);

                // Two ADDs beyond the pool, at once: dnsmasq has no address for them and stays silent.
                for (String id : List.of("x0", "x1")) {
                    podNs.put(id, lab.addNamespace(id));
                }
                ExecutorService runtime = Executors.newFixedThreadPool(2);
                List<CniRuntime.Result> failed = new ArrayList<>();
                try {
                    List<Future<CniRuntime.Result>> adds = new ArrayList<>();
                    for (String id : List.of("x0", "x1")) {
                        adds.add(runtime.submit(() -> node.cni("ADD", id, podNs.get(id))));
                    }
                    for (Future<CniRuntime.Result> f : adds) {
                        failed.add(f.get());
                    }
                } finally {
                    runtime.shutdownNow();
                }
                for (CniRuntime.Result r : failed) {
                    assertEquals(1, r.exit(), r::describe);
                    JsonNode error = json(r.stdout());
                    assertEquals(11, error.path("code").asInt(), r::describe);
                    assertTrue(error.path("msg").asText().contains("no DHCP lease for eth0 of container "
                            + r.env().get("CNI_CONTAINERID") + " within " + CONF_TIMEOUT_S + " s"), r::describe);
                    assertTrue(error.path("msg").asText().contains("everything done before was undone"),
                            r::describe);
                    // No DHCP answer means nothing to give up on early: the ADD waits the configured
                    // timeout, and not much longer.
                    assertTrue(r.millis() >= CONF_TIMEOUT_S * 1000L, r::describe);
                    assertTrue(r.millis() <= CONF_TIMEOUT_S * 1000L + FAILURE_MARGIN.toMillis(), r::describe);
                }
                System.out.println("PoolAndChurnIT: ADDs beyond the pool failed after "
                        + failed.stream().map(r -> r.millis() + " ms").toList() + " (dhcpTimeoutSeconds "
                        + CONF_TIMEOUT_S + ")");

                // Nothing of the failed ADDs anywhere, right after their answers (the undo runs before them).
                assertEquals(linksBefore, node.links(), "links of the node");
                assertEquals(leaseFiles(holders.keySet()), node.dirEntries(node.leaseDir()), "lease files");
                assertEquals(attachmentsBefore, node.dirEntries("attachments"), "attachment records");
                assertEquals(Set.of(), node.dirEntries("pending-release"), "queued releases");
                assertEquals(Set.of(), node.dirEntries("del-in-progress"), "unfinished DELs");
                assertEquals(leases(holders), node.leases(), "the daemon's leases");
                assertEquals(new TreeSet<>(holders.values()), serverLeases(dhcp), "dnsmasq's leases");
                for (String id : List.of("x0", "x1")) {
                    assertEquals(Set.of("lo"), links(podNs.get(id)), "links in the pod of " + id);
                    assertEquals("", ip(podNs.get(id), "-4", "route", "show").strip(), "routes in the pod of " + id);
                }
                // The runtime DELs a failed ADD: nothing to do, and nothing else touched.
                CniRuntime.Result delFailed = node.cni("DEL", "x1", podNs.get("x1"));
                assertEquals(0, delFailed.exit(), delFailed::describe);
                assertEquals(leases(holders), node.leases());

                // A DEL frees an address: a new pod gets exactly it.
                String freed0 = holders.remove("p0");
                node.delAndWait("p0", podNs.get("p0"));
                assertTrue(Eventually.within(Duration.ofSeconds(5), () -> !serverLeases(dhcp).contains(freed0)),
                        "dnsmasq took " + freed0 + " back: " + serverLeases(dhcp));
                podNs.put("y0", lab.addNamespace("y0"));
                CniRuntime.Result y0 = node.cni("ADD", "y0", podNs.get("y0"));
                assertEquals(0, y0.exit(), y0::describe);
                assertEquals(freed0, address(y0), "the one free address");
                holders.put("y0", freed0);

                // Another DEL: the runtime's retry of a failed ADD (same id, netns, ifname) gets that one.
                String freed1 = holders.remove("p1");
                node.delAndWait("p1", podNs.get("p1"));
                assertTrue(Eventually.within(Duration.ofSeconds(5), () -> !serverLeases(dhcp).contains(freed1)),
                        "dnsmasq took " + freed1 + " back: " + serverLeases(dhcp));
                CniRuntime.Result retry = node.cni("ADD", "x0", podNs.get("x0"));
                assertEquals(0, retry.exit(), retry::describe);
                assertEquals(freed1, address(retry), "the one free address");
                holders.put("x0", freed1);

                assertEquals(leases(holders), node.leases(), "the daemon's leases");
                assertEquals(leaseFiles(holders.keySet()), node.dirEntries(node.leaseDir()), "lease files");
                assertEquals(records(holders.keySet()), node.dirEntries("attachments"), "attachment records");
                assertEquals(veths(holders.keySet()), node.terwayVeths(), "host veths");
                for (String id : holders.keySet()) {
                    assertTrue(NetnsLab.ping(podNs.get(id), lab.gateway().ipv4()), id + " reaches the gateway");
                }

                for (String id : List.copyOf(holders.keySet())) {
                    node.delAndWait(id, podNs.get(id));
                }
                node.assertNothingLeft(dhcp, podNs.values());
            } finally {
                node.stopDaemon();
            }
        }
    }

    /**
     * 20 rounds of DEL and, at once, ADD of the same container id, netns and ifname: every ADD succeeds with
     * an address the pod really has and uses, the server and the daemon hold exactly that one lease, and
     * after the last DEL nothing is left.
     *
     * <p>The ARP probe keeps its default (200 ms): an ADD that met the previous attachment's pod end still
     * answering for the address (a DEL tail not yet run) would see a conflict, DECLINE and wait 10 s; the
     * daemon's counters must show every address probed and no conflict.
     */
    @Test
    void twentyRoundsOfDelThenImmediateAddOfTheSameAttachmentAllSucceedAndLeakNothing() {
        try (NetnsLab lab = NetnsLab.create()) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            Node node = new Node(lab, "n1", "");
            try {
                node.setupAndStart();
                String pod = lab.addNamespace("churn");
                String id = "churn";
                String veth = VethNames.hostVeth(id, "eth0");
                CniRuntime.Result first = node.cni("ADD", id, pod);
                assertEquals(0, first.exit(), first::describe);
                String address = address(first);
                List<String> addresses = new ArrayList<>(List.of(address));
                List<Long> addMillis = new ArrayList<>();
                for (int round = 1; round <= 20; round++) {
                    String where = "round " + round + ": ";
                    CniRuntime.Result del = node.cni("DEL", id, pod);
                    assertEquals(0, del.exit(), () -> where + del.describe());
                    assertEquals("", del.stdout(), where);
                    CniRuntime.Result add = node.cni("ADD", id, pod);
                    assertEquals(0, add.exit(), () -> where + add.describe() + "\n" + node.log());
                    address = address(add);
                    addresses.add(address);
                    addMillis.add(add.millis());
                    String now = address;
                    CommandResult eth0 = NetnsLab.exec(pod, "ip", "-4", "addr", "show", "dev", "eth0");
                    assertTrue(eth0.succeeded() && eth0.stdout().contains(" " + now + "/"),
                            () -> where + "the pod's eth0 has " + now + ": " + eth0.stdout() + eth0.stderr()
                                    + "\n" + node.log());
                    assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), where + "the pod reaches the gateway");
                    JsonNode port = node.link(veth);
                    assertEquals("mybr0", port.path("master").asText(), where + port);
                    assertTrue(port.path("flags").toString().contains("\"UP\""), where + port);
                    assertEquals(Map.of(id + "/eth0", now + "/24"), node.leases(), where + "the daemon's leases");
                    assertEquals(Set.of(id + "@eth0.json"), node.dirEntries(node.leaseDir()), where + "lease files");
                    // the previous round's lease went back to the server: it holds this one only
                    assertTrue(Eventually.within(Duration.ofSeconds(5),
                            () -> serverLeases(dhcp).equals(new TreeSet<>(Set.of(now)))),
                            where + "dnsmasq's leases " + serverLeases(dhcp) + ", expected only " + now);
                }
                // No late tail of the last DEL takes the new attachment apart.
                CniPluginIT.sleepMillis(Eventually.DEL_TAIL.toMillis());
                assertEquals(Set.of(veth), node.terwayVeths(), "host veths");
                assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "the pod still reaches the gateway");
                assertEquals(Map.of(id + "/eth0", address + "/24"), node.leases());

                JsonNode counters = node.stats();
                assertEquals(0, counters.path("addressConflicts").asLong(), counters::toString);
                assertEquals(0, counters.path("unprobedBinds").asLong(), counters::toString);
                assertTrue(counters.path("arpProbesSent").asLong() >= 3L * 21, counters::toString);

                node.delAndWait(id, pod);
                node.assertNothingLeft(dhcp, List.of(pod));
                System.out.println("PoolAndChurnIT: 20 DEL+ADD rounds, ADD ms " + addMillis + ", addresses "
                        + new TreeSet<>(addresses));
            } finally {
                node.stopDaemon();
            }
        }
    }

    private static Set<String> veths(Set<String> ids) {
        return ids.stream().map(id -> VethNames.hostVeth(id, "eth0")).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The attachment record files of {@code ids}' eth0: one per host veth. */
    private static Set<String> records(Set<String> ids) {
        return veths(ids).stream().map(v -> v + ".json").collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> leaseFiles(Set<String> ids) {
        return ids.stream().map(id -> id + "@eth0.json").collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<String, String> leases(Map<String, String> holders) {
        Map<String, String> out = new TreeMap<>();
        holders.forEach((id, a) -> out.put(id + "/eth0", a + "/24"));
        return out;
    }

    private static String address(CniRuntime.Result add) {
        String cidr = json(add.stdout()).path("ips").path(0).path("address").asText();
        assertNotEquals(-1, cidr.indexOf('/'), add::describe);
        return cidr.substring(0, cidr.indexOf('/'));
    }

    /** The addresses in dnsmasq's lease file (one lease a line: expiry, MAC, address, …). */
    private static Set<String> serverLeases(NetnsLab.DhcpServer dhcp) {
        try {
            if (!Files.exists(dhcp.leaseFile())) {
                return new TreeSet<>();
            }
            return Files.readAllLines(dhcp.leaseFile()).stream().filter(l -> !l.isBlank())
                    .map(l -> l.split(" ")[2]).collect(Collectors.toCollection(TreeSet::new));
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

    private static String ip(String ns, String... args) {
        return NetnsLab.ip(ns, args);
    }

    private static Set<String> links(String ns) {
        Set<String> names = new TreeSet<>();
        for (JsonNode l : json(ip(ns, "-j", "link", "show"))) {
            names.add(l.path("ifname").asText());
        }
        return names;
    }

    /** A lab node prepared with `terway setup`, running `terway dhcp daemon` with the given flags. */
    private static final class Node {
        private final NetnsLab.Node node;
        private final Path dir;
        private final String extraConf;
        private Process daemon;

        Node(NetnsLab lab, String name, String extraConf) {
            this.node = lab.addNode().configureStatic();
            this.dir = lab.dir().resolve(name);
            this.extraConf = extraConf;
        }

        String ns() {
            return node.ns();
        }

        Path socket() {
            return dir.resolve("run/dhcp.sock");
        }

        Path leaseDir() {
            return dir.resolve("state/leases");
        }

        String conf() {
            return "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"dhcpSocket\":\"" + socket()
                    + "\"" + extraConf + "}";
        }

        void setupAndStart(String... daemonFlags) {
            CommandResult setup = NetnsLab.exec(ns(), CniRuntime.home().resolve("bin/terway").toString(), "setup",
                    "--iface", NetnsLab.NIC, "--state-dir", dir.resolve("setup").toString());
            assertEquals(0, setup.exitCode(), () -> "terway setup: " + setup.stderr());
            try {
                Files.createDirectories(socket().getParent());
                List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns(),
                        CniRuntime.home().resolve("bin/terway").toString(), "dhcp", "daemon",
                        "--socket", socket().toString(), "--state-dir", dir.resolve("state").toString()));
                argv.addAll(List.of(daemonFlags));
                daemon = new ProcessBuilder(argv).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Instant deadline = Instant.now().plusSeconds(60);
            while (!ping()) {
                if (!daemon.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the daemon of " + ns() + " did not start: " + log());
                }
                CniPluginIT.sleepMillis(100);
            }
        }

        void stopDaemon() {
            DaemonProcess.stop(daemon);
        }

        String log() {
            return DaemonProcess.log(dir.resolve("daemon.log"));
        }

        CniRuntime.Result cni(String command, String id, String podNs) {
            return CniRuntime.invoke(ns(), CniRuntime.env(command, id, "/run/netns/" + podNs, "eth0", ARGS + id),
                    conf());
        }

        /** DEL, and waits until the daemon has finished it after its reply (veth deletion, release). */
        void delAndWait(String id, String podNs) {
            CniRuntime.Result del = cni("DEL", id, podNs);
            assertEquals(0, del.exit(), del::describe);
            String veth = VethNames.hostVeth(id, "eth0");
            assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> !leases().containsKey(id + "/eth0")
                    && !terwayVeths().contains(veth) && dirEntries("del-in-progress").isEmpty()),
                    "DEL of " + id + " finished: " + log());
        }

        /** No veth, lease file, lease, record or queued DEL on the node, no lease at the server, only lo in the pods. */
        void assertNothingLeft(NetnsLab.DhcpServer dhcp, Iterable<String> pods) {
            assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> terwayVeths().isEmpty()), "host veths left: "
                    + terwayVeths());
            assertEquals(Map.of(), leases(), "the daemon's leases");
            assertEquals(Set.of(), dirEntries(leaseDir()), "lease files");
            assertEquals(Set.of(), dirEntries("attachments"), "attachment records");
            assertEquals(Set.of(), dirEntries("pending-release"), "queued releases");
            assertEquals(Set.of(), dirEntries("del-in-progress"), "unfinished DELs");
            assertTrue(Eventually.within(Duration.ofSeconds(5), () -> serverLeases(dhcp).isEmpty()),
                    "dnsmasq's leases left: " + serverLeases(dhcp));
            for (String pod : pods) {
                assertEquals(Set.of("lo"), PoolAndChurnIT.links(pod), "links in " + pod);
            }
        }

        private CniReply call(String request) throws IOException {
            return DaemonProcess.call(socket(), 10_000, request);
        }

        boolean ping() {
            return DaemonProcess.ping(socket(), 10_000);
        }

        /** The daemon's leases, "containerId/ifname" → address with prefix. */
        Map<String, String> leases() {
            try {
                Map<String, String> out = new TreeMap<>();
                for (JsonNode l : json(call("{\"op\":\"list\"}").stdout())) {
                    out.put(l.path("containerId").asText() + "/" + l.path("ifname").asText(),
                            l.path("address").asText());
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        JsonNode stats() {
            try {
                return json(call("{\"op\":\"stats\"}").stdout()).path("counters");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Files in {@code name} beside the daemon's socket (attachments, pending-release, del-in-progress). */
        Set<String> dirEntries(String name) {
            return dirEntries(socket().getParent().resolve(name));
        }

        Set<String> dirEntries(Path d) {
            Set<String> out = new TreeSet<>();
            if (!Files.isDirectory(d)) {
                return out;
            }
            try (Stream<Path> files = Files.list(d)) {
                files.forEach(f -> out.add(f.getFileName().toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out;
        }

        Set<String> links() {
            return PoolAndChurnIT.links(ns());
        }

        JsonNode link(String name) {
            return json(ip(ns(), "-j", "-d", "link", "show", "dev", name)).path(0);
        }

        Set<String> terwayVeths() {
            return links().stream().filter(l -> VethNames.HOST_VETH.matcher(l).matches())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}

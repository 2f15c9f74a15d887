package dev.terway.dhcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.terway.daemon.DaemonClient;
import dev.terway.daemon.Response;
import dev.terway.it.NetnsLab;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * `terway dhcp daemon` as a real process in a node namespace, against real dnsmasq (T1 10 s, T2 20 s,
 * 2 minute leases), with pods as namespaces on the node's bridge. Needs root; each test builds and
 * removes its own lab.
 */
class DhcpDaemonIT {

    private static String address(JsonNode lease) {
        return lease.get("address").asText().split("/")[0];
    }

    @Test
    void acquireRenewAtT1AndRelease() throws Exception {
        try (DhcpLab lab = new DhcpLab()) {
            String pod = lab.addPod("p1");
            lab.startDaemon();

            DhcpLab.Run acquire = lab.cli("acquire", "--netns", DhcpLab.netnsPath(pod).toString(), "--ifname", "eth0",
                    "--container-id", "c-acquire", "--pod", "default/web-1");
            assertEquals(0, acquire.exit(), acquire.describe() + "\n" + lab.log());
            JsonNode lease = acquire.json();
            String ip = address(lease);
            String lanPrefix = lab.lab.net().lanV4(0).replaceAll("0$", "");
            int host = Integer.parseInt(ip.substring(lanPrefix.length()));
            assertTrue(ip.startsWith(lanPrefix) && host >= 100 && host <= 199 && lease.get("address").asText().endsWith("/24"),
                    "an address of the dnsmasq range: " + lease);
            assertEquals(lab.lab.gateway().ipv4(), lease.get("gateway").asText());
            assertEquals(lab.lab.net().lanV4(254), lease.get("server").asText());
            Instant expires = Instant.parse(lease.get("expires").asText());
            assertTrue(Duration.between(Instant.now(), expires).toSeconds() > 100, "a 2 minute lease: " + lease);
            assertTrue(lab.dnsmasqLeases().contains(ip + " web-1 "), "dnsmasq knows the pod by name: "
                    + lab.dnsmasqLeases());

            // CNI ADD puts the address on the pod with the lease's lifetime.
            DhcpLab.configure(pod, lease, 120);

            // dnsmasq sends T1 = 10 s: the daemon renews (unicast from the pod) and stretches the address's lifetime.
            DhcpLab.waitFor("the lease is renewed at T1", Duration.ofSeconds(20),
                    () -> !lab.logLines("msg=\"renewed default/web-1 eth0 address " + ip + "/24").isEmpty());
            Instant renewedAt = Instant.now();
            assertTrue(Duration.between(Instant.parse(lease.get("boundAt").asText()), renewedAt).toSeconds() >= 9,
                    "not before T1: " + lab.log());
            assertTrue(lab.dnsmasqLog().contains("DHCPACK(sw0) " + ip), lab.dnsmasqLog());
            DhcpLab.waitFor("the pod's address lifetime follows the renewal", Duration.ofSeconds(10), () -> {
                JsonNode a = DhcpLab.addresses(pod).get(0);
                return a.get("valid_life_time").asLong() > 112;
            });
            // the audit line is written right after the command returns, so it may trail the address by a moment
            DhcpLab.waitFor("the lifetime change went through the plan engine's audit log", Duration.ofSeconds(5),
                    () -> DhcpLab.read(lab.stateDir.resolve("audit.log")).contains("\"change\",\"" + ip + "/24\""));

            DhcpLab.Run release = lab.cli("release", "--container-id", "c-acquire", "--ifname", "eth0");
            assertEquals(0, release.exit(), release.describe());
            assertTrue(release.json().get("released").asBoolean());
            assertEquals(lease.get("address"), release.json().get("lease").get("address"));
            DhcpLab.waitFor("dnsmasq drops the lease", Duration.ofSeconds(5), () -> !lab.dnsmasqLeases().contains(ip));
            assertTrue(lab.dnsmasqLog().contains("DHCPRELEASE(sw0) " + ip), lab.dnsmasqLog());
            assertEquals("[ ]", lab.cli("list").out().strip());
            assertTrue(Files.notExists(lab.stateDir.resolve("leases/c-acquire@eth0.json")));

            DhcpLab.Run again = lab.cli("release", "--container-id", "c-acquire", "--ifname", "eth0");
            assertEquals(0, again.exit(), again.describe());
            assertFalse(again.json().get("released").asBoolean());
        }
    }

    @Test
    void aSigkilledDaemonTakesItsLeaseUpAgainAndKeepsRenewingTheSameAddress() throws Exception {
        try (DhcpLab lab = new DhcpLab()) {
            String pod = lab.addPod("p1");
            lab.startDaemon();
            DhcpLab.Run acquire = lab.cli("acquire", "--netns", DhcpLab.netnsPath(pod).toString(), "--ifname", "eth0",
                    "--container-id", "c-restart", "--pod", "default/db-0");
            assertEquals(0, acquire.exit(), acquire.describe());
            String ip = address(acquire.json());
            DhcpLab.configure(pod, acquire.json(), 120);

            lab.killDaemon();
            assertTrue(Files.exists(lab.socket), "SIGKILL leaves the socket file behind");
            lab.startDaemon();

            assertTrue(lab.log().contains("1 stored lease(s) taken up"), lab.log());
            DhcpLab.waitFor("the stored lease is confirmed (INIT-REBOOT)", Duration.ofSeconds(10),
                    () -> !lab.logLines("msg=\"restored default/db-0 eth0 address " + ip + "/24").isEmpty());
            DhcpLab.waitFor("and renewed at T1 with the same address", Duration.ofSeconds(20),
                    () -> !lab.logLines("msg=\"renewed default/db-0 eth0 address " + ip + "/24").isEmpty());
            JsonNode list = DhcpLab.JSON.readTree(lab.cli("list").out());
            assertEquals(1, list.size());
            assertEquals(ip + "/24", list.get(0).get("address").asText());
            assertEquals(ip, DhcpLab.addresses(pod).get(0).get("local").asText(), "the pod was not disturbed");
        }
    }

    @Test
    void aLeaseWhosePodNetnsIsGoneIsReleasedWhenTheDaemonStarts() throws Exception {
        try (DhcpLab lab = new DhcpLab()) {
            String pod = lab.addPod("p1");
            lab.startDaemon();
            DhcpLab.Run acquire = lab.cli("acquire", "--netns", DhcpLab.netnsPath(pod).toString(), "--ifname", "eth0",
                    "--container-id", "c-gone");
            assertEquals(0, acquire.exit(), acquire.describe());
            String ip = address(acquire.json());
            lab.killDaemon();
            NetnsLab.ip(lab.node, "link", "del", "v-p1");
            DhcpLab.run(List.of("ip", "netns", "delete", pod));

            lab.startDaemon();

            assertTrue(lab.log().contains("0 stored lease(s) taken up"), lab.log());
            assertTrue(lab.log().contains("msg=\"released container c-gone eth0 address " + ip + "/24"), lab.log());
            DhcpLab.waitFor("dnsmasq drops the lease", Duration.ofSeconds(5), () -> !lab.dnsmasqLeases().contains(ip));
            assertEquals("[ ]", lab.cli("list").out().strip());
        }
    }

    @Test
    void sigtermStopsWithoutReleasingAndKeepsTheLeaseOnDisk() throws Exception {
        try (DhcpLab lab = new DhcpLab()) {
            String pod = lab.addPod("p1");
            lab.startDaemon();
            DhcpLab.Run acquire = lab.cli("acquire", "--netns", DhcpLab.netnsPath(pod).toString(), "--ifname", "eth0",
                    "--container-id", "c-term");
            assertEquals(0, acquire.exit(), acquire.describe());
            String ip = address(acquire.json());

            int exit = lab.terminateDaemon();

            assertEquals(143, exit, "the JVM's exit status after SIGTERM");
            assertTrue(lab.log().contains("terway dhcp daemon stopped; 1 lease(s) kept in"), lab.log());
            assertFalse(lab.dnsmasqLog().contains("DHCPRELEASE"), lab.dnsmasqLog());
            assertTrue(lab.dnsmasqLeases().contains(ip));
            assertTrue(Files.exists(lab.stateDir.resolve("leases/c-term@eth0.json")));
            assertFalse(Files.exists(lab.socket), "a clean stop removes the socket");
        }
    }

    @Test
    void withoutADhcpServerAcquireFailsWithinTheTimeoutWithThePreciseReport() throws Exception {
        try (DhcpLab lab = new DhcpLab()) {
            String pod = lab.addPod("p1");
            lab.stopDhcpServer();
            lab.startDaemon("--timeout", "4s");

            DhcpLab.Run acquire = lab.cli("acquire", "--netns", DhcpLab.netnsPath(pod).toString(), "--ifname", "eth0",
                    "--container-id", "c-none");

            assertEquals(1, acquire.exit(), acquire.describe());
            Matcher report = Pattern.compile("terway: acquire a lease for eth0 of container c-none failed: no DHCP lease"
                    + " on eth0 in netns " + Pattern.quote(DhcpLab.netnsPath(pod).toString()) + " \\(container c-none\\)"
                    + " after (4|4\\.\\d{3})s \\(acquire timeout of 4s passed\\): sent (\\d+) DISCOVERs and 0 REQUESTs;"
                    + " no server replied\n").matcher(acquire.err());
            assertTrue(report.matches(), acquire.describe());
            assertTrue(Double.parseDouble(report.group(1)) < 4.5, "the daemon gave up on time: " + acquire.describe());
            int discovers = Integer.parseInt(report.group(2));
            assertTrue(discovers >= 4 && discovers <= 6, "250 ms doubling to 4 s: " + discovers);
            // the wall time adds the CLI's own JVM start (seconds on a loaded machine) to the daemon's 4 s
            assertTrue(acquire.took().toMillis() < 4000 + 6000, acquire.describe());
            assertEquals("[ ]", lab.cli("list").out().strip());
        }
    }

    @Test
    void thirtyParallelAcquiresAllSucceedWithDistinctAddresses() throws Exception {
        int pods = 30;
        try (DhcpLab lab = new DhcpLab()) {
            List<String> namespaces = new ArrayList<>();
            for (int i = 0; i < pods; i++) {
                namespaces.add(lab.addPod("q" + i));
            }
            lab.startDaemon();
            DaemonClient client = new DaemonClient(lab.socket);
            ExecutorService callers = Executors.newFixedThreadPool(pods);
            List<Future<Response>> responses = new ArrayList<>();
            for (int i = 0; i < pods; i++) {
                String request = "{\"op\":\"acquire\",\"containerId\":\"c" + i + "\",\"netns\":\""
                        + DhcpLab.netnsPath(namespaces.get(i)) + "\",\"ifname\":\"eth0\",\"podNamespace\":\"load\","
                        + "\"podName\":\"pod-" + i + "\"}";
                responses.add(callers.submit(() -> client.call(request)));
            }
            Set<String> addresses = new HashSet<>();
            for (Future<Response> future : responses) {
                Response response = future.get(30, TimeUnit.SECONDS);
                assertEquals(0, response.status(), response.body() + "\n" + lab.log());
                addresses.add(DhcpLab.JSON.readTree(response.body()).get("address").asText());
            }
            callers.shutdown();

            assertEquals(pods, addresses.size(), "distinct addresses: " + addresses);
            for (String cidr : addresses) {
                assertTrue(lab.dnsmasqLeases().contains(cidr.split("/")[0] + " "), cidr + " in " + lab.dnsmasqLeases());
            }
            assertEquals(pods, DhcpLab.JSON.readTree(lab.cli("list").out()).size());
            String table = lab.cli("list", "--table").out();
            assertEquals(pods + 1, table.lines().count(), table);
            assertNotEquals(-1, table.indexOf("load/pod-29"));
        }
    }

    @Test
    void onlyRootAndTheDaemonsUserMayTalkToTheSocket() throws Exception {
        // A client that user nobody can run: the system python (the JDK and build may not be readable).
        String python = "/usr/bin/python3";
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(java.nio.file.Path.of(python)),
                "needs " + python + " to connect as another user");
        try (DhcpLab lab = new DhcpLab()) {
            lab.startDaemon();
            // Open the file permissions so that only the SO_PEERCRED check stands in the way.
            DhcpLab.run(List.of("chmod", "0711", lab.dir.toString()));
            DhcpLab.run(List.of("chmod", "0755", lab.socket.getParent().toString()));
            DhcpLab.run(List.of("chmod", "0666", lab.socket.toString()));
            String client = "import socket,sys\n"
                    + "s=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                    + "s.sendall(b'{\"op\":\"ping\"}')\ns.shutdown(socket.SHUT_WR)\n"
                    + "sys.stdout.write(s.makefile('rb').read().decode())\n";
            var asNobody = DhcpLab.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    python, "-c", client, lab.socket.toString()));
            assertEquals(0, asNobody.exitCode(), asNobody.stderr());
            assertTrue(asNobody.stdout().startsWith("1\n{\"error\":\"permission denied: user "), asNobody.stdout());
            var asRoot = DhcpLab.run(List.of(python, "-c", client, lab.socket.toString()));
            assertEquals("0\n{\"ok\":true}", asRoot.stdout());
        }
    }
}

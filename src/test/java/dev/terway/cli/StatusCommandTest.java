package dev.terway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.daemon.DaemonServer;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.migration.Host;
import dev.terway.migration.SetupRecord;
import dev.terway.migration.SetupRecordStore;
import dev.terway.migration.Sleeper;
import dev.terway.plan.CommandResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's I/O around the verdict: what it asks the node and the daemon, and what it prints and exits. */
class StatusCommandTest {

    private static final String LINKS = "[{\"ifindex\":1,\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\",\"UP\"],\"mtu\":65536},"
            + "{\"ifindex\":2,\"ifname\":\"eth0\",\"flags\":[\"UP\"],\"mtu\":1500,\"master\":\"mybr0\","
            + "\"linkinfo\":{\"info_slave_kind\":\"bridge\"}},"
            + "{\"ifindex\":3,\"ifname\":\"mybr0\",\"flags\":[\"UP\"],\"mtu\":1500,\"linkinfo\":{\"info_kind\":\"bridge\"}},"
            + "{\"ifindex\":4,\"ifname\":\"tw1111111111111\",\"flags\":[\"UP\"],\"mtu\":1500,\"master\":\"mybr0\","
            + "\"linkinfo\":{\"info_kind\":\"veth\",\"info_slave_kind\":\"bridge\"}}]";
    private static final String PORTS = "[{\"ifindex\":2,\"ifname\":\"eth0\",\"master\":\"mybr0\",\"state\":\"forwarding\"},"
            + "{\"ifindex\":4,\"ifname\":\"tw1111111111111\",\"master\":\"mybr0\",\"state\":\"forwarding\"}]";
    private static final String STATUS = "{\"version\":\"0.1.0\",\"startedAt\":\"2026-12-05T01:00:00Z\","
            + "\"now\":\"2026-12-05T01:10:00Z\",\"attachments\":[{\"containerId\":\"c1\",\"ifname\":\"eth0\","
            + "\"hostVeth\":\"tw1111111111111\",\"bridge\":\"mybr0\",\"address\":\"10.0.0.110/24\"}],"
            + "\"leases\":[{\"containerId\":\"c1\",\"ifname\":\"eth0\",\"podNamespace\":\"default\",\"podName\":\"web\","
            + "\"state\":\"bound\",\"address\":\"10.0.0.110/24\",\"server\":\"10.0.0.2\","
            + "\"renewAt\":\"2026-12-05T01:15:00Z\",\"renewInSeconds\":300,\"expires\":\"2026-12-05T01:20:00Z\","
            + "\"expiresInSeconds\":600,\"lost\":false}],\"servers\":[{\"address\":\"10.0.0.2\","
            + "\"lastReply\":\"2026-12-05T01:05:00Z\",\"replies\":1}],\"problems\":[]}";

    @TempDir
    Path tmp;

    private final List<List<String>> ran = new CopyOnWriteArrayList<>();
    private DaemonServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Host host() {
        return new Host(argv -> {
            ran.add(argv);
            String out = argv.get(0).equals("ip") ? LINKS : PORTS;
            return new CommandResult(argv, 0, out, "", Duration.ZERO);
        }, Clock.systemUTC(), Sleeper.REAL);
    }

    private record Run(int exit, String out) {
    }

    private Run status(String... args) {
        StringWriter out = new StringWriter();
        List<String> argv = new java.util.ArrayList<>(List.of("status", "--state-dir", tmp.resolve("state").toString(),
                "--socket", tmp.resolve("run/dhcp.sock").toString(), "--timeout", "2s"));
        argv.addAll(List.of(args));
        int exit = TerwayCli.create(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), host())
                .execute(argv.toArray(String[]::new));
        return new Run(exit, out.toString());
    }

    private void setUp() throws Exception {
        new SetupRecordStore(tmp.resolve("state/setup.json")).save(new SetupRecord("eth0", "mybr0", 1500,
                "02:00:00:00:00:01", List.of(), List.of()));
    }

    private void serve(Response answer) throws IOException {
        server = DaemonServer.start(tmp.resolve("run/dhcp.sock"), RequestHandlers.builder()
                .register("status", r -> answer).build(), 2, m -> { });
    }

    @Test
    void aHealthyNodeExitsZeroAndOnlyLooks() throws Exception {
        setUp();
        serve(Response.ok(STATUS));
        Run run = status();
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().startsWith("terway status: healthy\n"), run.out());
        assertTrue(run.out().contains("default/web eth0  ipv4  10.0.0.110/24  bound  renew in 5m00s"), run.out());
        assertEquals(List.of(List.of("ip", "-j", "-d", "link", "show"), List.of("bridge", "-j", "link", "show")), ran,
                "two read-only queries, nothing else");
    }

    @Test
    void jsonIsOneObjectWithTheVerdict() throws Exception {
        setUp();
        serve(Response.ok(STATUS));
        Run run = status("--json");
        assertEquals(0, run.exit(), run.out());
        assertEquals(1, run.out().lines().count());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertTrue(json.get("healthy").asBoolean());
        assertEquals("eth0", json.get("setup").get("iface").asText());
        assertEquals("bound", json.get("daemon").get("leases").get(0).get("state").asText());
    }

    @Test
    void withoutADaemonItSaysSoAndExitsThree() throws Exception {
        setUp();
        Run run = status();
        assertEquals(3, run.exit(), run.out());
        assertTrue(run.out().contains("! daemon-down: the terway daemon did not answer: cannot reach the terway daemon: "
                + tmp.resolve("run/dhcp.sock") + " does not exist"), run.out());
    }

    @Test
    void aDaemonAnsweringNonsenseCountsAsDown() throws Exception {
        setUp();
        serve(Response.ok("{\"version\":1}"));
        Run run = status();
        assertEquals(3, run.exit(), run.out());
        assertTrue(run.out().contains("its answer is not a status: field 'version' must be a string"), run.out());
        server.close();
        serve(Response.error("unknown op 'status'"));
        Run old = status();
        assertEquals(3, old.exit(), old.out());
        assertTrue(old.out().contains("it answered status 1"), old.out());
    }

    @Test
    void aNodeWithoutSetupRecordNeedsAttention() throws Exception {
        serve(Response.ok(STATUS));
        Run run = status();
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.out().contains("! setup-missing: no setup record"), run.out());
        assertFalse(java.nio.file.Files.exists(tmp.resolve("state")), "a look creates no state directory");
    }
}

package dev.terway.cli.dhcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.cli.TerwayCli;
import dev.terway.daemon.DaemonServer;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI clients against a daemon socket whose handlers record what they were sent. */
class DhcpCliTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LEASE = "{\"containerId\":\"c1\",\"ifname\":\"eth0\",\"podNamespace\":\"default\","
            + "\"podName\":\"web\",\"address\":\"192.0.2.10/24\",\"gateway\":\"192.0.2.1\",\"server\":\"192.0.2.254\","
            + "\"expires\":\"2030-01-01T00:02:00Z\"}";

    @TempDir
    Path tmp;

    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private DaemonServer server;
    /** What the fake daemon answers "list" with. */
    private String listed = "[" + LEASE + "]";

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Path serve(Response acquire) throws IOException {
        server = DaemonServer.start(tmp.resolve("run/dhcp.sock"), RequestHandlers.builder()
                .register("acquire", r -> {
                    requests.add(r);
                    return acquire;
                })
                .register("release", r -> {
                    requests.add(r);
                    return Response.ok("{\"released\":true,\"lease\":" + LEASE + "}");
                })
                .register("list", r -> Response.ok(listed))
                .build(), 4, m -> { });
        return server.socket();
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = TerwayCli.create(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void acquireSendsTheRequestAndPrintsTheLease() throws IOException {
        Path socket = serve(Response.ok(LEASE));
        Run run = run("dhcp", "acquire", "--socket", socket.toString(), "--netns", "/run/netns/p1", "--ifname", "eth0",
                "--container-id", "c1", "--pod", "default/web", "--timeout", "3s", "--requested-address", "192.0.2.10");

        assertEquals(0, run.exit(), run.err());
        assertEquals("192.0.2.10/24", JSON.readTree(run.out()).get("address").asText());
        assertEquals(JSON.readTree("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/run/netns/p1\","
                + "\"ifname\":\"eth0\",\"podNamespace\":\"default\",\"podName\":\"web\",\"requestedAddress\":\"192.0.2.10\","
                + "\"timeoutMs\":3000}"), requests.get(0));
    }

    @Test
    void aFailedAcquirePrintsTheDaemonsReportAndExitsOne() throws IOException {
        Path socket = serve(Response.error("no DHCP lease on eth0 after 10s: sent 6 DISCOVERs; no server replied"));
        Run run = run("dhcp", "acquire", "--socket", socket.toString(), "--netns", "/run/netns/p1", "--ifname", "eth0",
                "--container-id", "c1");

        assertEquals(1, run.exit());
        assertEquals("terway: acquire a lease for eth0 of container c1 failed: no DHCP lease on eth0 after 10s: sent 6"
                + " DISCOVERs; no server replied\n", run.err());
        assertEquals("", run.out());
    }

    @Test
    void aMalformedPodIsAUsageError() throws IOException {
        Path socket = serve(Response.ok(LEASE));
        Run run = run("dhcp", "acquire", "--socket", socket.toString(), "--netns", "/p", "--ifname", "eth0",
                "--container-id", "c1", "--pod", "web");
        assertTrue(run.exit() != 0, "refused");
        assertTrue(run.err().contains("--pod must be NAMESPACE/NAME, got 'web'"), run.err());
        assertEquals(List.of(), requests);
    }

    @Test
    void releasePrintsWhatWasReleased() throws IOException {
        Path socket = serve(Response.ok(LEASE));
        Run run = run("dhcp", "release", "--socket", socket.toString(), "--container-id", "c1", "--ifname", "eth0");
        assertEquals(0, run.exit(), run.err());
        JsonNode out = JSON.readTree(run.out());
        assertEquals(true, out.get("released").asBoolean());
        assertEquals("192.0.2.10/24", out.get("lease").get("address").asText());
        assertEquals("release", requests.get(0).get("op").asText());
    }

    @Test
    void listPrintsJsonOrATable() throws IOException {
        Path socket = serve(Response.ok(LEASE));
        Run json = run("dhcp", "list", "--socket", socket.toString());
        assertEquals(0, json.exit(), json.err());
        assertEquals("192.0.2.10/24", JSON.readTree(json.out()).get(0).get("address").asText());

        Run table = run("dhcp", "list", "--socket", socket.toString(), "--table");
        assertEquals(List.of(
                "FAMILY  CONTAINER  IFNAME  POD          ADDRESS        GATEWAY    SERVER       EXPIRES",
                "ipv4    c1         eth0    default/web  192.0.2.10/24  192.0.2.1  192.0.2.254  2030-01-01T00:02:00Z"),
                table.out().lines().toList(), "a lease without a family (an older daemon's) is IPv4");
    }

    @Test
    void listShowsBothFamilies() throws IOException {
        String both = "[{\"family\":\"ipv4\",\"containerId\":\"c1\",\"ifname\":\"eth0\",\"address\":\"192.0.2.10/24\","
                + "\"gateway\":\"192.0.2.1\",\"server\":\"192.0.2.254\",\"expires\":\"2030-01-01T00:02:00Z\"},"
                + "{\"family\":\"ipv6\",\"containerId\":\"c1\",\"ifname\":\"eth0\",\"address\":\"fd00::1bd\","
                + "\"server\":\"000100012c4f5a100242ac110002\",\"expires\":\"2030-01-01T00:02:00Z\"}]";
        listed = both;
        Path socket = serve(Response.ok(LEASE));
        Run table = run("dhcp", "list", "--socket", socket.toString(), "--table");
        assertEquals(List.of(
                "FAMILY  CONTAINER  IFNAME  POD  ADDRESS        GATEWAY    SERVER                        EXPIRES",
                "ipv4    c1         eth0    -    192.0.2.10/24  192.0.2.1  192.0.2.254                   2030-01-01T00:02:00Z",
                "ipv6    c1         eth0    -    fd00::1bd      -          000100012c4f5a100242ac110002  2030-01-01T00:02:00Z"),
                table.out().lines().toList());
    }

    @Test
    void aMissingDaemonIsReportedAsSuch() {
        Run run = run("dhcp", "list", "--socket", tmp.resolve("none.sock").toString());
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("is `terway dhcp daemon` running?"), run.err());
    }

    @Test
    void aZeroTimeoutIsRefused() throws IOException {
        Path socket = serve(Response.ok(LEASE));
        Run run = run("dhcp", "acquire", "--socket", socket.toString(), "--netns", "/p", "--ifname", "eth0",
                "--container-id", "c1", "--timeout", "0s");
        assertTrue(run.exit() != 0);
        assertTrue(run.err().contains("--timeout must be more than 0"), run.err());
        assertEquals(List.of(), requests);
    }

    @Test
    void theDaemonCommandIsRegisteredWithItsOptions() {
        Run help = run("dhcp", "daemon", "--help");
        assertEquals(0, help.exit());
        // picocli wraps at spaces, where the column allows: a wrapped line joins back with one space
        String text = help.out().replaceAll("\\s*\n\\s*", " ");
        for (String option : List.of("--socket", "--state-dir", "--timeout", "(default: /run/terway/dhcp.sock)",
                "(default: /var/lib/terway)", "(default: 10s)", "--arp-probe", "0 turns the probe off (default: 200ms)",
                "--decline-wait")) {
            assertTrue(text.contains(option), help.out());
        }
    }
}

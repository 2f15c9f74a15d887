package dev.terway.dhcp.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.daemon.DaemonServer;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's request protocol fed generated requests (random bytes, invalid UTF-8, mutated real
 * requests, huge numbers, deep nesting, 10 MB): every one gets a status line and a body, never an escaped
 * exception or a hang; the lease service is only ever asked with fields that passed validation.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class DaemonProtocolFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEED = 0xd1ce_5eedL;

    @TempDir
    Path tmp;

    /** Records what reached it and refuses every acquire, as a LAN without a DHCP server would. */
    static final class RecordingLeases implements LeaseService {
        final List<AcquireRequest> acquires = new CopyOnWriteArrayList<>();
        final List<String> releases = new CopyOnWriteArrayList<>();

        @Override
        public HeldLease acquire(AcquireRequest request) throws LeaseException {
            acquires.add(request);
            throw new LeaseException("no DHCP server answered on " + request.ifname());
        }

        @Override
        public boolean release(String containerId, String ifname) {
            releases.add(containerId + "/" + ifname);
            return false;
        }

        @Override
        public List<HeldLease> list() {
            return List.of();
        }
    }

    private final RecordingLeases leases = new RecordingLeases();
    private final List<String> log = new CopyOnWriteArrayList<>();

    private DaemonServer start() throws IOException {
        RequestHandlers handlers = new LeaseOps(leases, Duration.ofSeconds(1))
                .registerOn(RequestHandlers.builder()).build();
        return DaemonServer.start(tmp.resolve("run/dhcp.sock"), handlers, 4, log::add);
    }

    private static final List<String> VALID = List.of(
            "{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/run/netns/p1\",\"ifname\":\"eth0\","
                    + "\"podNamespace\":\"default\",\"podName\":\"web\",\"requestedAddress\":\"10.0.0.9\","
                    + "\"timeoutMs\":1000}",
            "{\"op\":\"release\",\"containerId\":\"c1\",\"ifname\":\"eth0\"}",
            "{\"op\":\"list\"}", "{\"op\":\"ping\"}");

    @Test
    void generatedRequestsAlwaysGetAStatusAndABody() throws IOException {
        try (DaemonServer server = start()) {
            Random random = new Random(SEED);
            int errors = 0;
            for (int i = 0; i < 6000; i++) {
                byte[] request = generate(random, i);
                Response response = server.dispatch(request);
                assertNotNull(response, "input #" + i);
                assertTrue(response.status() == 0 || response.status() == 1, "input #" + i + ": " + response);
                if (response.status() == 1) {
                    errors++;
                    JsonNode body = JSON.readTree(response.body());
                    assertTrue(body.get("error").isTextual(), response.body());
                }
            }
            assertTrue(errors > 4000, "errors " + errors);
            assertTrue(log.stream().noneMatch(l -> l.contains("failed:")), "a handler threw: " + log);
            for (AcquireRequest a : leases.acquires) {
                assertTrue(a.ifname().length() <= 15 && a.ifname().chars().noneMatch(Character::isISOControl)
                        && !a.ifname().contains("/"), "acquire reached the service with ifname " + a.ifname());
                assertTrue(a.netns().isAbsolute(), a.netns().toString());
                assertTrue(a.containerId().chars().noneMatch(Character::isISOControl), a.containerId());
                assertTrue(a.timeout().compareTo(LeaseOps.MAX_TIMEOUT) <= 0, a.timeout().toString());
            }
        }
    }

    @Test
    void hostileNamesInAcquireAndReleaseAreRefusedBeforeTheLeaseService() throws IOException {
        try (DaemonServer server = start()) {
            for (String bad : List.of("../../etc", "a/b", "eth0\nacquired lease x", "a\u0000b", "a b", ".", "..",
                    "x".repeat(16), "a:b")) {
                String acquire = JSON.createObjectNode().put("op", "acquire").put("containerId", "c1")
                        .put("netns", "/run/netns/p1").put("ifname", bad).toString();
                assertEquals(1, server.dispatch(acquire.getBytes(StandardCharsets.UTF_8)).status(), bad);
                String release = JSON.createObjectNode().put("op", "release").put("containerId", "c1")
                        .put("ifname", bad).toString();
                assertEquals(1, server.dispatch(release.getBytes(StandardCharsets.UTF_8)).status(), bad);
            }
            for (String bad : List.of("c1\nacquired lease for someone", "c\u0000", "x".repeat(2000))) {
                String acquire = JSON.createObjectNode().put("op", "acquire").put("containerId", bad)
                        .put("netns", "/run/netns/p1").put("ifname", "eth0").toString();
                Response r = server.dispatch(acquire.getBytes(StandardCharsets.UTF_8));
                assertEquals(1, r.status(), r.body());
                assertTrue(r.body().contains("containerId"), r.body());
            }
            for (String bad : List.of("relative", "/run/netns/p1\n", "/run/\u0000")) {
                String acquire = JSON.createObjectNode().put("op", "acquire").put("containerId", "c1")
                        .put("netns", bad).put("ifname", "eth0").toString();
                assertEquals(1, server.dispatch(acquire.getBytes(StandardCharsets.UTF_8)).status(), bad);
            }
            assertEquals(List.of(), leases.acquires);
            assertEquals(List.of(), leases.releases);
        }
    }

    @Test
    void tenMegabyteRequestIsRefusedAndTheServerKeepsServing() throws Exception {
        try (DaemonServer server = start()) {
            byte[] huge = new byte[10 << 20];
            Arrays.fill(huge, (byte) '[');
            String reply = sendWhileReading(server.socket(), huge);
            assertTrue(reply.startsWith("1\n") && reply.contains("request too large"), reply);
            // deep nesting under the size limit: Jackson's own nesting limit, a clean error
            byte[] deep = ("{\"op\":\"ping\",\"x\":" + "[".repeat(500_000) + "]".repeat(500_000) + "}")
                    .getBytes(StandardCharsets.UTF_8);
            String deepReply = sendWhileReading(server.socket(), deep);
            assertTrue(deepReply.startsWith("1\n") && deepReply.contains("bad request"), deepReply);
            assertEquals("0\n{\"ok\":true}", sendWhileReading(server.socket(),
                    "{\"op\":\"ping\"}".getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * Writes on one thread while reading on this one: the server answers a too-large request as soon as
     * it passes the limit, and the writer then sees a broken pipe, which is expected.
     */
    private static String sendWhileReading(Path socket, byte[] request) throws Exception {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            Thread writer = new Thread(() -> {
                try {
                    ByteBuffer out = ByteBuffer.wrap(request);
                    while (out.hasRemaining()) {
                        channel.write(out);
                    }
                    channel.shutdownOutput();
                } catch (IOException refusedMidway) {
                    // the server stopped reading: that is the refusal under test
                }
            });
            writer.start();
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            while (channel.read(buffer.clear()) >= 0) {
                in.write(buffer.array(), 0, buffer.position());
            }
            writer.join(10_000);
            return in.toString(StandardCharsets.UTF_8);
        }
    }

    private static byte[] generate(Random random, int i) {
        String valid = VALID.get(random.nextInt(VALID.size()));
        switch (i % 7) {
            case 0: { // random bytes, mostly invalid UTF-8
                byte[] b = new byte[random.nextInt(300)];
                random.nextBytes(b);
                return b;
            }
            case 1: { // byte flips in a real request
                byte[] b = valid.getBytes(StandardCharsets.UTF_8);
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
                return b;
            }
            case 2: // truncation
                return valid.substring(0, random.nextInt(valid.length())).getBytes(StandardCharsets.UTF_8);
            case 3: { // a field of the wrong type or size
                String[] fields = {"op", "containerId", "netns", "ifname", "timeoutMs", "requestedAddress",
                        "podName", "clientId", "hostname"};
                String[] values = {"1e999999", "-1", "99999999999999999999999", "0", "null", "[]", "{}", "true",
                        "\"\"", "\"../../x\"", "\"a\\nb\"", "\"\\u0000\"", "\"" + "z".repeat(4000) + "\"",
                        "\"300.1.1.1\"", "9223372036854775807", "1.5"};
                return valid.replace("{\"op\"", "{\"" + fields[random.nextInt(fields.length)] + "\":"
                        + values[random.nextInt(values.length)] + ",\"op\"").getBytes(StandardCharsets.UTF_8);
            }
            case 4: // deep nesting
                return ("[".repeat(random.nextInt(50_000))).getBytes(StandardCharsets.UTF_8);
            case 5: // duplicate keys and trailing garbage
                return (valid + (random.nextBoolean() ? "}" : " {\"op\":\"list\"}")).getBytes(StandardCharsets.UTF_8);
            default:
                return valid.replace("1000", "9".repeat(1 + random.nextInt(100))).getBytes(StandardCharsets.UTF_8);
        }
    }
}

package dev.terway.dhcp.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.daemon.RequestHandlers;
import dev.terway.daemon.Response;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.Ipv4;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LeaseOpsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Records requests; answers with canned leases or a failure. */
    private static final class FakeLeases implements LeaseService {
        final List<AcquireRequest> acquired = new ArrayList<>();
        final List<HeldLease> held = new ArrayList<>();
        String failure;

        @Override
        public HeldLease acquire(AcquireRequest request) throws LeaseException {
            acquired.add(request);
            if (failure != null) {
                throw new LeaseException(failure);
            }
            HeldLease lease = Leases.sample(request.containerId(), "192.0.2.10");
            held.add(lease);
            return lease;
        }

        @Override
        public boolean release(String containerId, String ifname) {
            return held.removeIf(l -> l.containerId().equals(containerId) && l.ifname().equals(ifname));
        }

        @Override
        public List<HeldLease> list() {
            return List.copyOf(held);
        }

        @Override
        public java.util.Map<String, Long> counters() {
            java.util.Map<String, Long> counters = new java.util.LinkedHashMap<>();
            counters.put("arpProbesSent", 6L);
            counters.put("addressConflicts", 1L);
            return counters;
        }
    }

    @Test
    void statsAnswersTheServicesCounters() {
        Response r = call("{\"op\":\"stats\"}");
        assertEquals(new Response(0, "{\"counters\":{\"arpProbesSent\":6,\"addressConflicts\":1}}"), r);
    }

    private final FakeLeases leases = new FakeLeases();
    private Response call(String request) {
        RequestHandlers handlers = new LeaseOps(leases, Duration.ofSeconds(10)).registerOn(RequestHandlers.builder())
                .build();
        try {
            JsonNode json = JSON.readTree(request);
            return handlers.handler(json.get("op").asText()).orElseThrow().handle(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String error(Response response) throws IOException {
        assertEquals(1, response.status(), response.body());
        return JSON.readTree(response.body().getBytes(StandardCharsets.UTF_8)).get("error").asText();
    }

    @Test
    void acquireParsesEveryFieldAndAnswersTheLease() throws IOException {
        Response response = call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/run/netns/p1\",\"ifname\":\"eth0\","
                + "\"podNamespace\":\"default\",\"podName\":\"web\",\"requestedAddress\":\"192.0.2.10\","
                + "\"clientId\":\"id\",\"hostname\":\"h\",\"timeoutMs\":2500,\"onAddressChange\":\"remove\"}");

        assertEquals(0, response.status(), response.body());
        assertEquals("192.0.2.10/24", JSON.readTree(response.body()).get("address").asText());
        AcquireRequest request = leases.acquired.get(0);
        assertEquals(new AcquireRequest("c1", Path.of("/run/netns/p1"), "eth0", Optional.of("default"),
                Optional.of("web"), Optional.of(Ipv4.parse("192.0.2.10", "a")), Optional.of("id"), Optional.of("h"),
                Duration.ofMillis(2500), AddressChangePolicy.REMOVE), request);
    }

    @Test
    void anAcquireInANamespaceTheGuardRefusesNeverReachesTheLeases() throws IOException {
        RequestHandlers handlers = new LeaseOps(leases, Duration.ofSeconds(10),
                netns -> netns.equals("/proc/1/ns/net") ? Optional.of("it is the node's own network namespace")
                        : Optional.empty()).registerOn(RequestHandlers.builder()).build();
        JsonNode json = JSON.readTree("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/proc/1/ns/net\","
                + "\"ifname\":\"mybr0\"}");
        assertEquals("bad acquire request: netns /proc/1/ns/net: it is the node's own network namespace",
                error(handlers.handler("acquire").orElseThrow().handle(json)));
        assertEquals(List.of(), leases.acquired);
    }

    @Test
    void acquireWithoutTimeoutUsesTheDaemonDefault() {
        call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/run/netns/p1\",\"ifname\":\"eth0\"}");
        assertEquals(Duration.ofSeconds(10), leases.acquired.get(0).timeout());
        assertEquals(AddressChangePolicy.FOLLOW, leases.acquired.get(0).onAddressChange());
    }

    @Test
    void badAcquireRequestsNameTheField() throws IOException {
        assertEquals("bad acquire request: field 'onAddressChange' must be \"follow\" or \"remove\"",
                error(call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/run/netns/p1\","
                        + "\"ifname\":\"eth0\",\"onAddressChange\":\"keep\"}")));
        assertEquals("bad acquire request: field 'netns' is missing",
                error(call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"ifname\":\"eth0\"}")));
        assertEquals("bad acquire request: field 'netns' must be an absolute path, got 'p1'",
                error(call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"p1\",\"ifname\":\"eth0\"}")));
        assertEquals("bad acquire request: field 'timeoutMs' must be a positive integer",
                error(call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/p\",\"ifname\":\"eth0\",\"timeoutMs\":-1}")));
        assertEquals("bad acquire request: requestedAddress 'x' is not an IPv4 address (a.b.c.d)",
                error(call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/p\",\"ifname\":\"eth0\","
                        + "\"requestedAddress\":\"x\"}")));
        assertTrue(error(call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/p\",\"ifname\":\"this-is-too-long0\"}"))
                .contains("is not a valid Linux interface name"));
        assertEquals("bad acquire request: field 'containerId' must be a string",
                error(call("{\"op\":\"acquire\",\"containerId\":5,\"netns\":\"/p\",\"ifname\":\"eth0\"}")));
        assertEquals(List.of(), leases.acquired);
    }

    @Test
    void aFailedAcquireAnswersTheReport() throws IOException {
        leases.failure = "no DHCP lease on eth0 after 10s: sent 5 DISCOVERs; no server replied";
        assertEquals(leases.failure,
                error(call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/p\",\"ifname\":\"eth0\"}")));
    }

    @Test
    void releaseAnswersWhetherSomethingWasHeldAndWhat() throws IOException {
        call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/p\",\"ifname\":\"eth0\"}");
        Response released = call("{\"op\":\"release\",\"containerId\":\"c1\",\"ifname\":\"eth0\"}");
        assertEquals(0, released.status());
        JsonNode body = JSON.readTree(released.body());
        assertEquals(true, body.get("released").asBoolean());
        assertEquals("192.0.2.10/24", body.get("lease").get("address").asText());

        assertEquals("0\n{\"released\":false}", call("{\"op\":\"release\",\"containerId\":\"c1\",\"ifname\":\"eth0\"}").encode());
        assertEquals("bad release request: field 'ifname' is missing",
                error(call("{\"op\":\"release\",\"containerId\":\"c1\"}")));
    }

    @Test
    void listAndPing() throws IOException {
        assertEquals("0\n[]", call("{\"op\":\"list\"}").encode());
        call("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/p\",\"ifname\":\"eth0\"}");
        JsonNode list = JSON.readTree(call("{\"op\":\"list\"}").body());
        assertEquals(1, list.size());
        assertEquals("c1", list.get(0).get("containerId").asText());
        assertEquals("0\n{\"ok\":true}", call("{\"op\":\"ping\"}").encode());
    }

    @Test
    void listAndStatsCarryBothFamilies() throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode v6 = JSON.createObjectNode();
        v6.put("family", "ipv6");
        v6.put("containerId", "c1");
        v6.put("address", "fd00::1bd");
        RequestHandlers handlers = new LeaseOps(leases, Duration.ofSeconds(10))
                .withDhcp6(() -> List.of(v6), () -> java.util.Map.of("dhcp6SolicitSent", 3L))
                .registerOn(RequestHandlers.builder()).build();
        handlers.handler("acquire").orElseThrow()
                .handle(JSON.readTree("{\"op\":\"acquire\",\"containerId\":\"c1\",\"netns\":\"/p\",\"ifname\":\"eth0\"}"));
        JsonNode list = JSON.readTree(handlers.handler("list").orElseThrow().handle(JSON.readTree("{}")).body());
        assertEquals(2, list.size());
        assertEquals("ipv4", list.get(0).get("family").asText());
        assertEquals("192.0.2.10/24", list.get(0).get("address").asText());
        assertEquals("ipv6", list.get(1).get("family").asText());
        assertEquals("fd00::1bd", list.get(1).get("address").asText());
        assertEquals("{\"counters\":{\"arpProbesSent\":6,\"addressConflicts\":1,\"dhcp6SolicitSent\":3}}",
                handlers.handler("stats").orElseThrow().handle(JSON.readTree("{}")).body());
    }
}

package dev.terway.dhcp.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class LeaseJsonTest {

    @Test
    void roundTripsEveryField() {
        for (HeldLease lease : new HeldLease[] {Leases.sample("c1", "192.0.2.10"), Leases.minimal("c2", "192.0.2.11")}) {
            assertEquals(lease, LeaseJson.fromJson(LeaseJson.toJson(lease)));
        }
    }

    @Test
    void thePodsNetworkConfigurationRoundTripsAndIsOptional() {
        PodNetworkConfig network = new PodNetworkConfig("mybr0", java.util.List.of("10.96.0.0/12"),
                java.util.OptionalInt.of(1400));
        assertEquals(java.util.Optional.of(network), LeaseJson.networkFromJson(LeaseJson.networkToJson(network)));
        PodNetworkConfig plain = new PodNetworkConfig("br1", java.util.List.of(), java.util.OptionalInt.empty());
        assertEquals(java.util.Optional.of(plain), LeaseJson.networkFromJson(LeaseJson.networkToJson(plain)));
        assertEquals(java.util.Optional.empty(), LeaseJson.networkFromJson(null), "a lease stored before it");
        ObjectNode document = LeaseJson.toJson(Leases.sample("c1", "192.0.2.10"));
        document.set(DhcpLeaseService.Stored.POD_NETWORK, LeaseJson.networkToJson(network));
        assertEquals(java.util.Optional.of(network), DhcpLeaseService.Stored.fromJson(document).network());
    }

    @Test
    void carriesTheContractsFields() {
        JsonNode json = LeaseJson.toJson(Leases.sample("c1", "192.0.2.10"));
        assertEquals("c1", json.get("containerId").asText());
        assertEquals("eth0", json.get("ifname").asText());
        assertEquals("/run/netns/c1", json.get("netns").asText());
        assertEquals("192.0.2.10/24", json.get("address").asText());
        assertEquals("192.0.2.1", json.get("gateway").asText());
        assertEquals("192.0.2.254", json.get("server").asText());
        assertEquals("2030-01-01T00:02:00Z", json.get("expires").asText());
        assertEquals("[\"192.0.2.53\"]", json.get("dns").toString());
        assertEquals("example.org", json.get("domain").asText());
        assertEquals("[\"example.org\"]", json.get("search").toString());
        assertEquals("[{\"dst\":\"0.0.0.0/0\",\"gw\":\"192.0.2.1\"},{\"dst\":\"198.51.100.0/24\",\"gw\":\"0.0.0.0\"}]",
                json.get("routes").toString());
        assertEquals(1450, json.get("mtu").asInt());
        JsonNode minimal = LeaseJson.toJson(Leases.minimal("c2", "192.0.2.11"));
        assertEquals(true, minimal.get("gateway").isNull());
        assertEquals(true, minimal.get("mtu").isNull());
    }

    @Test
    void badDocumentsNameTheField() {
        ObjectNode json = LeaseJson.toJson(Leases.sample("c1", "192.0.2.10"));
        json.put("address", "192.0.2.300/24");
        assertEquals("address '192.0.2.300/24' has an octet above 255",
                assertThrows(IllegalArgumentException.class, () -> LeaseJson.fromJson(json)).getMessage());
        json.remove("address");
        assertEquals("field 'address' is missing",
                assertThrows(IllegalArgumentException.class, () -> LeaseJson.fromJson(json)).getMessage());
        ObjectNode times = LeaseJson.toJson(Leases.sample("c1", "192.0.2.10"));
        times.put("expires", "tomorrow");
        assertEquals("field 'expires' is not an ISO-8601 instant: 'tomorrow'",
                assertThrows(IllegalArgumentException.class, () -> LeaseJson.fromJson(times)).getMessage());
        ObjectNode mtu = LeaseJson.toJson(Leases.sample("c1", "192.0.2.10"));
        mtu.put("mtu", "big");
        assertEquals("field 'mtu' must be an integer or null",
                assertThrows(IllegalArgumentException.class, () -> LeaseJson.fromJson(mtu)).getMessage());
    }

    @Test
    void theStateMachinesLeaseSurvivesTheRoundTripThroughAHeldLease() {
        HeldLease held = Leases.sample("c1", "192.0.2.10");
        HeldLease back = DhcpLeaseService.held(held.identity(), held.hardwareAddress(), held.clientId(),
                held.hostname(), DhcpLeaseService.lease(held));
        assertEquals(held, back);
        HeldLease minimal = Leases.minimal("c2", "192.0.2.11");
        assertEquals(minimal, DhcpLeaseService.held(minimal.identity(), minimal.hardwareAddress(), minimal.clientId(),
                minimal.hostname(), DhcpLeaseService.lease(minimal)));
    }
}

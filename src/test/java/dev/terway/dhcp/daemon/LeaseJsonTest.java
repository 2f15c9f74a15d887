package dev.terway.dhcp.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.Ipv4;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
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
        PodNetworkConfig dual = new PodNetworkConfig("mybr0", java.util.List.of("10.96.0.0/12", "fd00:96::/108"),
                java.util.OptionalInt.empty(), java.util.Optional.of("slaac"));
        assertEquals("slaac", LeaseJson.networkToJson(dual).path("ipv6").asText());
        assertEquals(java.util.Optional.of(dual), LeaseJson.networkFromJson(LeaseJson.networkToJson(dual)),
                "the IPv6 settings ADD gave the pod, for the upkeep");
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
    void theStoredFormKeepsEveryOptionOfTheClientsLeaseAndThePodsConfiguration() throws Exception {
        HeldLease sample = Leases.sample("c1", "192.0.2.10");
        HeldLease configured = new HeldLease(sample.identity(), sample.hardwareAddress(), sample.clientId(),
                sample.hostname(), AddressChangePolicy.REMOVE,
                Optional.of(new PodNetworkConfig("mybr0", List.of("10.96.0.0/12"), OptionalInt.of(1400))),
                sample.lease());
        for (HeldLease lease : new HeldLease[] {configured, sample, Leases.minimal("c2", "192.0.2.11"),
                Leases.routersOnly("c3", "192.0.2.12")}) {
            JsonNode stored = LeaseJson.MAPPER.readTree(LeaseJson.toStoredJson(lease).toString());
            assertEquals(lease, LeaseJson.fromJson(stored));
            assertEquals(lease.lease(), LeaseJson.fromJson(stored).lease());
        }
        JsonNode json = LeaseJson.toJson(sample);
        assertEquals("[\"192.0.2.1\",\"192.0.2.2\"]", json.get("routers").toString(), "option 3 whole");
        assertEquals("192.0.2.255", json.get("broadcast").asText(), "option 28");
        assertEquals(false, json.has(DhcpLeaseService.Stored.ON_ADDRESS_CHANGE), "the API's answer is the lease");
        assertEquals("192.0.2.1", LeaseJson.toJson(Leases.routersOnly("c3", "192.0.2.12")).get("gateway").asText());
    }

    /** A lease file as the daemon wrote it before the held lease carried the client's lease whole. */
    @Test
    void leaseFilesWrittenBeforeLoad() throws Exception {
        String old = """
                {"containerId":"c1","ifname":"eth0","netns":"/run/netns/c1","podNamespace":"default",\
                "podName":"web-c1","mac":"02:00:00:00:00:01","clientId":"terway/default/web/eth0","hostname":"web",\
                "address":"192.0.2.10/24","gateway":"192.0.2.1","server":"192.0.2.254","dns":["192.0.2.53"],\
                "domain":"example.org","search":["example.org"],"routes":[{"dst":"0.0.0.0/0","gw":"192.0.2.1"},\
                {"dst":"198.51.100.0/24","gw":"0.0.0.0"}],"mtu":1450,"leaseSeconds":120,\
                "boundAt":"2030-01-01T00:00:00Z","renewAt":"2030-01-01T00:01:00Z","rebindAt":"2030-01-01T00:01:45Z",\
                "expires":"2030-01-01T00:02:00Z","onAddressChange":"remove",\
                "podNetwork":{"bridge":"mybr0","serviceCidrs":["10.96.0.0/12"],"mtu":1400}}""";
        DhcpLeaseService.Stored stored = DhcpLeaseService.Stored.fromJson(LeaseJson.MAPPER.readTree(old));
        HeldLease lease = stored.lease();
        assertEquals(false, stored.firstRequest());
        assertEquals(AddressChangePolicy.REMOVE, lease.onAddressChange());
        assertEquals(Optional.of(new PodNetworkConfig("mybr0", List.of("10.96.0.0/12"), OptionalInt.of(1400))),
                lease.network());
        assertEquals("192.0.2.10/24", lease.cidr());
        assertEquals(Optional.of(Ipv4.parse("192.0.2.1")), lease.gateway());
        assertEquals(List.of(), lease.lease().routers(), "option 121 overrode option 3");
        assertEquals(Leases.sample("c1", "192.0.2.10").routes(), lease.routes());
        assertEquals(List.of(Ipv4.parse("192.0.2.53")), lease.dns());
        assertEquals(OptionalInt.of(1450), lease.mtu());
        assertEquals(Optional.empty(), lease.lease().broadcastAddress());
        assertEquals(Duration.ofSeconds(120), lease.leaseTime());
        assertEquals(Duration.ofSeconds(60), lease.lease().renewalTime());
        assertEquals(Duration.ofSeconds(105), lease.lease().rebindingTime());
        assertEquals(Leases.BOUND.plusSeconds(120), lease.expires());

        String noRoutes = """
                {"containerId":"c2","ifname":"eth0","netns":"/run/netns/c2","podNamespace":null,"podName":null,\
                "mac":"02:00:00:00:00:02","clientId":"terway/c2/eth0","hostname":null,"address":"192.0.2.11/24",\
                "gateway":"192.0.2.1","server":"192.0.2.254","dns":[],"domain":null,"search":[],"routes":[],\
                "mtu":null,"leaseSeconds":120,"boundAt":"2030-01-01T00:00:00Z","renewAt":"2030-01-01T00:01:00Z",\
                "rebindAt":"2030-01-01T00:01:45Z","expires":"2030-01-01T00:02:00Z","onAddressChange":"follow",\
                "firstRequestPending":true}""";
        DhcpLeaseService.Stored pending = DhcpLeaseService.Stored.fromJson(LeaseJson.MAPPER.readTree(noRoutes));
        assertEquals(true, pending.firstRequest());
        assertEquals(List.of(Ipv4.parse("192.0.2.1")), pending.lease().lease().routers(), "option 3 as the gateway");
        assertEquals(Optional.of(Ipv4.parse("192.0.2.1")), pending.lease().gateway());
        assertEquals(Optional.empty(), pending.lease().network());
        assertEquals(OptionalInt.empty(), pending.lease().mtu());
    }
}

package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.cni.spec.CniVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NetworkSettingsTest {

    @Test
    void writesAConflistWithOneTerwayPlugin() throws Exception {
        String text = new NetworkSettings("terway", "mybr0", List.of("10.96.0.0/12"),
                Path.of("/run/terway/dhcp.sock"), NetworkSettings.DEFAULT_CNI_VERSION, false).conflist();
        JsonNode list = new ObjectMapper().readTree(text);
        assertEquals("1.0.0", list.get("cniVersion").asText());
        assertEquals("terway", list.get("name").asText());
        assertEquals(1, list.get("plugins").size());
        JsonNode plugin = list.get("plugins").get(0);
        assertEquals("cni-terway", plugin.get("type").asText());
        assertEquals("mybr0", plugin.get("bridge").asText());
        assertEquals("10.96.0.0/12", plugin.get("serviceCIDR").asText());
        assertEquals("/run/terway/dhcp.sock", plugin.get("dhcpSocket").asText());
        assertTrue(text.endsWith("\n"));
        assertTrue(NetworkSettings.configuresTerway(text));
    }

    @Test
    void theDefaultVersionIsOneEveryMaintainedRuntimeParsesAndAnySupportedOneCanBeChosen() throws Exception {
        assertEquals("1.0.0", NetworkSettings.DEFAULT_CNI_VERSION, "libcni 1.1 refuses 1.1.0 results");
        for (String version : CniVersion.SUPPORTED) {
            String text = new NetworkSettings("terway", "mybr0", List.of(), Path.of("/run/terway/dhcp.sock"),
                    version, false).conflist();
            assertEquals(version, new ObjectMapper().readTree(text).get("cniVersion").asText());
        }
    }

    @Test
    void goldenConflistWithTheDefaultVersionAndNoPortmap() throws Exception {
        String text = new NetworkSettings("terway", "mybr0", List.of("10.96.0.0/12"),
                Path.of("/run/terway/dhcp.sock"), NetworkSettings.DEFAULT_CNI_VERSION, false).conflist();
        assertEquals("""
                {
                  "cniVersion" : "1.0.0",
                  "name" : "terway",
                  "plugins" : [ {
                    "type" : "cni-terway",
                    "bridge" : "mybr0",
                    "serviceCIDR" : "10.96.0.0/12",
                    "dhcpSocket" : "/run/terway/dhcp.sock"
                  } ]
                }
                """, text);
    }

    @Test
    void goldenConflistWithTheDefaultVersionAndPortmapChainedAfterTerway() throws Exception {
        String text = new NetworkSettings("terway", "mybr0", List.of("10.96.0.0/12"),
                Path.of("/run/terway/dhcp.sock"), NetworkSettings.DEFAULT_CNI_VERSION, true).conflist();
        assertEquals("""
                {
                  "cniVersion" : "1.0.0",
                  "name" : "terway",
                  "plugins" : [ {
                    "type" : "cni-terway",
                    "bridge" : "mybr0",
                    "serviceCIDR" : "10.96.0.0/12",
                    "dhcpSocket" : "/run/terway/dhcp.sock"
                  }, {
                    "type" : "portmap",
                    "capabilities" : {
                      "portMappings" : true
                    },
                    "snat" : true
                  } ]
                }
                """, text);
        assertTrue(NetworkSettings.configuresTerway(text));
    }

    @Test
    void goldenConflistWithAChosenVersionWithAndWithoutPortmap() throws Exception {
        String without = new NetworkSettings("lan", "br-lan", List.of(), Path.of("/run/t.sock"), "0.4.0",
                false).conflist();
        assertEquals("""
                {
                  "cniVersion" : "0.4.0",
                  "name" : "lan",
                  "plugins" : [ {
                    "type" : "cni-terway",
                    "bridge" : "br-lan",
                    "dhcpSocket" : "/run/t.sock"
                  } ]
                }
                """, without);
        String with = new NetworkSettings("lan", "br-lan", List.of(), Path.of("/run/t.sock"), "0.4.0",
                true).conflist();
        assertEquals("""
                {
                  "cniVersion" : "0.4.0",
                  "name" : "lan",
                  "plugins" : [ {
                    "type" : "cni-terway",
                    "bridge" : "br-lan",
                    "dhcpSocket" : "/run/t.sock"
                  }, {
                    "type" : "portmap",
                    "capabilities" : {
                      "portMappings" : true
                    },
                    "snat" : true
                  } ]
                }
                """, with);
    }

    @Test
    void writesOneServiceNetworkPerFamilyAsAListAndTheIpv6ModeWhenAsked() throws Exception {
        String text = new NetworkSettings("terway", "mybr0", List.of("10.96.0.0/12", "fd00:96::/108"),
                Path.of("/run/terway/dhcp.sock"), "1.0.0", false, Optional.of("slaac")).conflist();
        JsonNode plugin = new ObjectMapper().readTree(text).get("plugins").get(0);
        assertEquals("[\"10.96.0.0/12\",\"fd00:96::/108\"]", plugin.get("serviceCIDR").toString());
        assertEquals("{\"mode\":\"slaac\"}", plugin.get("ipv6").toString());
        String v6 = new NetworkSettings("terway", "mybr0", List.of("fd00:96::/108"), Path.of("/run/terway/dhcp.sock"),
                "1.0.0", false).conflist();
        JsonNode one = new ObjectMapper().readTree(v6).get("plugins").get(0);
        assertEquals("fd00:96::/108", one.get("serviceCIDR").asText());
        assertFalse(one.has("ipv6"), "the plugin's default is not written");
        InstallException twoV4 = assertThrows(InstallException.class, () -> new NetworkSettings("terway", "mybr0",
                List.of("10.96.0.0/12", "10.112.0.0/12"), Path.of("/run/terway/dhcp.sock"), "1.0.0", false)
                .conflist());
        assertTrue(twoV4.getMessage().contains("serviceCIDR[1]")
                && twoV4.getMessage().contains("at most one per family"),
                twoV4.getMessage());
        InstallException mode = assertThrows(InstallException.class, () -> new NetworkSettings("terway", "mybr0",
                List.of(), Path.of("/run/terway/dhcp.sock"), "1.0.0", false, Optional.of("stateless")).conflist());
        assertTrue(mode.getMessage().contains("ipv6.mode"), mode.getMessage());
    }

    @Test
    void leavesServiceCidrOutWhenNotGiven() throws Exception {
        String text = new NetworkSettings("terway", "br-lan", List.of(), Path.of("/run/t.sock"), "1.0.0", false)
                .conflist();
        assertFalse(new ObjectMapper().readTree(text).get("plugins").get(0).has("serviceCIDR"));
    }

    @Test
    void refusesWhatThePluginWouldRefuseNamingTheField() {
        InstallException hostBits = assertThrows(InstallException.class, () -> new NetworkSettings("terway", "mybr0",
                List.of("10.96.0.1/12"), Path.of("/run/terway/dhcp.sock"), "1.0.0", false).conflist());
        assertTrue(hostBits.getMessage().contains("serviceCIDR"), hostBits.getMessage());
        InstallException bridge = assertThrows(InstallException.class, () -> new NetworkSettings("terway",
                "a-bridge-name-too-long", List.of(), Path.of("/run/terway/dhcp.sock"), "1.0.0", false)
                .conflist());
        assertTrue(bridge.getMessage().contains("bridge"), bridge.getMessage());
        InstallException name = assertThrows(InstallException.class, () -> new NetworkSettings("-bad", "mybr0",
                List.of(), Path.of("/run/terway/dhcp.sock"), "1.0.0", false).conflist());
        assertTrue(name.getMessage().contains("network name '-bad'"), name.getMessage());
        InstallException version = assertThrows(InstallException.class, () -> new NetworkSettings("terway", "mybr0",
                List.of(), Path.of("/run/terway/dhcp.sock"), "0.2.0", false).conflist());
        assertTrue(version.getMessage().contains("cniVersion '0.2.0'"), version.getMessage());
    }

    @Test
    void recognisesOnlyConflistsWithATerwayPlugin() {
        assertFalse(NetworkSettings.configuresTerway("{\"plugins\":[{\"type\":\"bridge\"}]}"));
        assertFalse(NetworkSettings.configuresTerway("not json"));
        assertTrue(NetworkSettings.configuresTerway("{\"plugins\":[{\"type\":\"portmap\"},{\"type\":\"cni-terway\"}]}"));
        assertTrue(NetworkSettings.configuresTerway("{\"plugins\":[{\"type\":\"cni-terway\"},{\"type\":\"portmap\"},"
                + "{\"type\":\"bandwidth\",\"capabilities\":{\"bandwidth\":true}}]}"));
        assertFalse(NetworkSettings.configuresTerway("{\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}"));
    }
}

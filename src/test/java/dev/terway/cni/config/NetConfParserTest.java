package dev.terway.cni.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.json.MiniJson;
import dev.terway.cni.spec.CniException;
import dev.terway.dhcp.client.AddressChangePolicy;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NetConfParserTest {

    static Map<String, Object> resource(String name) throws Exception {
        try (InputStream in = NetConfParserTest.class.getResourceAsStream("/cni/" + name)) {
            return MiniJson.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    static NetConf parse(String json) throws Exception {
        return NetConfParser.parse(MiniJson.parseObject(json));
    }

    static final String MIN = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\"";

    @Test
    void minimalConfGetsTheDefaults() throws Exception {
        NetConf c = parse(MIN + "}");
        assertEquals("mybr0", c.bridge());
        assertEquals(Path.of("/run/terway/dhcp.sock"), c.dhcpSocket());
        assertTrue(c.hairpinMode());
        assertEquals(OptionalInt.empty(), c.mtu());
        assertTrue(c.ipam().isEmpty());
        assertTrue(c.serviceCidr().isEmpty());
        assertTrue(c.dns().isEmpty());
        assertTrue(c.prevResult().isEmpty());
        assertEquals(Duration.ofSeconds(30), c.dhcpTimeout());
        assertEquals(AddressChangePolicy.FOLLOW, c.onAddressChange());
    }

    @Test
    void onAddressChangeIsFollowOrRemove() throws Exception {
        assertEquals(AddressChangePolicy.FOLLOW, parse(MIN + ",\"onAddressChange\":\"follow\"}").onAddressChange());
        assertEquals(AddressChangePolicy.REMOVE, parse(MIN + ",\"onAddressChange\":\"remove\"}").onAddressChange());
        assertEquals(AddressChangePolicy.FOLLOW, parse(MIN + ",\"onAddressChange\":null}").onAddressChange());
    }

    @Test
    void fullConfWithUnknownFieldsTolerated() throws Exception {
        NetConf c = NetConfParser.parse(resource("conf-full.json"));
        assertEquals("lan", c.name());
        assertEquals("br-lan", c.bridge());
        assertEquals(Path.of("/run/terway-test/dhcp.sock"), c.dhcpSocket());
        assertEquals("10.96.0.0/12", c.serviceCidr().orElseThrow().toString());
        assertFalse(c.hairpinMode());
        assertEquals(OptionalInt.of(1400), c.mtu());
        assertEquals(Duration.ofSeconds(12), c.dhcpTimeout());
        assertEquals(List.of("10.0.0.53"), c.dns().nameservers());
        assertEquals("10.20.30.40", c.runtimeConfig().ip().orElseThrow().address().toString());
        assertFalse(c.runtimeConfig().ip().orElseThrow().isStatic());
        assertEquals(Optional.of("02:42:ac:11:00:02"), c.runtimeConfig().mac());
    }

    @Test
    void conflistPluginEntryWithPrevResult() throws Exception {
        NetConf c = NetConfParser.parse(resource("conflist-entry.json"));
        assertEquals("0.4.0", c.cniVersion());
        assertEquals("k8s-pod-network", c.name());
        assertEquals("lo", c.prevResult().orElseThrow().interfaces().get(0).name());
        assertEquals("127.0.0.1/8", c.prevResult().orElseThrow().ips().get(0).address());
    }

    @Test
    void aWholeConflistIsRefusedWithAnExplanation() {
        CniException e = assertThrows(CniException.class, () -> parse(
                "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"plugins\":[{\"type\":\"cni-terway\"}]}"));
        assertEquals(7, e.code());
        assertTrue(e.getMessage().contains("configuration list"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"bridge\":1|field \"bridge\" must be a string, got number",
        "\"dhcpSocket\":true|field \"dhcpSocket\" must be a string, got boolean",
        "\"serviceCIDR\":{}|field \"serviceCIDR\" must be a network (string) or a list of at most one per family, got object",
        "\"serviceCIDR\":[1]|field \"serviceCIDR[0]\" must be a string, got number",
        "\"serviceCIDR\":\"fd00:96::1/108\"|field \"serviceCIDR\" has invalid value \"fd00:96::1/108\": has host bits set; the network is fd00:96::/108",
        "\"serviceCIDR\":[\"fd00:96::/108\",\"fd00:97::/108\"]|field \"serviceCIDR[1]\" has invalid value \"fd00:97::/108\": a second IPv6 network",
        "\"serviceCIDR\":[\"10.96.0.0/12\",\"10.112.0.0/12\"]|field \"serviceCIDR[1]\" has invalid value \"10.112.0.0/12\": a second IPv4 network",
        "\"serviceCIDR\":[\"fd00::x/108\"]|field \"serviceCIDR[0]\" has invalid value \"fd00::x/108\": must be an IPv6 network",
        "\"ipv6\":\"auto\"|field \"ipv6\" must be an object, got string",
        "\"ipv6\":{\"mode\":\"SLAAC\"}|field \"ipv6.mode\" has invalid value \"SLAAC\": must be \"auto\"",
        "\"ipv6\":{\"mode\":1}|field \"ipv6.mode\" must be a string, got number",
        "\"ipv6\":{\"timeout\":3}|field \"ipv6.timeout\" must be a string, got number",
        "\"ipv6\":{\"timeout\":\"3\"}|field \"ipv6.timeout\" has invalid value \"3\": must be a duration such as \"3s\"",
        "\"ipv6\":{\"timeout\":\"50ms\"}|field \"ipv6.timeout\" has invalid value \"50ms\": must be between 100ms and 300s",
        "\"ipv6\":{\"timeout\":\"301s\"}|must be between 100ms and 300s",
        "\"ipv4\":\"no\"|field \"ipv4\" must be a boolean, got string",
        "\"ipv4\":false,\"ipv6\":{\"mode\":\"off\"}|field \"ipv4\" has invalid value \"false\": with ipv6.mode \"off\" the pod would get no address at all",
        "\"ipv4\":false,\"ipam\":{\"type\":\"host-local\"}|field \"ipv4\" has invalid value \"false\": ipam names a delegated IPAM plugin",
        "\"ipv4\":false,\"serviceCIDR\":\"10.96.0.0/12\"|field \"ipv4\" has invalid value \"false\": serviceCIDR names the IPv4 network 10.96.0.0/12",
        "\"hairpinMode\":\"yes\"|field \"hairpinMode\" must be a boolean, got string",
        "\"mtu\":\"1500\"|field \"mtu\" must be an integer, got string",
        "\"mtu\":1500.5|field \"mtu\" must be an integer, got number",
        "\"mtu\":20|field \"mtu\" is 20, outside 68..65535",
        "\"ipam\":\"dhcp\"|field \"ipam\" must be an object, got string",
        "\"ipam\":{\"type\":3}|field \"ipam.type\" must be a string, got number",
        "\"ipam\":{\"subnet\":\"x\"}|field \"ipam.type\" is required",
        "\"dns\":{\"nameservers\":\"1.1.1.1\"}|field \"dns.nameservers\" must be an array, got string",
        "\"dns\":{\"search\":[1]}|field \"dns.search[0]\" must be a string, got number",
        "\"prevResult\":[]|field \"prevResult\" must be an object, got array",
        "\"prevResult\":{\"ips\":[{\"address\":1}]}|field \"prevResult.ips[0].address\" must be a string, got number",
        "\"runtimeConfig\":{\"ips\":\"10.0.0.1\"}|field \"runtimeConfig.ips\" must be an array, got string",
        "\"runtimeConfig\":{\"mac\":\"zz\"}|field \"runtimeConfig.mac\" has invalid value",
        "\"args\":\"x\"|field \"args\" must be an object, got string",
        "\"serviceCIDR\":\"10.96.0.1/12\"|has host bits set; the network is 10.96.0.0/12",
        "\"serviceCIDR\":\"10.96.0.0\"|field \"serviceCIDR\" has invalid value",
        "\"bridge\":\"a/b\"|field \"bridge\" has invalid value",
        "\"dhcpTimeoutSeconds\":0|field \"dhcpTimeoutSeconds\" is 0, outside 1..300",
        "\"onAddressChange\":\"Remove\"|field \"onAddressChange\" has invalid value \"Remove\": must be \"follow\"",
        "\"onAddressChange\":true|field \"onAddressChange\" must be a string, got boolean",
        "\"cni.dev/valid-attachments\":[{\"ifname\":\"eth0\"}]|field \"cni.dev/valid-attachments[0].containerID\" is required",
    })
    void wrongTypesAreInvalidConfigNamingTheField(String member, String message) {
        CniException e = assertThrows(CniException.class, () -> parse(MIN + "," + member + "}"));
        assertEquals(7, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void missingTypeAndUnsupportedValues() {
        assertEquals(7, assertThrows(CniException.class,
                () -> parse("{\"cniVersion\":\"1.0.0\",\"name\":\"lan\"}")).code());
        assertEquals(1, assertThrows(CniException.class,
                () -> parse("{\"cniVersion\":\"0.2.0\",\"name\":\"lan\",\"type\":\"t\"}")).code());
        assertEquals(2, assertThrows(CniException.class,
                () -> parse(MIN + ",\"runtimeConfig\":{\"ips\":[\"fd00::5/64\"]}}")).code());
        assertEquals(2, assertThrows(CniException.class,
                () -> parse(MIN + ",\"runtimeConfig\":{\"ips\":[\"10.0.0.5/24\",\"10.0.0.6/24\"]}}")).code());
    }

    @Test
    void serviceCidrTakesOneNetworkOfEitherFamilyOrAListOfOnePerFamily() throws Exception {
        NetConf v6 = parse(MIN + ",\"serviceCIDR\":\"fd00:96::/108\"}");
        assertEquals(Optional.empty(), v6.serviceCidr());
        assertEquals("fd00:96::/108", v6.serviceCidr6().orElseThrow().toString());
        NetConf dual = parse(MIN + ",\"serviceCIDR\":[\"fd00:96::/108\",\"10.96.0.0/12\"]}");
        assertEquals("10.96.0.0/12", dual.serviceCidr().orElseThrow().toString());
        assertEquals("fd00:96::/108", dual.serviceCidr6().orElseThrow().toString());
        NetConf none = parse(MIN + ",\"serviceCIDR\":[]}");
        assertTrue(none.serviceCidr().isEmpty() && none.serviceCidr6().isEmpty());
    }

    @Test
    void ipv6DefaultsToAutoWithinThreeSecondsAndTakesEachMode() throws Exception {
        assertEquals(new NetConf.Ipv6(NetConf.Ipv6Mode.AUTO, Duration.ofSeconds(3)), parse(MIN + "}").ipv6());
        assertTrue(parse(MIN + "}").ipv4());
        assertEquals(NetConf.Ipv6.DEFAULT, parse(MIN + ",\"ipv6\":{}}").ipv6());
        for (NetConf.Ipv6Mode mode : NetConf.Ipv6Mode.values()) {
            assertEquals(mode, parse(MIN + ",\"ipv6\":{\"mode\":\"" + mode.text() + "\"}}").ipv6().mode());
        }
        assertEquals(Duration.ofMillis(1500), parse(MIN + ",\"ipv6\":{\"timeout\":\"1500ms\"}}").ipv6().timeout());
        assertEquals(Duration.ofSeconds(10), parse(MIN + ",\"ipv6\":{\"timeout\":\"10s\"}}").ipv6().timeout());
        NetConf v6only = parse(MIN + ",\"ipv4\":false,\"ipv6\":{\"mode\":\"slaac\"},"
                + "\"serviceCIDR\":\"fd00:96::/108\"}");
        assertFalse(v6only.ipv4());
        assertTrue(NetConf.Ipv6Mode.SLAAC.required() && NetConf.Ipv6Mode.DHCPV6.required());
        assertFalse(NetConf.Ipv6Mode.AUTO.required() || NetConf.Ipv6Mode.OFF.required());
    }

    @Test
    void nullMeansAbsent() throws Exception {
        NetConf c = parse(MIN + ",\"mtu\":null,\"ipam\":null,\"bridge\":null}");
        assertEquals("mybr0", c.bridge());
        assertEquals(OptionalInt.empty(), c.mtu());
    }

    @Test
    void delegatedIpamKeepsItsSection() throws Exception {
        NetConf c = parse(MIN + ",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.5.0.0/24\"}}");
        assertEquals("host-local", c.ipam().orElseThrow().type());
        assertEquals("10.5.0.0/24", c.ipam().orElseThrow().section().get("subnet"));
        assertTrue(parse(MIN + ",\"ipam\":{}}").ipam().isEmpty(), "an empty ipam section means terway's DHCP");
    }

    @Test
    void validAttachmentsUnderEitherName() throws Exception {
        String v11 = "{\"cniVersion\":\"1.1.0\",\"name\":\"lan\",\"type\":\"cni-terway\",";
        NetConf c = parse(v11 + "\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}");
        assertEquals(List.of(new NetConf.Attachment("c1", "eth0")), c.validAttachments());
        c = parse(v11 + "\"cni.dev/attachments\":[{\"containerID\":\"c2\",\"ifname\":\"net1\"}]}");
        assertEquals(List.of(new NetConf.Attachment("c2", "net1")), c.validAttachments());
    }
}

package dev.terway.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.cni.pod.VethNames;
import dev.terway.it.Eventually;
import dev.terway.it.NetnsLab;
import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
import dev.terway.plan.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * IPv6-only pods on an IPv6-only LAN (issue 14's last case), through the real `bin/cni-terway`: the node has no
 * IPv4 address or route at all (a static global IPv6 address, a SLAAC one and the default router from the LAN's
 * router advertisements), no DHCPv4 server runs, the node is set up with `terway setup` and runs `terway dhcp
 * daemon`. ADD with {@code "ipv4": false} under {@code auto} on a SLAAC LAN and under {@code dhcpv6} on a managed
 * one: the pod gets its IPv6 address, reaches the LAN over IPv6, CHECK passes, DEL leaves nothing. Root only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6OnlyLanIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ARGS = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=";
    private static final String SERVICE6 = "fd00:96::/108";

    private NetnsLab lab;
    private CniPluginIT.TerwayNode node;
    private Process routerAdvertisements;

    @BeforeAll
    void buildLab() {
        lab = NetnsLab.create();
        routerAdvertisements = lab.startRouterAdvertisements("ra-only");
        NetnsLab.Node only6 = lab.addNode().configureIpv6Only();
        assertTrue(Eventually.within(Duration.ofSeconds(15), () -> !NetnsLab.ip(only6.ns(), "-6", "route", "show",
                "default", "dev", NetnsLab.NIC, "proto", "ra").isBlank()), "the node learns its default router");
        node = new CniPluginIT.TerwayNode(lab, only6, "only6");
        node.setupAndStart();
    }

    @AfterAll
    void removeLab() {
        CniPluginIT.TerwayNode.stopAndRemove(node, lab);
    }

    private String conf(String ipv6) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"dhcpSocket\":\"" + node.socket()
                + "\",\"ipv4\":false,\"serviceCIDR\":\"" + SERVICE6 + "\"" + ipv6 + "}";
    }

    private CniRuntime.Result cni(String command, String id, String podNs, String conf) {
        return CniRuntime.invoke(node.ns(), CniRuntime.env(command, id, "/run/netns/" + podNs, "eth0", ARGS + id),
                conf);
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + text, e);
        }
    }

    private static String withPrevResult(String conf, String result) {
        ObjectNode c = (ObjectNode) json(conf);
        c.set("prevResult", json(result));
        return c.toString();
    }

    private static List<String> addresses(CniRuntime.Result add) {
        List<String> out = new ArrayList<>();
        json(add.stdout()).path("ips").forEach(ip -> out.add(ip.path("address").asText()));
        return out;
    }

    /** Adds pod {@code id} under {@code conf}, checks what an IPv6-only pod must be, CHECKs, DELs; its address. */
    private Ipv6 addCheckDel(String id, String conf, String mode) {
        String pod = lab.addNamespace(id);
        CniRuntime.Result add = cni("ADD", id, pod, conf);
        assertEquals(0, add.exit(), add::describe);
        System.out.println("Ipv6OnlyLanIT: IPv6-only ADD (" + mode + ") on an IPv6-only LAN took " + add.millis()
                + " ms");
        List<String> ips = addresses(add);
        assertEquals(1, ips.size(), add.stdout());
        assertTrue(ips.get(0).contains(":"), "only an IPv6 address: " + add.stdout());
        assertEquals("", NetnsLab.ip(pod, "-4", "addr", "show", "dev", "eth0").strip(), "no IPv4 in the pod");
        assertFalse(node.holdsLease(id, "ipv4"), "no DHCPv4 lease");
        Ipv6 address = Ipv6Cidr.parse(ips.get(0)).address();
        String router = json(add.stdout()).path("ips").path(0).path("gateway").asText();
        assertTrue(router.startsWith("fe80::"), "gateway is the router's link-local address: " + add.stdout());
        assertTrue(NetnsLab.ip(pod, "-6", "route", "show", SERVICE6).contains("via"), "IPv6 service route in the pod");
        assertTrue(NetnsLab.ping(pod, lab.gateway().ipv6()), "pod -> LAN host over IPv6");
        assertTrue(NetnsLab.ping(lab.gateway().ns(), address.toString()), "LAN host -> pod over IPv6");
        assertTrue(NetnsLab.ping(pod, node.node().ipv6()), "pod -> its node over IPv6");

        CniRuntime.Result check = cni("CHECK", id, pod, withPrevResult(conf, add.stdout()));
        assertEquals(0, check.exit(), check::describe);
        CommandResult status = NetnsLab.exec(node.ns(), CniRuntime.home().resolve("bin/terway").toString(), "status",
                "--state-dir", lab.dir().resolve("only6/setup").toString(), "--socket", node.socket().toString());
        assertEquals(0, status.exitCode(), () -> "terway status on an IPv6-only node with pod " + id + ":\n"
                + status.stdout() + status.stderr());
        assertTrue(status.stdout().startsWith("terway status: healthy"), status.stdout());
        assertTrue(status.stdout().contains("default/" + id + " eth0  ipv6"), "the pod's IPv6 lease: " + status.stdout());

        assertEquals(0, cni("DEL", id, pod, conf).exit());
        assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> !node.hasLink(VethNames.hostVeth(id, "eth0"))),
                "the host veth of " + id + " is gone");
        assertFalse(NetnsLab.exec(pod, "ip", "link", "show", "dev", "eth0").succeeded(), "no eth0 in " + pod);
        assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> !node.holdsLease(id)), "no lease of " + id + " held");
        return address;
    }

    @Test
    @Order(1)
    void anIpv6OnlyPodTakesItsSlaacAddressUnderAuto() {
        Ipv6 address = addCheckDel("auto6", conf(""), "auto, SLAAC");
        assertTrue(Ipv6Cidr.parse(lab.net().lanV6(0) + "/64").contains(address),
                address + " is on the LAN's prefix " + lab.net().lanV6(0) + "/64");
    }

    @Test
    @Order(2)
    void anIpv6OnlyPodTakesADhcpv6LeaseOnAManagedLan() throws InterruptedException {
        routerAdvertisements.destroy();
        routerAdvertisements.waitFor();
        NetnsLab.DhcpServer dhcp6 = lab.startDhcp6Server(lab.net().lanV6(0x100), lab.net().lanV6(0x1ff));
        try {
            String id = "dhcp6";
            Ipv6 leased = addCheckDel(id, conf(",\"ipv6\":{\"mode\":\"dhcpv6\",\"timeout\":\"20s\"}"), "dhcpv6");
            assertTrue(leased.compareTo(Ipv6.parse(lab.net().lanV6(0x100))) >= 0
                    && leased.compareTo(Ipv6.parse(lab.net().lanV6(0x1ff))) <= 0, "from dnsmasq's range: " + leased);
            assertTrue(Eventually.within(Duration.ofSeconds(10), () -> node.log().contains("released DHCPv6 lease of"
                    + " default/" + id + " eth0 address " + leased)), "the DEL released the DHCPv6 lease: " + node.log());
        } finally {
            dhcp6.process().destroy();
            dhcp6.process().waitFor();
        }
    }
}

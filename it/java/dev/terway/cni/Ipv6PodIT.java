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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
 * Dual-stack pods through the real `bin/cni-terway` on a lab LAN whose dnsmasq announces IPv6 in each mode:
 * none, {@code ra-only} (SLAAC), {@code ra-stateless} (SLAAC, O flag), managed (M flag, no A flag: DHCPv6
 * only, from the daemon's DHCPv6 lease service), and announced before but silent now. The
 * node is set up with `terway setup` and runs `terway dhcp daemon`; its NIC has a static IPv6 address (so a
 * global address on the bridge alone says nothing about the LAN). Root only; skipped otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6PodIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ARGS = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=";
    private static final String SERVICE6 = "fd00:96::/108";

    private NetnsLab lab;
    private CniPluginIT.TerwayNode node;
    private Process routerAdvertisements;

    @BeforeAll
    void buildLab() {
        lab = NetnsLab.create();
        lab.startDhcpServer();
        node = new CniPluginIT.TerwayNode(lab, lab.addNode().configureStatic(), "v6");
        node.setupAndStart();
    }

    @AfterAll
    void removeLab() {
        CniPluginIT.TerwayNode.stopAndRemove(node, lab);
    }

    private String conf(String ipv6) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"dhcpSocket\":\"" + node.socket()
                + "\",\"serviceCIDR\":[\"10.96.0.0/12\",\"" + SERVICE6 + "\"]" + ipv6 + "}";
    }

    private String newPod(String name) {
        return lab.addNamespace(name);
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

    /** The result's addresses of {@code family} ("4", "6"), as CIDR text. */
    private static List<String> addresses(CniRuntime.Result add, String family) {
        List<String> out = new ArrayList<>();
        for (JsonNode ip : json(add.stdout()).path("ips")) {
            String a = ip.path("address").asText();
            if ((a.indexOf(':') >= 0) == family.equals("6")) {
                out.add(a);
            }
        }
        return out;
    }

    /** The pod's global IPv6 addresses as `ip` shows them. */
    private static List<String> podGlobal6(String podNs) {
        List<String> out = new ArrayList<>();
        for (JsonNode l : json(NetnsLab.ip(podNs, "-j", "-6", "addr", "show", "dev", "eth0", "scope", "global"))) {
            for (JsonNode a : l.path("addr_info")) {
                if (a.has("local")) { // `ip -j` prints an empty object for an address it filtered out
                    out.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt());
                }
            }
        }
        return out;
    }

    /** After a failed ADD, or a DEL (whose release and veth deletion the daemon finishes after its reply). */
    private void assertNothingLeft(String id, String podNs) {
        assertTrue(Eventually.within(Eventually.DEL_TAIL, () -> !node.hasLink(VethNames.hostVeth(id, "eth0"))
                && !node.holdsLease(id)), "host veth and lease of " + id + " are gone");
        assertFalse(NetnsLab.exec(podNs, "ip", "link", "show", "dev", "eth0").succeeded(), "no eth0 in " + podNs);
        assertFalse(node.holdsLease(id), "no DHCP lease of " + id + " held");
    }

    private void waitForNodeToLearnRas() {
        assertTrue(Eventually.within(Duration.ofSeconds(15),
                () -> !NetnsLab.ip(node.ns(), "-6", "route", "show", "dev", "mybr0", "proto", "ra").isBlank()),
                "the node's bridge learns routes from the RAs");
    }

    @Test
    @Order(1)
    void onALanWithoutRouterAdvertisementsAutoIsIpv4OnlyAtOnceAndSlaacFailsLeavingNothing() {
        String auto = newPod("auto0");
        CniRuntime.Result add = cni("ADD", "auto0", auto, conf(""));
        assertEquals(0, add.exit(), add::describe);
        assertEquals(1, addresses(add, "4").size(), add.stdout());
        assertEquals(List.of(), addresses(add, "6"), add.stdout());
        assertFalse(add.stdout().contains(SERVICE6), "no IPv6 service route without IPv6: " + add.stdout());
        assertTrue(node.log().contains("ADD auto0/eth0: bridge mybr0 has no global IPv6 address or no route learnt"
                + " from router advertisements") && node.log().contains("the pod is IPv4-only"), node.log());
        System.out.println("Ipv6PodIT: IPv4-only ADD under auto on an RA-less LAN took " + add.millis() + " ms");
        assertEquals(0, cni("DEL", "auto0", auto, conf("")).exit());

        String slaac = newPod("slaac0");
        CniRuntime.Result failed = cni("ADD", "slaac0", slaac,
                conf(",\"ipv6\":{\"mode\":\"slaac\",\"timeout\":\"1s\"}"));
        assertEquals(11, json(failed.stdout()).path("code").asInt(), failed::describe);
        assertTrue(json(failed.stdout()).path("msg").asText().startsWith("no SLAAC address on eth0 within 1000 ms of"
                + " link up (ipv6.mode \"slaac\"): no router advertisement arrived"), failed.stdout());
        assertNothingLeft("slaac0", slaac);
    }

    @Test
    @Order(2)
    void slaacOnAnRaOnlyLanGivesADualStackPodThatReachesTheLanOverIpv6() {
        routerAdvertisements = lab.startRouterAdvertisements("ra-only");
        waitForNodeToLearnRas();
        String pod = newPod("slaac1");
        String conf = conf(",\"ipv6\":{\"mode\":\"slaac\"}");
        CniRuntime.Result add = cni("ADD", "slaac1", pod, conf);
        assertEquals(0, add.exit(), add::describe);
        System.out.println("Ipv6PodIT: dual-stack ADD (slaac, ra-only) took " + add.millis() + " ms");
        List<String> v6 = addresses(add, "6");
        assertEquals(1, v6.size(), add.stdout());
        assertEquals(podGlobal6(pod), v6, "the result reports the pod's own IPv6 address");
        assertTrue(Ipv6Cidr.parse(lab.net().lanV6(0) + "/64").contains(Ipv6Cidr.parse(v6.get(0)).address()),
                v6 + " is on the LAN's prefix " + lab.net().lanV6(0) + "/64");
        JsonNode ip6 = json(add.stdout()).path("ips").path(1);
        String router = ip6.path("gateway").asText();
        assertTrue(router.startsWith("fe80::"), "gateway is the router's link-local address: " + add.stdout());
        String podDefault = NetnsLab.ip(pod, "-6", "route", "show", "default");
        assertTrue(podDefault.contains("via " + router + " dev eth0 proto ra"), podDefault);
        assertTrue(add.stdout().contains("{\"dst\":\"::/0\",\"gw\":\"" + router + "\"}"), add.stdout());
        assertTrue(NetnsLab.ip(pod, "-6", "route", "show", SERVICE6).contains("via"), "IPv6 service route in the pod");

        String podAddress = v6.get(0).substring(0, v6.get(0).indexOf('/'));
        assertTrue(NetnsLab.ping(pod, lab.gateway().ipv6()), "pod -> LAN host over IPv6");
        assertTrue(NetnsLab.ping(lab.gateway().ns(), podAddress), "LAN host -> pod over IPv6");

        String check = withPrevResult(conf, add.stdout());
        CniRuntime.Result ok = cni("CHECK", "slaac1", pod, check);
        assertEquals(0, ok.exit(), ok::describe);

        // A SLAAC-only pod has no DHCPv6 lease; its IPv4 lease's upkeep keeps its IPv6 service route: deleted, it is
        // back after the daemon restarts (the restored lease is kept up as at a renewal).
        NetnsLab.ip(pod, "-6", "route", "del", SERVICE6);
        node.stopDaemon();
        node.startDaemon();
        assertTrue(Eventually.within(Duration.ofSeconds(15),
                () -> NetnsLab.ip(pod, "-6", "route", "show", SERVICE6).contains("via")),
                "the upkeep put the IPv6 service route back: " + node.log());
        // The daemon logs the repair after its `ip` run put the route back, so the line may trail the route.
        assertTrue(Eventually.within(Duration.ofSeconds(5),
                () -> node.log().contains("(lease restored): IPv6 service route " + SERVICE6 + " via ")
                        && node.log().contains(" was missing")), node.log());
        assertEquals(0, cni("CHECK", "slaac1", pod, check).exit(), "CHECK passes again");
        // The pod stops taking RAs first, so that the next advertisement (every 3 s) does not bring it back.
        NetnsLab.exec(pod, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_ra=0");
        NetnsLab.ip(pod, "-6", "addr", "del", v6.get(0), "dev", "eth0");
        CniRuntime.Result broken = cni("CHECK", "slaac1", pod, check);
        assertEquals(101, json(broken.stdout()).path("code").asInt(), broken::describe);
        assertTrue(broken.stdout().contains("address " + v6.get(0) + " is missing from eth0"), broken.stdout());

        assertEquals(0, cni("DEL", "slaac1", pod, conf).exit());
        assertNothingLeft("slaac1", pod);
    }

    @Test
    @Order(3)
    void anIpv6OnlyPodTakesNoDhcpv4Lease() {
        String pod = newPod("only6");
        String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"dhcpSocket\":\""
                + node.socket() + "\",\"ipv4\":false,\"serviceCIDR\":\"" + SERVICE6 + "\"}";
        CniRuntime.Result add = cni("ADD", "only6", pod, conf);
        assertEquals(0, add.exit(), add::describe);
        assertEquals(List.of(), addresses(add, "4"), add.stdout());
        assertEquals(podGlobal6(pod), addresses(add, "6"));
        assertFalse(node.holdsLease("only6"), "no DHCPv4 lease");
        assertEquals("", NetnsLab.ip(pod, "-4", "addr", "show", "dev", "eth0").strip());
        assertTrue(NetnsLab.ping(pod, lab.gateway().ipv6()), "pod -> LAN host over IPv6");
        assertEquals(0, cni("DEL", "only6", pod, conf).exit());
        assertNothingLeft("only6", pod);
    }

    @Test
    @Order(4)
    void autoOnAnRaStatelessLanIsDualStack() throws InterruptedException {
        routerAdvertisements.destroy();
        routerAdvertisements.waitFor();
        routerAdvertisements = lab.startRouterAdvertisements("ra-stateless");
        String pod = newPod("auto1");
        CniRuntime.Result add = cni("ADD", "auto1", pod, conf(""));
        assertEquals(0, add.exit(), add::describe);
        System.out.println("Ipv6PodIT: dual-stack ADD (auto, ra-stateless) took " + add.millis() + " ms");
        assertEquals(1, addresses(add, "4").size(), add.stdout());
        assertEquals(podGlobal6(pod), addresses(add, "6"), add.stdout());
        String podAddress = addresses(add, "6").get(0).replaceAll("/.*", "");
        assertTrue(NetnsLab.ping(lab.gateway().ns(), podAddress), "LAN host -> pod over IPv6");
        assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "pod -> LAN host over IPv4");
        CniRuntime.Result ok = cni("CHECK", "auto1", pod, withPrevResult(conf(""), add.stdout()));
        assertEquals(0, ok.exit(), ok::describe);
        assertEquals(0, cni("DEL", "auto1", pod, conf("")).exit());
        assertNothingLeft("auto1", pod);
    }

    @Test
    @Order(5)
    void onAManagedLanSlaacFailsAtOnceAndAutoAndDhcpv6GetADhcpv6Lease() throws Exception {
        routerAdvertisements.destroy();
        routerAdvertisements.waitFor();
        routerAdvertisements = lab.startRouterAdvertisements("managed");
        String slaac = newPod("managed0");
        CniRuntime.Result failed = cni("ADD", "managed0", slaac,
                conf(",\"ipv6\":{\"mode\":\"slaac\",\"timeout\":\"20s\"}"));
        assertEquals(11, json(failed.stdout()).path("code").asInt(), failed::describe);
        assertTrue(json(failed.stdout()).path("msg").asText().contains("advertised no prefix to autoconfigure (no A"
                + " flag)"), failed.stdout());
        assertTrue(failed.millis() < 20_000, "ended by the RA, not by the 20 s timeout: " + failed.millis() + " ms");
        assertNothingLeft("managed0", slaac);

        // auto on a managed LAN: the daemon's DHCPv6 lease, reported in the result and reachable from the LAN.
        for (String mode : List.of("auto", "dhcpv6")) {
            String name = "managed-" + mode;
            String pod = newPod(name);
            String ipv6 = mode.equals("auto") ? ",\"ipv6\":{\"timeout\":\"20s\"}"
                    : ",\"ipv6\":{\"mode\":\"dhcpv6\",\"timeout\":\"20s\"}";
            CniRuntime.Result add = cni("ADD", name, pod, conf(ipv6));
            assertEquals(0, add.exit(), add::describe);
            List<String> v6 = addresses(add, "6");
            assertEquals(1, v6.size(), add.stdout());
            Ipv6 leased = Ipv6Cidr.parse(v6.get(0)).address();
            assertTrue(leased.compareTo(Ipv6.parse(lab.net().lanV6(0x100))) >= 0
                    && leased.compareTo(Ipv6.parse(lab.net().lanV6(0x1ff))) <= 0, "from dnsmasq's range: " + v6);
            assertTrue(node.log().contains("acquired DHCPv6 lease of default/" + name + " eth0 address " + leased),
                    node.log());
            System.out.println("Ipv6PodIT: dual-stack ADD (" + mode + ", managed LAN, DHCPv6) took " + add.millis()
                    + " ms");
            assertTrue(NetnsLab.ping(lab.gateway().ns(), leased.toString()), "LAN host -> pod over IPv6");
            CniRuntime.Result ok = cni("CHECK", name, pod, withPrevResult(conf(ipv6), add.stdout()));
            assertEquals(0, ok.exit(), ok::describe);
            assertEquals(0, cni("DEL", name, pod, conf(ipv6)).exit());
            assertTrue(Eventually.within(Duration.ofSeconds(10),
                    () -> node.log().contains("released DHCPv6 lease of default/" + name + " eth0 address " + leased)),
                    "the DEL released the DHCPv6 lease: " + node.log());
            assertNothingLeft(name, pod);
        }

        // DEL while the daemon is down: cni-terway deletes the veth itself and queues the release; the daemon's
        // next start gives the DHCPv6 lease back, from the node since the pod's interface is gone.
        String name = "managed-down";
        String pod = newPod(name);
        String ipv6 = ",\"ipv6\":{\"mode\":\"dhcpv6\",\"timeout\":\"20s\"}";
        CniRuntime.Result add = cni("ADD", name, pod, conf(ipv6));
        assertEquals(0, add.exit(), add::describe);
        Ipv6 leased = Ipv6Cidr.parse(addresses(add, "6").get(0)).address();
        node.stopDaemon();
        assertEquals(0, cni("DEL", name, pod, conf(ipv6)).exit(), "the in-process DEL");
        node.startDaemon();
        assertTrue(Eventually.within(Duration.ofSeconds(15), () -> node.log().contains("released DHCPv6 lease of default/"
                + name + " eth0 address " + leased) && node.log().contains("(its pod interface is gone) from the node's")),
                "the queued release reached the DHCPv6 lease: " + node.log());
        assertNothingLeft(name, pod);
    }

    @Test
    @Order(6)
    void autoWhereTheRouterFellSilentIsIpv4OnlyAfterTheTimeoutAndSaysSo() throws InterruptedException {
        routerAdvertisements.destroy();
        routerAdvertisements.waitFor();
        waitForNodeToLearnRas(); // still there: the node keeps the RA routes for their lifetime (300 s)
        String pod = newPod("auto2");
        CniRuntime.Result add = cni("ADD", "auto2", pod, conf(",\"ipv6\":{\"timeout\":\"1s\"}"));
        assertEquals(0, add.exit(), add::describe);
        assertEquals(List.of(), addresses(add, "6"), add.stdout());
        assertTrue(node.log().contains("ADD auto2/eth0: no IPv6 within 1000 ms of link up: no router advertisement"
                + " arrived; no DHCPv6 lease either; the pod is IPv4-only"), node.log());
        assertEquals(0, cni("DEL", "auto2", pod, conf("")).exit());
        assertNothingLeft("auto2", pod);
    }

    @Test
    @Order(7)
    void aDhcpv6AddressAnotherLanHostHoldsIsDeclinedAndAddFailsNamingIt() throws Exception {
        // dnsmasq with a range of one address, which the LAN's gateway host already has (without DAD of its own):
        // the pod's duplicate detection fails for it, the daemon declines it, and there is no other to give.
        String taken = lab.net().lanV6(0x1f0);
        NetnsLab.ip(lab.gateway().ns(), "-6", "addr", "add", taken + "/64", "dev", NetnsLab.NIC, "nodad");
        NetnsLab.DhcpServer dhcp6 = lab.startDhcp6Server(taken, taken);
        try {
            String pod = newPod("dup6");
            String ipv6 = ",\"ipv6\":{\"mode\":\"dhcpv6\",\"timeout\":\"5s\"}";
            CniRuntime.Result add = cni("ADD", "dup6", pod, conf(ipv6));
            assertEquals(11, json(add.stdout()).path("code").asInt(), add::describe);
            String msg = json(add.stdout()).path("msg").asText();
            assertTrue(msg.contains("declined " + taken) && msg.contains("duplicate address detection failed"), msg);
            assertTrue(node.log().contains("event=lease6.conflict") && node.log().contains("was given " + taken),
                    node.log());
            String served = Files.readString(dhcp6.log());
            assertTrue(served.contains("DHCPDECLINE"), "dnsmasq got the DECLINE: " + served);
            assertNothingLeft("dup6", pod);
            System.out.println("Ipv6PodIT: ADD with a duplicate DHCPv6 address failed in " + add.millis() + " ms: "
                    + msg);
        } finally {
            dhcp6.process().destroy();
            dhcp6.process().waitFor();
            NetnsLab.ip(lab.gateway().ns(), "-6", "addr", "del", taken + "/64", "dev", NetnsLab.NIC);
        }
    }
}

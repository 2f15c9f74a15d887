package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.Dhcp6Gateway;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.json.MiniJson;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.net.Ipv6;
import dev.terway.plan.FaultInjection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ADD, CHECK, DEL and GC with IPv6, per mode, against a fake node whose pod gets a SLAAC address at its second
 * look (tentative) and can use it from the third, and a fake DHCPv6 service. The lab's LAN: prefix fd00:1::/64
 * from router fe80::1, the bridge has fd00:1::5/64, the IPv6 service network is fd00:96::/108.
 */
class Ipv6AddTest {

    static final String SLAAC = "fd00:1::c3:60ff:fe12:ea6a/64";
    static final String VETH = VethNames.hostVeth("c0ffee", "eth0");

    @TempDir
    Path dir;
    Path netns;
    final FakeNode node = new FakeNode();
    final CniServiceTest.FakeLeases leases = new CniServiceTest.FakeLeases();
    final FakeDhcp6 dhcp6 = new FakeDhcp6();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void setUp() throws Exception {
        netns = Files.createFile(dir.resolve("pod-netns"));
        node.podMac = VethNames.podMac("c0ffee", "eth0");
        node.bridgeAddress6 = "fd00:1::5/64";
    }

    CniService service(Optional<Dhcp6Gateway> gateway) {
        return new CniService(node, leases, new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin expected");
        }), Clock.systemUTC(), e -> log.add(e.message()), () -> { }, new AttachmentRecords(dir.resolve("run/attachments")),
                path -> path.equals(netns) ? Optional.empty() : NetnsProbe.SYSTEM.problem(path),
                NodeNamespaces.own("the test's namespace"), Optional.empty(), FaultInjection.NONE, gateway);
    }

    static String conf(String version, String extra) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"lan\",\"type\":\"cni-terway\","
                + "\"serviceCIDR\":[\"10.96.0.0/12\",\"fd00:96::/108\"]" + extra + "}";
    }

    CniReply run(CniService service, String command, String conf) {
        return service.execute(new CniInvocation(FakeNode.env(command, netns.toString()), conf));
    }

    static Map<String, Object> json(CniReply reply) throws Exception {
        return MiniJson.parseObject(reply.stdout());
    }

    static int code(CniReply reply) throws Exception {
        return Integer.parseInt(json(reply).get("code").toString());
    }

    @Test
    void slaacAddIsDualStackWithTheRoutersLinkLocalAsGatewayInEveryResultVersion() throws Exception {
        for (String version : List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")) {
            node.slaacAddress = SLAAC;
            node.looks6.set(0);
            node.commands.clear();
            CniService service = service(Optional.empty());
            CniReply reply = run(service, "ADD", conf(version, ",\"ipv6\":{\"mode\":\"slaac\"}"));
            assertEquals(0, reply.exitCode(), reply.stdout());
            Map<String, Object> result = json(reply);
            String ips = result.get("ips").toString();
            assertTrue(ips.contains("address=10.20.30.101/24"), ips);
            assertTrue(ips.contains("address=" + SLAAC) && ips.contains("gateway=fe80::1"), ips);
            assertEquals(!version.startsWith("1."), ips.contains("version=6"), version + ": " + ips);
            String routes = result.get("routes").toString();
            assertTrue(routes.contains("{dst=::/0, gw=fe80::1}"), routes);
            assertTrue(routes.contains("{dst=fd00:96::/108, gw=fd00:1::5}"), routes);
            List<String> lines = node.commandLines();
            String ns = netns.toString();
            assertTrue(lines.contains("nsenter --net=" + ns + " sysctl -q -w net/ipv6/conf/eth0/addr_gen_mode=0"
                    + " net/ipv6/conf/eth0/use_tempaddr=0 net/ipv6/conf/eth0/router_solicitation_delay=0"
                    + " net/ipv6/neigh/eth0/retrans_time_ms=100 net/ipv6/conf/eth0/accept_ra=1"
                    + " net/ipv6/conf/eth0/autoconf=1"), lines.toString());
            assertTrue(lines.indexOf("nsenter --net=" + ns + " ip link set dev eth0 up")
                    > lines.indexOf(lines.stream().filter(l -> l.contains("sysctl")).findFirst().orElseThrow()),
                    "the settings come before the link is up");
            assertTrue(lines.contains("nsenter --net=" + ns + " ip -6 route replace fd00:96::/108 via fd00:1::5"
                    + " dev eth0"), lines.toString());
            assertEquals(3, node.looks6.get(), "none, tentative, ready: three looks");
            assertEquals(0, run(service, "DEL", conf(version, "")).exitCode());
        }
    }

    @Test
    void autoOnANodeWithoutIpv6DoesNotWaitAndThePodIgnoresRouterAdvertisements() throws Exception {
        node.bridgeAddress6 = null;
        node.slaacAddress = SLAAC;
        CniReply reply = run(service(Optional.empty()), "ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\","
                + "\"type\":\"cni-terway\",\"serviceCIDR\":[\"10.96.0.0/12\",\"fd00:96::/108\"]}");
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertFalse(json(reply).get("ips").toString().contains(":"), reply.stdout());
        assertEquals(0, node.looks6.get(), "no look at all");
        assertTrue(node.commandLines().stream().noneMatch(l -> l.contains("sysctl")),
                "no RA to ignore on that LAN, so no process start for the settings: " + node.commandLines());
        assertTrue(log.stream().anyMatch(l -> l.contains("bridge mybr0 has no global IPv6 address or no route learnt"
                + " from router advertisements") && l.contains("the pod is IPv4-only")), log.toString());
    }

    @Test
    void offMakesThePodIgnoreRouterAdvertisementsWithoutFailingOnAKernelWithoutIpv6() throws Exception {
        node.slaacAddress = SLAAC;
        CniReply reply = run(service(Optional.empty()), "ADD", conf("1.0.0", ",\"ipv6\":{\"mode\":\"off\"}"));
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertEquals(0, node.looks6.get());
        assertFalse(json(reply).get("ips").toString().contains(":"), reply.stdout());
        assertTrue(node.commandLines().stream().anyMatch(l -> l.contains("sysctl -q -e -w")
                && l.contains("accept_ra=0") && l.contains("autoconf=0")), node.commandLines().toString());
        assertFalse(log.stream().anyMatch(l -> l.contains("IPv4-only")), "off is asked for, not worth a log line");
    }

    @Test
    void dryRunSaysWhatIpv6AddWouldWaitFor() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(FakeNode.env("ADD", netns.toString()));
        env.put("TERWAY_DRY_RUN", "1");
        CniReply reply = service(Optional.empty()).execute(new CniInvocation(env,
                conf("1.0.0", ",\"ipv6\":{\"mode\":\"slaac\"}")));
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertTrue(reply.stdout().contains("sysctl -q -w net/ipv6/conf/eth0/addr_gen_mode=0"), reply.stdout());
        assertTrue(reply.stdout().contains("# then: IPv6 (ipv6.mode \"slaac\"), waiting up to 3000 ms from link up"
                + " for a SLAAC address (not waited for in a dry run)"), reply.stdout());
        assertEquals(0, node.looks6.get());
    }

    @Test
    void autoOnANodeWithAStaticIpv6AddressButNoRouterAdvertisementsDoesNotWaitEither() throws Exception {
        node.bridgeRaRoutes = false;
        node.slaacAddress = SLAAC;
        CniReply reply = run(service(Optional.empty()), "ADD", conf("1.0.0", ""));
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertEquals(0, node.looks6.get(), "no look at all");
        assertTrue(node.commandLines().contains("ip -j -6 route show dev mybr0"), node.commandLines()
                .toString());
    }

    @Test
    void autoOnALanWithoutRouterAdvertisementsIsIpv4OnlyAfterTheTimeoutAndSaysSo() throws Exception {
        CniReply reply = run(service(Optional.empty()), "ADD", conf("1.0.0", ",\"ipv6\":{\"timeout\":\"300ms\"}"));
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertFalse(json(reply).get("ips").toString().contains(":"), reply.stdout());
        assertFalse(json(reply).get("routes").toString().contains("fd00:96"), "no IPv6 service route without IPv6");
        assertTrue(node.looks6.get() >= 2, "it looked until the timeout: " + node.looks6.get());
        assertTrue(log.stream().anyMatch(l -> l.contains("no IPv6 within 300 ms of link up: no router advertisement"
                + " arrived; DHCPv6 not tried") && l.endsWith("the pod is IPv4-only")), log.toString());
    }

    @Test
    void slaacWithoutAnAddressInTimeFailsWithTryAgainLaterAndLeavesNothing() throws Exception {
        node.slaacAddress = null;
        node.onlinkPrefix6 = "fd00:1::/64";
        CniReply reply = run(service(Optional.empty()), "ADD", conf("1.0.0",
                ",\"ipv6\":{\"mode\":\"slaac\",\"timeout\":\"10s\"}"));
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, code(reply), reply.stdout());
        String msg = json(reply).get("msg").toString();
        assertTrue(msg.contains("no SLAAC address on eth0 within 10000 ms of link up (ipv6.mode \"slaac\"): router"
                + " fe80::1 advertised no prefix to autoconfigure (no A flag)"), msg);
        assertEquals(3, node.looks6.get(), "the RA without A flag, seen twice, ends the wait before the 10 s");
        assertTrue(msg.contains("everything done before was undone"), msg);
        assertFalse(node.vethMaster.containsKey(VETH), "veth deleted");
        assertEquals(List.of("c0ffee/eth0"), leases.released, "IPv4 lease given back");
    }

    @Test
    void aSlaacAddressThatFailsDuplicateDetectionFailsTheAddAtOnceNamingIt() throws Exception {
        node.slaacAddress = SLAAC;
        node.slaacDadFails = true;
        CniReply reply = run(service(Optional.empty()), "ADD", conf("1.0.0",
                ",\"ipv6\":{\"mode\":\"slaac\",\"timeout\":\"10s\"}"));
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, code(reply), reply.stdout());
        assertTrue(json(reply).get("msg").toString().contains("address " + SLAAC + " failed duplicate address"
                + " detection: another host on the LAN has it"), reply.stdout());
        assertEquals(3, node.looks6.get(), "no waiting for the rest of the 10 s once it failed");
        assertFalse(node.vethMaster.containsKey(VETH));
    }

    @Test
    void underAutoADhcpv6LeaseThatComesAfterTheSlaacAddressIsGivenBack() throws Exception {
        node.slaacAddress = SLAAC;
        dhcp6.gate = new java.util.concurrent.CountDownLatch(1);
        CniReply reply = run(service(Optional.of(dhcp6)), "ADD", conf("1.0.0", ""));
        assertEquals(0, reply.exitCode(), reply.stdout());
        String ips = json(reply).get("ips").toString();
        assertTrue(ips.contains("address=" + SLAAC) && !ips.contains("fd00:1::77"), ips);
        dhcp6.gate.countDown();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!dhcp6.released.contains("c0ffee/eth0") && System.nanoTime() < deadline) {
            Thread.sleep(5); // the release runs on the thread that got the lease, after ADD replied
        }
        assertEquals(List.of("c0ffee/eth0"), dhcp6.released, "the late lease is given back");
        assertTrue(log.stream().anyMatch(l -> l.contains("its DHCPv6 lease of fd00:1::77 came after the SLAAC address"
                + " was reported; given back")), log.toString());
    }

    @Test
    void dhcpv6IsRefusedBeforeAnythingIsMadeWhenTheDaemonRunsNoDhcpv6() throws Exception {
        CniReply reply = run(service(Optional.empty()), "ADD", conf("1.0.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"}"));
        assertEquals(CniErrorCode.UNSUPPORTED_FIELD, code(reply), reply.stdout());
        assertTrue(json(reply).get("msg").toString().contains("ipv6.mode \"dhcpv6\": this terway daemon runs no"
                + " DHCPv6 lease service"), reply.stdout());
        assertEquals(List.of("ip -j -d addr show dev mybr0"), node.commandLines());
        assertEquals(List.of(), leases.acquired);
    }

    @Test
    void dhcpv6AddsTheLeaseWithItsLifetimesOnTheRaPrefixMergesDnsAndDelReleasesIt() throws Exception {
        node.slaacAddress = null;
        node.onlinkPrefix6 = "fd00:1::/64";
        CniService service = service(Optional.of(dhcp6));
        CniReply reply = run(service, "ADD", conf("1.1.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"}"));
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertTrue(node.commandLines().contains("nsenter --net=" + netns + " ip -6 -batch - <<< addr add"
                + " fd00:1::77/64 dev eth0 valid_lft 3600 preferred_lft 1800; route replace fd00:96::/108 via"
                + " fd00:1::5 dev eth0"), node.commandLines().toString());
        Map<String, Object> result = json(reply);
        assertTrue(result.get("ips").toString().contains("address=fd00:1::77/64, gateway=fe80::1"), reply.stdout());
        String dns = result.get("dns").toString();
        assertTrue(dns.contains("nameservers=[10.20.30.1, fd00:1::53]") && dns.contains("search=[lan, v6.lan]"), dns);
        assertTrue(node.commandLines().stream().anyMatch(l -> l.contains("sysctl -q -w")
                && l.contains("accept_ra=1") && l.contains("autoconf=0")), "RAs for the router only");
        assertEquals(List.of("c0ffee/eth0 default/web-0 PT3S"), dhcp6.acquired);
        assertEquals(List.of("managed"), leases.ipv6Settings, "stored with the IPv4 lease for its upkeep");
        assertEquals(0, run(service, "CHECK", conf("1.1.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"},\"prevResult\":"
                + reply.stdout().strip())).exitCode());
        dhcp6.held.clear();
        CniReply check = run(service, "CHECK", conf("1.1.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"},\"prevResult\":"
                + reply.stdout().strip()));
        assertEquals(CniErrorCode.CHECK_FAILED, code(check));
        assertTrue(check.stdout().contains("holds no DHCPv6 lease"), check.stdout());
        dhcp6.held.add(new LeaseGateway.Attachment("c0ffee", "eth0"));
        assertEquals(0, run(service, "DEL", conf("1.1.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"}")).exitCode());
        assertEquals(List.of("c0ffee/eth0"), dhcp6.released);
        assertTrue(log.stream().anyMatch(l -> l.contains("DEL c0ffee/eth0: DHCPv6 lease released, host veth deleted, lease released")),
                log.toString());
    }

    @Test
    void aDhcpv6AddressThatFailsDuplicateDetectionIsDeclinedAndAnotherReported() throws Exception {
        node.slaacAddress = null;
        node.onlinkPrefix6 = "fd00:1::/64";
        node.duplicates6.add("fd00:1::77");
        dhcp6.nextAfterDecline = Ipv6.parse("fd00:1::78");
        CniReply reply = run(service(Optional.of(dhcp6)), "ADD", conf("1.1.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"}"));
        assertEquals(0, reply.exitCode(), reply.stdout());
        String ips = json(reply).get("ips").toString();
        assertTrue(ips.contains("address=fd00:1::78/64") && !ips.contains("fd00:1::77"), ips);
        assertEquals(1, dhcp6.declined.size(), dhcp6.declined.toString());
        assertTrue(dhcp6.declined.get(0).startsWith("fd00:1::77 (the pod's duplicate address detection failed"),
                dhcp6.declined.toString());
        assertTrue(node.commandLines().contains("nsenter --net=" + netns + " ip -6 addr del fd00:1::77/64 dev eth0"),
                "the duplicate comes off the pod: " + node.commandLines());
        assertEquals(List.of("fd00:1::78/64"), node.podAddresses6.get("eth0"));
    }

    @Test
    void aDhcpv6AddressThatFailsDuplicateDetectionWithNoOtherFailsTheAddNamingIt() throws Exception {
        node.slaacAddress = null;
        node.onlinkPrefix6 = "fd00:1::/64";
        node.duplicates6.add("fd00:1::77");
        CniReply reply = run(service(Optional.of(dhcp6)), "ADD", conf("1.0.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"}"));
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, code(reply), reply.stdout());
        assertTrue(reply.stdout().contains("declined fd00:1::77"), reply.stdout());
        assertFalse(node.vethMaster.containsKey(VETH), "the veth is undone");
        assertEquals(List.of("c0ffee/eth0"), leases.released);
    }

    @Test
    void dhcpv6WithoutALeaseFailsAndGivesBackTheIpv4Lease() throws Exception {
        dhcp6.fail = true;
        CniReply reply = run(service(Optional.of(dhcp6)), "ADD", conf("1.0.0", ",\"ipv6\":{\"mode\":\"dhcpv6\"}"));
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, code(reply), reply.stdout());
        assertTrue(reply.stdout().contains("no ADVERTISE"), reply.stdout());
        assertFalse(node.vethMaster.containsKey(VETH));
        assertEquals(List.of("c0ffee/eth0"), leases.released);
    }

    @Test
    void autoOnAManagedLanReportsTheDhcpv6LeaseWithoutWaitingOutTheTimeoutForSlaac() throws Exception {
        node.slaacAddress = null;
        node.onlinkPrefix6 = "fd00:1::/64";
        CniReply reply = run(service(Optional.of(dhcp6)), "ADD", conf("1.0.0", ",\"ipv6\":{\"timeout\":\"10s\"}"));
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertTrue(json(reply).get("ips").toString().contains("address=fd00:1::77/64, gateway=fe80::1"),
                reply.stdout());
        assertEquals(4, node.looks6.get(), "SLAAC settled (no A flag) at the third look; the fourth saw the lease's"
                + " address past duplicate detection");
    }

    @Test
    void autoReportsSlaacAndADhcpv6LeaseThatCameFirst() throws Exception {
        node.slaacAddress = SLAAC;
        CniReply reply = run(service(Optional.of(dhcp6)), "ADD", conf("1.0.0", ""));
        assertEquals(0, reply.exitCode(), reply.stdout());
        String ips = json(reply).get("ips").toString();
        assertTrue(ips.contains("address=" + SLAAC) && ips.contains("address=fd00:1::77/64"), ips);
    }

    @Test
    void anIpv6OnlyPodAsksForNoDhcpv4Lease() throws Exception {
        node.slaacAddress = SLAAC;
        CniService service = service(Optional.empty());
        String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"ipv4\":false,"
                + "\"serviceCIDR\":\"fd00:96::/108\"}";
        CniReply reply = run(service, "ADD", conf);
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertEquals(List.of(), leases.acquired);
        String ips = json(reply).get("ips").toString();
        assertEquals("[{interface=1, address=" + SLAAC + ", gateway=fe80::1}]", ips);
        assertTrue(node.commandLines().stream().noneMatch(l -> l.contains("ip -4 -batch")), "no IPv4 at all");
        node.slaacAddress = null;
        node.looks6.set(0);
        assertEquals(0, run(service, "DEL", conf).exitCode());
        CniReply none = run(service, "ADD", conf.replace("}", ",\"ipv6\":{\"timeout\":\"200ms\"}}"));
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, code(none), none.stdout());
        assertTrue(none.stdout().contains("and \\\"ipv4\\\" is false (an IPv6-only pod)"), none.stdout());
    }

    @Test
    void checkOfAnIpv6OnlyPodAsksForNoDhcpv4Lease() throws Exception {
        // It has none: CHECK failed "the DHCP daemon holds no lease" for every IPv6-only pod.
        node.slaacAddress = SLAAC;
        CniService service = service(Optional.empty());
        String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"ipv4\":false,"
                + "\"serviceCIDR\":\"fd00:96::/108\"}";
        CniReply add = run(service, "ADD", conf);
        assertEquals(0, add.exitCode(), add.stdout());
        String check = conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + add.stdout().strip() + "}";
        CniReply ok = run(service, "CHECK", check);
        assertEquals(0, ok.exitCode(), ok.stdout());
        node.slaacAddress = null;
        CniReply gone = run(service, "CHECK", check);
        assertEquals(CniErrorCode.CHECK_FAILED, code(gone), "CHECK still verifies the IPv6 address");
        assertTrue(gone.stdout().contains("address " + SLAAC + " is missing from eth0"), gone.stdout());
    }

    @Test
    void anIpv6ServiceNetworkWithoutABridgeAddressFailsTheAdd() throws Exception {
        node.bridgeAddress6 = null;
        node.slaacAddress = SLAAC;
        CniReply reply = run(service(Optional.empty()), "ADD", conf("1.0.0", ",\"ipv6\":{\"mode\":\"slaac\"}"));
        assertEquals(CniErrorCode.NODE_NOT_SET_UP, code(reply), reply.stdout());
        assertTrue(reply.stdout().contains("bridge mybr0 has no global IPv6 address"), reply.stdout());
        assertFalse(node.vethMaster.containsKey(VETH));
    }

    @Test
    void checkVerifiesIpv6AddressesRoutesAndSettings() throws Exception {
        node.slaacAddress = SLAAC;
        CniService service = service(Optional.empty());
        CniReply add = run(service, "ADD", conf("1.0.0", ",\"ipv6\":{\"mode\":\"slaac\"}"));
        assertEquals(0, add.exitCode(), add.stdout());
        String check = conf("1.0.0", ",\"ipv6\":{\"mode\":\"slaac\"},\"prevResult\":" + add.stdout().strip());
        assertEquals(0, run(service, "CHECK", check).exitCode(), run(service, "CHECK", check).stdout());
        node.acceptRa = "0";
        CniReply settings = run(service, "CHECK", check);
        assertEquals(CniErrorCode.CHECK_FAILED, code(settings));
        assertTrue(settings.stdout().contains("IPv6 settings of eth0 were off: accept_ra 0, not 1"), settings.stdout());
        node.acceptRa = "1";
        node.podRoutes6.clear();
        CniReply route = run(service, "CHECK", check);
        assertTrue(route.stdout().contains("route to fd00:96::/108 via fd00:1::5 is missing"), route.stdout());
        node.slaacAddress = null;
        CniReply address = run(service, "CHECK", check);
        assertEquals(CniErrorCode.CHECK_FAILED, code(address));
        assertTrue(address.stdout().contains("address " + SLAAC + " is missing from eth0"), address.stdout());
    }

    @Test
    void gcReleasesTheDhcpv6LeasesOfStaleAttachments() throws Exception {
        dhcp6.held.add(new LeaseGateway.Attachment("gone", "eth0"));
        dhcp6.held.add(new LeaseGateway.Attachment("alive", "eth0"));
        CniReply reply = service(Optional.of(dhcp6)).execute(new CniInvocation(Map.of("CNI_COMMAND", "GC",
                "CNI_PATH", "/opt/cni/bin"), "{\"cniVersion\":\"1.1.0\",\"name\":\"lan\",\"type\":\"cni-terway\","
                + "\"cni.dev/valid-attachments\":[{\"containerID\":\"alive\",\"ifname\":\"eth0\"}]}"));
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertEquals(List.of("gone/eth0"), dhcp6.released);
        assertTrue(log.contains("GC: released the DHCPv6 lease of stale attachment gone/eth0"), log.toString());
    }

    /** A DHCPv6 service that leases fd00:1::77 at once (DNS fd00:1::53, search v6.lan), or fails like no server. */
    static final class FakeDhcp6 implements Dhcp6Gateway {
        final List<String> acquired = Collections.synchronizedList(new ArrayList<>());
        final List<String> released = Collections.synchronizedList(new ArrayList<>());
        final List<String> declined = Collections.synchronizedList(new ArrayList<>());
        /** What a DECLINE gets instead; null: no other address (the decline fails with 11). */
        volatile Ipv6 nextAfterDecline;
        final Set<LeaseGateway.Attachment> held = Collections.synchronizedSet(new LinkedHashSet<>());
        volatile boolean fail;
        /** When set, acquire answers only once it is counted down (a server slower than SLAAC). */
        volatile java.util.concurrent.CountDownLatch gate;

        @Override
        public Dhcp6Lease acquire(Dhcp6Request r) throws CniException {
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (fail) {
                throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "no DHCPv6 lease for " + r.ifname()
                        + ": no ADVERTISE");
            }
            acquired.add(r.containerId() + "/" + r.ifname() + r.podNamespace().map(n -> " " + n).orElse("")
                    + r.podName().map(n -> "/" + n).orElse("") + " " + r.timeout().withNanos(0)
                    .plusSeconds(r.timeout().getNano() > 0 ? 1 : 0));
            held.add(new LeaseGateway.Attachment(r.containerId(), r.ifname()));
            return new Dhcp6Lease(Ipv6.parse("fd00:1::77"), 3600, 1800, List.of(Ipv6.parse("fd00:1::53")),
                    List.of("v6.lan"), "000100011c39cf88");
        }

        @Override
        public Dhcp6Lease decline(Dhcp6Request r, Ipv6 address, Set<Ipv6> declinedBefore, String why)
                throws CniException {
            declined.add(address + " (" + why + ")");
            held.remove(new LeaseGateway.Attachment(r.containerId(), r.ifname()));
            if (nextAfterDecline == null) {
                throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "no DHCPv6 lease for " + r.ifname()
                        + ": declined " + address + " (" + why + ") and no other DHCPv6 address came in time");
            }
            held.add(new LeaseGateway.Attachment(r.containerId(), r.ifname()));
            return new Dhcp6Lease(nextAfterDecline, 3600, 1800, List.of(), List.of(), "000100011c39cf88");
        }

        @Override
        public boolean release(String containerId, String ifname) {
            released.add(containerId + "/" + ifname);
            return held.remove(new LeaseGateway.Attachment(containerId, ifname));
        }

        @Override
        public Optional<Set<LeaseGateway.Attachment>> held() {
            return Optional.of(Set.copyOf(held));
        }
    }
}

package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecord;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.ipam.LeaseRequest;
import dev.terway.cni.json.MiniJson;
import dev.terway.cni.pod.PodAddress;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.result.Dns;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.dhcp.client.AddressChangePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniServiceTest {

    static final String CONF = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\","
            + "\"serviceCIDR\":\"10.96.0.0/12\",\"dns\":{\"nameservers\":[\"10.0.0.53\"]}}";
    static final String VETH = VethNames.hostVeth("c0ffee", "eth0");

    @TempDir
    Path dir;
    Path netns;
    final FakeNode node = new FakeNode();
    final FakeLeases leases = new FakeLeases();
    final List<String> log = new ArrayList<>();
    AttachmentRecords records;
    CniService service;

    @BeforeEach
    void setUp() throws Exception {
        netns = Files.createFile(dir.resolve("pod-netns"));
        node.podMac = VethNames.podMac("c0ffee", "eth0");
        records = new AttachmentRecords(dir.resolve("run/attachments"));
        service = new CniService(node, leases, new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin expected");
        }), Clock.systemUTC(), e -> log.add(e.message()), () -> { }, records,
                path -> path.equals(netns) ? java.util.Optional.empty() : NetnsProbe.SYSTEM.problem(path),
                java.util.Optional.empty());
    }

    CniReply run(String command, String conf) {
        return service.execute(new CniInvocation(FakeNode.env(command, netns.toString()), conf));
    }

    CniReply run(String command, String conf, String key, String value) {
        Map<String, String> env = new HashMap<>(FakeNode.env(command, netns.toString()));
        env.put(key, value);
        return service.execute(new CniInvocation(env, conf));
    }

    static int code(CniReply reply) throws Exception {
        return Integer.parseInt(MiniJson.parseObject(reply.stdout()).get("code").toString());
    }

    @Test
    void addBuildsTheLinkLeasesThenAddressesAndReportsInTheConfigVersion() throws Exception {
        CniReply reply = run("ADD", CONF);
        assertEquals(0, reply.exitCode(), reply.stdout());
        String pmac = VethNames.podMac("c0ffee", "eth0");
        String hmac = VethNames.hostMac("c0ffee", "eth0");
        String ns = netns.toString();
        assertEquals(List.of(
                "ip -j -d addr show dev mybr0",
                "ip -batch - <<< link add name eth0 address " + pmac + " mtu 1450 netns " + ns + " up type veth"
                        + " peer name " + VETH + " address " + hmac + " mtu 1450; link set dev " + VETH
                        + " master mybr0 up alias terway:c0ffee/eth0; link set dev " + VETH
                        + " type bridge_slave hairpin on",
                "nsenter --net=" + ns + " ip -4 -batch - <<< addr add 10.20.30.101/24 dev eth0 valid_lft 3600"
                        + " preferred_lft 3600; route replace default via 10.20.30.1 dev eth0;"
                        + " route replace 10.96.0.0/12 via 10.20.30.5 dev eth0"),
                node.commandLines());
        assertEquals(List.of("c0ffee/eth0 default/web-0"), leases.acquired);
        Map<String, Object> expected = MiniJson.parseObject("{\"cniVersion\":\"1.0.0\",\"interfaces\":["
                + "{\"name\":\"" + VETH + "\",\"mac\":\"" + hmac + "\"},"
                + "{\"name\":\"eth0\",\"mac\":\"" + pmac + "\",\"sandbox\":\"" + ns + "\"}],"
                + "\"ips\":[{\"interface\":1,\"address\":\"10.20.30.101/24\",\"gateway\":\"10.20.30.1\"}],"
                + "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.20.30.1\"},{\"dst\":\"10.96.0.0/12\",\"gw\":\"10.20.30.5\"}],"
                + "\"dns\":{\"nameservers\":[\"10.0.0.53\",\"10.20.30.1\"],\"domain\":\"lan\",\"search\":[\"lan\"]}}");
        assertEquals(expected, MiniJson.parse(reply.stdout()));
    }

    @Test
    void addResultFollowsTheConfigVersion() throws Exception {
        CniReply reply = run("ADD", CONF.replace("1.0.0", "0.3.1"));
        Map<String, Object> r = MiniJson.parseObject(reply.stdout());
        assertEquals("0.3.1", r.get("cniVersion"));
        assertTrue(reply.stdout().contains("\"version\":\"4\""));
    }

    @Test
    void aFailingAddressStepUndoesTheLinkAndTheLease() throws Exception {
        node.failOn = "nsenter --net=" + netns + " ip -4 route replace default";
        CniReply reply = run("ADD", CONF);
        assertEquals(CniErrorCode.SETUP_FAILED, code(reply));
        assertTrue(reply.stdout().contains("everything done before was undone"), reply.stdout());
        assertEquals(List.of("c0ffee/eth0"), leases.released);
        assertTrue(node.vethMaster.isEmpty(), "no veth left");
        assertTrue(node.commandLines().contains("ip link del " + VETH));
    }

    @Test
    void noLeaseUndoesTheLinkAndAsksToTryAgain() throws Exception {
        leases.fail = true;
        CniReply reply = run("ADD", CONF);
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, code(reply));
        assertTrue(node.vethMaster.isEmpty());
        assertTrue(leases.released.isEmpty(), "nothing was leased, nothing to release");
    }

    @Test
    void aFailingLinkStepLeavesNothing() throws Exception {
        // the second line of the node-side batch fails after the first created the pair
        node.failOn = "ip link set dev " + VETH + " master";
        CniReply reply = run("ADD", CONF);
        assertEquals(CniErrorCode.SETUP_FAILED, code(reply));
        assertTrue(reply.stdout().contains("Command failed -:2"), reply.stdout());
        assertTrue(node.vethMaster.isEmpty(), "the half-done batch was undone: " + node.vethMaster);
        assertTrue(node.commandLines().contains("ip link del " + VETH), node.commandLines().toString());
        assertTrue(leases.acquired.isEmpty());
        // and when its last line (hairpin) fails, with the pair made and attached
        node.failOn = "ip link set dev " + VETH + " type bridge_slave";
        reply = run("ADD", CONF);
        assertEquals(CniErrorCode.SETUP_FAILED, code(reply));
        assertTrue(reply.stdout().contains("Command failed -:3"), reply.stdout());
        assertTrue(node.vethMaster.isEmpty());
        assertTrue(leases.acquired.isEmpty());
    }

    @Test
    void aLeftoverVethOfAnInterruptedAddIsReplaced() throws Exception {
        node.vethMaster.put(VETH, "mybr0");
        CniReply reply = run("ADD", CONF);
        assertEquals(0, reply.exitCode(), reply.stdout());
        List<String> lines = node.commandLines();
        java.util.function.Predicate<String> create = l -> l.startsWith("ip -batch - <<< link add name eth0 ")
                && l.contains(" peer name " + VETH + " ");
        int firstAdd = lines.indexOf(lines.stream().filter(create).findFirst().orElseThrow());
        assertEquals(List.of("ip link del " + VETH), lines.stream().filter(l -> l.startsWith("ip link del")).toList(),
                "the leftover is removed once; the failed creation (line 1) is not undone");
        assertTrue(lines.indexOf("ip link del " + VETH) > firstAdd, "removed after the first attempt failed");
        assertEquals(2, lines.stream().filter(create).count());
    }

    @Test
    void theNodeGatewayIsLookedUpOnlyWhenTheLeaseNamesNoRouter() throws Exception {
        run("ADD", CONF);
        assertTrue(node.commandLines().stream().noneMatch(l -> l.contains("route show default")));
    }

    @Test
    void missingBridgeNamesTerwaySetup() throws Exception {
        node.bridgeExists = false;
        CniReply reply = run("ADD", CONF);
        assertEquals(CniErrorCode.NODE_NOT_SET_UP, code(reply));
        assertTrue(reply.stdout().contains("terway setup"), reply.stdout());
        assertTrue(node.vethMaster.isEmpty());
    }

    @Test
    void missingNetnsIsAnUnknownContainer() throws Exception {
        CniReply reply = run("ADD", CONF, "CNI_NETNS", dir.resolve("gone").toString());
        assertEquals(CniErrorCode.UNKNOWN_CONTAINER, code(reply));
        assertTrue(node.commands.isEmpty());
    }

    @Test
    void pinnedAddressWithPrefixNeedsNoLeaseAndUsesTheNodeGateway() throws Exception {
        CniReply reply = run("ADD", CONF, "CNI_ARGS", "IgnoreUnknown=1;IP=192.168.7.9/24");
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertTrue(leases.acquired.isEmpty());
        assertTrue(node.commandLines().contains("nsenter --net=" + netns + " ip -4 -batch - <<< addr add"
                + " 192.168.7.9/24 dev eth0; route replace default via 10.20.30.1 dev eth0 onlink;"
                + " route replace 10.96.0.0/12 via 10.20.30.5 dev eth0 onlink"),
                node.commandLines().toString());
    }

    @Test
    void pinnedAddressWithoutPrefixIsRequestedFromDhcp() {
        run("ADD", CONF.replace("}", ",\"runtimeConfig\":{\"ips\":[\"10.20.30.150\"]}}"));
        assertEquals(List.of("10.20.30.150"), leases.requested);
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() {
        CniReply reply = run("ADD", CONF, "TERWAY_DRY_RUN", "1");
        assertEquals(0, reply.exitCode());
        assertTrue(reply.stdout().contains("ip -batch - <<'EOF'\nlink add name eth0 "), reply.stdout());
        assertTrue(reply.stdout().contains(" peer name " + VETH + " "), reply.stdout());
        assertTrue(reply.stdout().contains("# then: a DHCP lease"), reply.stdout());
        assertTrue(node.commandLines().stream().noneMatch(c -> c.contains("link add")));
        assertTrue(leases.acquired.isEmpty());
    }

    @Test
    void delReleasesFirstThenDeletesAndIsIdempotent() throws Exception {
        assertEquals(0, run("ADD", CONF).exitCode());
        node.commands.clear();
        assertEquals(0, run("DEL", CONF).exitCode());
        assertEquals(List.of("c0ffee/eth0"), leases.released);
        assertEquals(List.of("ip link del " + VETH), node.commandLines());
        assertTrue(node.vethMaster.isEmpty());
        CniReply again = run("DEL", CONF);
        assertEquals(0, again.exitCode(), again.stdout());
        assertEquals("", again.stdout());
    }

    @Test
    void delWithoutNetnsStillCleansUp() {
        run("ADD", CONF);
        Map<String, String> env = new HashMap<>(FakeNode.env("DEL", ""));
        env.remove("CNI_NETNS");
        assertEquals(0, service.execute(new CniInvocation(env, CONF)).exitCode());
        assertTrue(node.vethMaster.isEmpty());
    }

    String prevResultConf() {
        CniReply add = run("ADD", CONF);
        return CONF.substring(0, CONF.length() - 1) + ",\"prevResult\":" + add.stdout().strip() + "}";
    }

    @Test
    void checkPassesAfterAdd() {
        String conf = prevResultConf();
        CniReply reply = run("CHECK", conf);
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertEquals("", reply.stdout());
    }

    @Test
    void checkFailsWhenTheAddressIsGone() throws Exception {
        String conf = prevResultConf();
        node.podAddresses.clear();
        CniReply reply = run("CHECK", conf);
        assertEquals(CniErrorCode.CHECK_FAILED, code(reply));
        assertTrue(reply.stdout().contains("address 10.20.30.101/24 is missing"), reply.stdout());
    }

    @Test
    void checkFailsWhenARouteOrTheLeaseOrTheVethIsGone() throws Exception {
        String conf = prevResultConf();
        node.podRoutes.remove(0);
        assertTrue(run("CHECK", conf).stdout().contains("route to 0.0.0.0/0 via 10.20.30.1 is missing"));
        conf = prevResultConf();
        leases.held.clear();
        assertTrue(run("CHECK", conf).stdout().contains("holds no lease"));
        conf = prevResultConf();
        node.vethMaster.put(VETH, "otherbr");
        assertTrue(run("CHECK", conf).stdout().contains("not attached to bridge mybr0"));
    }

    @Test
    void checkNeedsPrevResult() throws Exception {
        assertEquals(CniErrorCode.INVALID_NETWORK_CONFIG, code(run("CHECK", CONF)));
    }

    @Test
    void gcRemovesStaleVethsAndLeasesOnly() throws Exception {
        String v11 = CONF.replace("1.0.0", "1.1.0");
        run("ADD", v11);
        String stale = VethNames.hostVeth("old", "eth0");
        node.vethMaster.put(stale, "mybr0");
        node.vethMaster.put(VethNames.hostVeth("other", "eth0"), "otherbr");
        leases.held.add(new LeaseGateway.Attachment("old", "eth0"));
        leases.held.add(new LeaseGateway.Attachment("other", "eth0"));
        String gc = v11.substring(0, v11.length() - 1)
                + ",\"cni.dev/valid-attachments\":[{\"containerID\":\"c0ffee\",\"ifname\":\"eth0\"}]}";
        CniReply reply = run("GC", gc);
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertFalse(node.vethMaster.containsKey(stale));
        assertTrue(node.vethMaster.containsKey(VETH));
        assertTrue(node.vethMaster.containsKey(VethNames.hostVeth("other", "eth0")), "another bridge's veth stays");
        assertEquals(List.of("old/eth0"), leases.released);
    }

    @Test
    void statusNeedsTheBridge() throws Exception {
        String v11 = CONF.replace("1.0.0", "1.1.0");
        assertEquals(0, run("STATUS", v11).exitCode());
        node.bridgeExists = false;
        assertEquals(CniErrorCode.PLUGIN_NOT_AVAILABLE, code(run("STATUS", v11)));
    }

    @Test
    void invalidConfigIsReportedBeforeAnythingRuns() throws Exception {
        assertEquals(7, code(run("ADD", CONF.replace("}", ",\"mtu\":\"big\"}"))));
        assertEquals(1, code(run("ADD", CONF.replace("1.0.0", "0.2.0"))));
        assertEquals(4, code(run("ADD", CONF, "CNI_ARGS", "FOO=1")));
        assertTrue(node.commands.isEmpty());
    }

    @Test
    void aSuccessfulAddRecordsTheAttachmentForTheRepair() {
        assertEquals(0, run("ADD", CONF.replace("}", ",\"bridge\":\"mybr0\",\"hairpinMode\":false}")).exitCode());
        assertEquals(List.of(new AttachmentRecord("c0ffee", "eth0", netns, VETH, "mybr0", false)
                        .withAddress(Optional.of("10.20.30.101/24"))),
                records.all(w -> { throw new AssertionError(w); }));
        run("DEL", CONF);
        assertEquals(0, run("ADD", CONF).exitCode());
        assertEquals(List.of(new AttachmentRecord("c0ffee", "eth0", netns, VETH, "mybr0", true)
                        .withAddress(Optional.of("10.20.30.101/24"))),
                records.all(w -> { throw new AssertionError(w); }));
    }

    @Test
    void onAddressChangeTravelsWithTheLeaseRequestAndFollowsByDefault() {
        assertEquals(0, run("ADD", CONF).exitCode());
        run("DEL", CONF);
        assertEquals(0, run("ADD", CONF.replace("}", ",\"onAddressChange\":\"remove\"}")).exitCode());
        assertEquals(List.of(AddressChangePolicy.FOLLOW, AddressChangePolicy.REMOVE), leases.policies);
    }

    @Test
    void anAddressChangeIsNotedInTheAttachmentRecordOnlyIfThereIsOne() {
        assertEquals(0, run("ADD", CONF).exitCode());
        Instant at = Instant.parse("2030-01-01T00:00:00Z");
        service.noteAddressChange("c0ffee", "eth0", new AttachmentRecord.AddressChange(at, "10.20.30.101/24",
                "10.20.30.150/24", "follow", "server 10.20.30.1 sent DHCPNAK in RENEWING"));
        AttachmentRecord record = records.all(w -> { throw new AssertionError(w); }).get(0);
        assertEquals(Optional.of("10.20.30.150/24"), record.address());
        assertEquals("10.20.30.101/24", record.addressChange().orElseThrow().from());
        assertEquals(VETH, record.hostVeth(), "the rest of the record stays");

        service.noteAddressChange("c0ffee", "eth0", new AttachmentRecord.AddressChange(at, "10.20.30.150/24",
                "10.20.30.160/24", "remove", "lease expired in REBINDING"));
        record = records.all(w -> { throw new AssertionError(w); }).get(0);
        assertEquals(Optional.empty(), record.address(), "remove leaves the pod without an address");
        assertEquals("remove", record.addressChange().orElseThrow().policy());

        service.noteAddressChange("gone", "eth0", new AttachmentRecord.AddressChange(at, "10.20.30.9/24",
                "10.20.30.10/24", "follow", "expired"));
        assertEquals(1, records.all(w -> { throw new AssertionError(w); }).size(), "no record made up for it");
    }

    @Test
    void aFailedOrDryRunAddRecordsNothing() {
        node.failOn = "nsenter --net=" + netns + " ip -4 route replace default";
        assertEquals(1, run("ADD", CONF).exitCode());
        assertEquals(List.of(), records.all(w -> { }));
        node.failOn = null;
        leases.fail = true;
        assertEquals(1, run("ADD", CONF).exitCode());
        assertEquals(List.of(), records.all(w -> { }));
        leases.fail = false;
        assertEquals(0, run("ADD", CONF, "TERWAY_DRY_RUN", "1").exitCode());
        assertEquals(List.of(), records.all(w -> { }));
        assertFalse(Files.exists(records.dir()));
    }

    @Test
    void anAddWhoseRecordCannotBeWrittenStillSucceedsAndSaysWhy() throws Exception {
        Files.createDirectories(records.dir().getParent());
        Files.writeString(records.dir(), "a file where the directory should be");
        CniReply reply = run("ADD", CONF);
        assertEquals(0, reply.exitCode(), reply.stdout());
        assertTrue(log.stream().anyMatch(l -> l.contains("attachment record of c0ffee/eth0")
                && l.contains("will not be re-attached")), log.toString());
    }

    @Test
    void delRemovesTheRecordAlsoWhenTheVethWasGoneAlready() {
        run("ADD", CONF);
        assertEquals(1, records.all(w -> { }).size());
        assertEquals(0, run("DEL", CONF).exitCode());
        assertEquals(List.of(), records.all(w -> { }));

        run("ADD", CONF);
        node.vethMaster.remove(VETH); // the pod's netns went first, taking the veth pair with it
        assertEquals(0, run("DEL", CONF).exitCode());
        assertEquals(List.of(), records.all(w -> { }));
    }

    @Test
    void aDelThatCannotDeleteTheVethKeepsTheRecord() {
        run("ADD", CONF);
        node.failOn = "ip link del";
        assertEquals(1, run("DEL", CONF).exitCode());
        assertEquals(1, records.all(w -> { }).size(), "the veth is still attached, so is its record");
    }

    @Test
    void gcRemovesTheRecordsOfTheVethsItDeletes() {
        String v11 = CONF.replace("1.0.0", "1.1.0");
        run("ADD", v11);
        String stale = VethNames.hostVeth("old", "eth0");
        node.vethMaster.put(stale, "mybr0");
        records.put(AttachmentRecord.of("old", "eth0", Path.of("/run/netns/old"), "mybr0", true));
        String gc = v11.substring(0, v11.length() - 1)
                + ",\"cni.dev/valid-attachments\":[{\"containerID\":\"c0ffee\",\"ifname\":\"eth0\"}]}";
        assertEquals(0, run("GC", gc).exitCode());
        assertEquals(List.of(VETH), records.all(w -> { }).stream().map(AttachmentRecord::hostVeth).toList());
    }

    /** Leases 10.20.30.101/24 via router .1 for one hour, remembering what was asked. */
    static final class FakeLeases implements LeaseGateway {
        final List<String> acquired = new ArrayList<>();
        final List<String> requested = new ArrayList<>();
        final List<String> released = new ArrayList<>();
        final List<AddressChangePolicy> policies = new ArrayList<>();
        /** The IPv6 settings stored with each lease for the upkeep ("none": ADD left them alone). */
        final List<String> ipv6Settings = new ArrayList<>();
        final Set<Attachment> held = new LinkedHashSet<>();
        boolean fail;

        @Override
        public synchronized PodAddress acquire(LeaseRequest r) throws CniException {
            if (fail) {
                throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "no DHCP lease", "3 DISCOVERs, no offer");
            }
            acquired.add(r.containerId() + "/" + r.ifname() + r.podNamespace().map(n -> " " + n).orElse("")
                    + r.podName().map(n -> "/" + n).orElse(""));
            r.requestedAddress().ifPresent(a -> requested.add(a.toString()));
            policies.add(r.onAddressChange());
            ipv6Settings.add(r.network().flatMap(n -> n.ipv6()).orElse("none"));
            held.add(new Attachment(r.containerId(), r.ifname()));
            return new PodAddress(Ipv4Cidr.parseOrNull("10.20.30.101/24"), Optional.of(Ipv4.parseOrNull("10.20.30.1")),
                    List.of(), new Dns(List.of("10.20.30.1"), Optional.of("lan"), List.of("lan"), List.of()),
                    OptionalLong.of(3600));
        }

        @Override
        public synchronized boolean release(String containerId, String ifname) {
            released.add(containerId + "/" + ifname);
            return held.remove(new Attachment(containerId, ifname));
        }

        @Override
        public synchronized Optional<Set<Attachment>> held() {
            return Optional.of(new LinkedHashSet<>(held));
        }
    }
}

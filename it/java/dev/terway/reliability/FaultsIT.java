package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.terway.cni.pod.VethNames;
import dev.terway.it.NetnsLab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults injected into a running terway node (netns lab, real dnsmasq, real daemon and `cni-terway`),
 * each test asserting the end state: nothing leaked (host veths, lease files, leases in the daemon and
 * in dnsmasq), every pod that reported success keeps working. Root only.
 */
class FaultsIT {

    /** Input error codes and the "try again"/"failed" codes a runtime retries on; never an empty answer. */
    private static final Set<Integer> CLEAN_FAILURES = Set.of(4, 5, 6, 7, 11, 100);

    @BeforeEach
    void rootOnly() {
        assumeTrue(NetnsLab.isRoot(), "the fault tests need root (network namespaces)");
    }

    private static String dnsmasqLeases(NetnsLab.DhcpServer dhcp) {
        try {
            return Files.exists(dhcp.leaseFile()) ? Files.readString(dhcp.leaseFile()).strip() : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void cniTerwayKilledInTheMiddleOfAnAddIsCleanedUpByTheNextDel() {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon(Map.of(), List.of(), List.of("--inject-fault", "pause-after-link=4000ms"));
            String pod = node.newPod("k1");
            String veth = VethNames.hostVeth("k1", "eth0");

            Process add = node.startCni("ADD", "k1", pod);
            assertTrue(FaultNode.eventually(60, () -> node.terwayVeths().contains(veth)),
                    "the ADD created the veth: " + node.log());
            add.descendants().forEach(ProcessHandle::destroyForcibly);
            add.destroyForcibly(); // SIGKILL, as a runtime's timeout does
            FaultNode.Result killed = node.finish("k1", add);
            assertNotEquals(0, killed.exit());

            FaultNode.Result del = node.cni("DEL", "k1", pod);
            assertEquals(0, del.exit(), del::describe);
            // the daemon finishes a DEL right after replying (DeferredDeletes)
            assertTrue(FaultNode.eventually(5, () -> node.terwayVeths().isEmpty()), "no host veth left");
            assertTrue(FaultNode.eventually(5, () -> node.leaseFiles().isEmpty()), "no lease file left");
            assertEquals(Map.of(), node.leases(), "the daemon holds no lease");
            assertFalse(FaultNode.run("ip", "-n", pod, "link", "show", "dev", "eth0").succeeded(), "pod end gone");
            assertTrue(FaultNode.eventually(10, () -> dnsmasqLeases(dhcp).isEmpty()),
                    "dnsmasq got the lease back: " + dnsmasqLeases(dhcp) + "\n" + node.log());
        }
    }

    /**
     * The daemon answers DEL before it deletes the veth (DeferredDeletes). Killed in between, it must finish
     * that DEL at its next start. The veth deletion is held up for the test by an `ip` on the daemon's PATH
     * that sleeps before `ip link del` (the daemon finds `ip` through PATH; nothing in terway knows).
     */
    @Test
    void daemonKilledAfterAnsweringDelFinishesThatDelAtItsNextStart() throws IOException {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            Path slowIp = Files.createDirectories(node.dir.resolve("slow-ip-bin")).resolve("ip");
            Files.writeString(slowIp, "#!/bin/sh\n"
                    + "if [ \"$1\" = link ] && [ \"$2\" = del ]; then sleep 30; fi\n"
                    + "exec " + FaultNode.check("sh", "-c", "command -v ip").strip() + " \"$@\"\n");
            Files.setPosixFilePermissions(slowIp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            node.startDaemon(Map.of("PATH", slowIp.getParent() + ":" + System.getenv("PATH")), List.of());
            String pod = node.newPod("z1");
            String veth = VethNames.hostVeth("z1", "eth0");
            FaultNode.Result add = node.cni("ADD", "z1", pod);
            assertEquals(0, add.exit(), add::describe);

            FaultNode.Result del = node.cni("DEL", "z1", pod);
            assertEquals(0, del.exit(), del::describe);
            Path record = node.socket().getParent().resolve("del-in-progress").resolve(veth + ".json");
            assertTrue(Files.exists(record), "the answered DEL is on record until it has finished");
            assertTrue(node.terwayVeths().contains(veth), "the veth deletion is still held up");

            node.killDaemon(); // the sleeping `ip` goes with it
            assertTrue(node.terwayVeths().contains(veth), "the DEL was interrupted");
            node.startDaemon();

            assertTrue(FaultNode.eventually(10, () -> node.terwayVeths().isEmpty()), "the restart deleted the veth: "
                    + node.log());
            assertTrue(FaultNode.eventually(5, () -> !Files.exists(record)), "and dropped the record");
            assertEquals(Set.of(), node.leaseFiles(), "no lease file left");
            assertEquals(Map.of(), node.leases(), "the daemon holds no lease");
            assertEquals(Set.of(), node.attachmentRecords(), "no attachment record left");
            assertTrue(node.log().contains("DEL z1/eth0 interrupted by the last stop finished now"), node.log());
            assertTrue(FaultNode.eventually(10, () -> dnsmasqLeases(dhcp).isEmpty()),
                    "dnsmasq got the lease back: " + dnsmasqLeases(dhcp) + "\n" + node.log());
        }
    }

    @Test
    void daemonKilledWithTwentyAddsInFlightLeaksNothing() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon(Map.of(), List.of(), List.of("--inject-fault", "pause-after-link=1500ms"));
            Map<String, String> pods = new LinkedHashMap<>();
            for (int i = 0; i < 20; i++) {
                pods.put("f" + i, node.newPod("f" + i));
            }
            Map<String, Process> adds = new LinkedHashMap<>();
            pods.forEach((id, ns) -> adds.put(id, node.startCni("ADD", id, ns)));
            // Kill once the first ADD has answered, while others are past their veth or still arriving.
            assertTrue(FaultNode.eventually(120, () -> adds.values().stream().anyMatch(p -> !p.isAlive())),
                    node.log());
            node.killDaemon();
            node.startDaemon();

            List<FaultNode.Result> results = new ArrayList<>();
            adds.forEach((id, p) -> results.add(node.finish(id, p)));
            int succeeded = 0;
            for (FaultNode.Result r : results) {
                if (r.exit() == 0) {
                    succeeded++;
                    // a reported success must be a working pod, lease resumed by the restarted daemon
                    String address = r.address();
                    assertTrue(FaultNode.eventually(30, () -> node.leases().containsKey(r.id() + "/eth0")),
                            r.id() + " succeeded but the restarted daemon holds no lease: " + node.log());
                    assertTrue(FaultNode.check("ip", "-n", pods.get(r.id()), "-4", "addr", "show", "dev", "eth0")
                            .contains(address), r::describe);
                } else {
                    assertTrue(CLEAN_FAILURES.contains(r.code()), "not a clean CNI error: " + r.describe());
                    System.out.println("failed ADD " + r.id() + ": code " + r.code() + " " + r.stdout().strip());
                }
            }
            System.out.printf("daemon SIGKILL with 20 ADDs in flight: %d succeeded, %d failed cleanly, %d requests"
                    + " cut short released at the restart%n", succeeded, results.size() - succeeded,
                    node.log().lines().filter(l -> l.contains("the daemon stopped while acquiring it")).count());

            for (Map.Entry<String, String> pod : pods.entrySet()) {
                FaultNode.Result del = node.cni("DEL", pod.getKey(), pod.getValue());
                assertEquals(0, del.exit(), del::describe);
            }
            assertTrue(FaultNode.eventually(5, () -> node.terwayVeths().isEmpty()), "host veths leaked: "
                    + node.terwayVeths());
            assertTrue(FaultNode.eventually(5, () -> node.leaseFiles().isEmpty()), "lease files leaked: "
                    + node.leaseFiles());
            assertEquals(Map.of(), node.leases(), "leases still held by the daemon");
            assertTrue(FaultNode.eventually(20, () -> dnsmasqLeases(dhcp).isEmpty()),
                    "leases not released to dnsmasq:\n" + dnsmasqLeases(dhcp) + "\n" + node.log());
        }
    }

    @Test
    void aNakOnRenewalGivesThePodAFreshLeaseAndAddress() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("nak");
            FaultNode.Result add = node.cni("ADD", "nak", pod);
            assertEquals(0, add.exit(), add::describe);
            String old = add.address();

            // The LAN's DHCP server is replaced by one that serves another range and is authoritative:
            // the REQUEST at T1 for the old address gets a DHCPNAK, and the old address is not its to give.
            Path log = lab.dir().resolve("dnsmasq-nak.log");
            Process nakServer = replaceWithOtherRangeServer(lab, dhcp, log);
            try {
                assertTrue(FaultNode.eventually(60, () -> node.log().contains("acquired again")),
                        "no fresh lease after the NAK:\n" + node.log() + "\n" + Files.readString(log));
                String daemonLog = node.log();
                assertTrue(daemonLog.contains("DHCPNAK"), daemonLog);
                assertTrue(daemonLog.lines().anyMatch(l -> l.contains("lost") && l.contains(old)),
                        "the loss of " + old + " is logged:\n" + daemonLog);
                String fresh = node.leases().get("nak/eth0");
                assertTrue(fresh != null && fresh.startsWith(lab.net().lanV4(2)), "fresh lease " + fresh);
                String freshAddress = fresh.substring(0, fresh.indexOf('/'));
                // onAddressChange follow (the default): loud, and on record
                assertTrue(daemonLog.lines().anyMatch(l -> l.contains(" level=warn event=lease.address_changed ")
                        && l.contains("msg=\"address of default/nak eth0 (container nak")
                        && l.contains("changed from " + old + "/24 to " + fresh)
                        && l.contains("onAddressChange follow")), "the change is a warning:\n" + daemonLog);
                assertTrue(Files.readString(log).contains("DHCPDISCOVER(" + NetnsLab.SWITCH + ") " + old + " "),
                        "the DISCOVER asked for the old address:\n" + Files.readString(log));
                com.fasterxml.jackson.databind.JsonNode record = node.attachmentRecord("nak");
                assertEquals(fresh, record.path("address").asText(), record.toString());
                assertEquals(old + "/24", record.path("addressChange").path("from").asText(), record.toString());
                assertEquals("follow", record.path("addressChange").path("policy").asText(), record.toString());
                assertTrue(FaultNode.eventually(10, () -> FaultNode.check("ip", "-n", pod, "-4", "addr", "show",
                        "dev", "eth0").contains(freshAddress)), "pod address updated");
                String addresses = FaultNode.check("ip", "-n", pod, "-4", "addr", "show", "dev", "eth0");
                assertFalse(addresses.contains(old + "/"), "old address removed: " + addresses);
                assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "the pod reaches the gateway with its new address");
                assertTrue(Files.readString(log).contains("DHCPNAK"), "dnsmasq sent the NAK");

                FaultNode.Result del = node.cni("DEL", "nak", pod);
                assertEquals(0, del.exit(), del::describe);
                assertTrue(FaultNode.eventually(5, () -> node.leaseFiles().isEmpty()), "lease file left: "
                        + node.leaseFiles());
            } finally {
                nakServer.destroyForcibly();
                nakServer.waitFor();
            }
        }
    }

    /**
     * Issue 13, item 3: the server restarted without its lease file NAKs the renewal ("lease not found");
     * the DISCOVER that follows asks for the old address (option 50), which is free, so the pod keeps it.
     *
     * <p>dnsmasq picks a client's address from a hash of its MAC, so a pod that got the hash's address would
     * get it back from an amnesiac server without being asked. This pod is made to hold another one: its
     * hash's address is taken (by a second pod asking for it) when it gets its lease; after the restart
     * that address is free again, and only option 50 gets the pod its own.
     */
    @Test
    void aNakFromAServerThatLostItsLeasesGivesThePodItsAddressBack() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("amnesia");
            FaultNode.Result first = node.cni("ADD", "amnesia", pod);
            assertEquals(0, first.exit(), first::describe);
            String hashed = first.address();
            assertEquals(0, node.cni("DEL", "amnesia", pod).exit());
            String squatter = node.newPod("squat");
            node.extraArgs = ";IP=" + hashed;
            FaultNode.Result squat = node.cni("ADD", "squat", squatter);
            node.extraArgs = "";
            assertEquals(0, squat.exit(), squat::describe);
            assertEquals(hashed, squat.address(), "the second pod holds the first one's hash address");
            FaultNode.Result add = node.cni("ADD", "amnesia", pod);
            assertEquals(0, add.exit(), add::describe);
            String old = add.address();
            assertNotEquals(hashed, old);
            assertEquals(0, node.cni("DEL", "squat", squatter).exit());
            assertTrue(FaultNode.eventually(10, () -> !node.dnsmasqHolds(dhcp.leaseFile(), hashed)), "released");

            dhcp.process().destroy();
            dhcp.process().waitFor();
            Files.deleteIfExists(dhcp.leaseFile()); // the database is lost
            NetnsLab.DhcpServer amnesiac = lab.startDhcpServer();

            assertTrue(FaultNode.eventually(60, () -> node.log().contains("acquired again")),
                    "no lease after the NAK:\n" + node.log() + "\n" + Files.readString(amnesiac.log()));
            String daemonLog = node.log();
            // the server's message, quoted in the log line's quoted msg
            assertTrue(daemonLog.contains("sent DHCPNAK in RENEWING: \\\"lease not found\\\""), daemonLog);
            assertTrue(Files.readString(amnesiac.log()).contains("DHCPDISCOVER(" + NetnsLab.SWITCH + ") " + old + " "),
                    "the DISCOVER asked for " + old + ":\n" + Files.readString(amnesiac.log()));
            assertEquals(old + "/24", node.leases().get("amnesia/eth0"), "the same address again");
            assertFalse(daemonLog.contains("changed from"), "no address change:\n" + daemonLog);
            assertTrue(FaultNode.eventually(10, () -> FaultNode.check("ip", "-n", pod, "-4", "addr", "show", "dev",
                    "eth0").contains(old + "/24")), "the pod has its address again");
            assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "and reaches the gateway");
            assertTrue(node.dnsmasqHolds(amnesiac.leaseFile(), old), "the server has the lease on record again");
            com.fasterxml.jackson.databind.JsonNode record = node.attachmentRecord("amnesia");
            assertEquals(old + "/24", record.path("address").asText(), record.toString());
            assertTrue(record.path("addressChange").isMissingNode(), record.toString());

            FaultNode.Result del = node.cni("DEL", "amnesia", pod);
            assertEquals(0, del.exit(), del::describe);
        }
    }

    /** As above with a server that cannot give the old address back, and onAddressChange remove. */
    @Test
    void aNakAndAnotherAddressUnderRemoveLeaveThePodWithoutAnAddress() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.extraConf = ",\"onAddressChange\":\"remove\"";
            node.startDaemon();
            String pod = node.newPod("strict");
            FaultNode.Result add = node.cni("ADD", "strict", pod);
            assertEquals(0, add.exit(), add::describe);
            String old = add.address();

            Path log = lab.dir().resolve("dnsmasq-nak.log");
            Process nakServer = replaceWithOtherRangeServer(lab, dhcp, log);
            try {
                assertTrue(FaultNode.eventually(60, () -> node.log().contains("onAddressChange remove")),
                        "no address change after the NAK:\n" + node.log() + "\n" + Files.readString(log));
                String warning = node.log().lines().filter(l -> l.contains(" level=warn event=lease.address_changed ")
                        && l.contains("msg=\"address of default/strict eth0"))
                        .findFirst().orElseThrow();
                assertTrue(warning.contains("changed from " + old + "/24 to " + lab.net().lanV4(2)), warning);
                assertTrue(warning.contains("was released and the pod is left without an address"), warning);
                assertEquals(Map.of(), node.leases(), "no lease held");
                assertEquals(Set.of(), node.leaseFiles(), "none stored");
                assertFalse(FaultNode.check("ip", "-n", pod, "-4", "addr", "show", "dev", "eth0").contains("inet "),
                        "the pod has no IPv4 address");
                Path nakLeases = lab.dir().resolve("dnsmasq-nak.leases");
                assertTrue(FaultNode.eventually(10, () -> leaseLines(nakLeases).isEmpty()),
                        "the new lease was released: " + leaseLines(nakLeases));
                com.fasterxml.jackson.databind.JsonNode record = node.attachmentRecord("strict");
                assertTrue(record.path("address").isMissingNode(), record.toString());
                assertEquals("remove", record.path("addressChange").path("policy").asText(), record.toString());
                assertEquals(old + "/24", record.path("addressChange").path("from").asText(), record.toString());

                FaultNode.Result del = node.cni("DEL", "strict", pod);
                assertEquals(0, del.exit(), del::describe);
                assertTrue(FaultNode.eventually(5, () -> node.terwayVeths().isEmpty()), "no host veth left");
            } finally {
                nakServer.destroyForcibly();
                nakServer.waitFor();
            }
        }
    }

    private static List<String> leaseLines(Path leaseFile) {
        try {
            return Files.exists(leaseFile) ? Files.readAllLines(leaseFile).stream().filter(l -> !l.isBlank()).toList()
                    : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** dnsmasq serving .200-.240 only, authoritative: a renewal of an address outside that range is NAKed. */
    /** Stops the LAN's server and starts {@link #startOtherRangeServer} in its place. */
    private static Process replaceWithOtherRangeServer(NetnsLab lab, NetnsLab.DhcpServer dhcp, Path log)
            throws IOException, InterruptedException {
        dhcp.process().destroy();
        dhcp.process().waitFor();
        return startOtherRangeServer(lab, log);
    }

    static Process startOtherRangeServer(NetnsLab lab, Path log) throws IOException {
        return new ProcessBuilder("ip", "netns", "exec", lab.lanNs(), "dnsmasq", "--no-daemon",
                "--no-resolv", "--port=0", "--interface=" + NetnsLab.SWITCH, "--bind-interfaces",
                "--log-facility=-", "--no-ping", "--dhcp-authoritative",
                "--dhcp-range=" + lab.net().lanV4(200) + "," + lab.net().lanV4(240) + ",255.255.255.0,2m",
                "--dhcp-option=option:router," + lab.gateway().ipv4(),
                "--dhcp-option=option:T1,10", "--dhcp-option=option:T2,20",
                "--dhcp-leasefile=" + lab.dir().resolve("dnsmasq-nak.leases"),
                "--pid-file=" + lab.dir().resolve("dnsmasq-nak.pid"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    void dhcpServerDownLongerThanT2AndBackKeepsThePodsAddress() throws Exception {
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            NetnsLab.DhcpServer dhcp = lab.startDhcpServer();
            node.setup();
            node.startDaemon();
            String pod = node.newPod("down");
            FaultNode.Result add = node.cni("ADD", "down", pod);
            assertEquals(0, add.exit(), add::describe);
            String address = add.address();

            dhcp.process().destroy(); // SIGTERM: dnsmasq writes its lease file, which the next one reads
            dhcp.process().waitFor();
            // T1 is 10 s and T2 20 s after the ADD: the renewal goes unanswered, then the rebinding
            assertTrue(FaultNode.eventually(60, () -> node.log().contains("rebinding")),
                    "no REBINDING while the server is down:\n" + node.log());
            int renewedBefore = (int) node.log().lines().filter(l -> l.contains("renewed")).count();
            lab.startDhcpServer();
            assertTrue(FaultNode.eventually(60, () -> node.log().lines().filter(l -> l.contains("renewed")).count()
                    > renewedBefore), "no renewal after the server came back:\n" + node.log());
            assertEquals(address, node.leases().get("down/eth0").split("/")[0], "same address from the same server");
            assertTrue(FaultNode.check("ip", "-n", pod, "-4", "addr", "show", "dev", "eth0").contains(address + "/"),
                    "the pod kept its address throughout");
            assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()));
            FaultNode.Result del = node.cni("DEL", "down", pod);
            assertEquals(0, del.exit(), del::describe);
        }
    }
}

package dev.terway.dhcp.daemon;

import dev.terway.log.DaemonLog;
import static dev.terway.dhcp.daemon.FakeLan.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import dev.terway.dhcp.store.LeaseStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, item 3, in the daemon: a pod whose renewal is NAKed by a server that lost its database asks for
 * its address again and keeps it when the server gives it back; another address meets the pod's
 * {@code onAddressChange} policy, is logged as a warning naming the pod and both addresses, and reported
 * for the attachment record.
 */
class LostLeaseTest {

    static final String CLIENT_ID = "terway/default/web-1/eth0";
    static final Ipv4 FIRST = Ipv4.parse("192.0.2.100");

    @TempDir
    Path tmp;

    private final FakeLan lan = new FakeLan();
    private final StringWriter logText = new StringWriter();
    /** What the address upkeep did, and how many messages the server had received by then. */
    private final List<String> upkeep = new CopyOnWriteArrayList<>();
    private final List<AddressChangeReport> reports = new CopyOnWriteArrayList<>();
    private final ExecutorService receivers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-rx");
        t.setDaemon(true);
        return t;
    });
    private ExecutorService upkeepThread;
    private volatile long removalMillis;
    private LeaseStore store;
    private DhcpLeaseService service;
    private Path netns;

    private final LeaseEvents recordingUpkeep = new LeaseEvents() {
        @Override
        public void bound(Bound event) {
            if (event.kind() == Kind.REACQUIRED) {
                upkeep.add("restore " + event.lease().cidr());
            }
        }

        @Override
        public void lost(PodIdentity pod, String cidr, String why) {
            try {
                Thread.sleep(removalMillis); // `ip` in the pod takes its time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            upkeep.add("remove " + cidr + " after " + lan.types());
        }

        @Override
        public boolean holds(PodIdentity pod, String cidr) {
            return true;
        }
    };

    @BeforeEach
    void setUp() throws IOException {
        store = LeaseStore.open(tmp.resolve("state"), w -> logText.append("store: ").append(w).append('\n'));
        netns = Files.createFile(tmp.resolve("netns-pod1"));
        service = newService(Runnable::run);
    }

    @AfterEach
    void tearDown() {
        service.close();
        receivers.shutdownNow();
        if (upkeepThread != null) {
            upkeepThread.shutdownNow();
        }
    }

    private DhcpLeaseService newService(Executor upkeepExecutor) {
        DhcpLeaseService s = new DhcpLeaseService(DhcpLeaseService.Settings.lan(Duration.ofSeconds(10)), store,
                lan.sockets(), lan.nodeSender(), recordingUpkeep, upkeepExecutor, receivers, lan.timer, lan.clock,
                new DaemonLog(new PrintWriter(logText, true), lan.clock));
        s.reportAddressChangesTo(reports::add);
        return s;
    }

    private HeldLease acquire(AddressChangePolicy policy) throws LeaseException {
        return service.acquire(AcquireRequest.of("c1", netns, "eth0", Duration.ofSeconds(10))
                .withPod("default", "web-1").withOnAddressChange(policy));
    }

    private String log() {
        return logText.toString();
    }

    /** The renewal at T1 meets a server restarted without its lease file: DHCPNAK. */
    private void renewalIsNaked(HeldLease first, int nextHost) {
        lan.loseDatabase(nextHost);
        lan.received.clear();
        lan.timer.advanceTo(first.renewAt());
    }

    private List<FakeLan.Received> discovers() {
        return lan.received.stream().filter(r -> r.type() == MessageType.DISCOVER).toList();
    }

    @Test
    void aServerThatLostItsDatabaseGivesTheOldAddressBackAndNothingChanges() throws Exception {
        HeldLease first = acquire(AddressChangePolicy.FOLLOW);
        renewalIsNaked(first, 150);

        eventually("bound again", () -> log().contains("msg=\"acquired again default/web-1 eth0 address 192.0.2.100/24"));
        assertEquals(List.of(MessageType.REQUEST, MessageType.DISCOVER, MessageType.REQUEST), lan.types());
        assertEquals(Optional.of(FIRST), discovers().get(0).message().requestedAddress(),
                "the DISCOVER after the NAK asks for the old address");
        assertTrue(log().contains("msg=\"lost default/web-1 eth0 address 192.0.2.100/24 server 192.0.2.254: server"
                + " 192.0.2.254 sent DHCPNAK in RENEWING"), log());
        assertEquals(List.of("192.0.2.100/24"), service.list().stream().map(HeldLease::cidr).toList());
        assertEquals(List.of(), reports, "no address change");
        assertFalse(log().contains("changed from"), log());
        assertEquals(List.of("remove 192.0.2.100/24 after [REQUEST]", "restore 192.0.2.100/24"), upkeep);
        assertEquals(1L, service.counters().get("addressesRegained"));
        LeaseStatus status = service.statuses().get(0);
        assertEquals("bound", status.state());
        assertFalse(status.lost(), "bound again: no longer lost");
        assertEquals(Optional.of("192.0.2.100/24"), status.held().map(HeldLease::cidr));
        assertEquals(List.of(FakeLan.SERVER), service.serversSeen().stream().map(ServersSeen.Server::address).toList());
        assertEquals(3, service.serversSeen().get(0).replies(), "the ACK, the NAK and the ACK again");
        assertEquals(0L, service.counters().get("addressChangesFollowed"));
    }

    @Test
    void anotherAddressIsTakenAndReportedLoudlyUnderFollow() throws Exception {
        HeldLease first = acquire(AddressChangePolicy.FOLLOW);
        lan.occupy(FIRST); // the old address went to someone else meanwhile
        renewalIsNaked(first, 150);
        lan.occupy(FIRST);

        eventually("bound again", () -> log().contains("msg=\"acquired again default/web-1 eth0 address 192.0.2.150/24"));
        assertEquals(Optional.of(FIRST), discovers().get(0).message().requestedAddress());
        String warning = log().lines().filter(l -> l.contains(" level=warn event=lease.address_changed ")).findFirst().orElseThrow();
        assertTrue(warning.contains(" containerId=c1 podNamespace=default podName=web-1 ifname=eth0 previous=192.0.2.100/24"
                + " address=192.0.2.150/24 policy=follow msg="), warning);
        assertTrue(warning.contains("\"address of default/web-1 eth0 (container c1, netns " + netns
                + ") changed from 192.0.2.100/24 to 192.0.2.150/24: server 192.0.2.254 sent DHCPNAK in RENEWING"),
                warning);
        assertTrue(warning.contains("onAddressChange follow: the pod has 192.0.2.150/24 now, while Kubernetes still"
                + " knows it as 192.0.2.100"), warning);
        assertEquals(List.of("192.0.2.150/24"), service.list().stream().map(HeldLease::cidr).toList());
        assertEquals(List.of("remove 192.0.2.100/24 after [REQUEST]", "restore 192.0.2.150/24"), upkeep);
        assertEquals(1, reports.size());
        AddressChangeReport report = reports.get(0);
        assertEquals("c1", report.pod().containerId());
        assertEquals("192.0.2.100/24", report.previous());
        assertEquals("192.0.2.150/24", report.granted());
        assertEquals(AddressChangePolicy.FOLLOW, report.policy());
        assertTrue(report.cause().startsWith("server 192.0.2.254 sent DHCPNAK in RENEWING"), report.cause());
        assertEquals("192.0.2.150/24", store.loadAll(LeaseJson::fromJson).get(0).value().cidr());
        assertEquals(1L, service.counters().get("addressChangesFollowed"));
        assertEquals(0L, service.counters().get("addressesRegained"));
    }

    @Test
    void anotherAddressIsReleasedAndThePodLeftWithoutOneUnderRemove() throws Exception {
        HeldLease first = acquire(AddressChangePolicy.REMOVE);
        renewalIsNaked(first, 150);
        lan.occupy(FIRST);

        eventually("the change is reported", () -> reports.size() == 1);
        assertEquals(AddressChangePolicy.REMOVE, reports.get(0).policy());
        assertTrue(log().contains("changed from 192.0.2.100/24 to 192.0.2.150/24"), log());
        assertTrue(log().contains("onAddressChange remove: 192.0.2.150/24 was released and the pod is left without"
                + " an address"), log());
        FakeLan.Received release = lan.received.get(lan.received.size() - 1);
        assertEquals(MessageType.RELEASE, release.type());
        assertEquals(Ipv4.parse("192.0.2.150"), release.message().ciaddr());
        assertTrue(release.fromNode(), "the pod never had the address: released from the node");
        assertEquals(null, lan.addressOf(CLIENT_ID), "the server has the new lease back");
        assertEquals(List.of(), service.list());
        assertEquals(List.of(), store.loadAll(LeaseJson::fromJson), "nothing to take up after a restart");
        assertEquals(List.of("remove 192.0.2.100/24 after [REQUEST]"), upkeep, "the new address never went on");
        assertEquals(1L, service.counters().get("addressChangesRemoved"));
        assertEquals(List.of(), lan.timer.pending().stream().filter(t -> t.isAfter(first.renewAt())).toList(),
                "nothing scheduled for the pod any more");
    }

    @Test
    void aRestoredLeaseKeepsItsPolicyAndItsInitRebootNakAsksForTheAddressAgain() throws Exception {
        HeldLease first = acquire(AddressChangePolicy.REMOVE);
        assertEquals(AddressChangePolicy.REMOVE,
                store.loadAll(DhcpLeaseService.Stored::fromJson).get(0).value().onAddressChange());
        service.close();
        lan.loseDatabase(150);
        lan.occupy(FIRST);
        lan.received.clear();

        service = newService(Runnable::run);
        assertEquals(1, service.restoreAll());

        eventually("the change is reported", () -> reports.size() == 1);
        assertEquals(MessageType.REQUEST, lan.received.get(0).type(), "INIT-REBOOT");
        assertEquals(Optional.of(FIRST), discovers().get(0).message().requestedAddress());
        assertEquals(AddressChangePolicy.REMOVE, reports.get(0).policy());
        assertTrue(reports.get(0).cause().contains("DHCPNAK in REBOOTING"), reports.get(0).cause());
        assertEquals(List.of(), service.list());
        assertTrue(first.expires().isAfter(lan.clock.instant()));
    }

    @Test
    void aStoredLeaseWithoutAPolicyFollows() throws Exception {
        acquire(AddressChangePolicy.FOLLOW);
        service.close();
        Path file;
        try (var files = Files.list(store.directory())) {
            file = files.filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow();
        }
        com.fasterxml.jackson.databind.node.ObjectNode document = (com.fasterxml.jackson.databind.node.ObjectNode)
                LeaseJson.MAPPER.readTree(file.toFile());
        document.remove("onAddressChange");
        Files.writeString(file, document.toString());
        assertFalse(Files.readString(file).contains("onAddressChange"));
        assertEquals(AddressChangePolicy.FOLLOW,
                store.loadAll(DhcpLeaseService.Stored::fromJson).get(0).value().onAddressChange());
    }

    @Test
    void theOldAddressIsOffThePodBeforeTheDiscoverAsksForIt() throws Exception {
        // A server that pings an address before offering it (dnsmasq) must not hear the pod answer for it.
        upkeepThread = Executors.newSingleThreadExecutor();
        service.close();
        service = newService(upkeepThread);
        removalMillis = 300;
        HeldLease first = acquire(AddressChangePolicy.FOLLOW);
        renewalIsNaked(first, 150);

        eventually("bound again", () -> log().contains("msg=\"acquired again default/web-1 eth0 address 192.0.2.100/24"));
        eventually("the removal ran", () -> !upkeep.isEmpty());
        assertEquals("remove 192.0.2.100/24 after [REQUEST]", upkeep.get(0),
                "removed before anything but the NAKed renewal reached the server");
    }
}

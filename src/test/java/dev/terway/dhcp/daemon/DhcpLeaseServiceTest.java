package dev.terway.dhcp.daemon;

import dev.terway.log.DaemonLog;
import static dev.terway.dhcp.daemon.FakeLan.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.dhcp.client.ClientState;
import dev.terway.dhcp.client.ExchangeOutcome;
import dev.terway.dhcp.codec.ArpPacket;
import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp.store.LeaseStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DhcpLeaseServiceTest {

    @TempDir
    Path tmp;

    private final FakeLan lan = new FakeLan();
    private final StringWriter logText = new StringWriter();
    private final List<String> upkeep = new CopyOnWriteArrayList<>();
    private volatile boolean podHoldsAddress = true;
    private final ExecutorService receivers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-rx");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService caller = Executors.newSingleThreadExecutor();
    private LeaseStore store;
    private DhcpLeaseService service;
    private Path netns;

    /** The leases whose renewal came due (T1), in order. */
    private final List<String> dueForRenewal = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final LeaseEvents recordingUpkeep = new LeaseEvents() {
        @Override
        public void bound(Bound event) {
            HeldLease lease = event.lease();
            if (event.kind() == Kind.RENEWAL_DUE) {
                dueForRenewal.add(lease.cidr());
                return;
            }
            upkeep.add(event.kind() == Kind.REACQUIRED ? "restore " + lease.cidr()
                    : "refresh " + lease.cidr() + " until " + lease.expires());
        }

        @Override
        public void lost(PodIdentity pod, String cidr, String why) {
            upkeep.add("remove " + cidr);
        }

        @Override
        public boolean holds(PodIdentity pod, String cidr) {
            return podHoldsAddress;
        }
    };

    @BeforeEach
    void setUp() throws IOException {
        store = LeaseStore.open(tmp.resolve("state"), w -> logText.append("store: ").append(w).append('\n'));
        netns = Files.createFile(tmp.resolve("netns-pod1"));
        service = newService();
    }

    @AfterEach
    void tearDown() {
        caller.shutdownNow();
        service.close();
        receivers.shutdownNow();
    }

    private DhcpLeaseService newService() {
        return new DhcpLeaseService(DhcpLeaseService.Settings.lan(Duration.ofSeconds(10)), store, lan.sockets(),
                lan.nodeSender(), recordingUpkeep, Runnable::run, receivers, lan.timer, lan.clock,
                new DaemonLog(new PrintWriter(logText, true), lan.clock));
    }

    /** A service that probes acknowledged addresses (200 ms, 3 probes) and waits 1 s after a decline. */
    private DhcpLeaseService newProbingService() {
        return new DhcpLeaseService(DhcpLeaseService.Settings.lan(Duration.ofSeconds(10))
                .withArpProbe(Duration.ofMillis(200), Duration.ofSeconds(1)), store, lan.sockets(),
                lan.arpSocketFactory(), lan.nodeSender(), recordingUpkeep, Runnable::run, receivers, lan.timer,
                lan.clock, new DaemonLog(new PrintWriter(logText, true), lan.clock));
    }

    /** A pod's ADD waiting for its lease while the test plays the server's part. */
    private Future<HeldLease> acquireInBackground() {
        return caller.submit(() -> service.acquire(request("c1", netns)));
    }

    private AcquireRequest request(String containerId, Path ns) {
        return AcquireRequest.of(containerId, ns, "eth0", Duration.ofSeconds(10)).withPod("default", "web-1");
    }

    private String log() {
        return logText.toString();
    }

    @Test
    void acquireRunsDoraWithThePodsIdentityAndPersistsTheLease() throws Exception {
        HeldLease lease = service.acquire(request("c1", netns));

        assertEquals("192.0.2.100/24", lease.cidr());
        assertEquals(Optional.of(FakeLan.ROUTER), lease.gateway());
        assertEquals(FakeLan.SERVER, lease.server());
        assertEquals(lan.clock.instant().plusSeconds(FakeLan.T1), lease.renewAt());
        assertEquals(lan.clock.instant().plusSeconds(FakeLan.LEASE_SECONDS), lease.expires());
        assertEquals(List.of(MessageType.DISCOVER, MessageType.REQUEST), lan.types());

        FakeLan.Received discover = lan.received.get(0);
        assertEquals(Ipv4.BROADCAST.toInetAddress(), discover.destination());
        assertTrue(discover.message().broadcast(), "the broadcast flag is set while unconfigured");
        assertEquals(lan.sockets.get(0).mac.length, discover.message().chaddr().length());
        assertEquals(lease.hardwareAddress(), discover.message().chaddr().toString(), "chaddr is the pod's MAC");
        assertEquals(Optional.of(ClientIdentifier.ofText("terway/default/web-1/eth0")), discover.message().clientId());
        assertEquals(Optional.of("web-1"), discover.message().get(DhcpOptions.HOST_NAME));

        assertEquals(List.of(lease), service.list());
        HeldLease stored = store.loadAll(LeaseJson::fromJson).get(0).value();
        assertEquals(lease, stored);
        assertTrue(log().contains("msg=\"acquired default/web-1 eth0 address 192.0.2.100/24 server 192.0.2.254"), log());
        assertEquals(List.of(), upkeep, "the first address is CNI ADD's to configure");
        eventually("the socket is closed once bound", () -> lan.openSockets() == 0);
    }

    @Test
    void withTheProbeOnAnAddressNobodyClaimsIsTheAddsAfterTheProbeTime() throws Exception {
        service.close();
        service = newProbingService();
        Future<HeldLease> add = acquireInBackground();
        eventually("the first ARP probe goes out from the pod", () -> lan.arpSent.size() == 1);
        assertFalse(add.isDone(), "no lease before the probe is over");
        ArpPacket first = lan.arpSent.get(0);
        assertTrue(first.isProbe());
        assertEquals(Ipv4.parse("192.0.2.100"), first.targetIp());
        assertEquals(lan.sockets.get(0).mac.length, first.senderMac().length());
        assertEquals(HardwareAddress.of(lan.sockets.get(0).mac), first.senderMac(), "probes carry the pod's MAC");

        lan.timer.advance(Duration.ofMillis(200));
        HeldLease lease = add.get(5, TimeUnit.SECONDS);
        assertEquals("192.0.2.100/24", lease.cidr());
        assertEquals(3, lan.arpSent.size());
        assertEquals(List.of(MessageType.DISCOVER, MessageType.REQUEST), lan.types());
        assertEquals(0, lan.openArpSockets(), "the ARP socket is open only while probing");
        assertEquals(Map.ofEntries(Map.entry("arpProbesSent", 3L), Map.entry("addressConflicts", 0L),
                Map.entry("unprobedBinds", 0L), Map.entry("addressesRegained", 0L),
                Map.entry("addressChangesFollowed", 0L), Map.entry("addressChangesRemoved", 0L),
                Map.entry("renewalsLate", 0L), Map.entry("renewalsMissed", 0L), Map.entry("leasesLostExpired", 0L),
                Map.entry("leasesLostNak", 0L), Map.entry("leasesLostAddressChanged", 0L),
                Map.entry("leasesRestored", 0L)), service.counters());
    }

    @Test
    void theStatisticsCountEachExchangeOnceAndTheAddsTimeToLeaseWithTheProbe() throws Exception {
        service.close();
        service = newProbingService();
        List<Duration> timeToLease = new CopyOnWriteArrayList<>();
        service.reportTimingsTo(timeToLease::add);
        Future<HeldLease> add = acquireInBackground();
        eventually("the first ARP probe goes out from the pod", () -> lan.arpSent.size() == 1);
        lan.timer.advance(Duration.ofMillis(200));
        HeldLease lease = add.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(Duration.ofMillis(200)), timeToLease, "DORA takes no time on the fake LAN: the probe's");
        assertEquals(Map.of(ClientState.BOUND, 1L), service.clientsByState());

        lan.timer.advanceTo(lease.renewAt());
        eventually("the renewal is acknowledged", () -> log().contains(" event=lease.renewed "));
        LeaseStatistics stats = service.statistics();
        assertEquals(1, stats.exchanges(ExchangeOutcome.Exchange.DISCOVER, ExchangeOutcome.Result.OFFER));
        assertEquals(1, stats.exchanges(ExchangeOutcome.Exchange.REQUEST, ExchangeOutcome.Result.ACK));
        assertEquals(1, stats.exchanges(ExchangeOutcome.Exchange.RENEW, ExchangeOutcome.Result.ACK));
        assertEquals(0, stats.renewalsLate(), "the timer fired at T1");
        assertEquals(1, timeToLease.size(), "a renewal is no time to lease");
        assertEquals(3, stats.arpProbesSent());
    }

    @Test
    void aLeaseKeptUnconfirmedAfterARestartPastItsT1RenewsLateAndIsCounted() throws Exception {
        HeldLease kept = service.acquire(request("c1", netns));
        service.close();
        lan.clock.set(kept.renewAt().plusSeconds(2)); // the daemon was down over T1
        lan.answering = false;
        service = newService();
        assertEquals(1, service.restoreAll());
        assertEquals(Map.of(ClientState.REBOOTING, 1L), service.clientsByState());
        // INIT-REBOOT REQUESTs go unanswered: the restored lease is kept, and its renewal is overdue at once
        lan.timer.advance(Duration.ofSeconds(20));
        LeaseStatistics stats = service.statistics();
        assertEquals(1, stats.leasesRestored());
        assertEquals(1, stats.exchanges(ExchangeOutcome.Exchange.REBOOT, ExchangeOutcome.Result.TIMEOUT));
        assertEquals(1, stats.renewalsLate());
        assertEquals(1, service.counters().get("renewalsLate"));
    }

    @Test
    void aPodThatIsProbingHoldsNoReceiveThreadSoTheNextPodsExchangeGoesOnMeanwhile() throws Exception {
        service.close();
        // one receive thread: the daemon's pool is bounded, and a boot storm has more pods than threads
        ExecutorService oneReceiver = Executors.newFixedThreadPool(1, r -> {
            Thread t = new Thread(r, "test-rx-1");
            t.setDaemon(true);
            return t;
        });
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            service = new DhcpLeaseService(DhcpLeaseService.Settings.lan(Duration.ofSeconds(10))
                    .withArpProbe(Duration.ofMillis(200), Duration.ofSeconds(1)), store, lan.sockets(),
                    lan.arpSocketFactory(), lan.nodeSender(), recordingUpkeep, Runnable::run, oneReceiver, lan.timer,
                    lan.clock, new DaemonLog(new PrintWriter(logText, true), lan.clock));
            Future<HeldLease> first = callers.submit(() -> service.acquire(request("c1", netns)));
            eventually("the first pod probes its address", () -> lan.arpSent.size() == 1);
            eventually("and its DHCP socket is closed while it does", () -> lan.openSockets() == 0);

            Path other = Files.createFile(tmp.resolve("netns-pod2"));
            Future<HeldLease> second = callers.submit(() -> service.acquire(request("c2", other).withPod("default", "web-2")));
            // Without advancing the clock: the first pod is still probing, and the second one's OFFER and ACK
            // need the one receive thread.
            eventually("the second pod is acknowledged and probes while the first still does",
                    () -> lan.arpSent.size() == 2);
            assertFalse(first.isDone(), "the first pod's probe is not over");

            lan.timer.advance(Duration.ofMillis(200));
            assertEquals("192.0.2.100/24", first.get(5, TimeUnit.SECONDS).cidr());
            assertEquals("192.0.2.101/24", second.get(5, TimeUnit.SECONDS).cidr());
        } finally {
            callers.shutdownNow();
            oneReceiver.shutdownNow();
        }
    }

    @Test
    void aSquattedAddressIsDeclinedLoggedAndCountedAndTheAddGetsAFreeOne() throws Exception {
        service.close();
        service = newProbingService();
        HardwareAddress squatter = HardwareAddress.parse("02:00:5e:00:00:99");
        lan.squatters.put(Ipv4.parse("192.0.2.100"), squatter);
        Future<HeldLease> add = acquireInBackground();
        eventually("the first ARP probe goes out", () -> lan.arpSent.size() == 1);
        // the squatter's answer is read at the next probe, 50 ms on
        lan.timer.advance(Duration.ofMillis(50));
        eventually("the address is declined", () -> lan.types().contains(MessageType.DECLINE));
        DhcpMessage decline = lan.received.get(2).message();
        assertEquals(MessageType.DECLINE, lan.received.get(2).type());
        assertEquals(Optional.of(Ipv4.parse("192.0.2.100")), decline.requestedAddress());
        assertEquals(Optional.of(FakeLan.SERVER), decline.serverId());
        assertTrue(log().contains("msg=\"address conflict: default/web-1 eth0 was offered 192.0.2.100 by server"
                + " 192.0.2.254, but 02:00:5e:00:00:99 answered for it with an ARP reply; declined it (DHCPDECLINE)"
                + " and discovering again in 1s (1 address conflict since the daemon started)"), log());
        assertEquals(0, lan.openArpSockets());
        assertFalse(add.isDone());

        lan.timer.advance(Duration.ofSeconds(1));
        eventually("the free address is acknowledged and its first probe sent", () -> lan.arpSent.size() == 2);
        lan.timer.advance(Duration.ofMillis(200));
        HeldLease lease = add.get(5, TimeUnit.SECONDS);
        assertEquals("192.0.2.101/24", lease.cidr());
        assertEquals(List.of(MessageType.DISCOVER, MessageType.REQUEST, MessageType.DECLINE, MessageType.DISCOVER,
                MessageType.REQUEST), lan.types());
        assertEquals(List.of("192.0.2.100", "192.0.2.101", "192.0.2.101", "192.0.2.101"),
                lan.arpSent.stream().map(p -> p.targetIp().toString()).toList());
        assertEquals(Map.ofEntries(Map.entry("arpProbesSent", 4L), Map.entry("addressConflicts", 1L),
                Map.entry("unprobedBinds", 0L), Map.entry("addressesRegained", 0L),
                Map.entry("addressChangesFollowed", 0L), Map.entry("addressChangesRemoved", 0L),
                Map.entry("renewalsLate", 0L), Map.entry("renewalsMissed", 0L), Map.entry("leasesLostExpired", 0L),
                Map.entry("leasesLostNak", 0L), Map.entry("leasesLostAddressChanged", 0L),
                Map.entry("leasesRestored", 0L)), service.counters());
        assertEquals(List.of(lease), service.list());
        assertEquals("192.0.2.101", store.loadAll(LeaseJson::fromJson).get(0).value().address().toString());
    }

    @Test
    void whenNoFreeAddressComesInTimeTheErrorNamesTheDeclinedAddress() throws Exception {
        service.close();
        service = newProbingService();
        lan.squatters.put(Ipv4.parse("192.0.2.100"), HardwareAddress.parse("02:00:5e:00:00:99"));
        Future<HeldLease> add = acquireInBackground();
        eventually("the first ARP probe goes out", () -> lan.arpSent.size() == 1);
        lan.answering = false; // the pool is empty now
        lan.timer.advance(Duration.ofMillis(50));
        lan.timer.advance(Duration.ofSeconds(11));
        java.util.concurrent.ExecutionException failed = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> add.get(5, TimeUnit.SECONDS));
        String message = failed.getCause().getMessage();
        assertEquals(List.of("192.0.2.100 (in use: 02:00:5e:00:00:99 answered for it with an ARP reply)"),
                ((LeaseException) failed.getCause()).declined());
        assertTrue(message.contains("(acquire timeout of 10s passed): declined 192.0.2.100 (in use: 02:00:5e:00:00:99"
                + " answered for it with an ARP reply) with DHCPDECLINE; sent "), message);
        assertEquals(List.of(), service.list());
    }

    @Test
    void clientIdAndHostnameCanBeOverriddenAndDefaultToContainerAndInterface() throws Exception {
        service.acquire(AcquireRequest.of("c-plain", netns, "net1", Duration.ofSeconds(10)));
        Path other = Files.createFile(tmp.resolve("netns-pod2"));
        service.acquire(new AcquireRequest("c-custom", other, "eth0", Optional.of("ns"), Optional.of("pod"),
                Optional.empty(), Optional.of("my-id"), Optional.of("my-host"), Duration.ofSeconds(10),
                AddressChangePolicy.FOLLOW));

        FakeLan.Received plain = lan.received.get(0);
        assertEquals(Optional.of(ClientIdentifier.ofText("terway/c-plain/net1")), plain.message().clientId());
        assertEquals(Optional.empty(), plain.message().get(DhcpOptions.HOST_NAME));
        FakeLan.Received custom = lan.received.get(2);
        assertEquals(Optional.of(ClientIdentifier.ofText("my-id")), custom.message().clientId());
        assertEquals(Optional.of("my-host"), custom.message().get(DhcpOptions.HOST_NAME));
    }

    @Test
    void renewsAtT1PersistsAndExtendsTheAddressLifetime() throws Exception {
        HeldLease first = service.acquire(request("c1", netns));
        lan.received.clear();

        lan.timer.advanceTo(first.renewAt());

        eventually("the renewal is acknowledged", () -> log().contains(" event=lease.renewed "));
        assertEquals(MessageType.REQUEST, lan.received.get(0).type());
        assertEquals(FakeLan.SERVER.toInetAddress(), lan.received.get(0).destination(), "RENEWING unicasts");
        assertEquals(first.address(), lan.received.get(0).message().ciaddr());
        HeldLease renewed = service.list().get(0);
        assertEquals(first.renewAt().plusSeconds(FakeLan.LEASE_SECONDS), renewed.expires());
        assertEquals(renewed, store.loadAll(LeaseJson::fromJson).get(0).value(), "the renewal is persisted");
        eventually("the address lifetime follows", () -> upkeep.equals(
                List.of("refresh 192.0.2.100/24 until " + renewed.expires())));
        // before the REQUEST went out the pod was told its renewal is due (a flushed address comes back then)
        assertEquals(List.of("192.0.2.100/24"), dueForRenewal);
        eventually("the socket is closed again", () -> lan.openSockets() == 0);
    }

    @Test
    void rebindsByBroadcastAtT2WhenTheServerIsSilent() throws Exception {
        HeldLease first = service.acquire(request("c1", netns));
        lan.answering = false;
        lan.timer.advanceTo(first.renewAt());
        lan.answering = true;
        lan.received.clear();

        lan.timer.advanceTo(first.rebindAt());

        eventually("rebinding is logged and answered", () -> log().contains(" event=lease.renewed "));
        assertTrue(log().contains("msg=\"rebinding default/web-1 eth0 address 192.0.2.100/24 server 192.0.2.254"), log());
        assertEquals(Ipv4.BROADCAST.toInetAddress(), lan.received.get(0).destination());
    }

    @Test
    void theSocketIsHeldOnlyBrieflyAfterEachTransmissionWhileTheServerIsSilent() throws Exception {
        HeldLease first = service.acquire(request("c1", netns));
        eventually("closed once bound", () -> lan.openSockets() == 0);
        lan.answering = false;

        lan.timer.advanceTo(first.renewAt());
        assertEquals(1, lan.openSockets(), "open to hear the answer to the renewal");
        lan.timer.advanceTo(first.renewAt().plus(DhcpLeaseService.LISTEN_WINDOW).minusMillis(1));
        assertEquals(1, lan.openSockets());
        lan.timer.advanceTo(first.renewAt().plus(DhcpLeaseService.LISTEN_WINDOW));
        eventually("closed while waiting for the next retransmission", () -> lan.openSockets() == 0);

        lan.answering = true;
        lan.timer.advanceTo(first.rebindAt());
        eventually("reopened to rebind, and answered", () -> log().contains(" event=lease.renewed "));
        eventually("closed again once bound", () -> lan.openSockets() == 0);
    }

    @Test
    void expiryRemovesTheAddressThenReacquiresAndRestoresIt() throws Exception {
        HeldLease first = service.acquire(request("c1", netns));
        lan.answering = false;

        lan.timer.advanceTo(first.expires().minusMillis(1));
        assertFalse(log().contains(" event=lease.expired "), log());
        lan.timer.advanceTo(first.expires());

        eventually("expiry is logged", () -> log().contains("msg=\"expired default/web-1 eth0 address 192.0.2.100/24"));
        eventually("the address comes off", () -> upkeep.contains("remove 192.0.2.100/24"));
        assertEquals(List.of(), service.list(), "an expired lease is not held");

        lan.answering = true;
        lan.timer.advance(Duration.ofSeconds(1)); // the re-acquisition's retransmission
        eventually("the lease is obtained again", () -> log().contains("msg=\"acquired again default/web-1 eth0"));
        eventually("and the address restored", () -> upkeep.contains("restore 192.0.2.100/24"));
        assertEquals(1, service.list().size());
    }

    @Test
    void noServerFailsWithinTheTimeoutWithThePreciseReport() throws Exception {
        lan.answering = false;
        Future<HeldLease> acquiring = acquireInBackground();
        eventually("the first DISCOVER", () -> !lan.received.isEmpty());

        lan.timer.advance(Duration.ofMillis(9_999));
        assertFalse(acquiring.isDone());
        int discovers = lan.received.size();
        lan.timer.advance(Duration.ofMillis(1));

        Exception e = assertThrows(Exception.class, () -> acquiring.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof LeaseException, e.toString());
        assertEquals("no DHCP lease on eth0 in netns " + netns + " (pod default/web-1) after 10s (acquire timeout of 10s"
                + " passed): sent " + discovers + " DISCOVERs and 0 REQUESTs; no server replied", e.getCause().getMessage());
        // 250 ms doubling up to 4 s, each wait jittered by ± 25 %: six waits can end by 0.75 * 11.75 s = 8.8 s,
        // so up to 7 DISCOVERs fit in 10 s; fewer than 5 would mean the back-off grew too fast.
        assertTrue(discovers >= 5 && discovers <= 7, "DISCOVERs sent: " + discovers);
        assertEquals(List.of(), service.list());
        assertEquals(List.of(), store.loadAll(LeaseJson::fromJson));
        eventually("the socket is closed", () -> lan.openSockets() == 0);
    }

    @Test
    void aNakIsReportedWithTheServer() throws Exception {
        lan.nakRequests = true;
        Future<HeldLease> acquiring = acquireInBackground();
        eventually("a REQUEST was refused", () -> lan.types().contains(MessageType.REQUEST));
        // the NAK travels through a receive thread: under load it can still be on its way when the deadline passes
        eventually("the client took the NAK", () -> log().contains("DHCPNAK from 192.0.2.254"));
        lan.timer.advance(Duration.ofSeconds(10));

        Exception e = assertThrows(Exception.class, () -> acquiring.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("NAK from 192.0.2.254"), e.getCause().getMessage());
        assertEquals(List.of(), store.loadAll(LeaseJson::fromJson), "the request's record goes with the failure");
    }

    @Test
    void theFirstRequestIsOnRecordUntilTheAckReplacesIt() throws Exception {
        lan.silentOnRequest = true;
        Future<HeldLease> acquiring = acquireInBackground();
        eventually("the REQUEST went out", () -> lan.types().contains(MessageType.REQUEST));
        List<LeaseStore.Loaded<DhcpLeaseService.Stored>> during = store.loadAll(DhcpLeaseService.Stored::fromJson);
        assertEquals(1, during.size());
        assertTrue(during.get(0).value().firstRequest(), "marked as a request, not a lease");
        assertEquals("192.0.2.100/24", during.get(0).value().lease().cidr(), "the offered address");

        lan.silentOnRequest = false;
        lan.timer.advance(Duration.ofSeconds(5)); // the REQUEST is sent again
        HeldLease lease = acquiring.get(5, TimeUnit.SECONDS);
        List<LeaseStore.Loaded<DhcpLeaseService.Stored>> after = store.loadAll(DhcpLeaseService.Stored::fromJson);
        assertEquals(1, after.size());
        assertFalse(after.get(0).value().firstRequest(), "the bound lease replaced the record");
        assertEquals(lease, after.get(0).value().lease());
    }

    @Test
    void aDaemonKilledBetweenRequestAndStoredAckReleasesThatLeaseAtItsNextStart() throws Exception {
        lan.silentOnRequest = true;
        acquireInBackground();
        eventually("the REQUEST went out", () -> lan.types().contains(MessageType.REQUEST));
        assertTrue(lan.holdsLease("terway/default/web-1/eth0"), "the server committed the lease");
        // SIGKILL: nothing of the first daemon runs any more; the next one starts on the same state.
        lan.answering = false;
        DhcpLeaseService killed = service;
        service = newService();
        lan.answering = true;
        lan.received.clear();

        assertEquals(0, service.restoreAll(), "nothing to take up: that ADD never got the lease");
        FakeLan.Received release = lan.received.stream().filter(FakeLan.Received::fromNode).findFirst().orElseThrow();
        assertEquals(MessageType.RELEASE, release.type());
        assertEquals(Ipv4.parse("192.0.2.100"), release.message().ciaddr());
        assertFalse(lan.holdsLease("terway/default/web-1/eth0"), "released to the server");
        assertEquals(List.of(), store.loadAll(LeaseJson::fromJson));
        assertEquals(List.of(), service.list());
        assertTrue(log().contains("the daemon stopped while acquiring it"), log());
        killed.close();
    }

    @Test
    void aMissingNetnsOrInterfaceIsReportedAtOnce() {
        LeaseException noNetns = assertThrows(LeaseException.class,
                () -> service.acquire(request("c1", tmp.resolve("gone"))));
        assertTrue(noNetns.getMessage().endsWith("the netns " + tmp.resolve("gone") + " does not exist"),
                noNetns.getMessage());

        lan.failOpen = "bind to device eth0 in " + netns + " failed: No such device";
        LeaseException noDevice = assertThrows(LeaseException.class, () -> service.acquire(request("c1", netns)));
        assertEquals("cannot acquire a lease for eth0 in netns " + netns + " (pod default/web-1): bind to device eth0 in "
                + netns + " failed: No such device", noDevice.getMessage());
        assertEquals(List.of(), service.list());
    }

    @Test
    void acquiringAgainReturnsTheHeldLease() throws Exception {
        HeldLease first = service.acquire(request("c1", netns));
        HeldLease again = service.acquire(request("c1", netns));
        assertEquals(first, again);
        assertEquals(2, lan.received.size(), "no second exchange");
    }

    @Test
    void parallelAcquiresOfDifferentPodsGetDistinctAddresses() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(8);
        List<Future<HeldLease>> leases = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Path ns = Files.createFile(tmp.resolve("netns-p" + i));
            int n = i;
            leases.add(callers.submit(() -> service.acquire(request("c" + n, ns).withPod("default", "pod-" + n))));
        }
        java.util.Set<String> addresses = new java.util.HashSet<>();
        for (Future<HeldLease> lease : leases) {
            addresses.add(lease.get(10, TimeUnit.SECONDS).cidr());
        }
        callers.shutdown();
        assertEquals(20, addresses.size());
        assertEquals(20, service.list().size());
    }

    @Test
    void releaseSendsDhcpReleaseFromThePodForgetsAndIsIdempotent() throws Exception {
        HeldLease lease = service.acquire(request("c1", netns));
        assertTrue(lan.holdsLease("terway/default/web-1/eth0"));

        assertEquals(Optional.of(lease), service.releaseLease("c1", "eth0"));

        FakeLan.Received release = lan.received.get(lan.received.size() - 1);
        assertEquals(MessageType.RELEASE, release.type());
        assertFalse(release.fromNode());
        assertEquals(lease.address(), release.message().ciaddr());
        assertFalse(lan.holdsLease("terway/default/web-1/eth0"), "the server freed the address");
        assertEquals(List.of(), service.list());
        assertEquals(List.of(), store.loadAll(LeaseJson::fromJson));
        assertTrue(log().contains("msg=\"released default/web-1 eth0 address 192.0.2.100/24 server 192.0.2.254"), log());

        assertFalse(service.release("c1", "eth0"));
        assertFalse(service.release("never", "eth0"));
    }

    @Test
    void releaseGoesOutFromTheNodeWhenThePodLacksTheAddress() throws Exception {
        service.acquire(request("c1", netns));
        podHoldsAddress = false;

        assertTrue(service.release("c1", "eth0"));

        FakeLan.Received release = lan.received.get(lan.received.size() - 1);
        assertEquals(MessageType.RELEASE, release.type());
        assertTrue(release.fromNode());
        assertFalse(lan.holdsLease("terway/default/web-1/eth0"));
    }

    @Test
    void anUnpluggedReleaseGoesOutFromTheNodeWithoutALookIntoThePod() throws Exception {
        service.acquire(request("c1", netns));
        int socketsBefore = lan.sockets.size();
        // what the pod would say, were it asked: CNI DEL deleted its interface, so it must not be
        podHoldsAddress = true;

        assertTrue(service.releaseUnplugged("c1", "eth0"));

        FakeLan.Received release = lan.received.get(lan.received.size() - 1);
        assertEquals(MessageType.RELEASE, release.type());
        assertTrue(release.fromNode(), "the pod's interface is gone: the release goes out from the node");
        assertEquals(socketsBefore, lan.sockets.size(), "no socket was opened in the pod");
        assertFalse(lan.holdsLease("terway/default/web-1/eth0"));
        assertFalse(service.releaseUnplugged("c1", "eth0"), "a second release finds nothing");
    }

    @Test
    void restartTakesStoredLeasesUpWithInitRebootAndReleasesThoseWhosePodIsGone() throws Exception {
        HeldLease kept = service.acquire(request("c1", netns));
        Path doomed = Files.createFile(tmp.resolve("netns-doomed"));
        HeldLease orphan = service.acquire(request("c2", doomed).withPod("default", "web-2"));
        service.close();
        assertEquals(2, store.loadAll(LeaseJson::fromJson).size(), "shutdown keeps the leases on disk");
        assertFalse(lan.types().contains(MessageType.RELEASE), "shutdown releases nothing");
        Files.delete(doomed);
        lan.received.clear();
        lan.timer.advance(Duration.ofSeconds(3));

        service = newService();
        assertEquals(1, service.restoreAll());

        eventually("the kept lease is confirmed", () -> log().contains("msg=\"restored default/web-1 eth0 address 192.0.2.100/24"));
        assertEquals(List.of(1L), service.serversSeen().stream().map(ServersSeen.Server::replies).toList(),
                "the INIT-REBOOT's ACK");
        FakeLan.Received reboot = lan.received.stream().filter(r -> !r.fromNode()).findFirst().orElseThrow();
        assertEquals(MessageType.REQUEST, reboot.type());
        assertEquals(Optional.of(kept.address()), reboot.message().requestedAddress());
        assertEquals(Optional.empty(), reboot.message().serverId(), "INIT-REBOOT names no server");
        FakeLan.Received release = lan.received.stream().filter(FakeLan.Received::fromNode).findFirst().orElseThrow();
        assertEquals(MessageType.RELEASE, release.type());
        assertEquals(orphan.address(), release.message().ciaddr());
        assertEquals(List.of(new LeaseKey("c1", "eth0")),
                store.loadAll(LeaseJson::fromJson).stream().map(LeaseStore.Loaded::key).toList());
        HeldLease restored = service.list().get(0);
        assertEquals(kept.address(), restored.address());
        assertTrue(restored.expires().isAfter(kept.expires()), "the INIT-REBOOT ACK starts a new lease period");
        eventually("the pod's address lifetime is refreshed", () -> upkeep.stream().anyMatch(u -> u.startsWith("refresh")));

        // and it is renewed as usual afterwards
        lan.received.clear();
        lan.timer.advanceTo(restored.renewAt());
        eventually("renewed after the restart", () -> log().contains("msg=\"renewed default/web-1 eth0 address 192.0.2.100/24"));
    }

    @Test
    void aRestoredLeaseKeptWithoutAnAnswerCountsNoServerReply() throws Exception {
        service.acquire(request("c1", netns));
        service.close();
        lan.silentOnRequest = true;

        service = newService();
        service.restoreAll();
        for (int i = 0; i < 10 && !log().contains("msg=\"restored default/web-1"); i++) {
            lan.timer.advance(Duration.ofSeconds(5)); // the INIT-REBOOT REQUESTs go unanswered
        }
        eventually("kept after no answer", () -> log().contains("msg=\"restored default/web-1 eth0 address 192.0.2.100/24"));
        assertTrue(log().contains("no answer to INIT-REBOOT REQUEST"), log());
        assertEquals(List.of(), service.serversSeen(), "no server answered this daemon");
        assertEquals("bound", service.statuses().get(0).state());
    }

    @Test
    void aLeaseThatExpiredWhileTheDaemonWasDownIsObtainedAgainAndRestoredOnThePod() throws Exception {
        HeldLease kept = service.acquire(request("c1", netns));
        service.close();
        lan.timer.advanceTo(kept.expires().plusSeconds(5));

        service = newService();
        service.restoreAll();

        eventually("obtained again", () -> log().contains("msg=\"acquired again default/web-1 eth0 address 192.0.2.100/24"));
        eventually("removed then restored", () -> upkeep.equals(List.of("remove 192.0.2.100/24", "restore 192.0.2.100/24")));
    }

    @Test
    void aPodWhoseNetnsDisappearsIsReleasedFromTheNodeAtItsNextRenewal() throws Exception {
        HeldLease lease = service.acquire(request("c1", netns));
        Files.delete(netns);
        lan.failOpen = "setns into " + netns + " failed: No such file or directory";

        lan.timer.advanceTo(lease.renewAt());

        eventually("released", () -> log().contains("msg=\"released default/web-1 eth0 address 192.0.2.100/24"));
        FakeLan.Received release = lan.received.get(lan.received.size() - 1);
        assertEquals(MessageType.RELEASE, release.type());
        assertTrue(release.fromNode());
        assertEquals(List.of(), service.list());
        assertEquals(List.of(), store.loadAll(LeaseJson::fromJson));
        assertEquals(List.of(), lan.timer.pending().stream().filter(t -> !t.isBefore(lease.renewAt())).toList(),
                "nothing is scheduled for a forgotten pod");
    }

    @Test
    void corruptStoredLeasesAreSkippedNotFatal() throws Exception {
        service.acquire(request("c1", netns));
        service.close();
        Files.writeString(store.directory().resolve("bad@eth0.json"), "{\"containerId\":\"bad\",\"ifname\":\"eth0\"}");

        service = newService();
        assertEquals(1, service.restoreAll());
        assertTrue(log().contains("skipping corrupt lease file"), log());
    }

    @Test
    void closeStopsTimersAndSockets() throws Exception {
        HeldLease lease = service.acquire(request("c1", netns));
        service.close();
        lan.received.clear();
        lan.timer.advanceTo(lease.expires().plusSeconds(1));
        assertEquals(List.of(), lan.received);
        assertEquals(0, lan.openSockets());
        assertNotEquals(List.of(), store.loadAll(LeaseJson::fromJson));
    }
}

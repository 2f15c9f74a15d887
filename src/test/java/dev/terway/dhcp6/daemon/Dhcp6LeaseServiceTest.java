package dev.terway.dhcp6.daemon;

import static dev.terway.dhcp.daemon.FakeLan.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.log.DaemonLog;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp.store.LeaseStore;
import dev.terway.dhcp6.client.Dhcp6ClientState;
import dev.terway.dhcp6.client.Dhcp6ExchangeOutcome;
import dev.terway.dhcp6.client.Dhcp6LossReason;
import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.dhcp6.codec.Dhcp6MessageType;
import dev.terway.dhcp6.codec.Dhcp6Option.IaNa;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.net.Ipv6;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Dhcp6LeaseServiceTest {

    @TempDir
    Path state;
    @TempDir
    Path netnsDir;

    final FakeDhcp6Lan lan = new FakeDhcp6Lan();
    final StringWriter logText = new StringWriter();
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<ExecutorService> pools = new ArrayList<>();
    Path netns;

    Dhcp6LeaseService service() throws Exception {
        netns = Files.createFile(netnsDir.resolve("pod-a"));
        return newService();
    }

    Dhcp6LeaseService newService() throws Exception {
        ExecutorService receivers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "rx");
            t.setDaemon(true);
            return t;
        });
        pools.add(receivers);
        Dhcp6LeaseEvents recording = new Dhcp6LeaseEvents() {
            @Override
            public void bound(Kind kind, HeldLease6 lease) {
                events.add(kind.text() + " " + lease.lease().address() + " valid "
                        + lease.lease().valid().getSeconds());
            }

            @Override
            public void lost(HeldLease6 lease, String why) {
                events.add("lost " + lease.lease().address() + ": " + why);
            }
        };
        return new Dhcp6LeaseService(Dhcp6LeaseService.Settings.lan(Duration.ofSeconds(10)),
                LeaseStore.openDhcp6(state, w -> logText.append(w).append('\n')), lan.sockets(), recording,
                Runnable::run, receivers, lan.timer, lan.clock, new DaemonLog(new PrintWriter(logText), lan.clock));
    }

    @AfterEach
    void stopThreads() {
        pools.forEach(ExecutorService::shutdownNow);
    }

    static final Duration TIMEOUT = Duration.ofSeconds(5);

    PodIdentity request(String containerId) {
        return new PodIdentity(containerId, "eth0", netns, Optional.of("default"), Optional.of("web-0"));
    }

    @Test
    void acquireReturnsTheBoundLeaseAndStoresItBesideTheIpv4Leases() throws Exception {
        Dhcp6LeaseService service = service();
        HeldLease6 lease = service.acquire(request("c1"), TIMEOUT);
        assertEquals(Ipv6.parse("fd00:db8::100"), lease.lease().address());
        assertEquals(120, lease.lease().validSecondsLeft(lan.clock.instant()));
        assertEquals(120, lease.lease().preferredSecondsLeft(lan.clock.instant()));
        assertEquals(List.of(FakeDhcp6Lan.DNS), lease.lease().dnsServers());
        assertEquals(List.of("lan.test"), lease.lease().domainSearch());
        assertEquals(FakeDhcp6Lan.SERVER, lease.lease().server());
        assertEquals(List.of(Dhcp6MessageType.SOLICIT, Dhcp6MessageType.REQUEST), lan.types());
        assertEquals(Duid.forAttachment("c1", "eth0"), lan.received.get(0).message().clientId().orElseThrow());
        assertEquals(Ipv6.parse("ff02::1:2"), lan.received.get(0).destination());
        assertTrue(Files.exists(state.resolve("leases/dhcp6@c1@eth0.json")));
        assertEquals(Set.of(new LeaseKey("c1", "eth0")), service.held());
        assertEquals(1L, service.counters().get("dhcp6SolicitSent"));
        assertEquals(1L, service.counters().get("dhcp6ReplyReceived"));
        assertTrue(events.isEmpty(), "the first bind is the ADD's: " + events);
        assertTrue(logText.toString().contains("acquired DHCPv6 lease of default/web-0 eth0 address fd00:db8::100"),
                logText.toString());
        assertEquals(lease, service.acquire(request("c1"), TIMEOUT), "acquiring again returns the held lease");
    }

    @Test
    void renewalAtT1ExtendsTheLifetimesAndTellsTheUpkeep() throws Exception {
        Dhcp6LeaseService service = service();
        service.acquire(request("c1"), TIMEOUT);
        lan.validLifetime = 600;
        lan.timer.advance(Duration.ofSeconds(61));
        eventually("the RENEW is answered", () -> !events.isEmpty());
        assertEquals(Dhcp6MessageType.RENEW, lan.types().get(2));
        assertEquals(List.of("renewed fd00:db8::100 valid 600"), events);
        assertTrue(Files.readString(state.resolve("leases/dhcp6@c1@eth0.json")).contains("\"validLifetime\" : 600"));
    }

    @Test
    void aRestartConfirmsAStoredLeaseBeforeT1AndRebindsOnePastIt() throws Exception {
        Dhcp6LeaseService first = service();
        first.acquire(request("c1"), TIMEOUT);
        first.close();
        Dhcp6LeaseService second = newService();
        assertEquals(1, second.restoreAll());
        eventually("the CONFIRM is answered", () -> !events.isEmpty());
        assertEquals(Dhcp6MessageType.CONFIRM, lan.types().get(2));
        assertEquals(List.of("restored fd00:db8::100 valid 120"), events);
        second.close();

        lan.timer.advance(Duration.ofSeconds(70));
        events.clear();
        Dhcp6LeaseService third = newService();
        assertEquals(1, third.restoreAll());
        eventually("the REBIND is answered", () -> !events.isEmpty());
        assertEquals(Dhcp6MessageType.REBIND, lan.received.get(lan.received.size() - 1).type());
        assertEquals(List.of("restored fd00:db8::100 valid 120"), events);
    }

    @Test
    void exchangesStatesLossesAndTimesAreCountedForTheMetrics() throws Exception {
        Dhcp6LeaseService service = service();
        List<Duration> timesToLease = new CopyOnWriteArrayList<>();
        service.reportTimingsTo(timesToLease::add);
        lan.openTakes = Duration.ofMillis(1200); // the pod's link-local address passing DAD
        service.acquire(request("c1"), TIMEOUT);
        lan.openTakes = Duration.ZERO;
        Lease6Statistics counts = service.statistics();
        assertEquals(1, counts.exchanges(Dhcp6ExchangeOutcome.Exchange.SOLICIT, Dhcp6ExchangeOutcome.Result.ADVERTISE));
        assertEquals(1, counts.exchanges(Dhcp6ExchangeOutcome.Exchange.REQUEST, Dhcp6ExchangeOutcome.Result.REPLY));
        assertEquals(Map.of(Dhcp6ClientState.BOUND, 1L), service.clientsByState());
        assertEquals(1, timesToLease.size(), "the ADD's first lease only");
        assertTrue(timesToLease.get(0).compareTo(Duration.ofMillis(1200)) >= 0,
                "the link-local wait counts: " + timesToLease);

        lan.answering = false;
        lan.timer.advance(Duration.ofSeconds(61));
        eventually("renewing", () -> service.clientsByState().equals(Map.of(Dhcp6ClientState.RENEWING, 1L)));
        lan.timer.advance(Duration.ofSeconds(45)); // T2: the RENEWs went unanswered
        eventually("rebinding", () -> service.clientsByState().equals(Map.of(Dhcp6ClientState.REBINDING, 1L)));
        assertEquals(1, counts.renewalsMissed());
        lan.timer.advance(Duration.ofSeconds(15)); // the valid lifetime (120 s) ends
        eventually("the lease is lost", () -> counts.leasesLost(Dhcp6LossReason.EXPIRED) == 1);
        assertEquals(1, counts.exchanges(Dhcp6ExchangeOutcome.Exchange.REBIND, Dhcp6ExchangeOutcome.Result.TIMEOUT));
        assertEquals(Map.of(), service.clientsByState(), "soliciting again holds no lease");
        assertEquals(0, counts.renewalsLate(), "the timer fired at T1");

        lan.answering = true;
        lan.timer.advance(Duration.ofSeconds(2));
        eventually("bound again", () -> service.clientsByState().equals(Map.of(Dhcp6ClientState.BOUND, 1L)));
        assertEquals(1, timesToLease.size(), "a re-acquisition is no ADD's time to lease");
        service.release("c1", "eth0");
        assertEquals(1, counts.exchanges(Dhcp6ExchangeOutcome.Exchange.RELEASE, Dhcp6ExchangeOutcome.Result.SENT));
        assertEquals(Map.of(), service.clientsByState());
        assertEquals(1L, service.counters().get("dhcp6LeasesLostExpired"));
        assertEquals(1L, service.counters().get("dhcp6RenewalsMissed"));

        // the log says the same events with the same keys as the IPv4 side: the pod's keys on every lease6 line,
        // the loss's reason from the fixed set the metrics count by
        List<String> lines = logText.toString().lines().filter(l -> l.contains("event=lease6.")).toList();
        assertTrue(lines.size() >= 5, logText.toString());
        for (String line : lines) {
            assertTrue(line.contains(" containerId=c1 podNamespace=default podName=web-0 ifname=eth0 "), line);
        }
        String lost = lines.stream().filter(l -> l.contains("event=lease6.lost ")).findFirst().orElseThrow();
        assertTrue(lost.contains(" address=fd00:db8::100 server=" + FakeDhcp6Lan.SERVER + " reason=expired msg="),
                lost);
        String rebinding = lines.stream().filter(l -> l.contains("event=lease6.rebinding ")).findFirst().orElseThrow();
        assertTrue(rebinding.contains(" address=fd00:db8::100 server=" + FakeDhcp6Lan.SERVER + " msg="), rebinding);
    }

    @Test
    void leasesTakenUpAtStartAreCountedAndOnePastT1IsALateRenewal() throws Exception {
        Dhcp6LeaseService first = service();
        first.acquire(request("c1"), TIMEOUT);
        first.close();
        lan.timer.advance(Duration.ofSeconds(70)); // the daemon was down over T1 (60 s)
        Dhcp6LeaseService second = newService();
        assertEquals(1, second.restoreAll());
        eventually("the REBIND is answered", () -> !events.isEmpty());
        Lease6Statistics counts = second.statistics();
        assertEquals(1, counts.leasesRestored());
        assertEquals(1, counts.renewalsLate());
        assertEquals(1, counts.exchanges(Dhcp6ExchangeOutcome.Exchange.REBIND, Dhcp6ExchangeOutcome.Result.REPLY));
        assertEquals(Map.of(Dhcp6ClientState.BOUND, 1L), second.clientsByState());
    }

    @Test
    void releaseSendsReleaseAndForgetsTheLease() throws Exception {
        Dhcp6LeaseService service = service();
        service.acquire(request("c1"), TIMEOUT);
        assertTrue(service.release("c1", "eth0"));
        assertEquals(Dhcp6MessageType.RELEASE, lan.types().get(2));
        assertEquals(Optional.of(FakeDhcp6Lan.SERVER), lan.received.get(2).message().serverId());
        assertFalse(Files.exists(state.resolve("leases/dhcp6@c1@eth0.json")));
        assertEquals(Set.of(), service.held());
        assertFalse(service.release("c1", "eth0"), "nothing held any more");
    }

    @Test
    void declineSendsDeclineCountsAndLogsTheConflictAndLeasesAnotherAddress() throws Exception {
        Dhcp6LeaseService service = service();
        Ipv6 first = service.acquire(request("c1"), TIMEOUT).lease().address();
        HeldLease6 next = service.decline(request("c1"), first, Set.of(), "duplicate address detection failed",
                TIMEOUT);
        assertEquals(Ipv6.parse("fd00:db8::101"), next.lease().address());
        assertEquals(List.of(Dhcp6MessageType.SOLICIT, Dhcp6MessageType.REQUEST, Dhcp6MessageType.DECLINE,
                Dhcp6MessageType.SOLICIT, Dhcp6MessageType.REQUEST), lan.types());
        Dhcp6Message decline = lan.received.get(2).message();
        assertEquals(Optional.of(FakeDhcp6Lan.SERVER), decline.serverId());
        assertEquals(first, decline.all(IaNa.class).get(0).addresses().get(0).address());
        assertEquals(1L, service.counters().get("dhcp6DeclineSent"));
        assertEquals(1L, service.counters().get("dhcp6AddressConflicts"));
        assertTrue(logText.toString().contains("event=lease6.conflict")
                && logText.toString().contains("was given " + first + " by DHCPv6 server")
                && logText.toString().contains("duplicate address detection failed; declined it (DECLINE)"),
                logText.toString());
        assertTrue(Files.readString(state.resolve("leases/dhcp6@c1@eth0.json")).contains("fd00:db8::101"));
        assertEquals(List.of(next), service.list());
    }

    @Test
    void declineFailsNamingTheDeclinedAddressWhenTheServerOffersOnlyIt() throws Exception {
        Dhcp6LeaseService service = service();
        lan.keepsDeclined = true;
        Ipv6 first = service.acquire(request("c1"), TIMEOUT).lease().address();
        Thread mover = new Thread(() -> {
            for (int i = 0; i < 200; i++) {
                lan.timer.advance(Duration.ofMillis(100));
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        mover.setDaemon(true);
        mover.start();
        Dhcp6LeaseException e = assertThrows(Dhcp6LeaseException.class, () -> service.decline(request("c1"), first,
                Set.of(), "duplicate address detection failed", TIMEOUT));
        mover.interrupt();
        assertTrue(e.getMessage().startsWith("declined " + first + " (duplicate address detection failed) and no"
                + " other DHCPv6 address came in time"), e.getMessage());
        assertTrue(service.list().isEmpty());
        assertFalse(Files.exists(state.resolve("leases/dhcp6@c1@eth0.json")));
        assertFalse(lan.types().subList(3, lan.types().size()).contains(Dhcp6MessageType.REQUEST),
                "the declined address is never requested again: " + lan.types());
    }

    @Test
    void noServerIsTryAgainLaterWithTheReport() throws Exception {
        Dhcp6LeaseService service = service();
        lan.answering = false;
        Thread mover = new Thread(() -> {
            for (int i = 0; i < 200 && service.held().isEmpty(); i++) {
                lan.timer.advance(Duration.ofMillis(100));
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        mover.setDaemon(true);
        mover.start();
        Dhcp6LeaseException e = assertThrows(Dhcp6LeaseException.class, () -> service.acquire(request("c1"), TIMEOUT));
        assertTrue(e.getMessage().contains("no DHCPv6 lease for eth0 in netns " + netns) 
                && e.getMessage().contains("no server answered"), e.getMessage());
        assertTrue(service.list().isEmpty());
        assertFalse(Files.exists(state.resolve("leases/dhcp6@c1@eth0.json")));
    }

    @Test
    void aMissingNetnsIsRefusedAtOnce() throws Exception {
        Dhcp6LeaseService service = service();
        Files.delete(netns);
        Dhcp6LeaseException e = assertThrows(Dhcp6LeaseException.class, () -> service.acquire(request("c1"), TIMEOUT));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertTrue(lan.received.isEmpty());
    }

    @Test
    void aStoredLeaseWhoseNetnsIsGoneIsForgottenAtStart() throws Exception {
        Dhcp6LeaseService first = service();
        first.acquire(request("c1"), TIMEOUT);
        first.close();
        Files.delete(netns);
        Dhcp6LeaseService second = newService();
        assertEquals(0, second.restoreAll());
        assertFalse(Files.exists(state.resolve("leases/dhcp6@c1@eth0.json")));
    }

    @Test
    void aRequestWhoseReplyWasNeverStoredIsReleasedAtTheNextStart() throws Exception {
        Dhcp6LeaseService first = service();
        lan.silentOnRequest = true;
        ExecutorService caller = Executors.newSingleThreadExecutor();
        pools.add(caller);
        caller.submit(() -> first.acquire(request("c1"), Duration.ofSeconds(30)));
        Path record = state.resolve("leases/dhcp6@c1@eth0.json");
        eventually("the REQUEST is on record",
                () -> Files.exists(record) && lan.types().contains(Dhcp6MessageType.REQUEST));
        assertTrue(Files.readString(record).contains("\"firstRequestPending\" : true"), Files.readString(record));
        first.close(); // the daemon dies before the REPLY

        lan.silentOnRequest = false;
        Dhcp6LeaseService second = newService();
        assertEquals(0, second.restoreAll());
        assertEquals(Dhcp6MessageType.RELEASE, lan.received.get(lan.received.size() - 1).type());
        assertEquals(Ipv6.parse("fd00:db8::100"), lan.received.get(lan.received.size() - 1).message().iaNa(1)
                .orElseThrow().addresses().get(0).address());
        assertFalse(Files.exists(record));
        assertTrue(logText.toString().contains("released the DHCPv6 REQUEST of default/web-0 eth0 for fd00:db8::100"),
                logText.toString());
    }

    @Test
    void aStoredLeaseWhoseNetnsIsGoneIsReleasedFromTheNodeLinkOrElseForgotten() throws Exception {
        Dhcp6LeaseService first = service();
        Ipv6 address = first.acquire(request("c1"), TIMEOUT).lease().address();
        first.close();
        Files.delete(netns);
        Dhcp6LeaseService second = newService();
        second.releaseGoneFrom(() -> Optional.of("br0"));
        assertEquals(0, second.restoreAll());
        Dhcp6Message release = lan.received.get(lan.received.size() - 1).message();
        assertEquals(Dhcp6MessageType.RELEASE, release.type());
        assertEquals(Optional.of(Duid.forAttachment("c1", "eth0")), release.clientId(), "the pod's DUID");
        assertEquals(Optional.of(FakeDhcp6Lan.SERVER), release.serverId());
        assertEquals(address, release.iaNa(1).orElseThrow().addresses().get(0).address());
        assertEquals(Ipv6.parse("ff02::1:2"), lan.received.get(lan.received.size() - 1).destination());
        assertEquals(List.of(Dhcp6LeaseService.OWN_NETNS + " br0"), lan.opened.subList(lan.opened.size() - 1,
                lan.opened.size()), "from the node's link, in the daemon's own namespace");
        assertTrue(logText.toString().contains("released DHCPv6 lease of default/web-0 eth0") && logText.toString()
                .contains("from the node's br0"), logText.toString());
        assertFalse(Files.exists(state.resolve("leases/dhcp6@c1@eth0.json")));

        // Without a node link (no IPv6 default route, not under `terway run`): forgotten, as before.
        netns = Files.createFile(netnsDir.resolve("pod-b"));
        Dhcp6LeaseService third = newService();
        third.acquire(request("c2"), TIMEOUT);
        third.close();
        Files.delete(netns);
        int sent = lan.received.size();
        Dhcp6LeaseService fourth = newService();
        assertEquals(0, fourth.restoreAll());
        assertEquals(sent, lan.received.size(), "nothing sent");
        assertTrue(logText.toString().contains("no link of the node to send its RELEASE from"), logText.toString());
    }

    @Test
    void aReleaseThatCannotLeaveFromThePodLeavesFromTheNode() throws Exception {
        Dhcp6LeaseService service = service();
        service.releaseGoneFrom(() -> Optional.of("br0"));
        Ipv6 address = service.acquire(request("c1"), TIMEOUT).lease().address();
        service.close(); // the socket of the exchange goes; the next one would open in the pod
        Dhcp6LeaseService restarted = newService();
        restarted.releaseGoneFrom(() -> Optional.of("br0"));
        assertEquals(1, restarted.restoreAll());
        eventually("the restored lease is confirmed", () -> !events.isEmpty());
        lan.podGone = netns; // a DEL run by cni-terway while the daemon was down deleted the veth
        assertTrue(restarted.release("c1", "eth0"));
        Dhcp6Message release = lan.received.get(lan.received.size() - 1).message();
        assertEquals(Dhcp6MessageType.RELEASE, release.type());
        assertEquals(address, release.iaNa(1).orElseThrow().addresses().get(0).address());
        assertEquals(Dhcp6LeaseService.OWN_NETNS + " br0", lan.opened.get(lan.opened.size() - 1));
        assertTrue(logText.toString().contains("could not be sent from the pod")
                && logText.toString().contains("(its pod interface is gone) from the node's br0"), logText.toString());
    }

    @Test
    void theWaitForTheLinkLocalAddressCountsAgainstTheTimeout() throws Exception {
        Dhcp6LeaseService service = service();
        lan.openTakes = TIMEOUT;
        Dhcp6LeaseException e = assertThrows(Dhcp6LeaseException.class, () -> service.acquire(request("c1"), TIMEOUT));
        assertTrue(e.getMessage().contains("its link-local address became usable only as the timeout of 5000 ms ran out"),
                e.getMessage());
        assertTrue(lan.received.isEmpty(), "nothing sent");
        assertTrue(service.list().isEmpty());
    }
}

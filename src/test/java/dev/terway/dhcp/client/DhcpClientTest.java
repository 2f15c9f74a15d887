package dev.terway.dhcp.client;

import static dev.terway.dhcp.client.ClientFixtures.ADDRESS;
import static dev.terway.dhcp.client.ClientFixtures.OTHER_SERVER;
import static dev.terway.dhcp.client.ClientFixtures.SERVER;
import static dev.terway.dhcp.client.ClientFixtures.T0;
import static dev.terway.dhcp.client.ClientFixtures.at;
import static dev.terway.dhcp.client.ClientFixtures.ack;
import static dev.terway.dhcp.client.ClientFixtures.nak;
import static dev.terway.dhcp.client.ClientFixtures.offer;
import static dev.terway.dhcp.client.ClientFixtures.reply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.contains;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import dev.terway.dhcp.client.ClientFixtures.FakeTransport;
import dev.terway.dhcp.client.ClientFixtures.ScriptedRandom;
import dev.terway.dhcp.client.ClientFixtures.Sent;
import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DhcpOption;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

class DhcpClientTest {

    static final HardwareAddress MAC = HardwareAddress.parse("02:42:c0:a8:32:0a");
    /** Options begin after the 236-byte BOOTP header and the 4-byte magic cookie. */
    static final int OPTIONS_START = 240;

    final FakeClock clock = new FakeClock();
    final FakeTransport transport = new FakeTransport(clock);
    final LeaseListener listener = mock(LeaseListener.class);
    DhcpClient client;

    static DhcpClientConfig.Builder config() {
        return DhcpClientConfig.builder("eth0", MAC)
                .clientId(ClientIdentifier.ofText("default/web-0"))
                .hostName("web-0")
                .retransmit(new RetransmitPolicy(Duration.ofSeconds(1), Duration.ofSeconds(64), 0))
                .acquireTimeout(Duration.ofSeconds(30));
    }

    DhcpClient client(DhcpClientConfig config, RandomGenerator random) {
        client = new DhcpClient(config, transport, listener, clock, random);
        return client;
    }

    DhcpClient client() {
        return client(config().build(), new ScriptedRandom(0x1001, 0x1002, 0x1003, 0x1004, 0x1005));
    }

    void runUntil(Instant until) {
        clock.runUntil(until, client::nextDeadline, client::onTimer);
    }

    /** DORA at T0 with the standard options; returns the lease. */
    Lease bind() {
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(ack(transport.last().message(), ADDRESS, SERVER));
        assertEquals(ClientState.BOUND, client.state());
        return client.lease().orElseThrow();
    }

    static List<Integer> codes(DhcpMessage m) {
        return m.options().stream().map(DhcpOption::code).toList();
    }

    @Test
    void fullDoraBindsWithEveryLeaseParameter() {
        client();
        client.start();
        assertEquals(ClientState.SELECTING, client.state());
        Sent discover = transport.last();
        DhcpMessage d = discover.message();
        assertTrue(discover.broadcast());
        assertEquals(MessageType.DISCOVER, discover.type());
        assertEquals(0x1001, d.xid());
        assertEquals(DhcpMessage.BOOTREQUEST, d.op());
        assertEquals(MAC, d.chaddr());
        assertTrue(d.broadcast(), "unconfigured client asks for broadcast replies");
        assertEquals(Ipv4.ANY, d.ciaddr());
        assertEquals(List.of(53, 61, 12, 55), codes(d));
        assertEquals(DhcpClientConfig.DEFAULT_PARAMETERS, d.parameterRequestList());
        assertEquals(List.of(1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119, 121), d.parameterRequestList());
        assertEquals(Optional.of(ClientIdentifier.ofText("default/web-0")), d.clientId());
        assertEquals(Optional.of("web-0"), d.hostName());
        assertEquals(Optional.of(at(1)), client.nextDeadline());

        clock.set(at(0.3));
        client.onPacket(offer(d, ADDRESS, SERVER));
        assertEquals(ClientState.REQUESTING, client.state());
        DhcpMessage request = transport.last().message();
        assertTrue(transport.last().broadcast());
        assertEquals(MessageType.REQUEST, request.messageType().orElseThrow());
        assertEquals(d.xid(), request.xid(), "REQUEST answers the OFFER in the same transaction");
        assertTrue(request.broadcast());
        assertEquals(Ipv4.ANY, request.ciaddr());
        assertEquals(List.of(53, 61, 50, 54, 12, 55), codes(request));
        assertEquals(Optional.of(ADDRESS), request.requestedAddress());
        assertEquals(Optional.of(SERVER), request.serverId());

        clock.set(at(0.4));
        client.onPacket(ack(request, ADDRESS, SERVER));
        assertEquals(ClientState.BOUND, client.state());
        ArgumentCaptor<Lease> bound = ArgumentCaptor.forClass(Lease.class);
        verify(listener).bound(bound.capture());
        Lease lease = bound.getValue();
        assertEquals(ADDRESS, lease.address());
        assertEquals("192.168.50.23/24", lease.cidr());
        assertEquals(SERVER, lease.serverId());
        assertEquals(List.of(SERVER), lease.routers());
        assertEquals(List.of(SERVER, Ipv4.parse("8.8.8.8")), lease.dnsServers());
        assertEquals(Optional.of("lan.local"), lease.domainName());
        assertEquals(List.of("lan.local", "corp.example"), lease.searchDomains());
        assertEquals(List.of(ClasslessRoute.of("10.0.0.0/8", "192.168.50.254"),
                ClasslessRoute.of("0.0.0.0/0", "192.168.50.1")), lease.classlessRoutes());
        assertEquals(Optional.of(1450), lease.mtu());
        assertEquals(Optional.of(Ipv4.parse("192.168.50.255")), lease.broadcastAddress());
        assertEquals(Duration.ofSeconds(120), lease.leaseTime());
        assertEquals(Duration.ofSeconds(10), lease.renewalTime());
        assertEquals(Duration.ofSeconds(20), lease.rebindingTime());
        assertEquals(at(0.3), lease.acquiredAt(), "lease counts from when the REQUEST went out");
        assertEquals(at(120.3), lease.expiresAt());
        assertEquals(Optional.of(at(10.3)), client.nextDeadline());
        assertEquals(Optional.of(lease), client.lease());

        InOrder order = inOrder(listener);
        order.verify(listener).stateChanged(ClientState.STOPPED, ClientState.INIT);
        order.verify(listener).stateChanged(ClientState.INIT, ClientState.SELECTING);
        order.verify(listener).stateChanged(ClientState.SELECTING, ClientState.REQUESTING);
        order.verify(listener).stateChanged(ClientState.REQUESTING, ClientState.BOUND);
        order.verify(listener).bound(lease);
        verify(listener, never()).failed(any());
        verify(listener, never()).lost(any(), any());
        assertEquals(2, transport.sent.size());
    }

    @Test
    void discoverMatchesTheHandWrittenWireBytes() {
        HardwareAddress mac = HardwareAddress.parse("00:0b:82:01:fc:42");
        client(DhcpClientConfig.builder("eth0", mac)
                .clientId(ClientIdentifier.ofHardware(1, mac))
                .requestedAddress(Ipv4.parse("192.168.1.100"))
                .hostName("pod-a")
                .retransmit(new RetransmitPolicy(Duration.ofSeconds(1), Duration.ofSeconds(64), 0))
                .build(), new ScriptedRandom(0x3903f326));
        client.start();
        runUntil(at(3));
        // Sent at 0 s, 1 s and 3 s; the third carries secs = 3 like the hand-written packet.
        assertEquals(List.of(at(0), at(1), at(3)), transport.times(MessageType.DISCOVER));
        assertEquals(dev.terway.dhcp.codec.Hex.of(dev.terway.dhcp.codec.DhcpMessageTest.DISCOVER_WIRE),
                dev.terway.dhcp.codec.Hex.of(transport.last().message().encode()));
    }

    @Test
    void renewsAtT1ByUnicastWithCiaddr() {
        client();
        Lease first = bind();
        int before = transport.sent.size();
        runUntil(at(9.999));
        assertEquals(before, transport.sent.size(), "nothing before T1");
        runUntil(at(10));
        assertEquals(ClientState.RENEWING, client.state());
        Sent renew = transport.last();
        assertEquals(at(10), renew.at());
        assertEquals(Optional.of(SERVER), renew.unicastTo());
        DhcpMessage r = renew.message();
        assertEquals(MessageType.REQUEST, renew.type());
        assertEquals(ADDRESS, r.ciaddr());
        assertFalse(r.broadcast(), "a configured client takes unicast replies");
        assertEquals(List.of(53, 61, 12, 55), codes(r), "no requested address or server id while renewing");
        assertEquals(0x1002, r.xid(), "a renewal is a new transaction");
        verify(listener).stateChanged(ClientState.BOUND, ClientState.RENEWING);

        clock.set(at(10.2));
        client.onPacket(ack(r, ADDRESS, SERVER));
        assertEquals(ClientState.BOUND, client.state());
        ArgumentCaptor<Lease> renewed = ArgumentCaptor.forClass(Lease.class);
        verify(listener).renewed(renewed.capture());
        assertEquals(at(10), renewed.getValue().acquiredAt());
        assertEquals(at(130), renewed.getValue().expiresAt());
        assertEquals(Optional.of(at(20)), client.nextDeadline(), "next T1 counts from the renewal");
        verify(listener).bound(first);
        verify(listener, never()).lost(any(), any());
    }

    @Test
    void rebindsAtT2ByBroadcastAndRetriesAtHalfTheRemainingTime() {
        client();
        bind();
        runUntil(at(10));
        // RFC minimum of 60 s between renewal retries: the next try is T2 itself.
        assertEquals(Optional.of(at(20)), client.nextDeadline());
        runUntil(at(20));
        assertEquals(ClientState.REBINDING, client.state());
        Sent rebind = transport.last();
        assertEquals(at(20), rebind.at());
        assertTrue(rebind.broadcast());
        assertEquals(ADDRESS, rebind.message().ciaddr());
        assertFalse(rebind.message().broadcast());
        assertEquals(List.of(53, 61, 12, 55), codes(rebind.message()));
        verify(listener).stateChanged(ClientState.RENEWING, ClientState.REBINDING);
        // half of the 100 s left is 50 s, below the RFC minimum of 60 s; then 20 s, capped by expiry
        assertEquals(Optional.of(at(80)), client.nextDeadline());
        runUntil(at(80));
        assertEquals(Optional.of(at(120)), client.nextDeadline());
        assertEquals(List.of(at(0), at(10), at(20), at(80)), transport.times(MessageType.REQUEST));

        clock.set(at(81));
        client.onPacket(ack(transport.last().message(), ADDRESS, OTHER_SERVER));
        assertEquals(ClientState.BOUND, client.state());
        ArgumentCaptor<Lease> renewed = ArgumentCaptor.forClass(Lease.class);
        verify(listener).renewed(renewed.capture());
        assertEquals(OTHER_SERVER, renewed.getValue().serverId(), "any server may rebind");
        // retransmissions share the xid, so the ACK may answer the first REQUEST: count from there
        assertEquals(at(20), renewed.getValue().acquiredAt());
        assertEquals(Optional.of(at(30)), client.nextDeadline());
    }

    @Test
    void renewalRetriesHalveTowardsT2DownToTheConfiguredMinimum() {
        client(config().minRenewRetransmit(Duration.ofSeconds(1)).build(), new ScriptedRandom(1, 2, 3));
        bind();
        runUntil(at(20));
        List<Instant> renewals = transport.sent.stream()
                .filter(s -> s.type() == MessageType.REQUEST && s.unicastTo().isPresent()).map(Sent::at).toList();
        assertEquals(List.of(at(10), at(15), at(17.5), at(18.75), at(19.75)), renewals);
        assertEquals(ClientState.REBINDING, client.state());
        assertEquals(at(20), transport.last().at());
        // REBINDING: half of the remaining 100 s, then 25 s, 12.5 s, ... until the 1 s floor
        runUntil(at(119.5));
        List<Instant> rebinds = transport.sent.stream()
                .filter(s -> s.type() == MessageType.REQUEST && s.broadcast() && s.at().isAfter(at(19))).map(Sent::at)
                .toList();
        assertEquals(List.of(at(20), at(70), at(95), at(107.5), at(113.75), at(116.875), at(118.4375),
                at(119.4375)), rebinds);
    }

    @Test
    void expiryLosesTheLeaseThenAcquiresAgain() {
        client();
        Lease first = bind();
        runUntil(at(119.999));
        verify(listener, never()).lost(any(), any());
        runUntil(at(120));
        ArgumentCaptor<LeaseLoss> loss = ArgumentCaptor.forClass(LeaseLoss.class);
        verify(listener).lost(org.mockito.ArgumentMatchers.eq(first), loss.capture());
        assertEquals(LeaseLoss.Reason.EXPIRED, loss.getValue().reason());
        assertEquals(ClientState.REBINDING, loss.getValue().state());
        assertEquals("lease expired in REBINDING without an answer from any server", loss.getValue().describe());
        assertEquals(ClientState.SELECTING, client.state());
        assertEquals(Optional.empty(), client.lease());
        Sent discover = transport.last();
        assertEquals(MessageType.DISCOVER, discover.type());
        assertEquals(at(120), discover.at());

        client.onPacket(offer(discover.message(), Ipv4.parse("192.168.50.40"), SERVER));
        client.onPacket(ack(transport.last().message(), Ipv4.parse("192.168.50.40"), SERVER));
        assertEquals(ClientState.BOUND, client.state());
        InOrder order = inOrder(listener);
        order.verify(listener).bound(first);
        order.verify(listener).stateChanged(ClientState.REBINDING, ClientState.INIT);
        order.verify(listener).lost(org.mockito.ArgumentMatchers.eq(first), any());
        order.verify(listener).stateChanged(ClientState.INIT, ClientState.SELECTING);
        order.verify(listener).bound(client.lease().orElseThrow());
        assertEquals(Ipv4.parse("192.168.50.40"), client.lease().orElseThrow().address());
    }

    @Test
    void nakWhileRequestingStartsOverWithANewTransaction() {
        client();
        client.start();
        DhcpMessage discover = transport.last().message();
        client.onPacket(offer(discover, ADDRESS, SERVER));
        DhcpMessage request = transport.last().message();
        clock.set(at(0.5));
        client.onPacket(nak(request, SERVER, "address in use"));
        assertEquals(ClientState.SELECTING, client.state());
        Sent again = transport.last();
        assertEquals(MessageType.DISCOVER, again.type());
        assertEquals(at(0.5), again.at());
        assertNotEquals(discover.xid(), again.message().xid());
        InOrder order = inOrder(listener);
        order.verify(listener).stateChanged(ClientState.REQUESTING, ClientState.INIT);
        order.verify(listener).stateChanged(ClientState.INIT, ClientState.SELECTING);
        verify(listener).warning("DHCPNAK from 192.168.50.1 for 192.168.50.23 on eth0: \"address in use\"; "
                + "discovering again");
        verify(listener, never()).lost(any(), any());
    }

    @ParameterizedTest
    @EnumSource(value = ClientState.class, names = {"RENEWING", "REBINDING", "REBOOTING"})
    void nakLosesAHeldLease(ClientState where) {
        client();
        Lease held;
        if (where == ClientState.REBOOTING) {
            held = restoredLease(T0.minusSeconds(5));
            client.reboot(held);
        } else {
            held = bind();
            runUntil(where == ClientState.RENEWING ? at(10) : at(20));
        }
        assertEquals(where, client.state());
        clock.advance(Duration.ofMillis(100));
        client.onPacket(nak(transport.last().message(), SERVER, "wrong network"));
        ArgumentCaptor<LeaseLoss> loss = ArgumentCaptor.forClass(LeaseLoss.class);
        verify(listener).lost(org.mockito.ArgumentMatchers.eq(held), loss.capture());
        assertEquals(new LeaseLoss(LeaseLoss.Reason.NAK, where, Optional.of(SERVER), Optional.of("wrong network")),
                loss.getValue());
        assertEquals("server 192.168.50.1 sent DHCPNAK in " + where + ": \"wrong network\"", loss.getValue().describe());
        assertEquals(ClientState.SELECTING, client.state());
        assertEquals(MessageType.DISCOVER, transport.last().type());
        assertEquals(Optional.empty(), client.lease());
        verify(listener).stateChanged(where, ClientState.INIT);
    }

    @Test
    void retransmissionBacksOffExponentiallyWithSeededJitter() {
        RetransmitPolicy policy = RetransmitPolicy.RFC_2131;
        client(config().retransmit(policy).acquireTimeout(Duration.ofSeconds(600)).build(), new Random(42));
        client.start();
        runUntil(at(400));
        List<Instant> sends = transport.times(MessageType.DISCOVER);
        assertTrue(sends.size() >= 8, "sent " + sends.size());
        Random replay = new Random(42);
        replay.nextInt(); // the xid
        long[] bases = {4, 8, 16, 32, 64, 64, 64};
        boolean jittered = false;
        for (int i = 0; i < bases.length; i++) {
            Duration gap = Duration.between(sends.get(i), sends.get(i + 1));
            assertEquals(policy.delay(i, replay), gap, "gap " + i);
            long base = bases[i] * 1000;
            assertTrue(gap.toMillis() >= base * 0.75 && gap.toMillis() <= base * 1.25,
                    "gap " + i + " of " + gap + " outside " + bases[i] + " s ± 25 %");
            jittered |= gap.toMillis() != base;
        }
        assertTrue(jittered, "jitter was applied");
        assertTrue(transport.sent.stream().allMatch(s -> s.message().xid() == transport.sent.get(0).message().xid()),
                "retransmissions keep the xid");
    }

    @Test
    void acquireFailureReportsNoReply() {
        client();
        client.start();
        runUntil(at(30));
        // 1 s doubling without jitter: 0, 1, 3, 7, 15; the next (31 s) is past the 30 s deadline
        assertEquals(List.of(at(0), at(1), at(3), at(7), at(15)), transport.times(MessageType.DISCOVER));
        ArgumentCaptor<AcquireFailure> failure = ArgumentCaptor.forClass(AcquireFailure.class);
        verify(listener).failed(failure.capture());
        assertEquals("no DHCP lease on eth0 after 30s (acquire timeout of 30s passed): sent 5 DISCOVERs and "
                + "0 REQUESTs; no server replied", failure.getValue().message());
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(Optional.empty(), client.nextDeadline());
    }

    @Test
    void acquireFailureReportsWhoSaidWhat() {
        client(config().maxDiscovers(2).build(), new ScriptedRandom(11, 12));
        client.start();
        for (int round = 0; round < 2; round++) {
            DhcpMessage discover = transport.last().message();
            client.onPacket(offer(discover, ADDRESS, SERVER));
            client.onPacket(offer(discover, Ipv4.parse("192.168.50.99"), OTHER_SERVER)); // late, ignored
            client.onPacket(nak(transport.last().message(), SERVER, "address in use"));
        }
        ArgumentCaptor<AcquireFailure> failure = ArgumentCaptor.forClass(AcquireFailure.class);
        verify(listener).failed(failure.capture());
        AcquireFailure f = failure.getValue();
        assertEquals(2, f.discoversSent());
        assertEquals(2, f.requestsSent());
        assertEquals("no DHCP lease on eth0 after 0s (no usable answer to 2 DISCOVERs): sent 2 DISCOVERs and "
                + "2 REQUESTs; replies: OFFER of 192.168.50.23 from 192.168.50.1 (x2), "
                + "OFFER of 192.168.50.99 from 192.168.50.2 (x2), NAK from 192.168.50.1 \"address in use\" (x2)",
                f.message());
        assertEquals(ClientState.STOPPED, client.state());
    }

    @Test
    void failureReportListsIgnoredRepliesAndSendErrors() {
        client();
        client.start();
        DhcpMessage discover = transport.last().message();
        client.onDatagram(new byte[] {1, 2, 3}, 0, 3);
        client.onPacket(reply(discover, MessageType.OFFER, ADDRESS, SERVER, b -> b.remove(54)));
        transport.failWith = "Network is down";
        runUntil(at(30));
        ArgumentCaptor<AcquireFailure> failure = ArgumentCaptor.forClass(AcquireFailure.class);
        verify(listener).failed(failure.capture());
        assertEquals("no DHCP lease on eth0 after 30s (acquire timeout of 30s passed): sent 5 DISCOVERs and "
                + "0 REQUESTs; no server replied; ignored: malformed reply: message of 3 bytes is shorter than the "
                + "240-byte BOOTP header and magic cookie, OFFER of 192.168.50.23 without a server identifier; "
                + "send errors: sending DISCOVER on eth0 failed: Network is down", failure.getValue().message());
    }

    @Test
    void requestingGivesUpOnASilentServerAndDiscoversAgain() {
        client(config().maxRequests(3).build(), new ScriptedRandom(1, 2));
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        runUntil(at(7));
        // REQUESTs at 0, 1, 3; at 7 s the third has gone unanswered: DISCOVER again with a new xid
        assertEquals(List.of(at(0), at(1), at(3)), transport.times(MessageType.REQUEST));
        assertEquals(List.of(at(0), at(7)), transport.times(MessageType.DISCOVER));
        assertEquals(2, transport.last().message().xid());
        assertEquals(ClientState.SELECTING, client.state());
    }

    @Test
    void initRebootAckRebindsTheRestoredLease() {
        client();
        Lease held = restoredLease(T0.minusSeconds(30));
        client.reboot(held);
        assertEquals(ClientState.REBOOTING, client.state());
        Sent request = transport.last();
        DhcpMessage r = request.message();
        assertTrue(request.broadcast());
        assertTrue(r.broadcast());
        assertEquals(Ipv4.ANY, r.ciaddr());
        assertEquals(Optional.of(ADDRESS), r.requestedAddress());
        assertEquals(Optional.empty(), r.serverId(), "INIT-REBOOT names no server");
        assertEquals(List.of(53, 61, 50, 12, 55), codes(r));
        clock.set(at(0.05));
        client.onPacket(ack(r, ADDRESS, SERVER));
        assertEquals(ClientState.BOUND, client.state());
        ArgumentCaptor<Lease> bound = ArgumentCaptor.forClass(Lease.class);
        verify(listener).bound(bound.capture());
        assertEquals(T0, bound.getValue().acquiredAt());
        assertEquals(ADDRESS, bound.getValue().address());
        verify(listener, never()).lost(any(), any());
        InOrder order = inOrder(listener);
        order.verify(listener).stateChanged(ClientState.STOPPED, ClientState.INIT_REBOOT);
        order.verify(listener).stateChanged(ClientState.INIT_REBOOT, ClientState.REBOOTING);
        order.verify(listener).stateChanged(ClientState.REBOOTING, ClientState.BOUND);
    }

    @Test
    void initRebootWithoutAnswerKeepsTheRestoredLeaseAndRenewsOnSchedule() {
        client();
        Lease held = restoredLease(T0.minusSeconds(8)); // T1 at T0+2 s, T2 at T0+12 s
        client.reboot(held);
        runUntil(at(15));
        // REQUESTs at 0, 1, 3, 7; at 15 s (after 4 tries) keep the lease; T1 and T2 have passed by then
        assertEquals(List.of(at(0), at(1), at(3), at(7)), transport.sent.stream()
                .filter(s -> s.broadcast() && s.message().requestedAddress().isPresent()).map(Sent::at).toList());
        verify(listener).bound(held);
        verify(listener).warning(contains("keeping the restored lease"));
        InOrder order = inOrder(listener);
        order.verify(listener).stateChanged(ClientState.REBOOTING, ClientState.BOUND);
        order.verify(listener).stateChanged(ClientState.BOUND, ClientState.REBINDING);
        assertEquals(ClientState.REBINDING, client.state());
        assertEquals(at(15), transport.last().at());
        assertEquals(ADDRESS, transport.last().message().ciaddr());
    }

    @Test
    void initRebootOfAnExpiredLeaseLosesItAtOnce() {
        client();
        Lease held = restoredLease(T0.minusSeconds(120));
        client.reboot(held);
        ArgumentCaptor<LeaseLoss> loss = ArgumentCaptor.forClass(LeaseLoss.class);
        verify(listener).lost(org.mockito.ArgumentMatchers.eq(held), loss.capture());
        assertEquals(LeaseLoss.Reason.EXPIRED, loss.getValue().reason());
        assertEquals(ClientState.INIT_REBOOT, loss.getValue().state());
        assertEquals(ClientState.SELECTING, client.state());
        assertEquals(MessageType.DISCOVER, transport.last().type());
    }

    @Test
    void repliesForOtherTransactionsClientsOrServersAreIgnored() {
        client();
        client.start();
        DhcpMessage discover = transport.last().message();
        DhcpMessage good = offer(discover, ADDRESS, SERVER);
        client.onPacket(good.toBuilder().xid(discover.xid() + 1).build());
        client.onPacket(good.toBuilder().chaddr(HardwareAddress.parse("02:42:c0:a8:32:0b")).build());
        client.onPacket(good.toBuilder().op(DhcpMessage.BOOTREQUEST).build());
        client.onPacket(reply(discover, MessageType.ACK, ADDRESS, SERVER, ClientFixtures.STANDARD));
        assertEquals(ClientState.SELECTING, client.state());
        assertEquals(1, transport.sent.size());

        client.onPacket(good);
        DhcpMessage request = transport.last().message();
        int sent = transport.sent.size();
        client.onPacket(ack(request, Ipv4.parse("192.168.50.99"), OTHER_SERVER));
        client.onPacket(nak(request, OTHER_SERVER, "not yours"));
        client.onPacket(reply(request, MessageType.ACK, ADDRESS, SERVER, b -> b.remove(54)));
        assertEquals(ClientState.REQUESTING, client.state(), "only the selected server's answer counts");
        assertEquals(sent, transport.sent.size());
        verify(listener).warning("ACK without a server identifier while requesting from 192.168.50.1 (on eth0)");

        client.onPacket(ack(request, ADDRESS, SERVER));
        assertEquals(ClientState.BOUND, client.state());
        client.onPacket(ack(request, ADDRESS, SERVER));
        verify(listener).bound(any());
        verify(listener, never()).renewed(any());
    }

    @Test
    void unusableAckIsIgnoredAndRetried() {
        client();
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        DhcpMessage request = transport.last().message();
        client.onPacket(reply(request, MessageType.ACK, ADDRESS, SERVER, b -> b.remove(51)));
        assertEquals(ClientState.REQUESTING, client.state());
        verify(listener).warning("ACK from 192.168.50.1 unusable: no lease time (option 51) (on eth0)");
        runUntil(at(1));
        assertEquals(List.of(at(0), at(1)), transport.times(MessageType.REQUEST));
    }

    @Test
    void unsafeDomainNameIsLeftOutWithAWarning() {
        client();
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        client.onPacket(reply(transport.last().message(), MessageType.ACK, ADDRESS, SERVER,
                ClientFixtures.STANDARD.andThen(b -> b.putRaw(15, new byte[] {'a', ' ', 'b'}))));
        assertEquals(ClientState.BOUND, client.state());
        assertEquals(Optional.empty(), client.lease().orElseThrow().domainName());
        verify(listener).warning("ignoring domain name \"a b\" (option 15) from 192.168.50.1: it has a label with "
                + "character 0x20 (only letters, digits, '-' and '_') (on eth0)");
    }

    @Test
    void ackForADifferentAddressWhileRenewingReplacesTheLease() {
        client();
        Lease first = bind();
        runUntil(at(10));
        Ipv4 other = Ipv4.parse("192.168.50.77");
        client.onPacket(ack(transport.last().message(), other, SERVER));
        verify(listener).lost(org.mockito.ArgumentMatchers.eq(first),
                org.mockito.ArgumentMatchers.eq(new LeaseLoss(LeaseLoss.Reason.ADDRESS_CHANGED, ClientState.RENEWING,
                        Optional.of(SERVER), Optional.empty())));
        verify(listener).bound(client.lease().orElseThrow());
        assertEquals(other, client.lease().orElseThrow().address());
        verify(listener, never()).renewed(any());
    }

    @Test
    void releaseUnicastsToTheServerAndStops() throws Exception {
        client();
        Lease lease = bind();
        clock.set(at(5));
        assertEquals(Optional.of(lease), client.release());
        Sent release = transport.last();
        assertEquals(MessageType.RELEASE, release.type());
        assertEquals(Optional.of(SERVER), release.unicastTo());
        assertEquals(ADDRESS, release.message().ciaddr());
        assertFalse(release.message().broadcast());
        assertEquals(List.of(53, 61, 54), codes(release.message()));
        assertEquals(Optional.of(SERVER), release.message().serverId());
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(Optional.empty(), client.nextDeadline());
        int sent = transport.sent.size();
        assertEquals(Optional.empty(), client.release(), "releasing nothing is a no-op");
        assertEquals(sent, transport.sent.size());
        runUntil(at(500));
        assertEquals(sent, transport.sent.size());
    }

    @Test
    void stopKeepsTheLeaseForPersistenceAndSendsNothing() throws Exception {
        client();
        Lease lease = bind();
        int sent = transport.sent.size();
        client.stop();
        assertEquals(ClientState.STOPPED, client.state());
        assertEquals(Optional.of(lease), client.lease());
        assertEquals(Optional.empty(), client.nextDeadline());
        assertEquals(sent, transport.sent.size());
        client.reboot(lease);
        assertEquals(ClientState.REBOOTING, client.state());
        assertThrows(IllegalStateException.class, client::start);
    }

    @Test
    void startTwiceIsRefused() {
        client();
        client.start();
        IllegalStateException e = assertThrows(IllegalStateException.class, client::start);
        assertEquals("cannot start the DHCP client of eth0 in state SELECTING; stop or release it first",
                e.getMessage());
    }

    @Test
    void listenerMayNotReenterTheClient() {
        client();
        doAnswer(i -> {
            client.stop();
            return null;
        }).when(listener).bound(any());
        client.start();
        client.onPacket(offer(transport.last().message(), ADDRESS, SERVER));
        DhcpMessage request = transport.last().message();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> client.onPacket(ack(request, ADDRESS, SERVER)));
        assertTrue(e.getMessage().startsWith("DhcpClient.stop called from inside a listener callback"), e.getMessage());
        assertEquals(ClientState.BOUND, client.state());
        client.stop(); // usable again after the callback
        assertEquals(ClientState.STOPPED, client.state());
    }

    @Test
    void extraOptionsFollowTheClientsOwnAndOwnedOnesAreRefused() {
        DhcpOption vendorClass = new DhcpOption(60, "terway".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        client(config().extraOption(vendorClass).requestedAddress(ADDRESS).build(), new ScriptedRandom(5));
        client.start();
        assertEquals(List.of(53, 61, 50, 12, 55, 60), codes(transport.last().message()));
        assertThrows(IllegalArgumentException.class, () -> config()
                .extraOption(new DhcpOption(53, new byte[] {1})).build());
        assertThrows(IllegalArgumentException.class, () -> config().hostName("bad name\n").build());
    }

    @Test
    void mutatedRepliesNeverThrowOutOfTheClient() {
        Random random = new Random(99);
        for (int round = 0; round < 400; round++) {
            clock.set(T0);
            client(config().build(), new Random(round));
            int stage = round % 4;
            if (stage == 0) {
                client.start();
            } else {
                bind();
                if (stage == 1) {
                    client.stop();
                    client.reboot(client.lease().orElseThrow());
                } else {
                    runUntil(stage == 2 ? at(10) : at(20));
                }
            }
            DhcpMessage request = transport.last().message();
            MessageType type = stage == 0 ? MessageType.OFFER : random.nextBoolean() ? MessageType.ACK : MessageType.NAK;
            byte[] wire = reply(request, type, ADDRESS, SERVER, ClientFixtures.STANDARD).encode();
            for (int i = 0; i < 10 && client.state() != ClientState.BOUND; i++) {
                byte[] mutated = wire.clone();
                for (int e = 0; e < 3; e++) {
                    int at = OPTIONS_START + random.nextInt(wire.length - OPTIONS_START);
                    mutated[at] = (byte) random.nextInt(256);
                }
                client.onDatagram(mutated, 0, mutated.length);
            }
        }
    }

    /** A lease as the daemon would have persisted it, acquired at {@code acquiredAt}: 120 s, T1 10 s, T2 20 s. */
    static Lease restoredLease(Instant acquiredAt) {
        return new Lease(ADDRESS, 24, List.of(SERVER), SERVER, List.of(SERVER), Optional.of("lan.local"), List.of(),
                List.of(), Optional.empty(), Optional.empty(), Duration.ofSeconds(120), Duration.ofSeconds(10),
                Duration.ofSeconds(20), acquiredAt);
    }

    @Test
    void noUnexpectedListenerCallsInAQuietBoundPeriod() {
        client();
        bind();
        org.mockito.Mockito.clearInvocations(listener);
        runUntil(at(9));
        verifyNoMoreInteractions(listener);
        assertEquals(2, transport.sent.size());
    }
}
